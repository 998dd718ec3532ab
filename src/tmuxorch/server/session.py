"""One client connection of `tmuxorch serve`: reading requests, serving them, its outbox.

A reader takes requests (at most `max_inflight` served at once; past that it stops reading,
which pushes back on the client through TCP) and one writer drains the connection's Outbox;
everything the server sends this client goes through it, in order. Each request is answered
with its op's result model (protocol.results) or an error from the protocol's error table: the
session knows the Backend interface only, never the engine behind it. An op on a target that is
gone is reported by the operation itself (no snapshot is taken first to look); an op that needs
tmux while the event stream says tmux is down is answered `tmux_unavailable` at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import State

from tmuxorch.core.errors import TmuxorchError, TmuxUnavailableError
from tmuxorch.protocol import frames
from tmuxorch.protocol.errors import ProtocolError, code_for
from tmuxorch.protocol.requests import (
    CaptureRequest,
    ExplainRequest,
    InterruptRequest,
    KeysRequest,
    KillRequest,
    PingRequest,
    QueueAddRequest,
    QueueCancelRequest,
    QueueListRequest,
    QueuePauseRequest,
    RenameRequest,
    Request,
    ScheduleAddRequest,
    ScheduleCancelRequest,
    ScheduleListRequest,
    SendRequest,
    SnapshotRequest,
    SpawnRequest,
    SubscribeRequest,
    UnsubscribeRequest,
    read_envelope,
    validate_request,
)
from tmuxorch.protocol.results import (
    CaptureResult,
    Empty,
    PingResult,
    ReceiptsResult,
    StatusDocument,
    SubscribeResult,
)
from tmuxorch.protocol.scopes import allows
from tmuxorch.server.hub import Outbox
from tmuxorch.server.tokens import TokenInfo

if TYPE_CHECKING:
    from tmuxorch.core.frozen import Frozen
    from tmuxorch.server.listener import TmuxorchServer

log = logging.getLogger("tmuxorch.server")

EVICTED = CloseCode.POLICY_VIOLATION  # 1008
REVOKED = CloseCode.POLICY_VIOLATION
REQUEST_GRACE = 15.0
"""Seconds the requests of a closed connection may take to finish before they are cancelled."""
NEEDS_TMUX = frozenset(
    {"send", "keys", "interrupt", "spawn", "capture", "explain", "kill", "rename", "schedule.add",
     "queue.add"}
)  # fmt: skip
"""Ops answered `tmux_unavailable` at once while tmux is down (spawn would start a server)."""


def wire(payload: bytes) -> bytes:
    """A JSON payload as a whole, unmasked WebSocket text frame: what the server writes. Event
    frames are framed once and the same bytes are written to every subscriber."""
    return Frame(Opcode.TEXT, payload).serialize(mask=False)


def address(connection: ServerConnection) -> str:
    remote = connection.remote_address
    if isinstance(remote, tuple) and remote:
        return str(remote[0])
    return str(remote)


class ClientSession:
    """One authenticated connection: reads requests, answers them, relays events."""

    def __init__(self, server: TmuxorchServer, ws: ServerConnection, token: TokenInfo) -> None:
        self.server = server
        self.ws = ws
        self.token = token
        self.peer = address(ws)
        self.backend = server.backends(token.name)
        self.outbox = Outbox(server.options.outbox_limit, on_overflow=self._evict)
        self.subscribed = False
        self._hub = server.hub
        self._slots = asyncio.Semaphore(server.options.max_inflight)
        self._captures = asyncio.Semaphore(server.options.max_captures)
        self._tasks: set[asyncio.Task[None]] = set()
        self._subscribing = asyncio.Lock()
        self._closing: asyncio.Task[None] | None = None
        self._overflowed_at: float | None = None

    async def run(self) -> None:
        hello = frames.hello_frame(self.token.scope, self.server.instance, self._hub.seq)
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
            while (queued := await self.outbox.take()) is not None:
                if ws.state is not State.OPEN:
                    return
                ws.transport.write(b"".join(queued))
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
            envelope = read_envelope(message)
            request_id = envelope.id
            if not allows(self.token.scope, envelope.op):
                log.warning("token %s (read) asked for %s: forbidden", self.token.name, envelope.op)
                raise ProtocolError(
                    "forbidden", f"{envelope.op} changes tmux: this token's scope is read",
                    request_id,
                )  # fmt: skip
            if not self.check_token():
                return
            request = validate_request(envelope)
            result, audit = await self.server.replies.answer(
                self.token.name, request, self._dispatch
            )  # a repeated request_id: the first answer
            frame = None if result is None else frames.response_frame(request_id, result, audit)
        except Exception as exc:
            code, text = code_for(exc)
            if code == "internal":
                log.exception("internal error serving a request from %s", self.peer)
            answered = exc.request_id if isinstance(exc, ProtocolError) else request_id
            frame = frames.error_frame(answered, code, text)
        if frame is not None:
            self.outbox.push(wire(frame))

    async def _dispatch(self, request: Request) -> Frozen | None:
        backend = self.backend
        if request.op in NEEDS_TMUX and not self._hub.tmux_running:
            raise TmuxUnavailableError(f"no tmux server running on {backend.label}")
        match request:
            case PingRequest():
                return PingResult(seq=self._hub.seq)
            case SnapshotRequest(activity=activity):
                return StatusDocument.of(await backend.snapshot(activity=activity))
            case SubscribeRequest():
                await self._subscribe(request)
                return None
            case UnsubscribeRequest():
                async with self._subscribing:
                    self._hub.detach(self.outbox)
                    self.subscribed = False
                return Empty()
            case ScheduleAddRequest(targets=targets, text=text, trigger=trigger):
                return await backend.schedule_add(targets, text, trigger)
            case ScheduleListRequest(everything=everything):
                return await backend.schedules(everything=everything)
            case ScheduleCancelRequest(schedule=schedule_id):
                return await backend.schedule_cancel(schedule_id)
            case QueueAddRequest():
                return await backend.queue_add(
                    request.text, kind=request.kind, session=request.session,
                    agents=request.agents, priority=request.priority,
                )  # fmt: skip
            case QueueListRequest(everything=everything):
                return await backend.queue(everything=everything)
            case QueueCancelRequest(task=task_id):
                return await backend.queue_cancel(task_id)
            case QueuePauseRequest(op=op):
                return await backend.queue_pause(op == "queue.pause")
            case CaptureRequest():
                return await self._capture(request)
            case ExplainRequest(target=target):
                async with self._captures, self.server.turns.turn(self):
                    return await backend.explain(target)
            case SendRequest(targets=targets, text=text, enter=enter, force=force):
                receipts = await backend.send(targets, text, enter=enter, force=force)
                return ReceiptsResult(receipts=receipts)
            case KeysRequest(targets=targets, keys=keys):
                return ReceiptsResult(receipts=await backend.keys(targets, keys))
            case InterruptRequest(targets=targets):
                return ReceiptsResult(receipts=await backend.interrupt(targets))
            case SpawnRequest(session=session, command=command, name=name, kind=kind):
                return await backend.spawn(
                    session, command, name=name, kind=kind,
                    cwd=request.cwd, env=request.env, fleet=request.fleet,
                    restart=request.restart,
                )  # fmt: skip
            case KillRequest(target=target):
                await backend.kill(target)
                return Empty()
            case RenameRequest(target=target, name=name):
                await backend.rename(target, name)
                return Empty()
        raise ProtocolError("unknown_op", "unknown op", request.id)  # pragma: no cover

    async def _capture(self, request: CaptureRequest) -> CaptureResult:
        """A capture within the server's limits: at most `max_capture_lines` asked for, at most
        `max_captures` of this client and `capture_workers` of all clients with tmux at once
        (in turns across clients), and at most `max_capture_bytes` of text, its last lines."""
        options = self.server.options
        if request.lines > options.max_capture_lines:
            raise ProtocolError(
                "bad_request",
                f"lines: at most {options.max_capture_lines} on this server",
                request.id,
            )
        async with self._captures, self.server.turns.turn(self):
            text = await self.backend.capture(
                request.target, request.lines, colours=request.colours
            )
        text, lines = last_lines(text, options.max_capture_bytes)
        return CaptureResult(target=request.target, lines=lines or request.lines, text=text)

    # -- the event stream -----------------------------------------------------------------------

    async def _subscribe(self, request: SubscribeRequest) -> None:
        async with self._subscribing:
            if self.subscribed:
                raise ProtocolError(
                    "bad_request", "already subscribed (unsubscribe first)", request.id
                )
            since = request.since
            stale = request.instance is not None and request.instance != self.server.instance
            if not stale:
                replayed = self._hub.attach(
                    self.outbox, since,
                    header=lambda n: [self._subscribed(request.id, since, n, resync=False)],
                )  # fmt: skip
                if replayed is not None:
                    self.subscribed = True
                    return
            reason = "the server restarted" if stale else f"events after {since} are no longer kept"
            await self._resync(reason, request.id)

    def _subscribed(
        self, request_id: int | None, since: int | None, replayed: int, *, resync: bool
    ) -> bytes:
        """The response to a subscribe: events after the seq it names follow."""
        seq = self._hub.seq if since is None else since
        result = SubscribeResult(seq=seq, replayed=replayed, resync=resync)
        return wire(frames.response_frame(request_id, result))

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
            snapshot = await self.backend.snapshot()
            first: list[bytes] = []
            if request_id is not None:
                first.append(self._subscribed(request_id, covered, 0, resync=True))
            first.append(wire(frames.resync_frame(covered, reason, snapshot)))
            if self._hub.attach(self.outbox, covered, header=_constant(first)) is not None:
                self.subscribed = not self.outbox.closed
                return
            # the history rolled over while the snapshot was taken: take another
        raise TmuxorchError("events arrive faster than a snapshot can be taken; try again")


def last_lines(text: str, limit: int) -> tuple[str, int | None]:
    """`text` if it is at most `limit` bytes (and None); else its last whole lines that fit,
    and how many they are."""
    data = text.encode()
    if len(data) <= limit:
        return text, None
    tail = data[len(data) - limit :]
    kept = tail[tail.find(b"\n") + 1 :].decode()
    return kept, kept.count("\n") + (not kept.endswith("\n"))


def _constant(frames: list[bytes]) -> Callable[[int], list[bytes]]:
    return lambda _replayed: frames
