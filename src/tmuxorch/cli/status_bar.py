"""`tmuxorch status --format tmux`, which a status bar runs every few seconds: answered from the
option a watcher keeps (see core/status_segment.py) before any backend is opened, so a run that
finds it loads neither pydantic, asyncio nor the engine: one plain `tmux` process, no snapshot.
With no watcher it is counted over the one-shot engine, still before argparse (and the shutil,
gettext and locale it loads) is imported, nor the Backend and its operations: only the snapshot
and the agents' states are needed.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs a status-bar read ~3 ms (cli/main.py)
if TYPE_CHECKING:
    import argparse


def kept_segment(args: argparse.Namespace) -> int | None:
    """Print the segment a live watcher keeps and return 0; None when there is none to read
    (no watcher, a TARGET, --connect), and the command goes on to compute it."""
    if args.format != "tmux" or args.target is not None or args.connect is not None:
        return None
    return print_kept(args.socket_name, args.socket_path)


def plain_socket(options: list[str]) -> tuple[str | None, str | None] | None:
    """(-L NAME, -S PATH) from what came before `status` in `tmuxorch [-S PATH | -L NAME]
    status --format tmux`, read before argparse is imported (cli/main.py); None for anything
    it would not read as argparse does (other options, a value starting with `-` or `=`)."""
    if len(options) == 2 and options[0] in ("-L", "-S"):
        flag, value = options
    elif len(options) == 1 and options[0][:2] in ("-L", "-S") and len(options[0]) > 2:
        flag, value = options[0][:2], options[0][2:]
    elif not options:
        return None, None
    else:
        return None
    if value[:1] in ("-", "="):
        return None
    return (value, None) if flag == "-L" else (None, value)


def print_kept(socket_name: str | None, socket_path: str | None) -> int | None:
    """Print the segment a live watcher keeps on this server and return 0; None when none is
    kept (or no server runs)."""
    from tmuxorch.core.status_segment import read_kept
    from tmuxorch.core.tmux.server import TmuxServer

    kept = read_kept(TmuxServer.resolve(socket_name, socket_path), 2.0)
    return None if kept is None else print_segment(kept)


def print_counted(socket_name: str | None, socket_path: str | None) -> int:
    """Count the segment on this server (no watcher keeps it) and print it, as `status --format
    tmux` after its parser does (cli/commands.py `cmd_status`): the fleet with every agent's
    state read now."""
    from tmuxorch.core.oneshot import OneShotEngine, run_now
    from tmuxorch.core.status_segment import segment
    from tmuxorch.core.store.config import load_settings
    from tmuxorch.core.tmux.server import TmuxServer

    settings = load_settings()
    server = TmuxServer.resolve(socket_name, socket_path)
    engine = OneShotEngine(server, timeout=settings.command_timeout, settings=settings)
    return print_segment(segment(run_now(engine.fleet(sweep="all"), "status")))


def print_segment(value: str) -> int:
    """The status-bar segment on one line; nothing at all when it is empty. Without a tmux
    server it is empty too and the exit status 0: a status bar shows no stderr, and a
    `#(tmuxorch status --format tmux)` there has nothing to count (README)."""
    if value:
        sys.stdout.write(value + "\n")
    return 0
