"""The client's event stream: one server-side subscription, fanned out to local subscribers.

`EventFeed` reads every event frame of the connection: it keeps the seq of the last one (what a
resumed subscription asks `since`), counts gaps and duplicates, and hands each subscriber the
core event the frame carries; a resync frame arrives as core `Resynced(reason, snapshot)`, with
which a consumer that keeps a model replaces it. A `RemoteSubscription` is one subscriber's
bounded queue: `dropped` counts what it lost by falling more than `maxsize` behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable

from pydantic import ValidationError

from tmuxorch.client.errors import fresh
from tmuxorch.core.events import Event
from tmuxorch.protocol.frames import RESYNC, EventFrame, read_event
from tmuxorch.protocol.results import SubscribeResult

log = logging.getLogger("tmuxorch.remote")


class RemoteSubscription:
    """One local subscriber's events; iterate it, close it when done."""

    def __init__(
        self, maxsize: int, on_close: Callable[[RemoteSubscription], Awaitable[None]]
    ) -> None:
        self._maxsize = maxsize
        self._on_close = on_close
        self._events: deque[Event] = deque()
        self._ready = asyncio.Event()
        self._end: BaseException | None = None
        self._closed = False
        self._dropped = 0

    @property
    def dropped(self) -> int:
        """Events lost because this subscriber fell more than `maxsize` behind."""
        return self._dropped

    def put(self, event: Event) -> None:
        if self._closed:
            return
        if len(self._events) >= self._maxsize:
            self._dropped += 1
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
                raise fresh(self._end)
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
        await self._on_close(self)

    async def __aenter__(self) -> RemoteSubscription:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


class EventFeed:
    """Every event frame of one link, in order, to the local subscribers."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.subscribers: set[RemoteSubscription] = set()
        self.instance: str | None = None
        """The server run `last_seq` belongs to (seqs restart with each run)."""
        self.last_seq = 0
        """The seq of the last event received (what a resumed subscription asks `since`)."""
        self.resyncs = 0
        self.gaps = 0
        self.duplicates = 0

    def subscribed(self, result: SubscribeResult, instance: str | None) -> None:
        """The server answered a subscribe (before any event that follows it): from now on
        seqs are those of `instance`, the run this connection talks to."""
        self.last_seq = result.seq
        self.instance = instance

    def on_frame(self, frame: EventFrame) -> None:
        event: Event | None
        if frame.event == RESYNC:  # a bad snapshot raises: the link logs the frame as unread
            event = read_event(frame)
            self.last_seq = frame.seq
            self.resyncs += 1
            log.info("%s: resync at seq %d", self.label, frame.seq)
        else:
            if frame.seq <= self.last_seq:
                self.duplicates += 1
                return
            if frame.seq != self.last_seq + 1 and self.last_seq:
                self.gaps += 1
                log.warning(
                    "%s: events %d-%d are missing", self.label, self.last_seq + 1, frame.seq - 1
                )
            self.last_seq = frame.seq
            try:
                event = read_event(frame)
            except ValidationError:
                event = None
        if event is None:
            log.debug("%s: skipped an event this client does not know: %s",
                      self.label, frame.event)  # fmt: skip
            return
        for subscription in list(self.subscribers):
            subscription.put(event)

    def finish(self, error: BaseException | None = None) -> None:
        """End every subscription (with `error`, if given)."""
        for subscription in list(self.subscribers):
            subscription.finish(error)
