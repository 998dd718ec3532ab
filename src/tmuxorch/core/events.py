"""Typed events about the fleet: what changed, carrying enough to keep an exact model.

Structure events are emitted at the highest level that changed: a closed session yields one
`session_closed`, not also a `window_closed` per window. An event that adds or changes an object
carries it whole (`session`, `window`, `pane`), so a consumer that mirrors the tree applies the
events (`core.live.apply`) instead of listing the server again; `core.live.diff_snapshots` makes
them. Wire rule: keys are only ever added and existing fields keep their meaning, so the objects
are optional on the added events of turn 1 (a consumer that meets one without it takes a fresh
snapshot).
"""

from __future__ import annotations

import time

from tmuxorch.core.frozen import Frozen, field, frozen_model
from tmuxorch.core.models import Pane, Session, Snapshot, Window, typing_aliases

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Literal

    from tmuxorch.core.models import AgentState, StateSource, WindowKind

__annotation_names__ = typing_aliases  # `Literal` and the models' aliases (core/fields.py)

_NOT_BRIEF = frozenset({"event", "at", "session", "window", "pane", "snapshot"})
"""The discriminator, the time, and the fields holding whole objects (for models kept in step):
too big for a line of text."""


@frozen_model
class EventBase(Frozen):
    """Common to every event: when the engine saw it."""

    at: float = field(default_factory=time.time)

    def data(self) -> dict[str, object]:
        """The event's payload without its discriminator (the `data` of a WebSocket frame)."""
        return self.model_dump(mode="json", exclude=("event",))

    def brief(self) -> dict[str, object]:
        """The payload without its time and the objects it carries: what one line of text
        about the event shows."""
        return self.model_dump(mode="json", exclude=_NOT_BRIEF)


@frozen_model
class _WindowEvent(EventBase):
    """About one window, in one session."""

    window_id: str
    session_id: str


@frozen_model
class _PaneEvent(EventBase):
    """About one pane, with where it is."""

    pane_id: str
    window_id: str
    session_id: str


@frozen_model
class SessionAdded(EventBase):
    event: Literal["session_added"] = "session_added"
    session_id: str
    name: str
    session: Session | None = None
    """The new session with its windows and panes."""


@frozen_model
class SessionClosed(EventBase):
    event: Literal["session_closed"] = "session_closed"
    session_id: str
    name: str


@frozen_model
class SessionRenamed(EventBase):
    event: Literal["session_renamed"] = "session_renamed"
    session_id: str
    old_name: str
    name: str


@frozen_model
class SessionChanged(EventBase):
    """A session's clients changed (someone attached or detached)."""

    event: Literal["session_changed"] = "session_changed"
    session_id: str
    attached: bool
    attached_clients: int
    created: int


@frozen_model
class WindowAdded(_WindowEvent):
    event: Literal["window_added"] = "window_added"
    index: int
    name: str
    window: Window | None = None
    """The new window (in session `session_id`) with its panes."""


@frozen_model
class WindowClosed(_WindowEvent):
    event: Literal["window_closed"] = "window_closed"
    name: str


@frozen_model
class WindowRenamed(_WindowEvent):
    event: Literal["window_renamed"] = "window_renamed"
    old_name: str
    name: str


@frozen_model
class WindowChanged(_WindowEvent):
    """A window's place or look in one session changed: its index, whether it is the session's
    current window, its kind, its last activity, the fleet file that labels it. (A renamed
    window is `window_renamed`.)"""

    event: Literal["window_changed"] = "window_changed"
    index: int
    active: bool
    kind: WindowKind
    activity: int | None
    fleet: str | None = None


@frozen_model
class PaneAdded(_PaneEvent):
    event: Literal["pane_added"] = "pane_added"
    pane: Pane | None = None
    """The new pane."""


@frozen_model
class PaneClosed(_PaneEvent):
    event: Literal["pane_closed"] = "pane_closed"


@frozen_model
class PaneDied(_PaneEvent):
    event: Literal["pane_died"] = "pane_died"
    status: int | None
    pane: Pane | None = None
    """The pane as it is now, dead."""


@frozen_model
class PaneChanged(_PaneEvent):
    """Anything else about a pane changed: its foreground command, directory, size, process,
    index, active flag, agent, window (moved), or it came back to life (respawned)."""

    event: Literal["pane_changed"] = "pane_changed"
    pane: Pane


@frozen_model
class AgentStateChanged(_PaneEvent):
    """An agent's state settled on a new value (after the debounce)."""

    event: Literal["agent_state"] = "agent_state"
    kind: str
    state: AgentState
    previous: AgentState | None
    since: float
    source: StateSource = "screen"
    reason: str = ""


@frozen_model
class TmuxDown(EventBase):
    event: Literal["tmux_down"] = "tmux_down"
    reason: str


@frozen_model
class TmuxUp(EventBase):
    event: Literal["tmux_up"] = "tmux_up"
    version: str | None


@frozen_model
class Resynced(EventBase):
    """The events since the last one cannot be told (a subscriber fell behind, a remote link
    missed frames the server no longer has): here is the whole fleet instead. A consumer that
    keeps a model replaces it with `snapshot`."""

    event: Literal["resync"] = "resync"
    reason: str
    snapshot: Snapshot


Event = (
    SessionAdded
    | SessionClosed
    | SessionRenamed
    | SessionChanged
    | WindowAdded
    | WindowClosed
    | WindowRenamed
    | WindowChanged
    | PaneAdded
    | PaneClosed
    | PaneDied
    | PaneChanged
    | AgentStateChanged
    | TmuxDown
    | TmuxUp
    | Resynced
)
"""Any event; its `event` field says which (the discriminator of the wire's `events` schema)."""

EVENT_TYPES: dict[str, type[EventBase]] = {cls.event: cls for cls in Event.__args__}
"""Each event class by its `event` name, the field's default (a frame's `data` lacks the key:
its name picks the class)."""
