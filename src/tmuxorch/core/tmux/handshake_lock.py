"""A per-server file lock that keeps tmux from notifying a control client that is half set up.

Why: tmux 3.3a-3.6 give a control client its control flag two event-loop passes before its
control state (`MSG_IDENTIFY_FLAGS` .. `MSG_IDENTIFY_DONE`). A notification sent to every control
client in between (`%sessions-changed` when a session is created or closed, `%client-detached`,
`%window-add`, `%paste-buffer-changed`, ...) dereferences NULL and the server segfaults with every
session in it (fixed in tmux 3.7; docs/architecture.md). A stopped server makes that window
seconds long: everything queued meanwhile is handled in the same passes when it wakes.

So every tmuxorch process on the machine takes this lock, on one file per tmux socket:
- from starting a control client until tmux has answered its attach (it is then set up),
- from asking a control client to leave until tmux has dropped it (its stdout reaches EOF),
- around every batch that changes tmux (those are what make tmux notify).
Measured on the minimal reproduction (shared/notes/tmux-facts.md): 0 crashes in 45 runs of 2-4
processes with it, 5 in 5 without. It cannot hold back what the user does meanwhile; that is why
tmuxorch starts a control client only in long-lived processes, once, and one-shot commands start
none.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import AsyncIterator, Iterator

from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.store.paths import data_dir
from tmuxorch.core.tmux.server import TmuxServer

_POLL = 0.002


class HandshakeLock:
    """The lock of one tmux server. `acquire()` returns a held lock to `release()` later (it
    may be handed to whoever finishes the work); `held()` is the same as a context manager.
    `held_now()` waits for it by blocking the process: for a one-shot command, which has no
    event loop (asyncio is imported only by the engine's waits)."""

    def __init__(self, server: TmuxServer) -> None:
        self.server = server

    def path(self) -> str:
        """Beside the socket (its directory is the user's own, mode 0700), else under our data
        directory when that directory cannot be written (a `-S` socket somewhere shared)."""
        directory, name = os.path.split(self.server.socket_path)
        beside = os.path.join(directory, f".{name}.tmuxorch-lock")
        if os.access(directory, os.W_OK):
            return beside
        import hashlib  # here: OpenSSL's library costs a one-shot command 10 ms to load

        digest = hashlib.sha256(self.server.socket_path.encode()).hexdigest()[:24]
        return os.path.join(data_dir(), "locks", f"{digest}.lock")

    async def acquire(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for the lock; return the descriptor that holds it."""
        import asyncio

        fd, deadline = self._open(timeout)
        try:
            while not self._took(fd, deadline, timeout):  # noqa: ASYNC110  # a file lock: no event to wait on
                await asyncio.sleep(_POLL)
        except BaseException:  # the wait failed or was cancelled
            os.close(fd)
            raise
        return fd

    def acquire_now(self, timeout: float) -> int:
        """`acquire`, blocking the process while it waits."""
        fd, deadline = self._open(timeout)
        try:
            while not self._took(fd, deadline, timeout):
                time.sleep(_POLL)
        except BaseException:  # the wait failed or was interrupted
            os.close(fd)
            raise
        return fd

    def _open(self, timeout: float) -> tuple[int, float]:
        """The lock file's descriptor, and when a wait of `timeout` seconds for it ends."""
        path = self.path()
        try:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            raise TmuxUnavailableError(f"cannot open the lock {path}: {exc.strerror}") from exc
        return fd, time.monotonic() + timeout

    @staticmethod
    def _took(fd: int, deadline: float, timeout: float) -> bool:
        """One try: True when the lock is held now, False to try again after a poll step;
        past `deadline`, the wait fails, clearly (the caller closes the descriptor)."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TmuxUnavailableError(
                    f"another tmuxorch process kept tmux busy for {timeout:g} s "
                    "(attaching to a stopped or slow tmux server?)"
                ) from None
            return False

    @staticmethod
    def release(fd: int | None) -> None:
        """Release a lock `acquire()` returned (closing the descriptor unlocks it)."""
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    @contextlib.asynccontextmanager
    async def held(self, timeout: float) -> AsyncIterator[None]:
        """Hold the lock for the body of a `with`."""
        fd = await self.acquire(timeout)
        try:
            yield
        finally:
            self.release(fd)

    @contextlib.contextmanager
    def held_now(self, timeout: float) -> Iterator[None]:
        """`held`, blocking the process while it waits."""
        fd = self.acquire_now(timeout)
        try:
            yield
        finally:
            self.release(fd)
