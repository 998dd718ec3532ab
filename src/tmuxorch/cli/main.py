"""The `tmuxorch` command: parses arguments, picks a Backend, runs one command.

Exit status (DESIGN.md): 0 ok, 1 an operation failed, 2 bad usage or input, 3 tmux unreachable.
Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable

from tmuxorch import __version__
from tmuxorch.cli import commands, explain, hooks, kinds, monitor, serve
from tmuxorch.cli.watch import cmd_watch
from tmuxorch.core.backend import Backend
from tmuxorch.core.engine import Engine
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.store.audit import AuditLog
from tmuxorch.core.store.config import ConfigError, Settings, load_settings, resolve_config_path
from tmuxorch.core.store.store import Store
from tmuxorch.core.tmux.server import TmuxServer

Command = Callable[[argparse.Namespace, Backend], Awaitable[int]]
STATES = ("busy", "waiting", "idle", "error", "exited", "unknown")
AUDITED = frozenset(
    {"send", "broadcast", "keys", "interrupt", "spawn", "kill", "rename", "demo", "tui"}
)
"""Commands that can change tmux: what they do goes to the audit log (the store is opened on
the first write, so a TUI that changes nothing costs nothing)."""
LONG_LIVED = frozenset({"tui", "events", "monitor", "watch"})
"""Commands that watch tmux, so attach a control client (serve builds its own engine). The
others run every batch as a plain `tmux` process: a control client's handshake is where tmux
3.3a-3.6 can crash, and a one-shot command would handshake on every run."""
NO_BACKEND = frozenset({"log", "serve", "token", "kinds", "hooks"})
"""Commands that open no backend: they read the store or files, (serve) build their own
engine, or (hooks) edit an agent CLI's settings."""


class _Parser(argparse.ArgumentParser):
    """argparse, but bad usage prefixes the program name like our other errors (exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"tmuxorch: {message}\n")


MESSAGE_COMMANDS = frozenset({"send", "broadcast"})
GLOBAL_VALUE_OPTIONS = frozenset({"-L", "-S", "--connect", "--token-file"})
"""The global options that take a value: what comes before the command name."""
TEXT_OPTIONS = {"-m": "message", "--message": "message", "-f": "file", "--file": "file"}


def take_texts(argv: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Take send/broadcast's `-m TEXT` / `-f FILE` (and `--message=TEXT`, `-mTEXT`) out of
    `argv` before argparse sees it, as ("message" | "file", value) pairs, and turn a lone `-`
    into `--stdin`.

    argparse takes `-m -R` for two options (`expected one argument`), drops a value of `--`, and
    takes a `-` after an option for a stray positional; `git commit -m` takes the next argument
    whatever it starts with, and so do we: a message is often a markdown bullet or a flag to
    pass on. Done before `--` is split off, so `-m --` sends `--`.
    """
    command = 0
    while command < len(argv) and argv[command].startswith("-"):
        command += 2 if argv[command] in GLOBAL_VALUE_OPTIONS else 1
    if command >= len(argv) or argv[command] not in MESSAGE_COMMANDS:
        return argv, []
    kept = argv[: command + 1]
    texts: list[tuple[str, str]] = []
    rest = iter(argv[command + 1 :])
    for token in rest:
        option, equals, value = token.partition("=")
        if token in TEXT_OPTIONS:
            following = next(rest, None)
            if following is None:
                kept.append(token)  # argparse says: expected one argument
            else:
                texts.append((TEXT_OPTIONS[token], following))
        elif equals and option in ("--message", "--file"):
            texts.append((TEXT_OPTIONS[option], value))
        elif token[:2] in ("-m", "-f") and len(token) > 2:
            texts.append((TEXT_OPTIONS[token[:2]], token[2:]))
        else:
            kept.append("--stdin" if token == "-" else token)
    return kept, texts


def _message_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-m", "--message", help="the text to send (whatever it starts with)")
    parser.add_argument("-f", "--file", help="read the text from FILE")
    parser.add_argument(
        "--stdin", action="store_true", help="read the text from stdin (a lone - does too)"
    )
    parser.set_defaults(texts=[])
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


