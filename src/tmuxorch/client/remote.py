"""`RemoteBackend`: the Backend interface over one WebSocket to a `tmuxorch serve` (protocol 1).

`--connect URL` hands the CLI and the TUI one of these instead of a LocalBackend; they cannot
tell the difference. One connection carries everything: requests get increasing ids and a future
each, and one reader task takes every frame the server sends, resolving the future of a response
and fanning events out to the local subscriptions.

The first connection is made by the first call and fails at once if it cannot be made (the CLI
exits 3). Once connected, a dropped connection is re-established in the background with capped
exponential backoff (0.2 s doubling to 5 s); the event stream resumes with `subscribe` + `since`
(the last seq seen) + the server's `instance`, so events are neither lost nor repeated. When the
server cannot replay (it restarted, or the missed events are gone) it sends a `resync` event
carrying a fresh snapshot: subscribers then get `tmux_up` (or `tmux_down` if that snapshot says
tmux is not running) — the event every consumer already treats as "take a fresh snapshot" — and
the snapshot itself is `latest_snapshot`. Requests that were waiting when the connection dropped
fail with ConnectionLostError, except read-only ones (snapshot, capture, subscribe), which are
sent again once reconnected: a `send` is never repeated (the server finishes it anyway).

A refused token (HTTP 401) or a refused handshake (403) is final: it is raised once, never
retried, and every later call raises it again without touching the network. Tokens travel only
in the `Authorization` header: never in a URL, a log line or an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from tmuxorch import __version__
from tmuxorch.client.dialing import TOKEN_ENV, check_url, failure
from tmuxorch.core.backend import ConnectionState
from tmuxorch.core.errors import (
    BadInputError,
    TargetNotFoundError,
    TmuxorchError,
    TmuxUnavailableError,
)
from tmuxorch.core.events import EVENT_ADAPTER, Event, TmuxDown, TmuxUp
from tmuxorch.core.models import Receipt, Snapshot, Spawned
from tmuxorch.server.redaction import websockets_logger

log = logging.getLogger("tmuxorch.remote")

BACKOFF_INITIAL = 0.2
BACKOFF_MAX = 5.0
MAX_FRAME = 64 * 1024 * 1024
"""The largest frame accepted from the server (a capture of 100,000 long lines fits)."""


# -- errors -------------------------------------------------------------------------------------


class ForbiddenError(TmuxorchError):
    """The token's scope does not allow the operation (a `read` token asked to change tmux)."""

    exit_code = 1


