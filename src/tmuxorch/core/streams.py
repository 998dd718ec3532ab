"""One subscriber's stream of the engine's events: a bounded queue that never makes the engine
wait for a slow reader (it counts what it had to drop instead, and the reader resyncs)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from tmuxorch.core.events import Event


class EventStream:
    """One subscriber's view of the engine's events; iterate it, close it when done."""

    def __init__(self, maxsize: int, on_close: Callable[[EventStream], None]) -> None:
        self._on_close = on_close
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.dropped = 0
        """Events lost because this subscriber fell more than `maxsize` behind."""

    def put(self, event: Event) -> None:
        """Called by the engine; never blocks the engine for a slow reader."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self._queue.get()

    async def close(self) -> None:
        """Stop receiving events."""
        self._on_close(self)

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()
