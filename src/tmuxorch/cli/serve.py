"""The CLI's commands that run on the server host and open no backend: `serve` (the fleet over
an authenticated WebSocket) and `token` (what `serve` accepts). Kept apart from commands.py:
they build their own engine and store, and never take --connect."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time

from tmuxorch.cli.commands import print_json
from tmuxorch.cli.render import make_console
from tmuxorch.core.backend import Backend
from tmuxorch.core.store.audit import AuditLog
from tmuxorch.core.store.config import NotifyConfig
from tmuxorch.core.store.store import Store


async def cmd_serve(args: argparse.Namespace, _backend: Backend | None) -> int:
    """Serve this host's fleet over the WebSocket protocol until SIGTERM/SIGINT."""
    import logging

    from tmuxorch.core.engine import Engine
    from tmuxorch.core.local import LocalBackend
    from tmuxorch.core.store.config import load_settings
    from tmuxorch.core.tmux.server import TmuxServer
    from tmuxorch.server.listener import TmuxorchServer, serve_until_signalled
    from tmuxorch.server.options import ServerOptions, tls_context
    from tmuxorch.server.tokens import TokenStore
    from tmuxorch.usecases.runner import start_runner, stop_runner

    limits = {}
    if args.max_connections_per_token is not None:
        limits["max_connections_per_token"] = args.max_connections_per_token
    options = ServerOptions(
        **limits,
        host=args.host, port=args.port, ssl=tls_context(args.tls_cert, args.tls_key),
        allowed_origins=tuple(args.allow_origin or ()), insecure=args.insecure,
    )  # fmt: skip
    options.check_bind()
    logging.basicConfig(level=logging.INFO, format="tmuxorch serve: %(message)s")
    settings = load_settings()
    tmux = TmuxServer.resolve(args.socket_name, args.socket_path)
    with Store() as store:
        tokens = TokenStore(store)
        if not any(t.status() == "active" for t in tokens.list_tokens()):
            print(
                "tmuxorch serve: no active token: create one with `tmuxorch token create NAME`",
                file=sys.stderr,
            )

        def ready(server: TmuxorchServer) -> None:
            print(
                f"tmuxorch serve: listening on {server.url} (tmux server {tmux.socket_path})",
                file=sys.stderr, flush=True,
            )  # fmt: skip
            if options.insecure and not options.loopback and options.ssl is None:
                print("tmuxorch serve: WARNING: no TLS (--insecure)", file=sys.stderr, flush=True)

        engine = Engine(tmux, timeout=settings.command_timeout, settings=settings)
        audit = AuditLog(store)
        notifying = _notifying(settings.notify, LocalBackend(engine), store)
        scheduling = start_runner(
            LocalBackend(engine, audit, actor="schedules"), logging.getLogger("tmuxorch").warning
        )
        try:
            server = TmuxorchServer(
                lambda actor: LocalBackend(engine, audit, actor=actor), tokens, options=options
            )
            await serve_until_signalled(server, ready)
        finally:
            await stop_runner(scheduling)
            if notifying is not None:
                notifying.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await notifying
            try:  # a daemon's shutdown is bounded, whatever tmux (or the engine) does
                async with asyncio.timeout(10):
                    await engine.close()
            except TimeoutError:
                print("tmuxorch serve: the engine did not stop within 10 s", file=sys.stderr)
    return 0


def _notifying(config: NotifyConfig, backend: Backend, store: Store) -> asyncio.Task[None] | None:
    """The server watches its tmux server, so it notifies (`[notify]`: hook, webhook,
    notify-send) when any channel can work here; None when none can (then it watches nothing
    more than its clients ask for)."""
    from tmuxorch.usecases.notifier import Notifier, notify_from
    from tmuxorch.usecases.notify_channels import channels

    notifier = Notifier(config, backend, store, channels(config))
    if not notifier.active:
        return None
    return asyncio.create_task(notify_from(backend, notifier))


async def cmd_token(args: argparse.Namespace, _backend: Backend | None) -> int:
    """Create, list or revoke the tokens `tmuxorch serve` accepts."""
    from rich.table import Table

    from tmuxorch.server.tokens import TokenStore, parse_duration
    from tmuxorch.usecases.labels import ago

    store = Store(create=args.token_command == "create")
    if not store.path.exists():
        if args.token_command != "create":  # a new empty database would only hide what happened
            print(
                f"tmuxorch token: no database at {store.path}: no token was ever created there "
                "(if tmuxorch serve is running, its database was deleted: it now refuses new "
                "connections; restart it)",
                file=sys.stderr,
            )
            return 1 if args.token_command == "revoke" else 0
        print(
            f"tmuxorch token: creating a new database at {store.path} (a tmuxorch serve started "
            "before it existed must be restarted to accept this token)",
            file=sys.stderr,
        )
    with store:
        tokens = TokenStore(store)
        if args.token_command == "create":
            expires = parse_duration(args.expires) if args.expires else None
            token, info = tokens.create(args.name, args.scope, expires)
            sys.stdout.write(token + "\n")  # the token alone: `$(tmuxorch token create x)`
            sys.stdout.flush()
            until = "never expires" if expires is None else f"expires in {args.expires}"
            print(
                f"created token {info.name!r} (scope {info.scope}, {until}); it is shown only "
                "this once",
                file=sys.stderr,
            )
        elif args.token_command == "revoke":
            info = tokens.revoke(args.name)
            print(f"revoked token {info.name!r}", file=sys.stderr)
        else:
            now = time.time()
            listed = tokens.list_tokens()
            if args.json:
                for info in listed:
                    print_json({**info.model_dump(exclude={"id"}), "status": info.status(now)})
                return 0
            table = Table(title="Tokens", title_justify="left")
            for column in ("name", "scope", "status", "created", "expires", "last used"):
                table.add_column(column)
            for info in listed:
                expires_at = "never" if info.expires is None else time.strftime(
                    "%Y-%m-%d %H:%M", time.localtime(info.expires)
                )  # fmt: skip
                status = info.status(now) + (" (legacy: re-create it)" if info.legacy else "")
                table.add_row(
                    info.name, info.scope, status, ago(info.created, now), expires_at,
                    "never" if info.last_used is None else ago(info.last_used, now),
                )  # fmt: skip
            make_console().print(table)
    return 0
