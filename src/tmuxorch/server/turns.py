"""Fair turns at heavy tmux work (captures) across every client of `tmuxorch serve`.

The engine pipelines every command over one control client, so a command waits behind all those
written before it: eight clients each keeping eight captures of a long pane in flight would put
a snapshot seconds behind. So at most `workers` captures are with tmux at once, server-wide, and
the waiting ones are granted in round robin across clients: a client's next capture goes after
one of every other waiting client's, however many it has queued. Cheap ops (snapshot, send)
do not take turns; they wait behind at most `workers` captures in the pipe.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator, Hashable


class Turns:
    """Round-robin admission of at most `workers` jobs at once, keyed by client."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.busy = 0
        self._waiting: collections.OrderedDict[Hashable, collections.deque[asyncio.Future[None]]]
        self._waiting = collections.OrderedDict()

    @property
    def queued(self) -> int:
        return sum(len(queue) for queue in self._waiting.values())

    @contextlib.asynccontextmanager
    async def turn(self, client: Hashable) -> AsyncIterator[None]:
        """Hold one of the `workers` slots, once `client`'s turn has come."""
        if self.busy < self.workers and not self._waiting:
            self.busy += 1
        else:
            granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(client, collections.deque()).append(granted)
            try:
                await granted
            except asyncio.CancelledError:
                if granted.done() and not granted.cancelled():
                    self._next()  # granted just as it was cancelled: pass the slot on
                else:
                    self._forget(client, granted)
                raise
        try:
            yield
        finally:
            self._next()

    def _next(self) -> None:
        """A slot is free: give it to the first waiting client, who then goes to the back."""
        while self._waiting:
            client, queue = next(iter(self._waiting.items()))
            granted = queue.popleft()
            if queue:
                self._waiting.move_to_end(client)
            else:
                del self._waiting[client]
            if not granted.done():
                granted.set_result(None)
                return
        self.busy -= 1

    def _forget(self, client: Hashable, granted: asyncio.Future[None]) -> None:
        queue = self._waiting.get(client)
        if queue is not None and granted in queue:
            queue.remove(granted)
            if not queue:
                del self._waiting[client]
