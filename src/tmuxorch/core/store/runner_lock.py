"""Which process runs a tmux server's schedules: the one holding its lock file in the store.

The TUI, `serve` and `tmuxorch watch` may all watch one server; each would fire every
schedule. So each asks for an exclusive `flock` on `runner-<digest of the socket>.lock` beside
the database, and only the holder runs them; the others wait for it on a daemon thread blocked
in `flock`, which the kernel wakes the moment the holder exits, however it exits (SIGKILL
included): no lease to renew, no polling, and no lock left behind by a dead process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path


def lock_path(store_path: Path, server: str) -> Path:
    digest = hashlib.sha256(server.encode()).hexdigest()[:16]
    return store_path.with_name(f"runner-{digest}.lock")


class RunnerLock:
    """The lock of one server's runner; `acquire` calls back (on its own thread) once held."""

    def __init__(self, store_path: Path, server: str) -> None:
        self.path = lock_path(store_path, server)
        self._fd: int | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; False at once otherwise."""
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        self._held = True
        return True

    def acquire(self, then: Callable[[], None]) -> None:
        """Wait for the lock on a daemon thread (it never holds up the process's exit), then
        call `then` from that thread."""
        fd = self._open()

        def wait() -> None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                return  # closed under us: the process is giving up
            self._held = True
            then()

        threading.Thread(target=wait, name="tmuxorch-runner-lock", daemon=True).start()

    def release(self) -> None:
        """Let another process run the schedules (closing the file drops the lock)."""
        self._held = False
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._fd


def someone_runs(store_path: Path, server: str) -> bool:
    """Whether a process holds `server`'s runner lock now (a watcher will fire its schedules)."""
    probe = RunnerLock(store_path, server)
    try:
        return not probe.try_acquire()
    finally:
        probe.release()
