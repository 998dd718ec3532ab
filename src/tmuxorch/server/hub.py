"""Event fan-out: one engine stream, many WebSocket subscribers, none able to slow the others.

The hub numbers every event with a contiguous `seq`, encodes its frame once (the same bytes, a
whole WebSocket frame, go to every subscriber), keeps the last `history` frames for replay, and
offers each frame to every subscriber's `Outbox`: a bounded per-client queue counted in bytes.
Publishing never waits for anyone. A client that stops reading lets its outbox grow until it
passes its byte limit; at that moment the outbox is emptied and the client is evicted (its
connection closed), so a stalled client costs at most its limit, and the others never notice.

Subscribing with `since` (the last seq a client saw) replays the frames after it from the
history, synchronously with attaching, so there is no gap and no duplicate. When those frames are
no longer kept, the caller sends a `resync` (a fresh snapshot) instead: `Hub.attach` says which.
A core `Resynced` event in the stream goes out as a resync frame like any other event.

The hub also remembers whether tmux is running, from the events it relays (`tmux_down`,
`tmux_up`, a resync's snapshot): the server answers `tmux_unavailable` at once from that,
without asking the engine.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
from collections.abc import Callable, Iterable, Sequence

from tmuxorch.core.backend import EventSubscription
from tmuxorch.core.events import Event, Resynced, TmuxDown, TmuxUp
from tmuxorch.protocol.frames import event_frame

DEFAULT_HISTORY = 10_000
DEFAULT_OUTBOX_LIMIT = 1 << 20  # 1 MiB


class Outbox:
    """The frames waiting to be written to one client, bounded in bytes.

    `push` never blocks. The client's writer takes everything queued at once with `take()` and
    calls `drained()` once the transport has accepted it; until then those bytes still count.
    Past `limit` bytes (and more than one frame, so one big snapshot alone is not "too slow")
    the outbox empties itself, closes, and calls `on_overflow` once.
    """

    def __init__(
        self, limit: int = DEFAULT_OUTBOX_LIMIT, on_overflow: Callable[[], None] | None = None
    ) -> None:
        self.limit = limit
        self.on_overflow = on_overflow
        self.queued_bytes = 0
        """Bytes queued, plus those taken but not yet drained."""
        self.peak_bytes = 0
        self.closed = False
        self.overflowed = False
        self._frames: list[bytes] = []
        self._in_flight = 0
        self._ready = asyncio.Event()

    def __len__(self) -> int:
        return len(self._frames)

    def push(self, frame: bytes) -> bool:
        """Queue a frame; False if the outbox is closed (or has just overflowed)."""
        if self.closed:
            return False
        self._frames.append(frame)
        self.queued_bytes += len(frame)
        if self.queued_bytes > self.peak_bytes:
            self.peak_bytes = self.queued_bytes
        if self.queued_bytes > self.limit and (len(self._frames) > 1 or self._in_flight):
            self.overflowed = True
            self.close()
            if self.on_overflow is not None:
                self.on_overflow()
            return False
        self._ready.set()
        return True

    def push_many(self, frames: Iterable[bytes]) -> bool:
        """Queue frames in order; False as soon as one is refused."""
        return all(self.push(frame) for frame in frames)

    async def take(self) -> list[bytes] | None:
        """Every queued frame, in order, once there is at least one; None once closed."""
        while not self._frames:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        frames, self._frames = self._frames, []
        self._in_flight = sum(len(frame) for frame in frames)
        return frames

    def drained(self) -> None:
        """The frames of the last `take()` are written: they no longer count."""
        self.queued_bytes -= self._in_flight
        self._in_flight = 0

    def close(self) -> None:
        """Drop everything queued and accept nothing more; wakes the writer."""
        self.closed = True
        self._frames = []
        self.queued_bytes = self._in_flight = 0
        self._ready.set()


class Hub:
    """Numbers, keeps and fans out events to subscribed outboxes."""

    def __init__(
        self, history: int = DEFAULT_HISTORY, framer: Callable[[bytes], bytes] | None = None
    ) -> None:
        self.framer = framer
        """Wraps each encoded event once, for all subscribers (the server: in a WebSocket
        frame); None keeps the JSON as it is."""
        self.seq = 0
        """The seq of the last event published (0: none yet)."""
        self._history: collections.deque[tuple[int, bytes]] = collections.deque(maxlen=history)
        self._subscribers: dict[Outbox, None] = {}
        self._on_gap: list[Callable[[], None]] = []
        self._pump: asyncio.Task[None] | None = None
        self.tmux_running = True
        """Whether tmux runs, as the last tmux_down / tmux_up / resync relayed says (set it
        from a snapshot before starting)."""

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @property
    def oldest(self) -> int:
        """The lowest seq still kept for replay (seq + 1 when nothing is kept)."""
        return self._history[0][0] if self._history else self.seq + 1

    def publish(self, event: Event) -> int:
        """Number `event`, keep it, offer it to every subscriber; returns its seq."""
        self.seq += 1
        if isinstance(event, TmuxDown | TmuxUp):
            self.tmux_running = isinstance(event, TmuxUp)
        elif isinstance(event, Resynced):
            self.tmux_running = event.snapshot.tmux.running
        frame = event_frame(self.seq, event)
        if self.framer is not None:
            frame = self.framer(frame)
        self._history.append((self.seq, frame))
        for outbox in list(self._subscribers):
            if not outbox.push(frame):
                self._subscribers.pop(outbox, None)
        return self.seq

    def replay(self, since: int) -> list[bytes] | None:
        """The frames after seq `since`, or None when some of them are no longer kept (or
        `since` is from the future, e.g. an earlier run of the server)."""
        if since > self.seq:
            return None
        if since + 1 < self.oldest:
            return None
        start = since + 1 - self.oldest  # history seqs are contiguous
        if start >= len(self._history):
            return []
        return [frame for _, frame in itertools.islice(self._history, start, None)]

    def attach(
        self,
        outbox: Outbox,
        since: int | None = None,
        header: Callable[[int], Sequence[bytes]] | None = None,
    ) -> int | None:
        """Subscribe `outbox` to events after `since` (default: from now on), first queueing
        `header(n)` (e.g. the response to the subscribe request) and the n missed events.
        Returns n, or None (nothing queued, nothing attached) when the missed events are no
        longer kept, or would fill more than half the outbox: the caller resyncs, then attaches
        with the seq its snapshot covers."""
        frames = [] if since is None else self.replay(since)
        if frames is None or sum(len(frame) for frame in frames) > outbox.limit // 2:
            return None  # gone, or so many that a snapshot is the cheaper way to catch up
        # Queue and attach with no await in between: nothing published can fall in a gap.
        if header is not None:
            outbox.push_many(header(len(frames)))
        if outbox.push_many(frames):
            self._subscribers[outbox] = None
        return len(frames)

    def detach(self, outbox: Outbox) -> None:
        self._subscribers.pop(outbox, None)

    def on_gap(self, callback: Callable[[], None]) -> None:
        """Call `callback` when events were lost before reaching the hub (the engine's stream
        overflowed): subscribers must resync."""
        self._on_gap.append(callback)

    def start(self, stream: EventSubscription) -> None:
        """Publish everything `stream` yields, in a task, until `stop()`. When the stream's
        `dropped` count grows (it lost events), `on_gap` callbacks run."""
        self._pump = asyncio.create_task(self._run(stream), name="tmuxorch-hub")

    async def stop(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
            self._pump = None

    async def _run(self, stream: EventSubscription) -> None:
        lost = stream.dropped
        try:
            async for event in stream:
                if stream.dropped != lost:
                    lost = stream.dropped
                    for callback in list(self._on_gap):
                        callback()
                self.publish(event)
        finally:
            await stream.close()
