"""The client's one WebSocket to a `tmuxorch serve`: connecting (client.dialing dials and
checks the hello), requests, reading, reconnecting.

Requests get increasing ids and a future each; one reader task takes every frame the server
sends (decoded with the protocol's frame models), resolving the future of a response (an error
response raises the exception the protocol's error table names) and handing event frames to
the listener. The first connection is made by the first call and fails at once if it cannot be
made (the CLI exits 3). Once connected, a dropped connection is re-established in the
background with capped exponential backoff (`backoff_delay`); the listener resumes its
subscription before the link is live again. Requests that were waiting when the connection
dropped fail with ConnectionLostError, except those sent with `retry`, which are sent again once
reconnected: read-only ones, and changes carrying a `request_id` (the server answers a repeat
of the id with the first answer instead of acting twice), but only to the same run of the
server (the hello's `instance`): a restarted server does not know the id, so whether the change
happened is unknown and ConnectionLostError says so.

A refused token (HTTP 401) or a refused handshake (403) is final: it is raised once, never
retried, and every later call raises it again without touching the network. Tokens travel only
in the `Authorization` header: never in a URL, a log line or an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tmuxorch.client.dialing import dial
from tmuxorch.client.errors import ConnectionLostError, RefusedError, fresh
from tmuxorch.core.backend import ConnectionState
from tmuxorch.core.errors import TmuxorchError, TmuxUnavailableError
from tmuxorch.protocol.errors import exception_for
from tmuxorch.protocol.frames import (
    ErrorResponse,
    EventFrame,
    Hello,
    ResultResponse,
    decode_frame,
)
from tmuxorch.protocol.requests import request_frame

log = logging.getLogger("tmuxorch.remote")

BACKOFF_INITIAL = 0.2
BACKOFF_MAX = 5.0


def backoff_delay(
    attempt: int, initial: float = BACKOFF_INITIAL, cap: float = BACKOFF_MAX
) -> float:
    """Seconds to wait before reconnection attempt `attempt` (0 first): doubling from
    `initial`, never more than `cap`. The caller adds jitter."""
    return cap if attempt >= 64 else float(min(initial * 2**attempt, cap))  # 64: no overflow


class LinkListener(Protocol):
    """What the owner of a link hears: events, and the connection's turns."""

    def link_event(self, frame: EventFrame) -> None: ...

    async def link_opened(self, link: Link) -> None:
        """Connected, not live yet: resume what the owner had (its subscription)."""

    def link_lost(self) -> None: ...

    def link_refused(self, error: RefusedError) -> None: ...


@dataclass
class _Pending:
    future: asyncio.Future[dict[str, Any]]
    on_result: Callable[[dict[str, Any]], None] | None


@dataclass(frozen=True)
class LinkOptions:
    """Timeouts and limits of a link (see RemoteBackend)."""

    open_timeout: float = 5.0
    request_timeout: float = 60.0
    reconnect_wait: float = 10.0
    backoff: tuple[float, float] = (BACKOFF_INITIAL, BACKOFF_MAX)
    ping_interval: float | None = 10.0
    ping_timeout: float | None = 10.0


