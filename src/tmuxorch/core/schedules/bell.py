"""The schedules' doorbell: a file beside the store that `schedule add` and `cancel` touch.

The process that runs a server's schedules sleeps until the next one is due; a schedule added
or cancelled by another process (the CLI, a client of `serve`) rings this bell, which it
follows with inotify (core/agents/doorbell.py), so it reads the schedules again at once
instead of polling the store.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

SUFFIX = ".schedules-bell"


def bell_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + SUFFIX)


def ring(store_path: Path) -> None:
    """Touch the bell (a write closes it: IN_CLOSE_WRITE); a failure only costs the wait for
    the runner's next look."""
    with contextlib.suppress(OSError):
        fd = os.open(bell_path(store_path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
