"""How the fleet reads to people, in the CLI and the TUI alike: a pane's place, a state's badge,
how long a state has held, counts with their nouns."""

from __future__ import annotations

import time
from collections import Counter

from tmuxorch.core.models import AgentInfo, AgentState, Pane, Snapshot, Window
from tmuxorch.core.status_segment import STATE_SYMBOLS
from tmuxorch.core.targets import Target

_COLOURS: dict[AgentState, str] = {
    "busy": "yellow",
    "waiting": "bold magenta",
    "idle": "green",
    "error": "red",
    "exited": "dim",
    "unknown": "dim",
}
STATE_BADGES: dict[AgentState, tuple[str, str]] = {
    state: (symbol, _COLOURS[state]) for state, symbol in STATE_SYMBOLS.items()
}
"""A symbol and a colour per state: the symbol keeps it readable without colour (the symbols
are the status bar's too: core.status_segment)."""


def pane_label(snapshot: Snapshot, pane: Pane, *, agent: bool = False) -> str:
    """`session:window.pane` for people, beside the id; with `agent`, the agent's kind and
    state follow (`proj:api.0  claude idle`), as the send dialog lists its targets."""
    session = snapshot.sessions_by_id.get(pane.session_id)
    window = snapshot.windows_by_id.get(pane.window_id)
    if session is None or window is None:
        where = pane.id
    else:
        where = f"{session.name}:{window.name}.{pane.index}"
    if agent and pane.agent is not None:
        where += f"  {pane.agent.kind} {pane.agent.state}"
    return where


def counted(count: int, noun: str) -> str:
    """`1 window`, `2 windows`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def duration(seconds: float) -> str:
    """`42s`, `3m`, `2h`, `5d`: a short length of time (how long a state has held)."""
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def state_age(agent: AgentInfo, now: float) -> str:
    """How long the agent has been in its state (`3m`); '' when nobody knows (see AgentInfo)."""
    return "" if agent.since is None else duration(now - agent.since)


def ago(timestamp: float, now: float | None = None) -> str:
    """`12s ago`, `5m ago`, `3h ago`, `2d ago`: short relative times for activity columns."""
    if timestamp <= 0:
        return "never"
    return f"{duration((now if now is not None else time.time()) - timestamp)} ago"


def agents_by_state(snapshot: Snapshot) -> dict[AgentState, int]:
    """How many agents are in each state, in the badges' order, states with none left out (the
    TUI's header and the monitor count the same way)."""
    counts = Counter(p.agent.state for p in snapshot.panes() if p.agent is not None)
    return {state: counts[state] for state in STATE_BADGES if counts[state]}


def describe(snapshot: Snapshot, target: Target) -> str:
    """What a target is, for a person about to kill it (the CLI's prompt, the TUI's dialog):
    `pane %8 (proj:editor.0, running vim)`, `window @2 (proj:editor, 3 panes)`, `session $1
    (proj, 2 windows)`."""
    if isinstance(target, Pane):
        return f"pane {target.id} ({pane_label(snapshot, target)}, running {target.command})"
    if isinstance(target, Window):
        session = snapshot.sessions_by_id[target.session_id]
        panes = counted(len(target.panes), "pane")
        return f"window {target.id} ({session.name}:{target.name}, {panes})"
    return f"session {target.id} ({target.name}, {counted(len(target.windows), 'window')})"
