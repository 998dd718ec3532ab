"""`tmuxorch status --format tmux`, which a status bar runs every few seconds: answered from the
option a watcher keeps (see core/status_segment.py) before any backend is opened, so a run that
finds it loads neither pydantic, asyncio nor the engine: one plain `tmux` process, no snapshot.
"""

from __future__ import annotations

import argparse
import sys


def kept_segment(args: argparse.Namespace) -> int | None:
    """Print the segment a live watcher keeps and return 0; None when there is none to read
    (no watcher, a TARGET, --connect), and the command goes on to compute it."""
    if args.format != "tmux" or args.target is not None or args.connect is not None:
        return None
    from tmuxorch.core.status_segment import read_kept
    from tmuxorch.core.tmux.server import TmuxServer

    kept = read_kept(TmuxServer.resolve(args.socket_name, args.socket_path), 2.0)
    return None if kept is None else print_segment(kept)


def print_segment(value: str) -> int:
    """The status-bar segment on one line; nothing at all when it is empty. Without a tmux
    server it is empty too and the exit status 0: a status bar shows no stderr, and a
    `#(tmuxorch status --format tmux)` there has nothing to count (README)."""
    if value:
        sys.stdout.write(value + "\n")
    return 0
