"""One short `tmux` client process, run to its end without `subprocess`, for one-shot commands.

`subprocess` and `tempfile` (with locale, threading, signal, selectors, random and their
imports) cost a one-shot command ~5 ms of a status-bar read's 40 (issue 17); what a `tmux`
client needs of them is three things, done here with `os` and `select` alone:

- its output in files, not pipes: tmux hands a client's stdio to the server, so a stopped server
  would keep a pipe open (core.tmux.fallback). A memfd (Linux) is a file with no path; elsewhere
  an unlinked temporary file.
- the process started in a session of its own, stdin from /dev/null, and none of the descriptors
  we were given leaking into it (subprocess's `close_fds`): `posix_spawn` with file actions, which
  glibc runs as a vfork, cheaper than subprocess's fork.
- its end awaited with a time limit: on a pidfd where there is one (Linux 5.3), which wakes the
  moment the process ends (subprocess's own timed wait polls, and woke 1.4 ms late), else by
  polling `waitpid`. A process that overruns the limit, or is waited on when Ctrl-C comes, is
  killed and reaped: none outlives us.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Sequence


def run_process(
    argv: Sequence[str], environ: dict[str, str], timeout: float
) -> tuple[int, bytes, bytes]:
    """Run `argv` (argv[0] a path) to its end: its exit status (minus the signal that killed it,
    as subprocess says it), stdout and stderr. TimeoutError after `timeout` seconds."""
    out, err = _scratch_file(), _scratch_file()
    try:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out, 1),
            (os.POSIX_SPAWN_DUP2, err, 2),
            *((os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited_descriptors()),
        ]
        pid = os.posix_spawn(argv[0], list(argv), environ, file_actions=actions, setsid=True)
        try:
            status = _ended(pid, timeout)
        except BaseException:
            _kill(pid)
            raise
        return os.waitstatus_to_exitcode(status), _contents(out), _contents(err)
    finally:
        os.close(out)
        os.close(err)


def _scratch_file() -> int:
    """A descriptor of an empty file nobody else can open (closed on exec, as Python opens all)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("tmuxorch-tmux-output")
    import tempfile  # not Linux: a file on disk, unlinked at once

    fd, path = tempfile.mkstemp(prefix="tmuxorch-")
    os.unlink(path)
    return fd


def _inherited_descriptors() -> list[int]:
    """Descriptors above stderr that a child would inherit: ones we were started with (Python
    opens its own close-on-exec). A tmux client that starts a server would hand them on to it."""
    directory = "/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"
    found = []
    for name in os.listdir(directory):
        fd = int(name)
        try:
            if fd > 2 and os.get_inheritable(fd):
                found.append(fd)
        except OSError:  # the listing's own descriptor, closed by now
            continue
    return found


def _ended(pid: int, timeout: float) -> int:
    """Wait for `pid` to end, at most `timeout` seconds; its wait status."""
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux, or an older kernel
        return _polled(pid, timeout)
    try:
        ended = select.poll()
        ended.register(pidfd, select.POLLIN)
        if not ended.poll(timeout * 1000):
            raise TimeoutError
    finally:
        os.close(pidfd)
    return os.waitpid(pid, 0)[1]


def _polled(pid: int, timeout: float) -> int:
    """`_ended` without a pidfd: waitpid asked again, sleeping at most 5 ms between asks."""
    deadline = time.monotonic() + timeout
    pause = 0.0005
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() >= deadline:
            raise TimeoutError
        time.sleep(pause)
        pause = min(pause * 2, 0.005)


def _kill(pid: int) -> None:
    """Kill the process and reap it."""
    import signal  # only here: a process we kill is rare

    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # reaped already
        return
    os.waitpid(pid, 0)


def _contents(fd: int) -> bytes:
    """All that was written to the scratch file `fd`."""
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)
