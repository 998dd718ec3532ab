"""The `tmuxorch` command: parses arguments, picks a Backend, prints rich or JSON output.

Exit status (DESIGN.md): 0 ok, 1 an operation failed, 2 bad usage or input, 3 tmux unreachable.
Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable

from tmuxorch import __version__
from tmuxorch.core.backend import Backend, LocalBackend
from tmuxorch.core.engine import Engine
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.summary import summarize
from tmuxorch.core.targets import resolve_target, subtree
from tmuxorch.core.tmux_server import TmuxServer
from tmuxorch.render import make_console, status_tree, summary_tables

Command = Callable[[argparse.Namespace, Backend], Awaitable[int]]


class _Parser(argparse.ArgumentParser):
    """argparse, but bad usage prefixes the program name like our other errors (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"tmuxorch: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tmuxorch",
        description="See, understand and drive a fleet of AI coding agents running in tmux.",
    )
    parser.add_argument("--version", action="version", version=f"tmuxorch {__version__}")
    server = parser.add_mutually_exclusive_group()
    server.add_argument(
        "-L", dest="socket_name", metavar="NAME", help="tmux socket name (as tmux -L)"
    )
    server.add_argument(
        "-S", dest="socket_path", metavar="PATH", help="tmux socket path (as tmux -S)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    status = commands.add_parser("status", help="the fleet as a tree of sessions, windows, panes")
    status.add_argument("target", nargs="?", metavar="TARGET", help="only this session/window/pane")
    status.add_argument("--detailed", action="store_true", help="pid, cwd and size of every pane")
    status.add_argument("--json", action="store_true", help="the tmuxorch.status/1 document")
    status.set_defaults(handler=cmd_status)

    summary = commands.add_parser("summary", help="counts and activity report")
    summary.add_argument("--json", action="store_true", help="the tmuxorch.summary/1 document")
    summary.set_defaults(handler=cmd_summary)
    return parser


def print_json(document: object) -> None:
    """JSON on stdout, one document, UTF-8 kept readable."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")


async def cmd_status(args: argparse.Namespace, backend: Backend) -> int:
    snapshot = await backend.snapshot()
    if args.target is not None:
        snapshot = subtree(snapshot, resolve_target(snapshot, args.target))
    if args.json:
        print_json(snapshot.to_status_document())
    else:
        make_console().print(status_tree(snapshot, detailed=args.detailed))
    return 0


async def cmd_summary(args: argparse.Namespace, backend: Backend) -> int:
    summary = summarize(await backend.snapshot(activity=True))
    if args.json:
        print_json(summary.to_document())
    else:
        console = make_console()
        for block in summary_tables(summary):
            console.print(block)
    return 0


def open_backend(args: argparse.Namespace) -> Backend:
    """The backend the global options ask for (a local tmux server for now)."""
    server = TmuxServer.resolve(args.socket_name, args.socket_path)
    return LocalBackend(Engine(server))


async def _run(args: argparse.Namespace, handler: Command) -> int:
    backend = open_backend(args)
    try:
        return await handler(args, backend)
    finally:
        await backend.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tmuxorch` script."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        args = build_parser().parse_args([*(argv if argv is not None else sys.argv[1:]), "status"])
    try:
        return asyncio.run(_run(args, args.handler))
    except TmuxorchError as exc:
        print(f"tmuxorch: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