class RefusedError(TmuxUnavailableError):
    """The server refused the handshake (401: the token; 403: Host or Origin). Final: never
    retried. Exit status 3, like any server that cannot be used."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ConnectionLostError(TmuxUnavailableError):
    """The connection dropped while a request was waiting for its answer."""


class RemoteNotFoundError(TargetNotFoundError):
    """The server has no such pane, window or session (`not_found`)."""

    def __init__(self, message: str) -> None:
        BadInputError.__init__(self, message)
        self.target = ""
        self.suggestions = []


class RemoteOperationError(TmuxorchError):
    """The server could not do it (`failed`, `unsupported`, `internal`)."""


def error_for(code: str, message: str) -> TmuxorchError:
    """The exception the core would raise for a protocol error code."""
    if code in ("bad_request", "unknown_op"):
        return BadInputError(message)
    if code == "not_found":
        return RemoteNotFoundError(message)
    if code == "forbidden":
        return ForbiddenError(f"forbidden: {message} (this needs a token with scope control)")
    if code == "tmux_unavailable":
        return TmuxUnavailableError(message)
    if code == "internal":
        return RemoteOperationError(f"the server failed: {message}")
    return RemoteOperationError(message)


# -- parsing what the server sends --------------------------------------------------------------


def _lenient(validate: Callable[[Any], Any], data: Any) -> Any:
    """Validate `data`, dropping keys the models do not know: the protocol may add keys within
    version 1, and the core models refuse unknown ones."""
    copied = False  # copy only when something has to be dropped (a snapshot is big)
    for _attempt in range(20):
        try:
            return validate(data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            if not errors or any(e["type"] != "extra_forbidden" for e in errors):
                raise
            if not copied:
                data, copied = copy.deepcopy(data), True
            for error in errors:
                _delete(data, error["loc"])
    return validate(data)


def _delete(data: Any, loc: tuple[int | str, ...]) -> None:
    node = data
    for key in loc[:-1]:
        # A key that is not there is a union tag in the location (e.g. the event's name).
        in_dict = isinstance(node, dict) and key in node
        in_list = isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
        if in_dict or in_list:
            node = node[key]
    if isinstance(node, dict):
        node.pop(loc[-1], None)


def snapshot_from(document: Any) -> Snapshot:
    """A Snapshot from a `tmuxorch.status/1` document."""
    if not isinstance(document, dict):
        raise RemoteOperationError("the server sent a snapshot that is not a JSON object")
    body = {k: v for k, v in document.items() if k != "schema"}
    try:
        snapshot: Snapshot = _lenient(Snapshot.model_validate, body)
    except ValidationError as exc:
        raise RemoteOperationError(f"the server sent an invalid snapshot: {exc}") from None
    return snapshot


def _model(model: type[BaseModel], data: Any, what: str) -> Any:
    try:
        return _lenient(model.model_validate, data)
    except ValidationError as exc:
        raise RemoteOperationError(f"the server sent an invalid {what}: {exc}") from None


_RECEIPTS: TypeAdapter[list[Receipt]] = TypeAdapter(list[Receipt])


# -- subscriptions ------------------------------------------------------------------------------


class RemoteSubscription:
    """One local subscriber's events; iterate it, close it when done. The backend shares one
    server-side subscription between all of them. `dropped` counts events lost because this
    subscriber fell more than `maxsize` behind."""

    def __init__(self, backend: RemoteBackend, maxsize: int) -> None:
        self._backend = backend
        self._maxsize = maxsize
        self._events: deque[Event] = deque()
        self._ready = asyncio.Event()
        self._end: BaseException | None = None
        self._closed = False
        self.dropped = 0

    def put(self, event: Event) -> None:
        if self._closed:
            return
        if len(self._events) >= self._maxsize:
            self.dropped += 1
            return
        self._events.append(event)
        self._ready.set()

    def finish(self, error: BaseException | None = None) -> None:
        """No more events: iteration ends (raising `error` if given) once the queue is drained."""
        if self._end is None:
            self._end = error if error is not None else StopAsyncIteration()
        self._ready.set()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        while not self._events:
            if self._closed:
                raise StopAsyncIteration
            if self._end is not None:
                if isinstance(self._end, StopAsyncIteration):
                    raise StopAsyncIteration
                raise _fresh(self._end)
            self._ready.clear()
            await self._ready.wait()
        return self._events.popleft()

    async def close(self) -> None:
        """Stop receiving events."""
        if self._closed:
            return
        self._closed = True
        self._events.clear()
        self._ready.set()
        await self._backend._drop(self)

    async def __aenter__(self) -> RemoteSubscription:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


def _fresh(error: BaseException) -> BaseException:
    """A copy of a stored error to raise again (raising one instance twice chains tracebacks)."""
    if isinstance(error, RefusedError):
        return RefusedError(error.status, str(error))
    try:
        return type(error)(*error.args)
    except Exception:
        return error


@dataclass
class _Pending:
    future: asyncio.Future[dict[str, Any]]
    on_result: Callable[[dict[str, Any]], None] | None


# -- the backend --------------------------------------------------------------------------------


class RemoteBackend:
    """The Backend of a fleet served by `tmuxorch serve` at `url` (see the module docstring).

    For a status line: `connection_state` (disconnected, connecting, live, reconnecting, refused,
    closed), `latency` (seconds, from the last WebSocket ping; None before the first), `scope`
    (of the token, from the server's hello), `last_seq`, `resyncs` and `latest_snapshot`.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        open_timeout: float = 5.0,
        request_timeout: float = 60.0,
        reconnect_wait: float = 10.0,
        backoff: tuple[float, float] = (BACKOFF_INITIAL, BACKOFF_MAX),
        ping_interval: float | None = 10.0,
        ping_timeout: float | None = 10.0,
        event_queue: int = 10_000,
        **connect_options: Any,
    ) -> None:
        self.url = check_url(url)
        if not token or not token.isascii() or not token.isprintable() or " " in token:
            raise BadInputError("the token is empty or has characters a token cannot have")
        self.__token = token
        self.open_timeout = open_timeout
        self.request_timeout = request_timeout
        self.reconnect_wait = reconnect_wait
        self.backoff = backoff
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.event_queue = event_queue
        self._connect_options = connect_options
        """Passed to websockets' connect() (e.g. `ssl=` for a private CA)."""

        self.scope: str | None = None
        self.server: str | None = None
        self.instance: str | None = None
        """The server run `last_seq` belongs to (seqs restart with each run)."""
        self._connected_instance: str | None = None
        self.last_seq = 0
        """The seq of the last event received (what a resumed subscription asks `since`)."""
        self.resyncs = 0
        self.latest_snapshot: Snapshot | None = None
        """The fleet from the last `resync` event (None until there is one)."""
        self.reconnects = 0
        self.gaps = 0
        self.duplicates = 0

        self._state: ConnectionState = "disconnected"
        self._state_changed: asyncio.Event | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._reconnector: asyncio.Task[None] | None = None
        self._connecting: asyncio.Lock | None = None
        self._subscribing: asyncio.Lock | None = None
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._subscribers: set[RemoteSubscription] = set()
        self._server_subscribed = False
        self._fatal: RefusedError | None = None

    def __repr__(self) -> str:
        return f"RemoteBackend({self.url!r}, state={self._state})"

    # -- status ---------------------------------------------------------------------------------

    @property
    def label(self) -> str:
        return self.url

    @property
    def connection_state(self) -> ConnectionState:
        return self._state

    @property
    def latency(self) -> float | None:
        """The round trip of the last WebSocket ping, in seconds (None before one came back)."""
        ws = self._ws
        if ws is None or self._state != "live" or ws.latency <= 0:
            return None
        return float(ws.latency)

    def attach_argv(self, pane_id: str, *, switch: bool = False) -> list[str] | None:
        """None: a pane on another host is attached to by running tmuxorch there."""
        return None

    def _set_state(self, state: ConnectionState) -> None:
        if state == self._state:
            return
        log.debug("%s: %s -> %s", self.url, self._state, state)
        self._state = state
        if self._state_changed is not None:
            self._state_changed.set()
        self._state_changed = asyncio.Event()

    # -- the Backend interface ------------------------------------------------------------------

    async def snapshot(self, *, activity: bool = False, states: bool = True) -> Snapshot:
        params = {"activity": True} if activity else {}
        return snapshot_from(await self._call("snapshot", params, retry=True))

    async def subscribe(self) -> RemoteSubscription:
        """Events from now on. The first subscriber starts the server-side subscription."""
        for attempt in (1, 2):
            await self._ensure_connected()
            subscription = RemoteSubscription(self, self.event_queue)
            async with self._lock("subscribing"):
                self._subscribers.add(subscription)
                if self._server_subscribed:
                    return subscription
                try:
                    await self._subscribe_now(since=None)
                except ConnectionLostError:
                    self._subscribers.discard(subscription)
                    if attempt == 2:
                        raise
                    continue
                except BaseException:
                    self._subscribers.discard(subscription)
                    raise
                return subscription
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(
        self, targets: Sequence[str], text: str, *, enter: bool = True, force: bool = False
    ) -> list[Receipt]:
        if not targets:
            return []
        params: dict[str, Any] = {"targets": list(targets), "text": text, "enter": enter}
        if force:
            params["force"] = True
        return self._receipts(await self._call("send", params))

    async def keys(self, targets: Sequence[str], keys: Sequence[str]) -> list[Receipt]:
        if not keys:
            raise BadInputError("no keys given")
        if not targets:
            return []
        return self._receipts(
            await self._call("keys", {"targets": list(targets), "keys": list(keys)})
        )

    async def interrupt(self, targets: Sequence[str]) -> list[Receipt]:
        if not targets:
            return []
        return self._receipts(await self._call("interrupt", {"targets": list(targets)}))

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        params: dict[str, Any] = {"target": target, "lines": lines}
        if colours:
            params["colours"] = True
        result = await self._call("capture", params, retry=True)
        text = result.get("text")
        if not isinstance(text, str):
            raise RemoteOperationError("the server sent a capture without text")
        return text

    async def spawn(
        self, session: str, command: Sequence[str], *, name: str | None, kind: str | None
    ) -> Spawned:
        if not command or not any(command):
            raise BadInputError("no command given (put it after --)")
        params: dict[str, Any] = {"session": session, "command": list(command)}
        if name is not None:
            params["name"] = name
        if kind is not None:
            params["kind"] = kind
        spawned: Spawned = _model(Spawned, await self._call("spawn", params), "spawn result")
        return spawned

    async def kill(self, target: str) -> None:
        await self._call("kill", {"target": target})

    async def rename(self, target: str, name: str) -> None:
        await self._call("rename", {"target": target, "name": name})

    async def ping(self) -> float:
        """The round trip of a `ping` request, in seconds."""
        started = time.monotonic()
        await self._call("ping", {}, retry=True)
        return time.monotonic() - started

    async def close(self) -> None:
        """Close the connection, stop reconnecting, end every subscription."""
        if self._state == "closed":
            return
        self._set_state("closed")
        tasks = [t for t in (self._reconnector, self._reader) if t is not None]
        if self._reconnector is not None:
            self._reconnector.cancel()
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await ws.close()
            ws.transport.abort()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._fail_pending(TmuxUnavailableError(f"the connection to {self.url} is closed"))
        for subscription in list(self._subscribers):
            subscription.finish()
        self._subscribers.clear()

    async def __aenter__(self) -> RemoteBackend:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # -- requests -------------------------------------------------------------------------------

    def _lock(self, which: Literal["connecting", "subscribing"]) -> asyncio.Lock:
        if which == "connecting":
            if self._connecting is None:
                self._connecting = asyncio.Lock()
            return self._connecting
        if self._subscribing is None:
            self._subscribing = asyncio.Lock()
        return self._subscribing

    @staticmethod
    def _receipts(result: dict[str, Any]) -> list[Receipt]:
        try:
            receipts: list[Receipt] = _lenient(_RECEIPTS.validate_python, result.get("receipts"))
        except ValidationError as exc:
            raise RemoteOperationError(f"the server sent invalid receipts: {exc}") from None
        return receipts

    async def _call(
        self, op: str, params: dict[str, Any], *, retry: bool = False
    ) -> dict[str, Any]:
        """One request and its result. With `retry` (read-only ops), a request cut off by a
        dropped connection is sent again once the connection is back."""
        for attempt in (1, 2):
            ws = await self._ensure_connected()
            try:
                return await self._request(ws, op, params)
            except ConnectionLostError:
                if not retry or attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _request(
        self,
        ws: ClientConnection,
        op: str,
        params: dict[str, Any],
        on_result: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = _Pending(future, on_result)
        frame = json.dumps({"type": "request", "id": request_id, "op": op, **params})
        try:
            try:
                await ws.send(frame)
            except ConnectionClosed:
                raise ConnectionLostError(
                    f"lost the connection to {self.url} before {op} was sent"
                ) from None
            try:
                async with asyncio.timeout(self.request_timeout):
                    return await future
            except TimeoutError:
                raise TmuxUnavailableError(
                    f"{self.url} did not answer {op} within {self.request_timeout:g} s"
                ) from None
        finally:
            self._pending.pop(request_id, None)

    def _fail_pending(self, error: TmuxorchError) -> None:
        pending, self._pending = self._pending, {}
        for entry in pending.values():
            if not entry.future.done():
                entry.future.set_exception(_fresh(error))

    # -- connecting -----------------------------------------------------------------------------

    async def _ensure_connected(self) -> ClientConnection:
        """The live connection: made now if there is none, awaited while reconnecting."""
        deadline = time.monotonic() + self.reconnect_wait
        while True:
            if self._fatal is not None:
                raise _fresh(self._fatal)
            state = self._state
            if state == "closed":
                raise TmuxUnavailableError(f"the connection to {self.url} is closed")
            if state == "live" and self._ws is not None:
                return self._ws
            if state == "reconnecting":
                changed = self._state_changed
                left = deadline - time.monotonic()
                if changed is None or left <= 0:
                    raise TmuxUnavailableError(
                        f"lost the connection to {self.url}; still reconnecting"
                    )
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(left):
                        await changed.wait()
                continue
            async with self._lock("connecting"):
                if self._state in ("disconnected", "connecting"):
                    self._set_state("connecting")
                    try:
                        await self._open()
                    except BaseException:
                        if self._state == "connecting":
                            self._set_state("disconnected")
                        raise
                elif self._state == "live" and self._ws is None:  # cannot happen; never spin
                    self._set_state("disconnected")

    async def _open(self) -> None:
        """Connect, read the hello, start the reader, resume the subscription; then live.
        RefusedError for 401/403 (and the backend is refused for good), TmuxUnavailableError
        for anything else."""
        try:
            ws = await self._handshake()
        except RefusedError as exc:
            self._fatal = exc
            self._set_state("refused")
            for subscription in list(self._subscribers):
                subscription.finish(exc)
            raise
        self._ws = ws
        self._reader = asyncio.create_task(self._read(ws), name="tmuxorch-remote-reader")
        with contextlib.suppress(Exception):
            await ws.ping()  # a first latency figure now, not after ping_interval
        try:
            if self._subscribers:
                async with self._lock("subscribing"):
                    await self._subscribe_now(since=self.last_seq, instance=self.instance)
            if self._ws is not ws:
                raise ConnectionLostError(f"lost the connection to {self.url}")
        except BaseException:
            if self._ws is ws:
                self._ws = None
            ws.transport.abort()
            raise
        self._set_state("live")

    async def _handshake(self) -> ClientConnection:
        headers = {"Authorization": f"Bearer {self.__token}"}
        try:
            ws = await connect(
                self.url,
                additional_headers=headers,
                user_agent_header=f"tmuxorch/{__version__}",
                compression=None,
                open_timeout=self.open_timeout,
                ping_interval=self.ping_interval,
                ping_timeout=self.ping_timeout,
                close_timeout=2.0,
                max_size=MAX_FRAME,
                logger=websockets_logger("tmuxorch.remote.websockets"),
                **self._connect_options,
            )
        except InvalidStatus as exc:
            raise _refusal(self.url, exc) from None
        except TimeoutError:
            raise TmuxUnavailableError(
                f"cannot connect to {self.url}: no answer within {self.open_timeout:g} s"
            ) from None
        except OSError as exc:
            reason = failure(self.url, exc)
            raise TmuxUnavailableError(f"cannot connect to {self.url}: {reason}") from None
        except (InvalidHandshake, InvalidURI, ConnectionClosed) as exc:
            raise TmuxUnavailableError(f"cannot connect to {self.url}: {exc}") from None
        try:
            async with asyncio.timeout(self.open_timeout):
                raw = await ws.recv()
            hello = json.loads(raw)
            if not isinstance(hello, dict) or hello.get("type") != "hello":
                raise ValueError("no hello")
        except (TimeoutError, ValueError, ConnectionClosed):
            ws.transport.abort()
            raise TmuxUnavailableError(
                f"{self.url} is not a tmuxorch server (it did not say hello)"
            ) from None
        if hello.get("protocol") != 1:
            ws.transport.abort()
            raise TmuxUnavailableError(
                f"{self.url} speaks protocol {hello.get('protocol')!r}; this tmuxorch speaks 1"
            )
        self.scope = str(hello.get("scope"))
        self.server = str(hello.get("server"))
        self._connected_instance = str(hello.get("instance"))
        return ws

    async def _subscribe_now(self, *, since: int | None, instance: str | None = None) -> None:
        """Ask the server for events (after `since`); the caller holds the subscribing lock."""
        ws = self._ws
        if ws is None:
            raise ConnectionLostError(f"lost the connection to {self.url}")
        params: dict[str, Any] = {}
        if since is not None:
            params["since"] = since
            if instance is not None:
                params["instance"] = instance
        await self._request(ws, "subscribe", params, on_result=self._subscribed)
        self._server_subscribed = True

    def _subscribed(self, result: dict[str, Any]) -> None:
        """Run by the reader on the subscribe response, before any event that follows it:
        from now on seqs are those of this connection's server run."""
        seq = result.get("seq")
        if isinstance(seq, int):
            self.last_seq = seq
        self.instance = self._connected_instance

    async def _drop(self, subscription: RemoteSubscription) -> None:
        """A local subscription closed; the last one ends the server-side subscription."""
        self._subscribers.discard(subscription)
        if self._subscribers or not self._server_subscribed or self._state != "live":
            return
        async with self._lock("subscribing"):
            ws = self._ws
            if self._subscribers or not self._server_subscribed or ws is None:
                return
            self._server_subscribed = False
            with contextlib.suppress(TmuxorchError):
                await self._request(ws, "unsubscribe", {})

    # -- reading --------------------------------------------------------------------------------

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for message in ws:
                try:
                    self._dispatch(message)
                except Exception:  # a bad frame must not stop the stream
                    log.warning("%s: ignored a frame the client could not read", self.url,
                                exc_info=log.isEnabledFor(logging.DEBUG))  # fmt: skip
        except ConnectionClosed:
            pass
        finally:
            if self._ws is ws:
                self._lost(ws)

    def _dispatch(self, message: str | bytes) -> None:
        frame = json.loads(message)
        if not isinstance(frame, dict):
            return
        kind = frame.get("type")
        if kind == "response":
            self._on_response(frame)
        elif kind == "event":
            self._on_event(frame)

    def _on_response(self, frame: dict[str, Any]) -> None:
        request_id = frame.get("id")
        entry = self._pending.pop(request_id, None) if isinstance(request_id, int) else None
        if entry is None:
            if request_id is None:
                error = frame.get("error") or {}
                log.warning("%s: the server could not read a request: %s", self.url,
                            error.get("message", "?"))  # fmt: skip
            return
        if entry.future.done():
            return
        if frame.get("ok") is True:
            result = frame.get("result")
            result = result if isinstance(result, dict) else {}
            if entry.on_result is not None:
                entry.on_result(result)
            entry.future.set_result(result)
        else:
            error = frame.get("error")
            error = error if isinstance(error, dict) else {}
            entry.future.set_exception(
                error_for(str(error.get("code", "failed")), str(error.get("message", "failed")))
            )

    def _on_event(self, frame: dict[str, Any]) -> None:
        seq = frame.get("seq")
        name = frame.get("event")
        data = frame.get("data")
        if not isinstance(seq, int) or not isinstance(name, str) or not isinstance(data, dict):
            raise ValueError("malformed event frame")
        event: Event
        if name == "resync":
            snapshot = snapshot_from(data.get("status"))
            self.last_seq = seq
            self.latest_snapshot = snapshot
            self.resyncs += 1
            reason = str(data.get("reason", "resync"))
            log.info("%s: resync at seq %d (%s)", self.url, seq, reason)
            if snapshot.tmux.running:
                event = TmuxUp(version=snapshot.tmux.version)
            else:
                event = TmuxDown(reason=f"tmux is not running on the server ({reason})")
        else:
            if seq <= self.last_seq:
                self.duplicates += 1
                return
            if seq != self.last_seq + 1 and self.last_seq:
                self.gaps += 1
                log.warning("%s: events %d-%d are missing", self.url, self.last_seq + 1, seq - 1)
            self.last_seq = seq
            try:
                event = _lenient(EVENT_ADAPTER.validate_python, {**data, "event": name})
            except ValidationError:
                log.debug("%s: skipped an event this client does not know: %s", self.url, name)
                return
        for subscription in list(self._subscribers):
            subscription.put(event)

    # -- reconnecting ---------------------------------------------------------------------------

    def _lost(self, ws: ClientConnection) -> None:
        """The reader saw the connection end: fail what waited on it and reconnect."""
        self._ws = None
        self._server_subscribed = False
        code = ws.close_code
        self._fail_pending(
            ConnectionLostError(
                f"lost the connection to {self.url}"
                + (f" (close code {code}: {ws.close_reason})" if code and ws.close_reason else "")
            )
        )
        if self._state in ("closed", "refused"):
            return
        log.info("%s: connection lost (code %s); reconnecting", self.url, code)
        self._set_state("reconnecting")
        if self._reconnector is None or self._reconnector.done():
            self._reconnector = asyncio.create_task(
                self._reconnect(), name="tmuxorch-remote-reconnect"
            )

    async def _reconnect(self) -> None:
        initial, cap = self.backoff
        delay = initial
        while self._state == "reconnecting":
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            try:
                async with self._lock("connecting"):
                    if self._state != "reconnecting":
                        return
                    await self._open()
            except RefusedError as exc:
                log.warning("%s: %s", self.url, exc)
                self._fail_pending(exc)
                return
            except (TmuxorchError, OSError) as exc:
                log.info("%s: reconnecting failed (%s); next try in %.1f s", self.url, exc, delay)
                delay = min(delay * 2, cap)
                continue
            self.reconnects += 1
            log.info("%s: reconnected", self.url)
            return


def _refusal(url: str, exc: InvalidStatus) -> TmuxorchError:
    """The error for an HTTP answer instead of the upgrade."""
    status = exc.response.status_code
    body = exc.response.body
    detail = ""
    if body:
        text = body.decode("utf-8", "replace").strip().splitlines()
        detail = text[0][:200] if text else ""
    if status == 401:
        return RefusedError(
            401, f"the server refused the token (401): check --token-file / {TOKEN_ENV}"
        )
    if status == 403:
        return RefusedError(403, f"{url} refused the connection (403): {detail or 'forbidden'}")
    if status == 429:
        return TmuxUnavailableError(
            f"{url}: too many failed attempts from this address (429); try again later"
        )
    return TmuxUnavailableError(f"{url} answered HTTP {status}" + (f": {detail}" if detail else ""))
