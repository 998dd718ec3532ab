"""Counting the processes a piece of code starts, independently of what that code reports.

tmuxorch counts its own tmux processes (`TmuxConnection.processes_started`); a benchmark should
not take that on trust. While a `ProcessCounter` is active, `subprocess.Popen` (used by
`subprocess.run`, by libtmux and, underneath, by asyncio's subprocess transport) and
`asyncio.create_subprocess_exec` are replaced by counting wrappers. Both are looked up as module
attributes at call time by all of these callers, so patching the attributes sees every start.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Sequence
from types import TracebackType
from typing import Any

_ORIGINAL_POPEN = subprocess.Popen
_ORIGINAL_EXEC = asyncio.create_subprocess_exec


def _is_tmux(args: Any) -> bool:
    if isinstance(args, (str, bytes, os.PathLike)):
        first: Any = args
    elif isinstance(args, Sequence) and args:
        first = args[0]
    else:
        return False
    return os.path.basename(os.fsdecode(first)).split()[0] == "tmux"


class ProcessCounter:
    """Context manager: counts process starts (all, and tmux ones) while it is active."""

    _active: ProcessCounter | None = None

    def __init__(self) -> None:
        self.popen = 0
        """Every `subprocess.Popen` (this includes asyncio's subprocesses)."""
        self.popen_tmux = 0
        """The `subprocess.Popen` calls whose program is tmux."""
        self.asyncio_exec = 0
        """Calls of `asyncio.create_subprocess_exec` (a second, independent count)."""

    def __enter__(self) -> ProcessCounter:
        if ProcessCounter._active is not None:
            raise RuntimeError("ProcessCounter does not nest")
        ProcessCounter._active = self
        subprocess.Popen = _CountingPopen  # type: ignore[misc]
        asyncio.create_subprocess_exec = _counting_exec
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        subprocess.Popen = _ORIGINAL_POPEN  # type: ignore[misc]
        asyncio.create_subprocess_exec = _ORIGINAL_EXEC
        ProcessCounter._active = None


class _CountingPopen(_ORIGINAL_POPEN):  # type: ignore[type-arg]
    """A real Popen that reports itself; a subclass so isinstance() checks keep working."""

    def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
        counter = ProcessCounter._active
        if counter is not None:
            counter.popen += 1
            counter.popen_tmux += _is_tmux(args)
        super().__init__(args, *rest, **kwargs)


async def _counting_exec(program: Any, *args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
    counter = ProcessCounter._active
    if counter is not None:
        counter.asyncio_exec += 1
    return await _ORIGINAL_EXEC(program, *args, **kwargs)
