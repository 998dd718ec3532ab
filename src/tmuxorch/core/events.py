"""Typed events about the fleet, and the diff of two snapshots that produces them.

Structure events are emitted at the highest level that changed: a closed session yields one
`session_closed`, not also a `window_closed` per window. Consumers that mirror the tree apply the
event or take a fresh snapshot.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from tmuxorch.core.models import AgentState, Frozen, Snapshot


class EventBase(Frozen):
    """Common to every event: when the engine saw it."""

    at: float = Field(default_factory=time.time)

    def data(self) -> dict[str, object]:
        """The event's payload without its discriminator (the `data` of a WebSocket frame)."""
        return self.model_dump(mode="json", exclude={"event"})


class SessionAdded(EventBase):
    event: Literal["session_added"] = "session_added"
    session_id: str
    name: str


class SessionClosed(EventBase):
    event: Literal["session_closed"] = "session_closed"
    session_id: str
    name: str


class SessionRenamed(EventBase):
    event: Literal["session_renamed"] = "session_renamed"
    session_id: str
    old_name: str
    name: str


class WindowAdded(EventBase):
    event: Literal["window_added"] = "window_added"
    window_id: str
    session_id: str
    index: int
    name: str


class WindowClosed(EventBase):
    event: Literal["window_closed"] = "window_closed"
    window_id: str
    session_id: str
    name: str


class WindowRenamed(EventBase):
    event: Literal["window_renamed"] = "window_renamed"
    window_id: str
    session_id: str
    old_name: str
    name: str


class PaneAdded(EventBase):
    event: Literal["pane_added"] = "pane_added"
    pane_id: str
    window_id: str
    session_id: str


class PaneClosed(EventBase):
    event: Literal["pane_closed"] = "pane_closed"
    pane_id: str
    window_id: str
    session_id: str


class PaneDied(EventBase):
    event: Literal["pane_died"] = "pane_died"
    pane_id: str
    window_id: str
    session_id: str
    status: int | None


class AgentStateChanged(EventBase):
    """An agent's state settled on a new value (after the debounce)."""

    event: Literal["agent_state"] = "agent_state"
    pane_id: str
    window_id: str
    session_id: str
    kind: str
    state: AgentState
    previous: AgentState | None
    since: float


class TmuxDown(EventBase):
    event: Literal["tmux_down"] = "tmux_down"
    reason: str


class TmuxUp(EventBase):
    event: Literal["tmux_up"] = "tmux_up"
    version: str | None


class Resynced(EventBase):
    """The events since the last one cannot be told (a subscriber fell behind, a remote link
    missed frames the server no longer has): here is the whole fleet instead. A consumer that
    keeps a model replaces it with `snapshot`."""

    event: Literal["resync"] = "resync"
    reason: str
    snapshot: Snapshot


Event = Annotated[
    SessionAdded
    | SessionClosed
    | SessionRenamed
    | WindowAdded
    | WindowClosed
    | WindowRenamed
    | PaneAdded
    | PaneClosed
    | PaneDied
    | AgentStateChanged
    | TmuxDown
    | TmuxUp
    | Resynced,
    Field(discriminator="event"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
"""Validates any event from its JSON form (used by remote clients)."""


def diff_snapshots(old: Snapshot, new: Snapshot) -> list[Event]:
    """The structure events that turn `old` into `new`."""
    events: list[Event] = []
    old_sessions, new_sessions = old.sessions_by_id, new.sessions_by_id
    for sid, session in new_sessions.items():
        before = old_sessions.get(sid)
        if before is None:
            events.append(SessionAdded(session_id=sid, name=session.name))
        elif before.name != session.name:
            events.append(SessionRenamed(session_id=sid, old_name=before.name, name=session.name))
    events += [
        SessionClosed(session_id=sid, name=session.name)
        for sid, session in old_sessions.items()
        if sid not in new_sessions
    ]
    old_windows, new_windows = old.windows_by_id, new.windows_by_id
    for wid, window in new_windows.items():
        before_w = old_windows.get(wid)
        if before_w is None:
            if window.session_id in old_sessions:
                events.append(
                    WindowAdded(window_id=wid, session_id=window.session_id,
                                index=window.index, name=window.name)
                )  # fmt: skip
        elif before_w.name != window.name:
            events.append(
                WindowRenamed(window_id=wid, session_id=window.session_id,
                              old_name=before_w.name, name=window.name)
            )  # fmt: skip
    events += [
        WindowClosed(window_id=wid, session_id=window.session_id, name=window.name)
        for wid, window in old_windows.items()
        if wid not in new_windows and window.session_id in new_sessions
    ]
    old_panes, new_panes = old.panes_by_id, new.panes_by_id
    for pid, pane in new_panes.items():
        before_p = old_panes.get(pid)
        if before_p is None:
            if pane.window_id in old_windows:
                events.append(
                    PaneAdded(pane_id=pid, window_id=pane.window_id, session_id=pane.session_id)
                )
        elif pane.dead and not before_p.dead:
            events.append(
                PaneDied(pane_id=pid, window_id=pane.window_id, session_id=pane.session_id,
                         status=pane.dead_status)
            )  # fmt: skip
    events += [
        PaneClosed(pane_id=pid, window_id=pane.window_id, session_id=pane.session_id)
        for pid, pane in old_panes.items()
        if pid not in new_panes and pane.window_id in new_windows
    ]
    return events