def build_parser() -> argparse.ArgumentParser:
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

    def add(name: str, handler: Command, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    sub.add_parser("tui", help="the full-screen TUI (the default with no command)")

    status = add("status", commands.cmd_status, "the fleet as a tree of sessions, windows, panes")
    status.add_argument("target", nargs="?", metavar="TARGET", help="only this session/window/pane")
    status.add_argument("--detailed", action="store_true", help="pid, cwd and size of every pane")
    output = status.add_mutually_exclusive_group()
    output.add_argument(
        "--format", choices=("tree", "json", "tmux"), default="tree",
        help="tree (default), json (the tmuxorch.status/1 document) or tmux (a status-bar segment)",
    )  # fmt: skip
    output.add_argument("--json", dest="format", action="store_const", const="json",
                        help="the tmuxorch.status/1 document (--format json)")  # fmt: skip

    summary = add("summary", commands.cmd_summary, "counts and activity report")
    summary.add_argument("--json", action="store_true", help="the tmuxorch.summary/1 document")

    send = add("send", commands.cmd_send, "type a message into agents and submit it once")
    send.add_argument("targets", nargs="+", metavar="TARGET")
    _message_options(send)
    send.add_argument("--no-enter", action="store_true", help="type the text but do not submit")

    broadcast = add("broadcast", commands.cmd_broadcast, "send one message to every matching agent")
    broadcast.add_argument("--kind", action="append", help="only agents of this kind (repeatable)")
    broadcast.add_argument("--state", action="append", choices=STATES, help="only in this state")
    broadcast.add_argument("--session", action="append", help="only in this session")
    broadcast.add_argument(
        "--dry-run", action="store_true", help="show who would get it; send nothing"
    )
    _message_options(broadcast)

    keys = add("keys", commands.cmd_keys, "press named keys: keys TARGET... KEY... (e.g. C-c)")
    keys.add_argument("items", nargs="+", metavar="TARGET... KEY...")
    keys.add_argument("--json", action="store_true", help="receipts as JSON")

    interrupt = add("interrupt", commands.cmd_interrupt, "interrupt agents (Escape / C-c by kind)")
    interrupt.add_argument("targets", nargs="+", metavar="TARGET")
    interrupt.add_argument("--json", action="store_true", help="receipts as JSON")

    capture = add("capture", commands.cmd_capture, "print the last lines of a pane, sanitised")
    capture.add_argument("target", metavar="TARGET")
    capture.add_argument("--lines", "-n", type=int, default=50, help="how many lines (default 50)")
    capture.add_argument("--json", action="store_true")

    explained = add(
        "explain", explain.cmd_explain, "why an agent is in its state: source, reason, screen read"
    )
    explained.add_argument("target", metavar="TARGET", help="an agent pane, or a window/session")
    explained.add_argument("--json", action="store_true", help="the tmuxorch.explain/1 document")

    spawn = add(
        "spawn",
        commands.cmd_spawn,
        "start a command in a new window: spawn SESSION -- CMD... (an argv, no shell)",
    )
    spawn.add_argument("session", metavar="SESSION", help="created when it does not exist")
    spawn.add_argument("--name", help="window name")
    spawn.add_argument("--kind", help="tag the pane as an agent of this kind (e.g. claude)")
    spawn.add_argument("--json", action="store_true")
    spawn.add_argument(
        "--shell", metavar="LINE", help="run LINE through sh -c (a command after -- never is)"
    )
    spawn.add_argument("argv", nargs="*", metavar="-- COMMAND", help="the command, after --")
    spawn.set_defaults(argv=[])

    kill = add("kill", commands.cmd_kill, "kill a pane, window or session (asks first)")
    kill.add_argument("target", metavar="TARGET")
    kill.add_argument("--yes", "-y", action="store_true", help="do not ask")

    rename = add("rename", commands.cmd_rename, "rename a window or session")
    rename.add_argument("target", metavar="TARGET")
    rename.add_argument("name", metavar="NEWNAME")

    events = add("events", commands.cmd_events, "live event stream (NDJSON with --json)")
    events.add_argument("--json", action="store_true", help="one JSON object per line")

    watch = add("monitor", monitor.cmd_monitor, "live dashboard of the event stream")
    watch.add_argument(
        "--interval", type=float, default=2.0, help="seconds between snapshots (default 2)"
    )

    add("watch", cmd_watch, "keep @tmuxorch-status current for status bars, print state changes")

    demo = add("demo", commands.cmd_demo, "start a fleet of simulated agents to try tmuxorch on")
    demo.add_argument("--agents", type=int, default=6, help="how many (1-50, default 6)")
    demo.add_argument("--session", default="tmuxorch-demo", help="session name")

    log = add("log", commands.cmd_log, "the audit log of every change made to tmux")
    log.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    log.add_argument("--op", help="only this operation (send, kill, …)")
    log.add_argument("--json", action="store_true", help="one JSON object per line")

    kinds.add_parser(add)

    serve_parser = add("serve", serve.cmd_serve, "serve this fleet over an authenticated WebSocket")
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

    token = add("token", serve.cmd_token, "create, list or revoke tokens for tmuxorch serve")
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
    hooks.register(add, _Parser)
    return parser


def open_backend(args: argparse.Namespace, settings: Settings) -> Backend:
    """The backend the global options ask for: a remote `tmuxorch serve` with --connect, else
    a local tmux server. Only creating a session (spawn, demo) starts a local server."""
    if getattr(args, "connect", None) is not None:
        from tmuxorch.client.backend import RemoteBackend
        from tmuxorch.client.dialing import load_token

        return RemoteBackend(args.connect, load_token(args.token_file))
    server = TmuxServer.resolve(args.socket_name, args.socket_path)
    engine = Engine(
        server,
        timeout=settings.command_timeout,
        settings=settings,
        persistent=args.command in LONG_LIVED,
    )
    return LocalBackend(engine, audit=AuditLog(Store()) if args.command in AUDITED else None)


def run_tui(args: argparse.Namespace, settings: Settings) -> int:
    """The TUI owns its event loop (Textual's), so it is not run through asyncio.run(). A
    keymap that cannot work is a config error before anything starts."""
    from tmuxorch.tui.app import TmuxorchApp
    from tmuxorch.tui.keymap import check_keymap

    try:
        check_keymap(settings.keymap)
    except ValueError as exc:
        raise ConfigError(f"{resolve_config_path()}: {exc}") from None
    backend = open_backend(args, settings)
    app = TmuxorchApp(backend, keymap=settings.keymap, freeze_heap=True)
    app.run()
    return app.return_code or 0


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command in NO_BACKEND:
        status: int = await args.handler(args, None)
        return status
    backend = open_backend(args, settings)
    stopped_by = _stop_on_signals() if args.command in LONG_LIVED else []
    try:
        handler: Command = args.handler
        return await handler(args, backend)
    except asyncio.CancelledError:
        if not stopped_by:
            raise
        return 128 + stopped_by[0]
    finally:
        await backend.close()


def _stop_on_signals() -> list[int]:
    """SIGTERM and SIGHUP end a watching command the way Ctrl-C does, through its `finally`,
    so its control client leaves tmux the regular way; returns the signals received."""
    loop, task, received = asyncio.get_running_loop(), asyncio.current_task(), []

    def stop(signum: int) -> None:
        received.append(signum)
        if task is not None:
            task.cancel()

    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop, signum)
    return received


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tmuxorch` script."""
    argv, texts = take_texts(list(sys.argv[1:] if argv is None else argv))
    # argparse cannot take `--` inside a subcommand: what follows it is split off here.
    after: list[str] | None = None
    if "--" in argv:
        cut = argv.index("--")
        argv, after = argv[:cut], argv[cut + 1 :]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args([*argv, "tui"])
    if texts:
        args.texts = texts
    if args.connect is not None and (args.socket_name or args.socket_path):
        parser.error("-L/-S pick a local tmux server: they cannot be used with --connect")
    if args.connect is not None and args.command in NO_BACKEND:
        parser.error(f"--connect does not apply to {args.command} (run it on the server host)")
    if args.token_file is not None and args.connect is None:
        parser.error("--token-file is the token for --connect URL")
    if after is not None:
        if args.command == "spawn":
            args.argv = [*args.argv, *after]
        elif args.command == "keys":
            args.items = [*args.items, "--", *after]
        else:
            parser.error(f"'--' is not used by {args.command}")
    try:
        settings = load_settings()  # for every command: a config named but missing is an error
        if args.command == "tui":
            return run_tui(args, settings)
        return asyncio.run(_run(args, settings))
    except TmuxorchError as exc:
        print(f"tmuxorch: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: one line for the user, the traceback on request
        if os.environ.get("TMUXORCH_DEBUG"):
            raise
        print(
            f"tmuxorch: internal error: {type(exc).__name__}: {exc} "
            "(run with TMUXORCH_DEBUG=1 for the traceback, and please report it)",
            file=sys.stderr,
        )
        return 1
