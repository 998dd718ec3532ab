"""`tmuxorch serve`: the fleet of this host over an authenticated WebSocket (protocol/).

The listener owns what is shared by every connection: the websockets server and its limits, the
handshake check (auth.Gatekeeper), the event Hub, and the token recheck. It holds no engine: it
is given a factory of Backends, one per connection whose actor is the token's name (so the audit
log says which token did what), and one more whose event stream feeds the Hub. Each connection
is a session.ClientSession.

Limits (DESIGN.md safety rule 9): loopback bind by default and no non-loopback bind without TLS
unless `insecure`; compression off; frames over `max_frame` bytes close the connection with 1009;
at most `max_pending` connections in their handshake (`max_pending_per_address` from one
address; connection.py, doorman.py); at most `max_connections` authenticated connections and
`max_connections_per_token` per token (503 before the upgrade); failed
authentications limited per address (429); `handshake_timeout` for the whole opening handshake;
keepalive pings; a client that lets more than `outbox_limit` bytes queue up is evicted (1008), and
one that leaves more than `unanswered_limit` bytes of websockets' own replies (pongs) unread is
cut; captures take turns across clients (turns.py).
Closing the server closes every connection with 1001 (going away).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import http
import logging
import resource
import secrets
import signal
import socket
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.frames import CloseCode
from websockets.http11 import Request as HttpRequest
from websockets.http11 import Response as HttpResponse

from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.protocol.redaction import websockets_logger
from tmuxorch.server.auth import FailureLimiter, Gatekeeper, Rejection
from tmuxorch.server.connection import GuardedConnection, guarded
from tmuxorch.server.doorman import Doorman
from tmuxorch.server.hub import Hub
from tmuxorch.server.options import ListenError, ServerOptions
from tmuxorch.server.replies import Replies
from tmuxorch.server.session import REQUEST_GRACE, ClientSession, address, wire
from tmuxorch.server.tokens import TokenInfo, TokenStore
from tmuxorch.server.turns import Turns

log = logging.getLogger("tmuxorch.server")

LoopHandler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]
HUB_ACTOR = "tmuxorch serve"
"""The actor of the backend whose events feed the hub (it changes nothing)."""


class TmuxorchServer:
    """The WebSocket server. `await start()`, then `await close()` (or use `async with`)."""

    def __init__(
        self,
        backends: Callable[[str], Backend],
        tokens: TokenStore,
        *,
        options: ServerOptions | None = None,
    ) -> None:
        self.backends = backends
        """Makes the Backend of one actor (a token's name)."""
        self.tokens = tokens
        self.options = options or ServerOptions()
        self.options.check_bind()
        self.instance = secrets.token_hex(8)
        """Identifies this run: seqs restart with each run of the server."""
        self.hub = Hub(self.options.history, framer=wire)
        self.hub.on_gap(self._resync_everyone)
        self.replies = Replies()
        """The answers of recent changes, for a client that sends one again (its request_id)."""
        self.gatekeeper = Gatekeeper(
            tokens,
            allowed_origins=self.options.allowed_origins,
            check_host=self.options.loopback,
            limiter=FailureLimiter(self.options.max_auth_failures, self.options.auth_window),
        )
        self.sessions: set[ClientSession] = set()
        self.sessions_started = 0
        """Connections that got past the handshake (a handler ran)."""
        self.evictions = 0
        self.eviction_delays: collections.deque[float] = collections.deque(maxlen=100)
        """Seconds from an outbox overflowing to its connection being closed, latest last."""
        self._admitted: dict[ServerConnection, int] = {}
        """Authenticated connections and their token's id."""
        self.doorman = Doorman(
            self.options.max_pending, self.options.max_pending_per_address, _descriptors() // 2
        )
        self.turns = Turns(self.options.capture_workers)
        self._connection = guarded(self.doorman, self.options.unanswered_limit)
        self._server: Server | None = None
        self._recheck: asyncio.Task[None] | None = None
        self._loop_handler: LoopHandler | None = None
        """The event loop's exception handler before start() (None: asyncio's default)."""
        self._handling = False

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to the fleet's events and start listening."""
        feed = self.backends(HUB_ACTOR)
        stream = await feed.subscribe()
        try:  # whether tmux runs now; from here on the events say
            self.hub.tmux_running = (await feed.snapshot()).tmux.running
        except BaseException:
            await stream.close()
            raise
        self.hub.start(stream)
        opts = self.options
        try:
            self._server = await serve(
                self._handle,
                opts.host,
                opts.port,
                ssl=opts.ssl,
                compression=None,
                process_request=self._process_request,
                server_header="tmuxorch",
                open_timeout=opts.handshake_timeout,
                ping_interval=opts.ping_interval,
                ping_timeout=opts.ping_timeout,
                close_timeout=opts.close_timeout,
                max_size=opts.max_frame,
                max_queue=4,  # received frames buffered while `max_inflight` requests are served
                logger=websockets_logger("tmuxorch.server.websockets"),
                create_connection=self._connection,
                backlog=opts.listen_backlog or _backlog(),
            )
        except OSError as exc:
            await self.hub.stop()
            raise ListenError(
                f"cannot listen on {opts.host}:{opts.port}: {exc.strerror or exc}"
            ) from exc
        except BaseException:
            await self.hub.stop()
            raise
        loop = asyncio.get_running_loop()
        self._loop_handler = loop.get_exception_handler()
        loop.set_exception_handler(self._loop_error)
        self._handling = True
        self._recheck = asyncio.create_task(self._recheck_tokens(), name="tmuxorch-token-recheck")
        log.debug("listening on %s", self.url)

    @property
    def connections(self) -> int:
        """Authenticated connections open now (what `max_connections` limits)."""
        return len(self._admitted)

    @property
    def port(self) -> int:
        """The port actually bound (useful with port 0)."""
        assert self._server is not None, "not started"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        host = self.options.host
        shown = f"[{host}]" if ":" in host else host
        return f"{'wss' if self.options.ssl else 'ws'}://{shown}:{self.port}"

    async def close(
        self, code: int = CloseCode.GOING_AWAY, reason: str = "server shutting down"
    ) -> None:
        """Close every connection (default 1001, going away) and stop; the backends stay open."""
        if self._recheck is not None:
            self._recheck.cancel()
            await asyncio.gather(self._recheck, return_exceptions=True)
            self._recheck = None
        if self._server is not None:
            server, self._server = self._server, None
            server.close(code=code, reason=reason)
            self.doorman.close()  # handshakes not done (and parked ones) would hold it up
            try:
                async with asyncio.timeout(self.options.close_timeout + 1.0):
                    await server.wait_closed()
            except TimeoutError:  # clients that do not read cannot take a close frame either
                for connection in list(server.all_connections):
                    connection.transport.abort()
                try:  # requests still running get REQUEST_GRACE to finish
                    async with asyncio.timeout(REQUEST_GRACE + 2.0):
                        await server.wait_closed()
                except TimeoutError:
                    log.error("some connections did not close; stopping anyway")
        await self.hub.stop()
        if self._handling:
            asyncio.get_running_loop().set_exception_handler(self._loop_handler)
            self._handling = False

    def _loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio's report of a failed accept() (out of descriptors) goes to the doorman's
        rate-limited log; anything else to the handler there was before."""
        exc = context.get("exception")
        if isinstance(exc, OSError) and str(context.get("message", "")).startswith("socket.accept"):
            self.doorman.accept_failed(exc)
        elif self._loop_handler is not None:
            self._loop_handler(loop, context)
        else:
            loop.default_exception_handler(context)

    async def serve_forever(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set, then close."""
        try:
            await stop.wait()
        finally:
            await self.close()

    async def __aenter__(self) -> TmuxorchServer:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # -- handshake ------------------------------------------------------------------------------

    async def _process_request(
        self, connection: ServerConnection, request: HttpRequest
    ) -> HttpResponse | None:
        peer = address(connection)
        try:
            verdict = await self.gatekeeper.admit(request.headers, peer)
        except TmuxorchError as exc:  # the database is locked or unreadable: not the client's fault
            log.error("cannot check the token of %s: %s", peer, exc)
            return _reject(connection, http.HTTPStatus.SERVICE_UNAVAILABLE, "try again later\n", {})
        if isinstance(verdict, Rejection):
            if verdict.status == 401:
                log.warning("refused %s: missing or invalid token", peer)
            elif verdict.status != 429:
                log.warning("refused %s: %s", peer, verdict.message.strip())
            return _reject(connection, verdict.status, verdict.message, verdict.headers)
        full = self._full(verdict)
        if full is not None:
            log.warning("refused %s (token %s): %s", peer, verdict.name, full)
            return _reject(
                connection, http.HTTPStatus.SERVICE_UNAVAILABLE, f"too many connections {full}\n",
                {"Retry-After": "5"},
            )  # fmt: skip
        if isinstance(connection, GuardedConnection):
            connection.token = verdict
        self._admitted[connection] = verdict.id
        # Freed when the connection is gone, whether or not the handshake then completes.
        closed = asyncio.ensure_future(connection.wait_closed())
        closed.add_done_callback(lambda _: self._admitted.pop(connection, None))
        return None

    def _full(self, token: TokenInfo) -> str | None:
        """Which connection limit another connection with `token` would pass, if any."""
        if len(self._admitted) >= self.options.max_connections:
            return f"(at most {self.options.max_connections})"
        per_token = self.options.max_connections_per_token
        if sum(1 for held in self._admitted.values() if held == token.id) >= per_token:
            return f"with this token (at most {per_token})"
        return None

    # -- connections ----------------------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        token = connection.token if isinstance(connection, GuardedConnection) else None
        if token is None:  # cannot happen: _process_request admitted it
            await connection.close(CloseCode.INTERNAL_ERROR, "not authenticated")
            return
        self.sessions_started += 1
        if self.options.send_buffer is not None:
            sock = connection.transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.options.send_buffer)
        session = ClientSession(self, connection, token)
        self.sessions.add(session)
        log.info("client %s connected with token %s (%s)", session.peer, token.name, token.scope)
        try:
            await session.run()
        finally:
            self.sessions.discard(session)
            log.info("client %s (token %s) disconnected", session.peer, token.name)

    def _resync_everyone(self) -> None:
        for session in list(self.sessions):
            session.resync_soon("events were lost on the server")

    async def _recheck_tokens(self) -> None:
        """Close connections whose token was revoked or expired since they connected."""
        while True:
            await asyncio.sleep(self.options.token_recheck)
            for session in list(self.sessions):
                session.check_token()


def _descriptors() -> int:
    """This process's file descriptor limit."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft


def _backlog() -> int:
    """A quarter of the file descriptor limit, at most 1024."""
    return max(16, min(1024, _descriptors() // 4))


def _reject(
    connection: ServerConnection, status: int, message: str, headers: dict[str, str]
) -> HttpResponse:
    response = connection.respond(status, message)
    for key, value in headers.items():
        response.headers[key] = value
    return response


async def serve_until_signalled(
    server: TmuxorchServer, on_ready: Callable[[TmuxorchServer], None] | None = None
) -> None:
    """Start `server`, run until SIGTERM, SIGINT or SIGHUP, then close every connection with
    1001 (going away)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await server.start()
        if on_ready is not None:
            on_ready(server)
        await server.serve_forever(stop)
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
