"""What the `tmuxorch` command line accepts: every command, its arguments and its help.

Kept apart from running the commands (cli/main.py) and free of their imports: a command's handler
is named here as "module:function" of tmuxorch.cli and imported only when that command runs, so
`tmuxorch --version` or `status --json` never load the TUI, the server, rich or the delivery code
they do not use (tests/unit/test_cli_imports.py pins what each may import).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from tmuxorch import __version__

STATES = ("busy", "waiting", "idle", "error", "exited", "unknown")


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, at the width argparse would take, read without shutil: every
    add_argument makes a formatter, and shutil (with bz2, lzma and zlib) cost each command
    ~2.5 ms for it (issue 17)."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
        width: int | None = None,
    ) -> None:  # fmt: skip
        width = _columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)


def _columns() -> int:
    """`shutil.get_terminal_size().columns`: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _path(text: str) -> object:
    """A PATH argument as a Path (pathlib imported only when such an option is given)."""
    from pathlib import Path

    return Path(text)


class _Parser(argparse.ArgumentParser):
    """argparse, but bad usage prefixes the program name like our other errors (exit 2)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"tmuxorch: {message}\n")


def _text_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--message", help="the text to send (whatever it starts with)")
    parser.add_argument("-f", "--file", help="read the text from FILE")
    parser.add_argument(
        "--stdin", action="store_true", help="read the text from stdin (a lone - does too)"
    )
    parser.set_defaults(texts=[])


def _message_options(parser: argparse.ArgumentParser) -> None:
    _text_options(parser)
    parser.add_argument(
        "--force", action="store_true", help="send even to agents awaiting approval or unrecognised"
    )
    parser.add_argument("--json", action="store_true", help="receipts as JSON")


def port_number(text: str) -> int:
    """A TCP port for argparse: a number from 0 to 65535 (bind() raises OverflowError beyond)."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port (0-65535)")
    return int(text)


