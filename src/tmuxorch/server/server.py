"""`tmuxorch serve`: the fleet of this host over an authenticated WebSocket (protocol version 1).

One Engine serves every client: its event stream feeds the Hub (fan-out with replay), and each
connection gets a LocalBackend over that engine whose actor is the token's name, so the audit log
says which token did what. Per connection, a reader task takes requests (at most `max_inflight`
served at once; past that the reader stops reading, which pushes back on the client through TCP)
and one writer task drains the connection's Outbox; everything the server sends goes through it,
in order.

Limits (DESIGN.md safety rule 6): loopback bind by default and no non-loopback bind without TLS
unless `insecure`; compression off; frames over `max_frame` bytes close the connection with 1009;
at most `max_connections` authenticated connections (503 before the upgrade); failed
authentications limited per address (429); `handshake_timeout` for the whole opening handshake;
keepalive pings; a client that lets more than `outbox_limit` bytes queue up is evicted (1008).
Closing the server closes every connection with 1001 (going away).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import http
import logging
import secrets
import signal
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode, Frame, Opcode
from websockets.http11 import Request as HttpRequest
from websockets.http11 import Response as HttpResponse
from websockets.protocol import State

from tmuxorch.core.backend import Backend
from tmuxorch.core.engine import Engine
from tmuxorch.core.errors import (
    BadInputError,
    TargetNotFoundError,
    TmuxCommandError,
    TmuxorchError,
    TmuxUnavailableError,
)
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.store.audit import AuditLog
from tmuxorch.protocol import wire as protocol
from tmuxorch.protocol.wire import (
    MUTATING_OPS,
    CaptureRequest,
    ErrorCode,
    InterruptRequest,
    KeysRequest,
    KillRequest,
    PingRequest,
    ProtocolError,
    RenameRequest,
    Request,
    ScheduleRequest,
    SendRequest,
    SnapshotRequest,
    SpawnRequest,
    SubscribeRequest,
    UnsubscribeRequest,
)
from tmuxorch.server.auth import FailureLimiter, Gatekeeper, Rejection, is_loopback_host
from tmuxorch.server.hub import DEFAULT_HISTORY, DEFAULT_OUTBOX_LIMIT, Hub, Outbox
from tmuxorch.server.redaction import websockets_logger
from tmuxorch.server.tokens import TokenInfo, TokenStore

log = logging.getLogger("tmuxorch.server")

EVICTED = CloseCode.POLICY_VIOLATION  # 1008
REVOKED = CloseCode.POLICY_VIOLATION
REQUEST_GRACE = 15.0
"""Seconds the requests of a closed connection may take to finish before they are cancelled."""


class BindRefusedError(BadInputError):
    """A non-loopback bind without TLS (and without `insecure`)."""


class ListenError(TmuxorchError):
    """The address cannot be bound (in use, not ours, ...)."""


@dataclass(frozen=True)
class ServerOptions:
    """How `tmuxorch serve` listens and what it allows."""

    host: str = "127.0.0.1"
    port: int = 8765
    ssl: ssl.SSLContext | None = None
    allowed_origins: tuple[str, ...] = ()
    insecure: bool = False
    max_connections: int = 64
    max_frame: int = 256 * 1024
    outbox_limit: int = DEFAULT_OUTBOX_LIMIT
    history: int = DEFAULT_HISTORY
    handshake_timeout: float = 5.0
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    close_timeout: float = 2.0
    max_auth_failures: int = 10
    auth_window: float = 60.0
    max_inflight: int = 8
    token_recheck: float = 5.0
    send_buffer: int | None = 256 * 1024
    """SO_SNDBUF of each client socket: bounds what the kernel holds for a client that does not
    read (Linux would otherwise let it grow to 4 MiB) and makes such a client show up in its
    outbox sooner. None keeps the kernel's autotuning."""

    @property
    def loopback(self) -> bool:
        return is_loopback_host(self.host)

    def check_bind(self) -> None:
        """Refuse a non-loopback bind without TLS unless `insecure` (safety rule 6)."""
        if not self.loopback and self.ssl is None and not self.insecure:
            raise BindRefusedError(
                f"refusing to listen on {self.host!r} without TLS: tokens and everything typed "
                "into your agents would cross the network in clear text. Give --tls-cert and "
                "--tls-key, bind 127.0.0.1 and tunnel (ssh -L), or pass --insecure on a network "
                "you trust"
            )


