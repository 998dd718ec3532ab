"""The doorbell agents' hooks ring: a file beside the tmux socket, followed with inotify.

A hook reports by setting its pane's `@tmuxorch-hook` option (the truth, read on every sweep),
but tmux tells control clients nothing about option changes and checks subscriptions only once a
second. So the hook also touches `<socket>.tmuxorch-hook` (it knows the socket from `$TMUX`),
and a watching engine that follows that file with inotify sweeps at once: a hook's report
reaches the event stream in milliseconds, and no extra polling is added. Where inotify is not
available (not Linux) the next regular sweep reads the report instead.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import struct
import sys
from collections.abc import Callable
from pathlib import Path

from tmuxorch.core.agents.hook_events import DOORBELL_SUFFIX

_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_TO = 0x00000080
_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
_EVENT = struct.Struct("iIII")


def doorbell_path(socket_path: Path) -> Path:
    """The file a hook touches for the server at `socket_path` (`${TMUX%%,*}.tmuxorch-hook`)."""
    return socket_path.with_name(socket_path.name + DOORBELL_SUFFIX)


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


class Doorbell:
    """Calls `ring` whenever one file is written: a server's hook doorbell (`doorbell_path`),
    or the schedules' (core/schedules/bell.py)."""

    def __init__(self, path: Path, ring: Callable[[], None]) -> None:
        self.path = path
        self._ring = ring
        self._fd: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def listening(self) -> bool:
        """True while inotify follows the file."""
        return self._fd is not None

    def listen(self) -> bool:
        """Follow the file (idempotent; its directory must exist, as it does while the server
        runs); False where inotify is not available."""
        if self._fd is not None:
            return True
        libc = _libc()
        if libc is None:
            return False
        fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            return False
        directory = os.fsencode(self.path.parent)
        if libc.inotify_add_watch(fd, directory, _IN_CLOSE_WRITE | _IN_MOVED_TO) < 0:
            os.close(fd)
            return False
        self._fd = fd
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(fd, self._readable)
        return True

    def close(self) -> None:
        """Stop following the file."""
        if self._fd is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = None

    def _readable(self) -> None:
        assert self._fd is not None
        try:
            data = os.read(self._fd, 64 * 1024)
        except BlockingIOError:
            return
        except OSError:
            self.close()
            return
        name = os.fsencode(self.path.name)
        offset, rang = 0, False
        while offset + _EVENT.size <= len(data):
            _wd, _mask, _cookie, length = _EVENT.unpack_from(data, offset)
            start = offset + _EVENT.size
            rang = rang or data[start : start + length].rstrip(b"\0") == name
            offset = start + length
        if rang:
            self._ring()
