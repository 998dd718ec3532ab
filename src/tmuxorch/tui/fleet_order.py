"""Which rows the fleet table shows, in which order: the tree (sessions, windows, panes) or
"needs you first".

Needs-you order is a flat list of the agents, most urgent first: waiting > error > idle after
work (idle, seen busy since we started watching, and not looked at since: once its preview
was shown, or it was sent to or answered, it is plain idle until it works again) > busy >
idle > the rest; within a rank
the one in its state the longest comes first. Flat, because grouping them under their sessions
would put a busy agent of the first session above a waiting one of the second, which is what
this order exists to prevent; each agent row names its place (`session:window`) instead. Below
the agents the tree of everything else follows (shells, editors, their windows and sessions),
so switching the order never hides a row, it only moves the agents up.

In either order, a window whose only pane is an agent is one row (the pane's, named after the
window): the agent is what one acts on, and the window adds nothing but a second line.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from rich.text import Text

from tmuxorch.core.models import AgentState, Pane, Session, Snapshot, Window

Shown = Session | Window | Pane
Item = tuple[Shown, Text | None]
"""An object the table shows and, for an agent row, the name its row takes (None: its own)."""

RANKS: dict[AgentState, int] = {"waiting": 0, "error": 1, "busy": 3, "idle": 4}
IDLE_AFTER_WORK = 2
LAST = 5
NEEDS_YOU: tuple[AgentState, ...] = ("waiting", "error")
"""The states the jump key visits, in its order."""


def _matches(needle: str, *haystack: str) -> bool:
    return any(needle in value.lower() for value in haystack)


def pane_matches(needle: str, pane: Pane) -> bool:
    values = [pane.command, pane.id]
    if pane.agent is not None:
        values += [pane.agent.kind, pane.agent.state]
    return _matches(needle, *values)


def merged(window: Window) -> bool:
    """Is this window shown as the one row of its agent?"""
    return len(window.panes) == 1 and window.panes[0].agent is not None


def window_name(window: Window) -> Text:
    label = Text.assemble(("  ", ""), (f"{window.index}: ", "dim"), window.name)
    if window.active:
        label.append(" *", "dim")
    return label


def tree_items(fleet: Snapshot, needle: str, *, agents: bool = True) -> list[Item]:
    """The tree; a filter keeps matching rows and their parents. Without `agents`, the tree of
    the panes that are not agents (what follows the agents in needs-you order)."""
    needle = needle.strip().lower()
    shown: list[Item] = []
    for session in fleet.sessions:
        in_session: list[Item] = []
        session_hit = not needle or _matches(needle, session.name)
        for window in session.windows:
            window_hit = session_hit or _matches(needle, window.name, window.kind)
            panes = [p for p in window.panes if window_hit or pane_matches(needle, p)]
            if not agents:
                panes = [p for p in panes if p.agent is None]
                if not panes:
                    continue
            if agents and merged(window):
                if panes:
                    in_session.append((panes[0], window_name(window)))
            elif panes or window_hit:
                in_session += [(window, None), *((p, None) for p in panes)]
        if in_session or (session_hit and agents):
            shown += [(session, None), *in_session]
    return shown


def rank(pane: Pane, worked: frozenset[str]) -> int:
    """Where an agent goes in needs-you order (0 first)."""
    if pane.agent is None:
        return LAST
    if pane.agent.state == "idle" and pane.id in worked:
        return IDLE_AFTER_WORK
    return RANKS.get(pane.agent.state, LAST)


def _place(fleet: Snapshot, pane: Pane) -> Text:
    session = fleet.sessions_by_id[pane.session_id]
    window = fleet.windows_by_id[pane.window_id]
    place = f"{session.name}:{window.name}"
    return _label(place if len(window.panes) == 1 else f"{place}.{pane.index}")


@functools.lru_cache(maxsize=4096)
def _label(place: str) -> Text:
    """One text per place, shared by every model that shows it (never changed: the table
    copies a cell before it cuts it), so a new model's rows compare with the last at once."""
    return Text(place)


def needs_you_items(fleet: Snapshot, needle: str, worked: frozenset[str]) -> list[Item]:
    """The agents, most urgent first, then the tree of the rest."""
    needle = needle.strip().lower()
    agents = [
        p
        for p in fleet.panes()
        if p.agent is not None
        and (not needle or pane_matches(needle, p) or _matches(needle, _place(fleet, p).plain))
    ]
    agents.sort(key=lambda p: (rank(p, worked), _since(p)))  # stable: tree order breaks ties
    return [(p, _place(fleet, p)) for p in agents] + tree_items(fleet, needle, agents=False)


def _since(pane: Pane) -> float:
    since = pane.agent.since if pane.agent is not None else None
    return float("inf") if since is None else since


def worked_now(fleet: Snapshot, worked: frozenset[str]) -> frozenset[str]:
    """The agents seen busy so far, now that `fleet` is the model (gone panes dropped)."""
    busy = {p.id for p in fleet.panes() if p.agent is not None and p.agent.state == "busy"}
    return frozenset((worked & set(fleet.panes_by_id)) | busy)


def next_needing(fleet: Snapshot, keys: Iterable[str], current: str | None) -> str | None:
    """The agent after `current` among those that need you, the waiting ones first, then
    those in error (each in row order), wrapping; None when none needs you."""
    needing: list[str] = []
    for state in NEEDS_YOU:
        for key in keys:
            pane = fleet.panes_by_id.get(key)
            if pane is not None and pane.agent is not None and pane.agent.state == state:
                needing.append(key)
    if not needing:
        return None
    return (
        needing[(needing.index(current) + 1) % len(needing)] if current in needing else needing[0]
    )


def oldest_wait(fleet: Snapshot, now: float) -> float | None:
    """How long the agent waiting the longest has waited (None: none waits, or none knows
    since when)."""
    since = [
        p.agent.since
        for p in fleet.panes()
        if p.agent is not None and p.agent.state == "waiting" and p.agent.since is not None
    ]
    return now - min(since) if since else None