class Link:
    """One connection to `url`, made again whenever it drops (see the module docstring)."""

    def __init__(
        self,
        url: str,
        token: str,
        listener: LinkListener,
        options: LinkOptions,
        connect_options: dict[str, Any],
    ) -> None:
        self.url = url
        self.__token = token
        self.listener = listener
        self.options = options
        self.connect_options = connect_options
        """Passed to websockets' connect() (e.g. `ssl=` for a private CA)."""
        self.hello: Hello | None = None
        """The last hello: the server, its run (`instance`) and this token's scope."""
        self.reconnects = 0
        self._state: ConnectionState = "disconnected"
        self._state_changed: asyncio.Event | None = None
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._reconnector: asyncio.Task[None] | None = None
        self._connecting = asyncio.Lock()  # binds to the running loop on first use
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._fatal: RefusedError | None = None

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def live(self) -> bool:
        return self._state == "live" and self._ws is not None

    @property
    def latency(self) -> float | None:
        """The round trip of the last WebSocket ping, in seconds (None before one came back)."""
        ws = self._ws
        if ws is None or self._state != "live" or ws.latency <= 0:
            return None
        return float(ws.latency)

    def _set_state(self, state: ConnectionState) -> None:
        if state == self._state:
            return
        log.debug("%s: %s -> %s", self.url, self._state, state)
        self._state = state
        if self._state_changed is not None:
            self._state_changed.set()
        self._state_changed = asyncio.Event()

    # -- requests -------------------------------------------------------------------------------

    async def call(self, op: str, params: dict[str, Any], *, retry: bool = False) -> dict[str, Any]:
        """One request and its result. With `retry` (read-only ops, changes with a
        `request_id`), a request cut off by a dropped connection is sent again once the
        connection is back."""
        instance: str | None = None
        for attempt in (1, 2):
            await self.ensure_connected()
            if "request_id" in params:
                now = None if self.hello is None else self.hello.instance
                if attempt == 2 and now != instance:
                    raise ConnectionLostError(
                        f"lost the connection to {self.url} during {op}, and the server "
                        "restarted since: it may or may not have happened; look before trying "
                        "again"
                    )
                instance = now
            try:
                return await self.request(op, params)
            except ConnectionLostError:
                if not retry or attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def request(
        self,
        op: str,
        params: dict[str, Any],
        on_result: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """One request on the connection there is now (ConnectionLostError if none);
        `on_result` runs in the reader, before any frame that follows the response."""
        ws = self._ws
        if ws is None:
            raise ConnectionLostError(f"lost the connection to {self.url}")
        request_id = next(self._ids)
        frame = request_frame(request_id, op, params)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = _Pending(future, on_result)
        try:
            try:
                await ws.send(frame)
            except ConnectionClosed:
                raise ConnectionLostError(
                    f"lost the connection to {self.url} before {op} was sent"
                ) from None
            try:
                async with asyncio.timeout(self.options.request_timeout):
                    return await future
            except TimeoutError:
                raise TmuxUnavailableError(
                    f"{self.url} did not answer {op} within {self.options.request_timeout:g} s"
                ) from None
        finally:
            self._pending.pop(request_id, None)

    def _fail_pending(self, error: TmuxorchError) -> None:
        pending, self._pending = self._pending, {}
        for entry in pending.values():
            if not entry.future.done():
                entry.future.set_exception(fresh(error))

    # -- connecting -----------------------------------------------------------------------------

    async def ensure_connected(self) -> None:
        """A live connection: made now if there is none, awaited while reconnecting."""
        deadline = time.monotonic() + self.options.reconnect_wait
        while True:
            if self._fatal is not None:
                raise fresh(self._fatal)
            state = self._state
            if state == "closed":
                raise TmuxUnavailableError(f"the connection to {self.url} is closed")
            if self.live:
                return
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
            async with self._connecting:
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
        """Connect, read the hello, start the reader, let the listener resume; then live.
        RefusedError for 401/403 (and the link is refused for good), TmuxUnavailableError
        for anything else."""
        try:
            ws, self.hello = await dial(
                self.url, self.__token, self.options.open_timeout,
                ping=(self.options.ping_interval, self.options.ping_timeout),
                **self.connect_options,
            )  # fmt: skip
        except RefusedError as exc:
            self._fatal = exc
            self._set_state("refused")
            self.listener.link_refused(exc)
            raise
        self._ws = ws
        self._reader = asyncio.create_task(self._read(ws), name="tmuxorch-remote-reader")
        with contextlib.suppress(Exception):
            await ws.ping()  # a first latency figure now, not after ping_interval
        try:
            await self.listener.link_opened(self)
            if self._ws is not ws:
                raise ConnectionLostError(f"lost the connection to {self.url}")
        except BaseException:
            if self._ws is ws:
                self._ws = None
            ws.transport.abort()
            raise
        self._set_state("live")

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
        frame = decode_frame(message)
        if isinstance(frame, EventFrame):
            self.listener.link_event(frame)
        elif isinstance(frame, ResultResponse | ErrorResponse):
            self._on_response(frame)

    def _on_response(self, frame: ResultResponse | ErrorResponse) -> None:
        entry = self._pending.pop(frame.id, None) if frame.id is not None else None
        if entry is None:
            if frame.id is None and isinstance(frame, ErrorResponse):
                log.warning("%s: the server could not read a request: %s", self.url,
                            frame.error.message)  # fmt: skip
            return
        if entry.future.done():
            return
        if isinstance(frame, ErrorResponse):
            entry.future.set_exception(exception_for(frame.error.code, frame.error.message))
            return
        if frame.audit is not None:
            log.warning("%s: %s", self.url, frame.audit)
        if entry.on_result is not None:
            entry.on_result(frame.result)
        entry.future.set_result(frame.result)

    # -- reconnecting ---------------------------------------------------------------------------

    def _lost(self, ws: ClientConnection) -> None:
        """The reader saw the connection end: fail what waited on it and reconnect."""
        self._ws = None
        self.listener.link_lost()
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
        initial, cap = self.options.backoff
        for attempt in itertools.count():
            if self._state != "reconnecting":
                return
            delay = backoff_delay(attempt, initial, cap)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            try:
                async with self._connecting:
                    if self._state != "reconnecting":
                        return
                    await self._open()
            except RefusedError as exc:
                log.warning("%s: %s", self.url, exc)
                self._fail_pending(exc)
                return
            except (TmuxorchError, OSError) as exc:
                log.info("%s: reconnecting failed (%s); next try soon", self.url, exc)
                continue
            self.reconnects += 1
            log.info("%s: reconnected", self.url)
            return

    async def close(self) -> None:
        """Close the connection and stop reconnecting; waiting requests fail."""
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
