"""The engine: snapshots, batches and the live event stream of one tmux server.

Snapshots are one `list-panes -a` round trip over control mode. Events are not polled: tmux
notifies the control client of structure changes (`%sessions-changed`, `%window-add`,
`%unlinked-window-close`, `%client-session-changed`, ...) and of changes to a subscription over
every pane (`core.tmux.watched`), which covers panes that come, go, die, move or change in
sessions we are not attached to. Each notification burst triggers one debounced listing; the
tracker annotates it with agents, and its diff with the live model becomes typed events.

The live model. While the engine watches, the latest annotated listing is kept and `snapshot()`
/ `fleet()` return it without asking tmux as long as nothing could have changed since: every
structure notification, every batch of ours that changes tmux (`idempotent=False`) and every
lost control client bumps a generation, and the model is fresh only at the generation its
listing started at. What tmux sends no notification for (a pane's command, directory, size)
is in the subscription, so it reaches the model within tmux's ~1 s subscription timer.
Agent states come from the tracker's sweeps, applied to the model as the `agent_state` events
they publish. When the server goes away the stream says `tmux_down`, probes the socket (a
connect(), no process) until a server answers again, and says `tmux_up`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tmuxorch.core.agents.doorbell import Doorbell, doorbell_path
from tmuxorch.core.agents.listing import FleetListing
from tmuxorch.core.agents.tracker import AgentTracker
from tmuxorch.core.errors import TmuxorchError, TmuxUnavailableError
from tmuxorch.core.events import Event, TmuxDown, TmuxUp
from tmuxorch.core.live import apply, diff_snapshots
from tmuxorch.core.models import Snapshot
from tmuxorch.core.status_segment import SegmentKeeper, keeper_mark
from tmuxorch.core.store.config import Settings
from tmuxorch.core.streams import EventStream
from tmuxorch.core.tmux.chained import ServerNotRunningError
from tmuxorch.core.tmux.connection import TmuxConnection
from tmuxorch.core.tmux.framing import Notification
from tmuxorch.core.tmux.hidden import rescue
from tmuxorch.core.tmux.server import TmuxServer
from tmuxorch.core.tmux.snapshot import empty_snapshot
from tmuxorch.core.tmux.timeouts import within
from tmuxorch.core.tmux.watched import STRUCTURE_NOTIFICATIONS, SUBSCRIPTION

if TYPE_CHECKING:
    from tmuxorch.core.agents.tracker import Sweep
    from tmuxorch.core.tmux.results import Runner


class Engine:
    """Everything tmuxorch does to one tmux server goes through here."""

    def __init__(
        self,
        server: TmuxServer,
        *,
        timeout: float = 5.0,
        debounce: float = 0.01,
        reconnect_interval: float = 0.2,
        settings: Settings | None = None,
        persistent: bool = True,
    ) -> None:
        """`persistent=False` for a command that does not watch tmux but needs an event loop
        (kill's question, answer, demo; the others run core/oneshot.py's engine): no control
        client, a plain `tmux` process per batch (no events are needed, and a handshake is
        where tmux can crash)."""
        self.server = server
        self.debounce = debounce
        self.reconnect_interval = reconnect_interval
        self.connection = TmuxConnection(
            server,
            timeout=timeout,
            persistent=persistent,
            on_notification=self._notified,
            on_disconnect=self._changed,
            on_change=self._changed,
        )
        self._streams: set[EventStream] = set()
        self._watcher: asyncio.Task[None] | None = None
        self._baseline: asyncio.Event | None = None
        self._dirty: asyncio.Event | None = None
        self._last: Snapshot | None = None
        """The watcher's latest listing as tmux gave it."""
        self._live: Snapshot | None = None
        """The same annotated with agents and kept in step with their states: the live model."""
        self._generation = 0
        """Bumped by anything that may have changed tmux (see the module docstring)."""
        self._listed_at = -1
        """The generation the watcher's latest listing started at."""
        self._watched: str | None = None
        """The subscription's value as the watcher's latest listing saw it."""
        self._sweeper: asyncio.Task[None] | None = None
        self._server_pid: int | None = None
        self._background: set[asyncio.Future[None]] = set()
        self.agents = AgentTracker(self.connection.run, settings)
        """Agent detection and states; swept on an interval while anyone subscribes."""
        self._listing = FleetListing(server, self.connection.run, self.agents)
        self._hooked = asyncio.Event()
        """Set when an agent's hook rang the doorbell: the sweeper sweeps at once."""
        self.doorbell = Doorbell(doorbell_path(Path(server.socket_path)), self._hooked.set)
        self.status = SegmentKeeper(self.connection.run, keeper_mark(server))
        """Keeps `@tmuxorch-status` (core/status_segment.py) while anyone subscribes."""

    # -- snapshots and commands -------------------------------------------------------------

    def listing(self, *, activity: bool = False) -> list[Sequence[str]]:
        """The commands one snapshot sends (the benchmark's floor sends them too)."""
        return self._listing.commands(activity=activity)

    @property
    def fresh(self) -> bool:
        """True while the live model is the server as it is (module docstring)."""
        return (
            self._watcher is not None
            and self._listed_at == self._generation
            and self.connection.connected
            and self._last is not None
            and self._last.tmux.running
        )

    @property
    def generation(self) -> int:
        """Changes when anything may have changed tmux (see the module docstring)."""
        return self._generation

    async def snapshot(self, *, activity: bool = False) -> Snapshot:
        """The whole server in one round trip; a not-running snapshot when there is no server.
        While the live model is fresh, its listing, without asking tmux.

        `activity=True` also fills in each window's last activity time (costs a little more).
        """
        if not activity and self.fresh and self._last is not None:
            return self._last
        return await self._list(activity=activity)

    async def fleet(self, *, activity: bool = False, sweep: Sweep = "unseen") -> Snapshot:
        """The snapshot with agents and their states (`AgentTracker.annotate` says what `sweep`
        captures first); while the live model is fresh, the model itself."""
        if not activity and self.fresh and self._live is not None:
            return self._live
        annotated, changes = await self.agents.annotate(
            await self.snapshot(activity=activity), sweep=sweep
        )
        self._follow(changes)
        return annotated

    async def _list(self, *, activity: bool = False, watched: bool = False) -> Snapshot:
        """Ask tmux (core/agents/listing.py); `watched` (the watcher's listings) remembers the
        subscription value the listing implies."""
        snapshot = await self._listing.take(activity=activity)
        if watched and snapshot.tmux.running:
            self._watched = self._listing.parser.watched
        return snapshot

    @property
    def run(self) -> Runner:
        """Pipeline many tmux commands (argv lists): `TmuxConnection.run`. A batch that changes
        tmux (`idempotent=False`) makes the live model stale until the watcher lists again."""
        return self.connection.run

    # -- events -------------------------------------------------------------------------------

    async def subscribe(self, maxsize: int = 10_000) -> EventStream:
        """Start receiving events. Returns once the engine has its baseline snapshot, so any
        change made after this call is reported."""
        stream = EventStream(maxsize, self._unsubscribe)
        self._streams.add(stream)
        if self._watcher is None:  # no await in here: two subscribers start one watcher
            self._baseline = asyncio.Event()
            self._dirty = asyncio.Event()
            self.connection.setup_commands.append(SUBSCRIPTION)  # every later attach
            self._watcher = asyncio.create_task(self._watch(), name="tmuxorch-engine-watcher")
            self._sweeper = asyncio.create_task(self._sweep(), name="tmuxorch-agent-sweeper")
        assert self._baseline is not None
        await self._baseline.wait()
        return stream

    async def events(self) -> AsyncIterator[Event]:
        """Convenience: iterate events until the consumer stops."""
        stream = await self.subscribe()
        try:
            async for event in stream:
                yield event
        finally:
            await stream.close()

    @property
    def last_snapshot(self) -> Snapshot | None:
        """The live model, fresh or not (None until someone subscribes)."""
        return self._live

    @property
    def watching(self) -> bool:
        """True while the watcher and the agent sweeper run (someone subscribed)."""
        return self._watcher is not None

    async def close(self) -> None:
        """Stop watching and detach from tmux, once anything a user put in our hidden session
        is out of it (the session is destroyed when we leave)."""
        if self.connection.connected:
            with contextlib.suppress(TmuxorchError, TimeoutError):
                await within(self.connection.timeout, self.rescue())
        for task in (self._watcher, self._sweeper, *self._background):
            if task is not None:
                while not task.done():  # cancel again should a cancellation get lost
                    task.cancel()
                    await asyncio.wait({task}, timeout=0.5)
        self._watcher = self._sweeper = None
        if self.connection.connected:  # after the sweeper, which could write it again
            with contextlib.suppress(TmuxorchError, TimeoutError):
                await within(self.connection.timeout, self.status.leave(self.connection.hidden))
        self.doorbell.close()
        await self.connection.close()

    async def sleep(self, seconds: float) -> None:
        """The clock operations wait on (delivery's pause before Enter, its submit check):
        the event loop's, so the engine's other work goes on meanwhile."""
        await asyncio.sleep(seconds)

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    def _unsubscribe(self, stream: EventStream) -> None:
        self._streams.discard(stream)

    def publish(self, events: Sequence[Event]) -> None:
        """Hand events to every subscriber (the watcher's, the sweeper's, and the tracker's
        when it sweeps on behalf of a snapshot)."""
        for event in events:
            for stream in list(self._streams):
                stream.put(event)

    def _notified(self, notification: Notification) -> None:
        hidden = self.connection.hidden
        value = notification.args.partition(" : ")[2]
        if notification.name == "subscription-changed" and value == self._watched:
            return  # the listing that made the model saw this already
        if notification.name == "window-add":  # only for windows of the session we are in
            self._rescue_soon()
        elif notification.name == "layout-change":
            if hidden is not None and notification.args.partition(" ")[0] == hidden.window_id:
                self._rescue_soon()
        elif notification.name == "session-changed":
            _, _, name = notification.args.partition(" ")
            if hidden is not None and name != hidden.name:  # ours was destroyed, tmux moved us
                self.connection.drop_client()
        if notification.name in STRUCTURE_NOTIFICATIONS:
            self._changed()

    def _rescue_soon(self) -> None:
        """A window appeared in our hidden session, or a pane in its placeholder window: tmux
        sends commands run outside tmux without -t (`tmux new-window`) to the session with the
        latest activity, which an attach makes ours. It goes at once to the user's session."""
        task = asyncio.ensure_future(self.rescue())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def rescue(self) -> None:
        """Move whatever someone else put in our hidden session into the user's most recently
        active session (or a new one when there is none), untouched and running."""
        hidden = self.connection.hidden
        if hidden is not None:
            with contextlib.suppress(TmuxorchError):
                await rescue(self.run, hidden)  # its moves mark the model stale

    def _changed(self) -> None:
        """tmux may have changed: the live model is stale, the watcher lists again."""
        self._generation += 1
        if self._dirty is not None:
            self._dirty.set()

    async def _watch(self) -> None:
        assert self._dirty is not None
        assert self._baseline is not None
        while True:
            try:
                await self.connection.connect()
                # Subscribe on this attach whoever made it (setup commands of an attach that
                # was under way when the first subscriber came did not have it yet).
                (await self.connection.run([SUBSCRIPTION]))[0].check()
                self.doorbell.listen()  # the socket's directory exists now
                self._rescue_soon()  # a window that landed while we attached came unnoticed
                generation = self._generation
                current = await self._list(watched=True)
                if not current.tmux.running:
                    raise ServerNotRunningError("tmux server stopped")
            except TmuxUnavailableError as exc:
                if self._live is None or self._live.tmux.running:
                    self.publish([TmuxDown(reason=str(exc))])
                    self._reset(empty_snapshot(self._listing.info(running=False)))
                self._baseline.set()
                await asyncio.sleep(self.reconnect_interval)
                continue
            except TmuxorchError:  # an odd reply: try again rather than end the watcher
                self._baseline.set()
                await asyncio.sleep(self.reconnect_interval)
                continue
            if self._restarted() and self._live is not None and self._live.tmux.running:
                self.publish([TmuxDown(reason="the tmux server was restarted")])
                self._reset(empty_snapshot(self._listing.info(running=False)))
            if self._live is not None and not self._live.tmux.running:
                self.publish([TmuxUp(version=current.tmux.version)])
                self._reset(empty_snapshot(current.tmux))
            with contextlib.suppress(TmuxorchError):  # the loop below lists again
                await self._advance(current, generation)
            self._baseline.set()
            while self.connection.connected:
                await self._dirty.wait()
                await asyncio.sleep(self.debounce)  # coalesce a burst of notifications
                self._dirty.clear()
                if not self.connection.connected:
                    break
                try:
                    generation = self._generation
                    current = await self._list(watched=True)
                    if not current.tmux.running:
                        break
                    await self._advance(current, generation)
                except TmuxorchError:  # unavailable or odd: the outer loop starts over
                    break

    def _restarted(self) -> bool:
        """Is this attach to another server than the last one (killed and started again in
        less time than the watcher takes to notice it was gone)?"""
        previous, self._server_pid = self._server_pid, self.connection.server_pid
        return previous is not None and previous != self._server_pid

    async def _sweep(self) -> None:
        """Capture agent panes every `state_interval`, and at once when a hook rang the
        doorbell (core/agents/doorbell.py); publish settled state changes and
        apply them to the live model."""
        while True:
            with contextlib.suppress(TimeoutError):  # not wait_for (core/tmux/timeouts.py)
                await within(self.agents.interval, self._hooked.wait())
            self._hooked.clear()
            if self._live is None or not self._live.tmux.running:
                continue
            try:
                changes = await self.agents.sweep(self._live)
            except TmuxorchError:
                continue  # tmux going away is reported by the watcher
            self._follow(changes)
            await self.status.keep(self._live)

    def _follow(self, changes: Sequence[Event]) -> None:
        """Publish events the live model does not show yet, and apply them to it."""
        if changes and self._live is not None:
            self._live = apply(self._live, changes)
        self.publish(changes)

    async def _advance(self, current: Snapshot, generation: int) -> None:
        """Take a new listing: annotate it, publish what changed since the live model (state
        changes the annotation's sweep settled first, as `agent_state`), make it the model."""
        annotated, changes = await self.agents.annotate(current, sweep="unseen")
        self._follow(changes)
        if self._live is not None:
            self.publish(diff_snapshots(self._live, annotated))
        self._last, self._live, self._listed_at = current, annotated, generation
        await self.status.keep(annotated)

    def _reset(self, snapshot: Snapshot) -> None:
        """Start the model over from `snapshot` (tmux went away or came back)."""
        self._last = self._live = snapshot
        self.status.forget()