class _Connection(ServerConnection):
    """A websockets connection that remembers the token it was admitted with."""

    token: TokenInfo | None = None


class TmuxorchServer:
    """The WebSocket server. `await start()`, then `await close()` (or use `async with`)."""

    def __init__(
        self,
        engine: Engine,
        tokens: TokenStore,
        *,
        audit: AuditLog | None = None,
        options: ServerOptions | None = None,
        backend_factory: Callable[[str], Backend] | None = None,
    ) -> None:
        self.engine = engine
        self.tokens = tokens
        self.audit = audit
        self.options = options or ServerOptions()
        self.options.check_bind()
        self._backend_factory = backend_factory or (
            lambda actor: LocalBackend(engine, audit, actor=actor)
        )
        self.instance = secrets.token_hex(8)
        """Identifies this run: seqs restart with each run of the server."""
        self.hub = Hub(self.options.history, framer=wire)
        self.hub.on_gap(self._resync_everyone)
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
        self._admitted: set[ServerConnection] = set()
        self._server: Server | None = None
        self._recheck: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to the engine and start listening."""
        stream = await self.engine.subscribe()
        self.hub.start(stream, dropped=lambda: stream.dropped)
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
                create_connection=_Connection,
            )
        except OSError as exc:
            await self.hub.stop()
            raise ListenError(
                f"cannot listen on {opts.host}:{opts.port}: {exc.strerror or exc}"
            ) from exc
        except BaseException:
            await self.hub.stop()
            raise
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
        """Close every connection (default 1001, going away) and stop; the engine stays open."""
        if self._recheck is not None:
            self._recheck.cancel()
            await asyncio.gather(self._recheck, return_exceptions=True)
            self._recheck = None
        if self._server is not None:
            server, self._server = self._server, None
            server.close(code=code, reason=reason)
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

    def _process_request(
        self, connection: ServerConnection, request: HttpRequest
    ) -> HttpResponse | None:
        address = _address(connection)
        try:
            verdict = self.gatekeeper.admit(request.headers, address)
        except TmuxorchError as exc:  # the database is locked or unreadable: not the client's fault
            log.error("cannot check the token of %s: %s", address, exc)
            return _reject(connection, http.HTTPStatus.SERVICE_UNAVAILABLE, "try again later\n", {})
        if isinstance(verdict, Rejection):
            if verdict.status == 401:
                log.warning("refused %s: missing or invalid token", address)
            elif verdict.status != 429:
                log.warning("refused %s: %s", address, verdict.message.strip())
            return _reject(connection, verdict.status, verdict.message, verdict.headers)
        if len(self._admitted) >= self.options.max_connections:
            log.warning("refused %s (token %s): connection limit reached", address, verdict.name)
            return _reject(
                connection, http.HTTPStatus.SERVICE_UNAVAILABLE,
                f"too many connections (at most {self.options.max_connections})\n",
                {"Retry-After": "5"},
            )  # fmt: skip
        if isinstance(connection, _Connection):
            connection.token = verdict
        self._admitted.add(connection)
        # Freed when the connection is gone, whether or not the handshake then completes.
        closed = asyncio.ensure_future(connection.wait_closed())
        closed.add_done_callback(lambda _: self._admitted.discard(connection))
        return None

    # -- connections ----------------------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        token = connection.token if isinstance(connection, _Connection) else None
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


def wire(payload: bytes) -> bytes:
    """A JSON payload as a whole, unmasked WebSocket text frame: what the server writes. Event
    frames are framed once and the same bytes are written to every subscriber."""
    return Frame(Opcode.TEXT, payload).serialize(mask=False)


def wire_response(request_id: int | None, result: dict[str, Any]) -> bytes:
    return wire(protocol.response_frame(request_id, result))


def _address(connection: ServerConnection) -> str:
    remote = connection.remote_address
    if isinstance(remote, tuple) and remote:
        return str(remote[0])
    return str(remote)


def _reject(
    connection: ServerConnection, status: int, message: str, headers: dict[str, str]
) -> HttpResponse:
    response = connection.respond(status, message)
    for key, value in headers.items():
        response.headers[key] = value
    return response


class ClientSession:
    """One authenticated connection: reads requests, answers them, relays events."""

    def __init__(self, server: TmuxorchServer, ws: ServerConnection, token: TokenInfo) -> None:
        self.server = server
        self.ws = ws
        self.token = token
        self.peer = _address(ws)
        self.backend = server._backend_factory(token.name)
        self.outbox = Outbox(server.options.outbox_limit, on_overflow=self._evict)
        self.subscribed = False
        self._hub = server.hub
        self._slots = asyncio.Semaphore(server.options.max_inflight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._subscribing = asyncio.Lock()
        self._closing: asyncio.Task[None] | None = None
        self._overflowed_at: float | None = None

    async def run(self) -> None:
        hello = protocol.hello_frame(self.token.scope, self.server.instance, self._hub.seq)
        self.outbox.push(wire(hello))
        writer = asyncio.create_task(self._write(), name=f"tmuxorch-writer-{self.peer}")
        try:
            async for message in self.ws:
                if self.outbox.closed:
                    break
                await self._slots.acquire()
                task = asyncio.create_task(self._serve(message))
                self._tasks.add(task)
                task.add_done_callback(self._done)
        except ConnectionClosed:
            pass
        finally:
            self._hub.detach(self.outbox)
            self.outbox.close()
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            # Requests in progress are finished, not cut in half: a send whose client went away
            # still submits its text once (and is audited). tmux commands all have timeouts.
            if self._tasks:
                _, pending = await asyncio.wait(set(self._tasks), timeout=REQUEST_GRACE)
                for task in pending:
                    task.cancel()
                if pending:  # bounded: Python 3.11's wait_for can swallow a cancellation
                    await asyncio.wait(pending, timeout=1.0)
            if self._closing is not None:
                await asyncio.gather(self._closing, return_exceptions=True)
            if self._overflowed_at is not None:
                await self.ws.wait_closed()
                self.server.eviction_delays.append(time.monotonic() - self._overflowed_at)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def _write(self) -> None:
        """Write whatever is queued in one go (whole frames, straight to the transport: events
        are framed once for everyone), then wait until the transport drains below its limit.

        websockets' own writes (pings, pongs, the close frame) are whole frames too, so nothing
        interleaves inside a frame, and nothing is written once the connection starts closing.
        """
        ws = self.ws
        try:
            while (frames := await self.outbox.take()) is not None:
                if ws.state is not State.OPEN:
                    return
                ws.transport.write(b"".join(frames))
                await ws.drain()
                self.outbox.drained()
        except (ConnectionClosed, OSError):
            pass

    def _evict(self) -> None:
        """The outbox overflowed: the client does not read. Drop it (the outbox is already
        empty); it may reconnect and subscribe with `since`."""
        self._overflowed_at = time.monotonic()
        self._hub.detach(self.outbox)
        self.server.evictions += 1
        limit = self.server.options.outbox_limit
        log.warning(
            "evicting client %s (token %s): more than %d bytes waiting to be sent",
            self.peer, self.token.name, limit,
        )  # fmt: skip
        self.close_soon(EVICTED, f"too slow: more than {limit} bytes queued; reconnect")

    def close_soon(self, code: int, reason: str) -> None:
        """Close the connection in the background; a peer that does not read (so cannot take
        the close frame) is cut off after a short wait."""
        self.outbox.close()
        if self._closing is None:
            self._closing = asyncio.create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        try:
            async with asyncio.timeout(1.0):
                await self.ws.close(code, reason)
        except TimeoutError:
            self.ws.transport.abort()

    def check_token(self) -> bool:
        """False (and the connection closing) when the token is no longer active."""
        try:
            valid = self.server.tokens.still_valid(self.token.id)
        except TmuxorchError:
            valid = True  # a database hiccup must not drop every client
        if not valid:
            log.warning(
                "closing client %s: token %s revoked or expired", self.peer, self.token.name
            )
            self.close_soon(REVOKED, "token revoked or expired")
        return valid

    def resync_soon(self, reason: str) -> None:
        if not self.subscribed:
            return
        self._hub.detach(self.outbox)
        task = asyncio.create_task(self._resync_locked(reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- requests -------------------------------------------------------------------------------

    async def _serve(self, message: str | bytes) -> None:
        request_id: int | None = None
        frame: bytes | None
        try:
            envelope = protocol.read_envelope(message)
            request_id = envelope.id
            if envelope.op in MUTATING_OPS and self.token.scope != "control":
                log.warning("token %s (read) asked for %s: forbidden", self.token.name, envelope.op)
                raise ProtocolError(
                    "forbidden", f"{envelope.op} changes tmux: this token's scope is read",
                    request_id,
                )  # fmt: skip
            if not self.check_token():
                return
            request = protocol.validate_request(envelope)
            result = await self._dispatch(request)
            frame = None if result is None else protocol.response_frame(request_id, result)
        except ProtocolError as exc:
            frame = protocol.error_frame(exc.request_id, exc.code, exc.message)
        except Exception as exc:
            code, message = _error_code(exc)
            if code == "internal":
                log.exception("internal error serving a request from %s", self.peer)
            frame = protocol.error_frame(request_id, code, message)
        if frame is not None:
            self.outbox.push(wire(frame))

    async def _dispatch(self, request: Request) -> dict[str, Any] | None:
        backend = self.backend
        match request:
            case PingRequest():
                return protocol.ping_result()
            case SnapshotRequest(activity=activity):
                return (await backend.snapshot(activity=activity)).to_status_document()
            case SubscribeRequest():
                await self._subscribe(request)
                return None
            case UnsubscribeRequest():
                async with self._subscribing:
                    self._hub.detach(self.outbox)
                    self.subscribed = False
                return {}
            case ScheduleRequest(op=op):
                raise ProtocolError(
                    "unsupported",
                    f"{op}: schedules are not available yet in this version of tmuxorch serve",
                    request.id,
                )
            case CaptureRequest(target=target, lines=lines, colours=colours):
                await self._require_target(target, request.id)
                text = await backend.capture(target, lines, colours=colours)
                return {"target": target, "lines": lines, "text": text}
            case SendRequest(targets=targets, text=text, enter=enter, force=force):
                self._require_tmux()
                receipts = await backend.send(targets, text, enter=enter, force=force)
                return {"receipts": [r.model_dump() for r in receipts]}
            case KeysRequest(targets=targets, keys=keys):
                self._require_tmux()
                receipts = await backend.keys(targets, keys)
                return {"receipts": [r.model_dump() for r in receipts]}
            case InterruptRequest(targets=targets):
                self._require_tmux()
                receipts = await backend.interrupt(targets)
                return {"receipts": [r.model_dump() for r in receipts]}
            case SpawnRequest(session=session, command=command, name=name, kind=kind):
                self._require_tmux()
                spawned = await backend.spawn(session, command, name=name, kind=kind)
                return spawned.model_dump()
            case KillRequest(target=target):
                await self._require_target(target, request.id)
                await backend.kill(target)
                return {}
            case RenameRequest(target=target, name=name):
                await self._require_target(target, request.id)
                await backend.rename(target, name)
                return {}
        raise ProtocolError("unknown_op", "unknown op", request.id)  # pragma: no cover

    def _require_tmux(self) -> None:
        """Fail fast when there is no tmux server (send/keys would otherwise answer a
        `failed` receipt per target)."""
        server = self.server.engine.server
        if not server.is_running():
            raise TmuxUnavailableError(f"no tmux server running on {server.socket_path}")

    async def _require_target(self, target: str, request_id: int) -> None:
        self._require_tmux()
        snapshot = await self.server.engine.snapshot()
        present = (
            target in snapshot.panes_by_id
            or target in snapshot.windows_by_id
            or target in snapshot.sessions_by_id
        )
        if not present:
            what = {"%": "pane", "@": "window", "$": "session"}[target[0]]
            raise ProtocolError("not_found", f"no such {what}: {target}", request_id)

    async def _subscribe(self, request: SubscribeRequest) -> None:
        async with self._subscribing:
            if self.subscribed:
                raise ProtocolError(
                    "bad_request", "already subscribed (unsubscribe first)", request.id
                )
            since = request.since
            stale = request.instance is not None and request.instance != self.server.instance
            if since is None and not stale:
                self._hub.attach(
                    self.outbox,
                    header=lambda _n: [
                        wire_response(
                            request.id, {"seq": self._hub.seq, "replayed": 0, "resync": False}
                        )
                    ],
                )
                self.subscribed = True
                return
            if since is not None and not stale:
                replayed = self._hub.attach(
                    self.outbox, since,
                    header=lambda n: [
                        wire_response(
                            request.id, {"seq": since, "replayed": n, "resync": False}
                        )
                    ],
                )  # fmt: skip
                if replayed is not None:
                    self.subscribed = True
                    return
            reason = "the server restarted" if stale else f"events after {since} are no longer kept"
            await self._resync(reason, request.id)

    async def _resync_locked(self, reason: str) -> None:
        async with self._subscribing:
            if not self.subscribed:
                return
            try:
                await self._resync(reason, None)
            except TmuxorchError as exc:  # no snapshot to catch up with: let the client retry
                log.warning("closing client %s: cannot resync: %s", self.peer, exc)
                self.close_soon(CloseCode.TRY_AGAIN_LATER, "cannot resync; reconnect")

    async def _resync(self, reason: str, request_id: int | None) -> None:
        """Send a fresh snapshot as a `resync` event, then the events after it: the seq the
        snapshot covers is read before it is taken, so nothing published meanwhile is missed."""
        for _attempt in range(3):
            covered = self._hub.seq
            status = (await self.backend.snapshot()).to_status_document()
            first: list[bytes] = []
            if request_id is not None:
                first.append(
                    wire_response(request_id, {"seq": covered, "replayed": 0, "resync": True})
                )
            first.append(wire(protocol.resync_frame(covered, reason, status)))
            if self._hub.attach(self.outbox, covered, header=_constant(first)) is not None:
                self.subscribed = not self.outbox.closed
                return
            # the history rolled over while the snapshot was taken: take another
        raise TmuxorchError("events arrive faster than a snapshot can be taken; try again")


def _constant(frames: list[bytes]) -> Callable[[int], list[bytes]]:
    return lambda _replayed: frames


def tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """The server's TLS context from a certificate chain and key file (both or neither)."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise BadInputError("give both --tls-cert and --tls-key")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except OSError as exc:
        raise BadInputError(
            f"cannot read the TLS certificate or key: {exc.strerror or exc}"
        ) from exc
    except ssl.SSLError as exc:
        raise BadInputError(f"unusable TLS certificate or key: {exc.reason or exc}") from exc
    return context


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


def _error_code(exc: Exception) -> tuple[ErrorCode, str]:
    """The protocol error code and message for an exception from the core."""
    if isinstance(exc, TmuxUnavailableError):
        return "tmux_unavailable", str(exc)
    if isinstance(exc, TargetNotFoundError):
        return "not_found", str(exc)
    if isinstance(exc, BadInputError):
        return "bad_request", str(exc)
    if isinstance(exc, TmuxCommandError):
        if "can't find" in exc.message or "no such" in exc.message:
            return "not_found", str(exc)
        return "failed", str(exc)
    if isinstance(exc, TmuxorchError):
        return "failed", str(exc)
    return "internal", f"internal error ({type(exc).__name__}); see the server log"
