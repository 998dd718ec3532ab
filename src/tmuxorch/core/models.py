"""The fleet as frozen models keyed by tmux's stable ids (`$N`, `@N`, `%N`).

A Snapshot is an immutable picture of one tmux server at one moment. Everything the user sees
(CLI, TUI, WebSocket clients) is derived from snapshots, so they are cheap to compare and safe to
share between tasks.
"""

from __future__ import annotations

import functools
from functools import cached_property

from tmuxorch.core.fields import annotation_names_getattr
from tmuxorch.core.frozen import Frozen, frozen_model

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Literal

    AgentState = Literal["busy", "waiting", "idle", "error", "exited", "unknown"]
    WindowKind = Literal["agent", "shell", "editor", "server", "monitor", "other"]
    StateSource = Literal["hook", "session-file", "title", "screen", "tmux"]
    ReceiptStatus = Literal[
        "delivered", "queued", "not_submitted", "skipped_waiting", "skipped_unknown", "failed"
    ]
    Confirmation = Literal["hook", "screen", "none"]
else:
    __getattr__ = annotation_names_getattr(__name__)

AGENT_STATES: tuple[AgentState, ...] = ("busy", "waiting", "idle", "error", "exited", "unknown")
"""AgentState's values (a test holds each such tuple equal to its alias)."""
WINDOW_KINDS: tuple[WindowKind, ...] = ("agent", "shell", "editor", "server", "monitor", "other")
STATE_SOURCES: tuple[StateSource, ...] = ("hook", "session-file", "title", "screen", "tmux")
"""Where an agent's state came from, most precise first: the agent's own hook, its session file,
the terminal title it sets, our reading of its screen, or tmux itself (a dead pane)."""
RECEIPT_STATUSES: tuple[ReceiptStatus, ...] = (
    "delivered", "queued", "not_submitted", "skipped_waiting", "skipped_unknown", "failed"
)  # fmt: skip
CONFIRMATIONS: tuple[Confirmation, ...] = ("hook", "screen", "none")


@functools.cache
def typing_aliases() -> dict[str, object]:
    """The aliases as typing makes them, for pydantic and `get_type_hints` (core/fields.py): the
    ANNOTATION_NAMES of this module and of those whose annotations use them."""
    from typing import Literal

    return {
        "Literal": Literal,
        "AgentState": Literal[AGENT_STATES],
        "WindowKind": Literal[WINDOW_KINDS],
        "StateSource": Literal[STATE_SOURCES],
        "ReceiptStatus": Literal[RECEIPT_STATUSES],
        "Confirmation": Literal[CONFIRMATIONS],
    }


__annotation_names__ = typing_aliases


MAX_CAPTURE_LINES = 100_000
"""The most lines one capture returns: the engine enforces it and the wire protocol states it."""


@frozen_model
class AgentInfo(Frozen):
    """What we know about an agent pane: which CLI it is and what it is doing since when."""

    kind: str
    state: AgentState = "unknown"
    since: float | None = None
    """When it entered `state`, as a watching tmuxorch saw it; None when nobody knows."""
    source: StateSource = "screen"
    reason: str = ""
    """Why: the hook event, the session file's status, the title, or the screen rule and the
    line it matched."""


@frozen_model
class Pane(Frozen):
    """One tmux pane. `command` is the foreground process name tmux reports."""

    id: str
    index: int
    active: bool
    pid: int
    command: str
    cwd: str
    dead: bool
    width: int
    height: int
    agent: AgentInfo | None = None
    dead_status: int | None = None
    window_id: str
    session_id: str
    restarts: int = 0
    """How many times its restart policy started it again (`spawn --restart`)."""


@frozen_model
class Window(Frozen):
    """One tmux window within one session (a linked window appears under each of its sessions)."""

    id: str
    index: int
    name: str
    active: bool
    kind: WindowKind = "other"
    panes: tuple[Pane, ...]
    activity: int | None = None
    """Last output time; only filled when asked for (it costs a field per window)."""
    fleet: str | None = None
    """The fleet file that started this window (`tmuxorch up`), None for any other window."""
    session_id: str


@frozen_model
class Session(Frozen):
    """One tmux session. `attached` counts clients other than tmuxorch's own."""

    id: str
    name: str
    attached: bool
    created: int
    windows: tuple[Window, ...]
    attached_clients: int


@frozen_model
class TmuxInfo(Frozen):
    """Which server the snapshot is of, and whether it was running."""

    socket: str
    version: str | None
    running: bool


STATUS_SCHEMA = "tmuxorch.status/1"


@frozen_model
class Snapshot(Frozen):
    """All user-visible sessions, windows and panes of one server, with lookups by id."""

    tmux: TmuxInfo
    sessions: tuple[Session, ...]
    taken_at: float

    @cached_property
    def sessions_by_id(self) -> dict[str, Session]:
        """Sessions keyed by `$N`."""
        return {session.id: session for session in self.sessions}

    @cached_property
    def windows_by_id(self) -> dict[str, Window]:
        """Windows keyed by `@N` (a linked window maps to its first session's copy)."""
        found: dict[str, Window] = {}
        for session in self.sessions:
            for window in session.windows:
                found.setdefault(window.id, window)
        return found

    @cached_property
    def panes_by_id(self) -> dict[str, Pane]:
        """Panes keyed by `%N`."""
        return {pane.id: pane for window in self.windows_by_id.values() for pane in window.panes}

    def windows(self) -> list[Window]:
        """Every window once, in session order."""
        return list(self.windows_by_id.values())

    def panes(self) -> list[Pane]:
        """Every pane once, in session/window order."""
        return list(self.panes_by_id.values())

    def to_status_document(self) -> dict[str, object]:
        """The `tmuxorch.status/1` JSON document (DESIGN.md); keys are only ever added."""
        return {"schema": STATUS_SCHEMA, **self.plain()}


@frozen_model
class Receipt(Frozen):
    """What happened to the message in one target pane."""

    target: str
    status: ReceiptStatus
    detail: str = ""
    confirmed: Confirmation | None = None
    """How a submission was confirmed: the agent's own hook said it took the prompt
    (`UserPromptSubmit`), the screen showed the text gone from the input, or nothing could
    tell; None when nothing was submitted."""


@frozen_model
class Explanation(Frozen):
    """Why an agent pane is in its state (`tmuxorch explain`): the verdict with its source,
    what the screen alone says now and the region of it that was read, and the raw title and
    hook report the precise sources come from."""

    pane_id: str
    agent: AgentInfo
    screen_state: AgentState
    screen_reason: str
    region: tuple[str, ...]
    title: str
    hook: str


@frozen_model
class Spawned(Frozen):
    """Where a spawned command runs."""

    session_id: str
    window_id: str
    pane_id: str