def positive(text: str) -> int:
    """A count for argparse: a whole number from 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number from 1")
    return int(text)


Arguments = Callable[[argparse.ArgumentParser], None]
COMMANDS: dict[str, tuple[str | None, str, Arguments | None]] = {
    "tui": (None, "the full-screen TUI (the default with no command)", None),
}
"""Every command, in the order help lists them: its handler ("module:function" of tmuxorch.cli;
none for the TUI, which cli/main.py runs itself), its help, and what adds its arguments."""


def command(name: str, handler: str, help_text: str) -> Callable[[Arguments], Arguments]:
    """Registers a command's arguments in COMMANDS."""

    def register(arguments: Arguments) -> Arguments:
        COMMANDS[name] = (handler, help_text, arguments)
        return arguments

    return register


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `only` (a name in COMMANDS), the global options and that
    command alone. A command's parse, help and errors are the same either way (cli/main.py
    takes `only` when argv names the command plainly): what it saves is building the other
    commands' parsers, a few ms of every run (issue 17)."""
    parser = _Parser(
        prog="tmuxorch",
        description="See, understand and drive a fleet of AI coding agents running in tmux.",
    )
    parser.add_argument("--version", action="version", version=f"tmuxorch {__version__}")
    server = parser.add_mutually_exclusive_group()
    server.add_argument("-L", dest="socket_name", metavar="NAME", help="socket name, as tmux -L")
    server.add_argument("-S", dest="socket_path", metavar="PATH", help="socket path, as tmux -S")
    parser.add_argument(
        "--connect", metavar="URL", help="use the fleet of a remote `tmuxorch serve` (ws[s]://…)"
    )
    parser.add_argument(
        "--token-file", metavar="FILE",
        help="the token for --connect: first line of FILE (default: $TMUXORCH_TOKEN)",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (handler, help_text, arguments) in COMMANDS.items():
        if only is not None and name != only:
            continue
        command = sub.add_parser(name, help=help_text, description=help_text if handler else None)
        if handler is not None:
            command.set_defaults(handler=handler)
        if arguments is not None:
            arguments(command)
    return parser


@command("status", "commands:cmd_status", "the fleet as a tree of sessions, windows, panes")
def _status(status: argparse.ArgumentParser) -> None:
    status.add_argument("target", nargs="?", metavar="TARGET", help="only this session/window/pane")
    status.add_argument("--detailed", action="store_true", help="pid, cwd and size of every pane")
    output = status.add_mutually_exclusive_group()
    output.add_argument(
        "--format", choices=("tree", "json", "tmux"), default="tree",
        help="tree (default), json (the tmuxorch.status/1 document) or tmux (a status-bar segment)",
    )  # fmt: skip
    output.add_argument("--json", dest="format", action="store_const", const="json",
                        help="the tmuxorch.status/1 document (--format json)")  # fmt: skip


@command("summary", "commands:cmd_summary", "counts and activity report")
def _summary(summary: argparse.ArgumentParser) -> None:
    summary.add_argument("--json", action="store_true", help="the tmuxorch.summary/1 document")


@command("send", "commands:cmd_send", "type a message into agents and submit it once")
def _send(send: argparse.ArgumentParser) -> None:
    send.add_argument("targets", nargs="+", metavar="TARGET")
    _message_options(send)
    send.add_argument("--no-enter", action="store_true", help="type the text but do not submit")


@command("broadcast", "commands:cmd_broadcast", "send one message to every matching agent")
def _broadcast(broadcast: argparse.ArgumentParser) -> None:
    broadcast.add_argument("--kind", action="append", help="only agents of this kind (repeatable)")
    broadcast.add_argument("--state", action="append", choices=STATES, help="only in this state")
    broadcast.add_argument("--session", action="append", help="only in this session")
    broadcast.add_argument(
        "--dry-run", action="store_true", help="show who would get it; send nothing"
    )
    _message_options(broadcast)


@command("keys", "commands:cmd_keys", "press named keys: keys TARGET... KEY... (e.g. C-c)")
def _keys(keys: argparse.ArgumentParser) -> None:
    keys.add_argument("items", nargs="+", metavar="TARGET... KEY...")
    keys.add_argument("--json", action="store_true", help="receipts as JSON")


@command("interrupt", "commands:cmd_interrupt", "interrupt agents (Escape / C-c by kind)")
def _interrupt(interrupt: argparse.ArgumentParser) -> None:
    interrupt.add_argument("targets", nargs="+", metavar="TARGET")
    interrupt.add_argument("--json", action="store_true", help="receipts as JSON")


@command(
    "answer",
    "answer:cmd_answer",
    "a waiting agent's question: show it and its choices, or pick one (answer TARGET N)",
)
def _answer(answer: argparse.ArgumentParser) -> None:
    answer.add_argument(
        "target", metavar="TARGET", help="an agent pane (or a window/session of one)"
    )
    answer.add_argument("choice", nargs="?", type=positive, metavar="N", help="the choice to pick")
    answer.add_argument("--show", action="store_true", help="only show the question (the default)")
    answer.add_argument(
        "--timeout", type=float, default=5.0, help="seconds to wait for it to move on (default 5)"
    )
    answer.add_argument("--json", action="store_true", help="tmuxorch.question/1 or answer/1")


@command("capture", "commands:cmd_capture", "print the last lines of a pane, sanitised")
def _capture(capture: argparse.ArgumentParser) -> None:
    capture.add_argument("target", metavar="TARGET")
    capture.add_argument("--lines", "-n", type=int, default=50, help="how many lines (default 50)")
    capture.add_argument("--json", action="store_true")


@command(
    "explain",
    "explain:cmd_explain",
    "why an agent is in its state: source, reason, screen read",
)
def _explain(explained: argparse.ArgumentParser) -> None:
    explained.add_argument("target", metavar="TARGET", help="an agent pane, or a window/session")
    explained.add_argument("--json", action="store_true", help="the tmuxorch.explain/1 document")


@command(
    "spawn",
    "commands:cmd_spawn",
    "start a command in a new window: spawn SESSION -- CMD... (an argv, no shell)",
)
def _spawn(spawn: argparse.ArgumentParser) -> None:
    spawn.add_argument("session", metavar="SESSION", help="created when it does not exist")
    spawn.add_argument("--name", help="window name")
    spawn.add_argument("--kind", help="tag the pane as an agent of this kind (e.g. claude)")
    spawn.add_argument("--cwd", metavar="DIR", help="start in DIR (absolute, or ~/...)")
    spawn.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE",
        help="add NAME=VALUE to the command's environment (repeatable)",
    )  # fmt: skip
    spawn.add_argument("--json", action="store_true")
    spawn.add_argument(
        "--shell", metavar="LINE", help="run LINE through sh -c (a command after -- never is)"
    )
    spawn.add_argument(
        "--restart", choices=("on-failure", "always"),
        help="start it again in its pane when it exits (on-failure: not after status 0)",
    )  # fmt: skip
    spawn.add_argument(
        "--max-restarts", type=int, metavar="N", help="with --restart: at most N times"
    )
    spawn.add_argument("argv", nargs="*", metavar="-- COMMAND", help="the command, after --")
    spawn.set_defaults(argv=[])


@command("kill", "commands:cmd_kill", "kill a pane, window or session (asks first)")
def _kill(kill: argparse.ArgumentParser) -> None:
    kill.add_argument("target", metavar="TARGET")
    kill.add_argument("--yes", "-y", action="store_true", help="do not ask")


@command("rename", "commands:cmd_rename", "rename a window or session")
def _rename(rename: argparse.ArgumentParser) -> None:
    rename.add_argument("target", metavar="TARGET")
    rename.add_argument("name", metavar="NEWNAME")


@command("events", "commands:cmd_events", "live event stream (NDJSON with --json)")
def _events(events: argparse.ArgumentParser) -> None:
    events.add_argument("--json", action="store_true", help="one JSON object per line")


