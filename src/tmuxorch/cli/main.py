"""The `tmuxorch` command: parses arguments, picks a Backend, runs one command.

Everything beyond the parser is imported on the path that needs it (a one-shot command runs in
tens of milliseconds only if it does not load what other commands use): the handler named by the
parser, the engine or the remote client, the store, the TUI. A one-shot command on a local
server (ONE_SHOT) runs over the one-shot engine (core/oneshot.py) with no event loop at all:
asyncio alone would cost it ~50 ms.

Exit status (DESIGN.md): 0 ok, 1 an operation failed, 2 bad usage or input, 3 tmux unreachable.
Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing itself costs `--version` more than the rest of it
if TYPE_CHECKING:
    import argparse
    from collections.abc import Awaitable, Callable
    from typing import Any

    from tmuxorch.core.backend import Backend
    from tmuxorch.core.store.config import Settings

    Command = Callable[[argparse.Namespace, Backend | None], Awaitable[int]]
    Early = Callable[[argparse.Namespace], int | None]
AUDITED = frozenset(
    {"send", "broadcast", "keys", "interrupt", "answer", "spawn", "kill", "rename", "demo", "tui",
     "watch", "schedule", "queue", "up", "down"}
)  # fmt: skip
"""Commands that can change tmux: what they do goes to the audit log (the store is opened on
the first write, so a TUI that changes nothing costs nothing)."""
LONG_LIVED = frozenset({"tui", "events", "monitor", "watch"})
"""Commands that watch tmux, so attach a control client (serve builds its own engine). The
others run every batch as a plain `tmux` process: a control client's handshake is where tmux
3.3a-3.6 can crash, and a one-shot command would handshake on every run."""
ONE_SHOT = frozenset(
    {"status", "summary", "send", "broadcast", "keys", "interrupt", "capture", "explain",
     "spawn", "rename", "schedule", "queue"}
)  # fmt: skip
"""Commands that, on a local server, run over the one-shot engine: a plain `tmux` process per
batch, waits that block, no asyncio. Their handlers then never suspend (`_run_now`). The
others keep the engine and asyncio: what watches tmux, `--connect` (the link is asyncio's), and
what waits on something else meanwhile (kill's question, answer, demo)."""
BEFORE_BACKEND = {"status": "status_bar:kept_segment"}
"""Commands that may be answered before a backend is opened (the engine, pydantic and asyncio
imported): their early handler, a plain function, returns the exit status, or None to go on
(`status --format tmux` from the option a watcher keeps: a status bar runs it every few
seconds)."""
STATUS_BAR_READ = (["status", "--format", "tmux"], ["status", "--format=tmux"])
"""What a status bar runs (after `-S PATH` or `-L NAME` at most): answered before argparse is
imported and the parser built (cli/status_bar.py), from a watcher's option as BEFORE_BACKEND
would after them, or counted over the one-shot engine when none is kept. Anything else (a
failure included: it is said the regular way) goes the regular way."""
NO_BACKEND = frozenset({"log", "serve", "token", "kinds", "hooks"})
"""Commands that open no backend: they read the store or files, (serve) build their own
engine, or (hooks) edit an agent CLI's settings."""


MESSAGE_COMMANDS = frozenset({"send", "broadcast", "schedule", "queue"})
GLOBAL_VALUE_OPTIONS = frozenset({"-L", "-S", "--connect", "--token-file"})
"""The global options that take a value: what comes before the command name."""
TEXT_OPTIONS = {"-m": "message", "--message": "message", "-f": "file", "--file": "file"}
VALUE_OPTIONS = frozenset({"--in", "--at", "--every", "--timeout", "--priority", "--max-restarts"})
"""Options whose value may look like an option (`--every -1h`, `--priority -5`): taken with it,
so the command says what is wrong with the value, not that it is missing."""


def command_at(argv: list[str]) -> int | None:
    """Where argv's command is when all before it are global options spelled in full (`-S
    PATH`, `-SPATH`, `--connect=URL`): the parser then needs no other command's (`build_parser`'s
    `only`). None for anything else (no command, `-h`, an abbreviation such as `--conn`),
    which the whole parser answers, help and errors as ever."""
    at = 0
    while at < len(argv) and argv[at].startswith("-"):
        token = argv[at]
        if token in GLOBAL_VALUE_OPTIONS:
            at += 2
        elif token[:2] in ("-L", "-S") or token.partition("=")[0] in GLOBAL_VALUE_OPTIONS:
            at += 1
        else:
            return None
    return at if at < len(argv) else None


def take_texts(argv: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Take send/broadcast's `-m TEXT` / `-f FILE` (and `--message=TEXT`, `-mTEXT`) out of
    `argv` before argparse sees it, as ("message" | "file", value) pairs, and turn a lone `-`
    into `--stdin`.

    argparse takes `-m -R` for two options (`expected one argument`), drops a value of `--`, and
    takes a `-` after an option for a stray positional; `git commit -m` takes the next argument
    whatever it starts with, and so do we: a message is often a markdown bullet or a flag to
    pass on. Done before `--` is split off, so `-m --` sends `--`. A VALUE_OPTIONS option
    keeps its next argument too (as `--every=-1h`), so a bad value is told as one.
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
        elif token in VALUE_OPTIONS:
            following = next(rest, None)
            kept.append(token if following is None else f"{token}={following}")
        else:
            kept.append("--stdin" if token == "-" else token)
    return kept, texts


def open_backend(args: argparse.Namespace, settings: Settings) -> Backend:
    """The backend the global options ask for: a remote `tmuxorch serve` with --connect, else
    a local tmux server, over the one-shot engine for ONE_SHOT commands. Only creating a
    session (spawn, demo) starts a local server."""
    if getattr(args, "connect", None) is not None:
        from tmuxorch.client.backend import RemoteBackend
        from tmuxorch.client.dialing import load_token

        return RemoteBackend(args.connect, load_token(args.token_file))
    from tmuxorch.core.local import LocalBackend, LocalEngine
    from tmuxorch.core.tmux.server import TmuxServer

    server = TmuxServer.resolve(args.socket_name, args.socket_path)
    one_shot = args.command in ONE_SHOT
    engine: LocalEngine
    if one_shot:
        from tmuxorch.core.oneshot import OneShotEngine

        engine = OneShotEngine(server, timeout=settings.command_timeout, settings=settings)
    else:
        from tmuxorch.core.engine import Engine

        engine = Engine(
            server,
            timeout=settings.command_timeout,
            settings=settings,
            persistent=args.command in LONG_LIVED,
        )
    if args.command not in AUDITED:
        return LocalBackend(engine, audit=None)
    from tmuxorch.core.store.audit import AuditLog
    from tmuxorch.core.store.store import Store

    return LocalBackend(engine, audit=AuditLog(Store(threads=not one_shot)))


def run_tui(args: argparse.Namespace, settings: Settings) -> int:
    """The TUI owns its event loop (Textual's), so it is not run through asyncio.run(). A
    keymap that cannot work is a config error before anything starts."""
    from tmuxorch.core.store.config import ConfigError, resolve_config_path
    from tmuxorch.tui.app import TmuxorchApp
    from tmuxorch.tui.keymap import check_keymap

    try:
        check_keymap(settings.keymap)
    except ValueError as exc:
        raise ConfigError(f"{resolve_config_path()}: {exc}") from None
    backend = open_backend(args, settings)
    app = TmuxorchApp(backend, keymap=settings.keymap, freeze_heap=True, notify=settings.notify)
    app.run()
    return app.return_code or 0


def imported(spec: str) -> Any:
    """The function named "module:function" of tmuxorch.cli (a handler), imported now."""
    module, _, name = spec.partition(":")
    __import__(f"tmuxorch.cli.{module}")  # not importlib: it loads warnings (issue 17)
    return getattr(sys.modules[f"tmuxorch.cli.{module}"], name)


async def _run(args: argparse.Namespace) -> int:
    """Run the command's handler with the backend it needs (none for NO_BACKEND)."""
    from tmuxorch.core.store.config import load_settings

    settings = load_settings()  # for every command: a config named but missing is an error
    handler: Command = imported(args.handler)
    if args.command in NO_BACKEND:
        return await handler(args, None)
    backend = open_backend(args, settings)
    try:
        return await handler(args, backend)
    finally:
        await backend.close()


async def _run_watching(args: argparse.Namespace) -> int:
    """`_run` for a command that watches tmux until stopped: SIGTERM and SIGHUP stop it."""
    import asyncio

    stopped_by = _stop_on_signals()
    try:
        return await _run(args)
    except asyncio.CancelledError:
        if not stopped_by:
            raise
        return 128 + stopped_by[0]


def _run_now(args: argparse.Namespace) -> int:
    """`_run` without an event loop, for a ONE_SHOT command on a local server: its handler,
    over the one-shot engine, never suspends, so one step runs it to the end."""
    from tmuxorch.core.oneshot import run_now

    return run_now(_run(args), args.command)


def _stop_on_signals() -> list[int]:
    """SIGTERM and SIGHUP end a watching command the way Ctrl-C does, through its `finally`,
    so its control client leaves tmux the regular way; returns the signals received."""
    import asyncio
    import signal

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
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:  # what scripts ask most, answered before building the parser
        from tmuxorch import __version__

        print(f"tmuxorch {__version__}")
        return 0
    at = command_at(argv)
    if at is not None and argv[at:] in STATUS_BAR_READ:
        from tmuxorch.cli.status_bar import plain_socket, print_counted, print_kept

        if (socket := plain_socket(argv[:at])) is not None:
            try:  # not contextlib: it (with collections) costs `--version` ~3 ms, issue 17
                kept = print_kept(*socket)
                return print_counted(*socket) if kept is None else kept
            except KeyboardInterrupt:
                return 130
            except Exception:  # the regular path says what went wrong
                pass
    from tmuxorch.cli.parser import COMMANDS, build_parser
    from tmuxorch.core.errors import TmuxorchError

    argv, texts = take_texts(argv)
    # argparse cannot take `--` inside a subcommand: what follows it is split off here.
    after: list[str] | None = None
    if "--" in argv:
        cut = argv.index("--")
        argv, after = argv[:cut], argv[cut + 1 :]
    at = command_at(argv)  # again: a `--` may have cut argv short of it (`-S -- status`)
    parser = build_parser(argv[at] if at is not None and argv[at] in COMMANDS else None)
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
        if args.command in BEFORE_BACKEND:
            early: Early = imported(BEFORE_BACKEND[args.command])
            if (answered := early(args)) is not None:
                return answered
        if args.command in ONE_SHOT and args.connect is None:
            return _run_now(args)
        import gc

        gc.enable()  # what runs on (a TUI, a watcher, a remote link) collects as ever (`entry`)
        if args.command == "tui":
            from tmuxorch.core.store.config import load_settings

            return run_tui(args, load_settings())
        import asyncio

        return asyncio.run(_run_watching(args) if args.command in LONG_LIVED else _run(args))
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


def entry() -> int:
    """The `tmuxorch` script and `python -m tmuxorch`: `main` with the cyclic collector off,
    then the heap frozen. Off: a command's imports make objects by the ten thousand, and the
    collector's passes over them cost a one-shot command ~2.5 ms of its ~40 (issue 17) for
    cycles that die with the process; `main` turns it back on for every command that does not
    run over the one-shot engine. Frozen: so the interpreter's exit does not collect, object by
    object, all that the command loaded (that final collection was a fifth of a one-shot
    command's time, 130 ms of 650 here). Not in `main`, which tests call in their own process."""
    import gc

    gc.disable()
    code = main()
    gc.freeze()
    return code
