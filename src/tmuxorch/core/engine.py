"""The engine: snapshots, batches and the live event stream of one tmux server.

Snapshots are one `list-panes -a` round trip over control mode. Events are not polled: tmux
notifies the control client of structure changes (`%sessions-changed`, `%window-add`,
`%unlinked-window-close`, ...) and of changes to a subscription over every pane's id and dead flag
(which covers panes that come, go or die in sessions we are not attached to). Each notification
burst triggers one debounced re-snapshot, and the diff with the previous snapshot becomes typed
events. When the server goes away the stream says `tmux_down`, probes the socket (a connect(), no
process) until a server answers again, and says `tmux_up`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from tmuxorch.core.agents.tracker import AgentTracker
from tmuxorch.core.errors import TmuxorchError, TmuxUnavailableError
from tmuxorch.core.events import Event, TmuxDown, TmuxUp
from tmuxorch.core.live import diff_snapshots
from tmuxorch.core.models import Snapshot, TmuxInfo
from tmuxorch.core.store.config import Settings
from tmuxorch.core.tmux.connection import ServerNotRunningError, TmuxConnection
from tmuxorch.core.tmux.framing import Notification
from tmuxorch.core.tmux.hidden import USER_SESSIONS, best_user_session, foreign, rescue_commands
from tmuxorch.core.tmux.results import CommandResult
from tmuxorch.core.tmux.server import TmuxServer
from tmuxorch.core.tmux.snapshot import (
    LIST_SESSIONS,
    WINDOW_ACTIVITY,
    SnapshotParser,
    empty_snapshot,
)
from tmuxorch.core.tmux.timeouts import within

STRUCTURE_NOTIFICATIONS = frozenset(
    {
        "sessions-changed", "session-renamed", "session-window-changed", "window-add",
        "window-close", "window-renamed", "unlinked-window-add", "unlinked-window-close",
        "unlinked-window-renamed", "layout-change", "window-pane-changed",
        "subscription-changed",
    }
)  # fmt: skip
_SUBSCRIPTION = [
    "refresh-client", "-B",
    "tmuxorch-panes::#{S:#{W:#{P:#{pane_id}#{?pane_dead,x,} }}}",
]  # fmt: skip
_VERSION = ["display-message", "-p", "#{version}"]


class EventStream:
    """One subscriber's view of the engine's events; iterate it, close it when done."""

    def __init__(self, engine: Engine, maxsize: int) -> None:
        self._engine = engine
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
        self._engine._unsubscribe(self)

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()


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
        """`persistent=False` for one-shot commands: no control client, a plain `tmux` process
        per batch (they need no events, and a handshake is where tmux can crash)."""
        self.server = server
        self.debounce = debounce
        self.reconnect_interval = reconnect_interval
        self.connection = TmuxConnection(
            server,
            timeout=timeout,
            persistent=persistent,
            on_notification=self._notified,
            on_disconnect=self._wake_watcher,
        )
        self._version: str | None = None
        self._parser = SnapshotParser()
        self._streams: set[EventStream] = set()
        self._watcher: asyncio.Task[None] | None = None
        self._baseline: asyncio.Event | None = None
        self._dirty: asyncio.Event | None = None
        self._last: Snapshot | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._server_pid: int | None = None
        self._background: set[asyncio.Future[None]] = set()
        self.agents = AgentTracker(self, settings)
        """Agent detection and states; swept on an interval while anyone subscribes."""

    # -- snapshots and commands -------------------------------------------------------------

    def listing(self, *, activity: bool = False) -> list[Sequence[str]]:
        """The commands one snapshot sends (the benchmark's floor sends them too)."""
        commands: list[Sequence[str]] = [LIST_SESSIONS, self._parser.list_panes]
        if activity:
            commands.append(WINDOW_ACTIVITY)
        return commands

    async def snapshot(self, *, activity: bool = False) -> Snapshot:
        """The whole server in one round trip; a not-running snapshot when there is no server.

        `activity=True` also fills in each window's last activity time (costs a little more).
        """
        commands = self.listing(activity=activity)
        if self._version is None:
            commands.append(_VERSION)
        try:
            results = await self.connection.run(commands)
        except ServerNotRunningError:
            self._version = None  # the next server may be another tmux
            return empty_snapshot(self._info(running=False))
        if self._version is None and results[-1].ok and results[-1].lines:
            self._version = results[-1].lines[0]
        sessions, panes = results[0], results[1]
        if not sessions.ok and sessions.error.startswith("no server running"):
            return empty_snapshot(self._info(running=False))
        return self._parser.parse(
            sessions.check().lines,
            panes.check().lines,
            self._info(running=True),
            results[2].check().lines if activity else (),
        )

    async def run(
        self,
        commands: Sequence[Sequence[str]],
        *,
        idempotent: bool = True,
        start_server: bool = False,
    ) -> list[CommandResult]:
        """Pipeline many tmux commands (argv lists) and return each one's result, in order.

        Set `idempotent=False` for commands that change tmux, so a timeout is never retried;
        `start_server=True` only for a batch that creates a session (see TmuxConnection.run).
        """
        return await self.connection.run(commands, idempotent=idempotent, start_server=start_server)

    # -- events -------------------------------------------------------------------------------

    async def subscribe(self, maxsize: int = 10_000) -> EventStream:
        """Start receiving events. Returns once the engine has its baseline snapshot, so any
        change made after this call is reported."""
        stream = EventStream(self, maxsize)
        self._streams.add(stream)
        if self._watcher is None:  # no await in here: two subscribers start one watcher
            self._baseline = asyncio.Event()
            self._dirty = asyncio.Event()
            self.connection.setup_commands.append(_SUBSCRIPTION)  # every later attach
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
        """The watcher's latest snapshot (None until someone subscribes)."""
        return self._last

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
        await self.connection.close()

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

    def _info(self, *, running: bool) -> TmuxInfo:
        return TmuxInfo(
            socket=str(self.server.socket_path),
            version=self._version if running else None,
            running=running,
        )

    def _notified(self, notification: Notification) -> None:
        hidden = self.connection.hidden
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
            self._wake_watcher()

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
        if hidden is None:
            return
        with contextlib.suppress(TmuxorchError):
            panes, sessions = await self.run([hidden.listing(), USER_SESSIONS])
            windows, strays = foreign(hidden, panes.check().lines)
            if not windows and not strays:
                return
            destination = best_user_session(sessions.check().lines)
            made: list[str] = []
            if destination is None:  # only our session: give the windows a session of their own
                (created,) = await self.run(
                    [["new-session", "-d", "-P", "-F", "#{session_id} #{window_id}"]],
                    idempotent=False,
                )
                destination, _, placeholder = created.check().lines[0].partition(" ")
                made.append(placeholder)
            moves = rescue_commands(destination, windows, strays)
            for result in await self.run(moves, idempotent=False):
                result.check()
            if made:  # the window new-session made, now that the session holds the rescued ones
                await self.run([["kill-window", "-t", made[0]]], idempotent=False)
            self._wake_watcher()

    def _wake_watcher(self) -> None:
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
                (await self.connection.run([_SUBSCRIPTION]))[0].check()
                self._rescue_soon()  # a window that landed while we attached came unnoticed
                current = await self.snapshot()
                if not current.tmux.running:
                    raise ServerNotRunningError("tmux server stopped")
            except TmuxUnavailableError as exc:
                if self._last is None or self._last.tmux.running:
                    self.publish([TmuxDown(reason=str(exc))])
                    self._last = empty_snapshot(self._info(running=False))
                self._baseline.set()
                await asyncio.sleep(self.reconnect_interval)
                continue
            except TmuxorchError:  # an odd reply: try again rather than end the watcher
                self._baseline.set()
                await asyncio.sleep(self.reconnect_interval)
                continue
            if self._restarted() and self._last is not None and self._last.tmux.running:
                self.publish([TmuxDown(reason="the tmux server was restarted")])
                self._last = empty_snapshot(self._info(running=False))
            if self._last is not None and not self._last.tmux.running:
                self.publish([TmuxUp(version=current.tmux.version)])
                self._last = empty_snapshot(current.tmux)
            self._advance(current)
            self._baseline.set()
            while self.connection.connected:
                await self._dirty.wait()
                await asyncio.sleep(self.debounce)  # coalesce a burst of notifications
                self._dirty.clear()
                if not self.connection.connected:
                    break
                try:
                    current = await self.snapshot()
                except TmuxorchError:  # unavailable or odd: the outer loop starts over
                    break
                if not current.tmux.running:
                    break
                self._advance(current)

    def _restarted(self) -> bool:
        """Is this attach to another server than the last one (killed and started again in
        less time than the watcher takes to notice it was gone)?"""
        previous, self._server_pid = self._server_pid, self.connection.server_pid
        return previous is not None and previous != self._server_pid

    async def _sweep(self) -> None:
        """Capture agent panes every `state_interval` and publish settled state changes."""
        while True:
            await asyncio.sleep(self.agents.interval)
            current = self._last
            if current is None or not current.tmux.running:
                continue
            try:
                changes: list[Event] = [*await self.agents.sweep(current)]
                self.publish(changes)
            except TmuxorchError:
                continue  # tmux going away is reported by the watcher

    def _advance(self, current: Snapshot) -> None:
        if self._last is not None:
            self.publish(diff_snapshots(self._last, current))
        self._last = current