@command("monitor", "monitor:cmd_monitor", "live dashboard of the event stream")
def _monitor(monitor: argparse.ArgumentParser) -> None:
    monitor.add_argument(
        "--interval", type=float, default=2.0, help="seconds between snapshots (default 2)"
    )


COMMANDS["watch"] = (
    "watch:cmd_watch",
    "keep @tmuxorch-status current for status bars, print state changes",
    None,
)


@command("demo", "commands:cmd_demo", "start a fleet of simulated agents to try tmuxorch on")
def _demo(demo: argparse.ArgumentParser) -> None:
    demo.add_argument("--agents", type=int, default=6, help="how many (1-50, default 6)")
    demo.add_argument("--session", default="tmuxorch-demo", help="session name")


@command("log", "commands:cmd_log", "the audit log of every change made to tmux")
def _log(log: argparse.ArgumentParser) -> None:
    log.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    log.add_argument("--op", help="only this operation (send, kill, …)")
    log.add_argument("--json", action="store_true", help="one JSON object per line")


@command("kinds", "kinds:cmd_kinds", "the agent kinds, where each came from, what each reads")
def _kinds(kinds: argparse.ArgumentParser) -> None:
    """`kinds` and `kinds show KIND`."""
    kinds.add_argument("--json", action="store_true", help="the tmuxorch.kinds/1 document")
    sub = kinds.add_subparsers(dest="kinds_command", metavar="ACTION", parser_class=_Parser)
    show = sub.add_parser("show", help="one kind's patterns, region, interrupt and submit")
    show.add_argument("kind", metavar="KIND")
    show.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    show.add_argument(
        "--toml", action="store_true",
        help="print its kind file (to start a file of your own from; config overrides not in it)",
    )  # fmt: skip


@command("serve", "serve:cmd_serve", "serve this fleet over an authenticated WebSocket")
def _serve(serve_parser: argparse.ArgumentParser) -> None:
    serve_parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    serve_parser.add_argument(
        "--port", type=port_number, default=8765, help="port (default 8765; 0 picks one)"
    )
    serve_parser.add_argument("--tls-cert", metavar="FILE", help="TLS certificate chain (PEM)")
    serve_parser.add_argument("--tls-key", metavar="FILE", help="TLS private key (PEM)")
    serve_parser.add_argument(
        "--allow-origin", action="append", metavar="ORIGIN",
        help="accept browser connections from this Origin (repeatable; default none)",
    )  # fmt: skip
    serve_parser.add_argument(
        "--insecure", action="store_true", help="allow a non-loopback bind without TLS"
    )
    serve_parser.add_argument(
        "--max-connections-per-token", type=positive, metavar="N",
        help="connections one token may hold at once (default 16, of 64 in all)",
    )  # fmt: skip


@command("token", "serve:cmd_token", "create, list or revoke tokens for tmuxorch serve")
def _token(token: argparse.ArgumentParser) -> None:
    token_sub = token.add_subparsers(
        dest="token_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    create = token_sub.add_parser("create", help="create a token and print it (only this once)")
    create.add_argument("name", metavar="NAME", help="who uses it (recorded in the audit log)")
    create.add_argument("--scope", choices=("read", "control"), default="read",
                        help="read: look only (default); control: also change tmux")  # fmt: skip
    create.add_argument("--expires", metavar="DURATION", help="e.g. 30d, 12h, 2w (default never)")
    token_list = token_sub.add_parser("list", help="list tokens (never the tokens themselves)")
    token_list.add_argument("--json", action="store_true", help="one JSON object per line")
    revoke = token_sub.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name", metavar="NAME")


@command("hooks", "hooks:cmd_hooks", "report agent states from the agents' own hooks")
def _hooks(hooks: argparse.ArgumentParser) -> None:
    """`hooks` and its actions (the hook events' module imported only to say their kinds)."""
    from tmuxorch.core.agents.hook_events import HOOKED

    actions = hooks.add_subparsers(
        dest="hooks_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    for name, text in (
        ("install", "merge our hook into KIND's settings (backs the file up first)"),
        ("uninstall", "take our hook out of KIND's settings again"),
        ("status", "is our hook installed, and which panes reported last"),
        ("snippet", "print our hook as a settings file, to paste it yourself"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        every = " (default: all)" if name == "status" else ""
        action.add_argument(
            "kind", nargs="?" if name == "status" else None, metavar="KIND",
            help=f"the agent CLI: {', '.join(HOOKED)}{every}",
        )  # fmt: skip
        if name != "snippet":
            action.add_argument(
                "--settings", type=_path, metavar="PATH",
                help="the settings file (default: the CLI's own, e.g. ~/.claude/settings.json)",
            )  # fmt: skip
        if name == "status":
            action.add_argument("--json", action="store_true", help="one JSON document")


from tmuxorch.cli import parser_plans  # noqa: E402, F401  (registers up, down, schedule, queue)
