"""Telling the user which agent needs them: agent state events in, notifications out.

Whichever tmuxorch process watches a tmux server (the TUI, `serve`, `tmuxorch watch`) feeds its
events to a Notifier. An agent entering a notified state (`[notify] states`, default waiting and
error) starts a timer; if the agent is still in that state `min_seconds` after it entered it,
the event is due: a one-second wait never rings, a long one rings once, when it has lasted that
long (not when it ends). A due event outside quiet hours, of a wanted kind and session, is then
claimed in the store (core/store/claims.py), so of several watchers only the first notifies,
and handed to every channel at once (usecases/notify_channels.py and the TUI's terminal).

`feed` never blocks and never raises: the event loop it is called from goes on while channels
run as tasks, each with its own timeout, and a channel's failure is one reported line.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass

from tmuxorch.core.backend import Backend
from tmuxorch.core.events import AgentStateChanged, Event
from tmuxorch.core.models import Snapshot
from tmuxorch.core.store.claims import claim
from tmuxorch.core.store.config import NotifyConfig
from tmuxorch.core.store.store import Store

SCHEMA = "tmuxorch.notify/1"
log = logging.getLogger("tmuxorch.notify")


@dataclass(frozen=True)
class Notification:
    """One due event, with the names a person reads; what every channel is given."""

    server: str
    pane: str
    window: str
    session: str
    window_name: str
    session_name: str
    kind: str
    state: str
    previous: str | None
    since: float
    reason: str
    at: float

    @property
    def title(self) -> str:
        return f"tmuxorch: {self.kind} is {self.state}"

    @property
    def body(self) -> str:
        waited = max(0, round(self.at - self.since))
        where = f"{self.session_name}:{self.window_name} ({self.pane})"
        return f"{where} for {waited}s" + (f": {self.reason}" if self.reason else "")

    def payload(self) -> dict[str, object]:
        """The event as JSON (hook stdin, webhook body); `text` is for Slack-like receivers."""
        return {"schema": SCHEMA, **asdict(self), "text": f"{self.title}: {self.body}"}

    def environment(self) -> dict[str, str]:
        """The TMUXORCH_* variables a hook command gets (README "Notifications")."""
        return {
            "TMUXORCH_EVENT": "agent_state",
            "TMUXORCH_SERVER": self.server,
            "TMUXORCH_PANE": self.pane,
            "TMUXORCH_WINDOW": self.window,
            "TMUXORCH_WINDOW_NAME": self.window_name,
            "TMUXORCH_SESSION": self.session,
            "TMUXORCH_SESSION_NAME": self.session_name,
            "TMUXORCH_KIND": self.kind,
            "TMUXORCH_STATE": self.state,
            "TMUXORCH_PREVIOUS": self.previous or "",
            "TMUXORCH_SINCE": f"{self.since:.3f}",
            "TMUXORCH_REASON": self.reason,
            "TMUXORCH_TEXT": f"{self.title}: {self.body}",
        }


@dataclass(frozen=True)
class Channel:
    """A way to reach the user: `send` raises (a message safe to show) when it failed."""

    name: str
    send: Callable[[Notification], Awaitable[None]]


def in_quiet_hours(span: str | None, now: datetime.time) -> bool:
    """Whether `now` falls in `span` ("22:00-07:00", which wraps midnight; equal ends: never)."""
    if span is None:
        return False
    start, end = (datetime.time.fromisoformat(f"{part.strip():0>5}") for part in span.split("-"))
    if start <= end:
        return start <= now < end
    return now >= start or now < end


class Notifier:
    """Follows agent states from a watcher's events and notifies those due (module docstring)."""

    def __init__(
        self,
        config: NotifyConfig,
        backend: Backend,
        store: Store,
        channels: Sequence[Channel],
        *,
        report: Callable[[str], None] = log.warning,
    ) -> None:
        self.config = config
        self.channels = tuple(channels)
        self._backend = backend
        self._store = store
        self._report = report
        self._timers: dict[str, tuple[AgentStateChanged, asyncio.TimerHandle]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def active(self) -> bool:
        """Whether anything can ever be notified (a watcher with nothing to do need not run)."""
        return self.config.enabled and bool(self.channels) and bool(self.config.states)

    def feed(self, event: Event) -> None:
        """Take one event from the stream: start, restart or drop the pane's timer."""
        if not self.active:
            return
        if event.event == "agent_state":
            self._drop(event.pane_id)
            self._watch(event)
        elif event.event in ("pane_closed", "pane_died"):
            self._drop(event.pane_id)
        elif event.event == "tmux_down":
            for pane_id in list(self._timers):
                self._drop(pane_id)
        elif event.event == "resync":
            self.seed(event.snapshot)

    def seed(self, snapshot: Snapshot) -> None:
        """Time the agents already in a notified state (a watcher starting, or a resync)."""
        for pane_id in list(self._timers):
            self._drop(pane_id)
        for session in snapshot.sessions:
            for window in session.windows:
                for pane in window.panes:
                    if (agent := pane.agent) is not None and agent.since is not None:
                        self._watch(
                            AgentStateChanged(
                                pane_id=pane.id, window_id=window.id, session_id=session.id,
                                kind=agent.kind, state=agent.state, previous=None,
                                since=agent.since, source=agent.source, reason=agent.reason,
                            )
                        )  # fmt: skip

    async def close(self) -> None:
        """Stop the timers and the notifications still running."""
        for pane_id in list(self._timers):
            self._drop(pane_id)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- internals -------------------------------------------------------------------------

    def _watch(self, event: AgentStateChanged) -> None:
        config = self.config
        if event.state not in config.states or (config.kinds and event.kind not in config.kinds):
            return
        delay = max(0.0, event.since + config.min_seconds - time.time())
        timer = asyncio.get_running_loop().call_later(delay, self._due, event)
        self._timers[event.pane_id] = (event, timer)

    def _drop(self, pane_id: str) -> None:
        if (pending := self._timers.pop(pane_id, None)) is not None:
            pending[1].cancel()

    def _due(self, event: AgentStateChanged) -> None:
        self._timers.pop(event.pane_id, None)
        task = asyncio.get_running_loop().create_task(self._notify(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self, event: AgentStateChanged) -> None:
        try:
            notification = await self._claimed(event)
        except Exception as exc:  # tmux gone, the store locked: this event is lost, said once
            self._report(f"notify: {event.pane_id} {event.state}: {type(exc).__name__}: {exc}")
            return
        if notification is not None:
            await asyncio.gather(*(self._send(c, notification) for c in self.channels))

    async def _claimed(self, event: AgentStateChanged) -> Notification | None:
        """The notification of a due event when it is this process's to send, else None."""
        now = datetime.datetime.now().time()
        if in_quiet_hours(self.config.quiet_hours, now):
            log.info("notify: %s %s in quiet hours", event.pane_id, event.state)
            return None
        snapshot = await self._backend.snapshot(states=False)
        places = [
            (s, w) for s in snapshot.sessions for w in s.windows
            if any(p.id == event.pane_id for p in w.panes)
        ]  # fmt: skip
        if not places:
            return None  # gone since
        session, window = places[0]
        if self.config.sessions and session.name not in self.config.sessions:
            return None
        server = snapshot.tmux.socket
        won = await self._store.run_write(
            claim, self._store, server, event.pane_id, event.state, event.since
        )
        if not won:
            return None
        return Notification(
            server=server, pane=event.pane_id, window=window.id, session=session.id,
            window_name=window.name, session_name=session.name, kind=event.kind,
            state=event.state, previous=event.previous, since=event.since,
            reason=event.reason, at=time.time(),
        )  # fmt: skip

    async def _send(self, channel: Channel, notification: Notification) -> None:
        try:
            await channel.send(notification)
        except Exception as exc:
            self._report(f"notify: {channel.name} failed: {exc}")


async def notify_from(backend: Backend, notifier: Notifier) -> None:
    """Feed the notifier from the backend's events until cancelled: for a watcher that has no
    other use for them (`serve`, whose clients subscribe on their own)."""
    subscription = await backend.subscribe()
    try:
        notifier.seed(await backend.snapshot())
        async for event in subscription:
            notifier.feed(event)
    finally:
        await notifier.close()
        await subscription.close()
