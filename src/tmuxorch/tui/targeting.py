"""What an action acts on, from the row under the cursor and the selection: pure functions of
the fleet, so each of the app's actions is one line choosing and one line doing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.models import Pane, Session, Snapshot, Window
from tmuxorch.core.targets import input_panes, resolve_target

Row = Session | Window | Pane


def row_of(fleet: Snapshot | None, row_id: str | None) -> Row | None:
    """The session, window or pane of a table row (None once it is gone)."""
    if fleet is None or row_id is None:
        return None
    try:
        return resolve_target(fleet, row_id)
    except TmuxorchError:
        return None


def first_pane(row: Row | None) -> Pane | None:
    """The pane a row shows in the preview and attaches to: its first that takes input."""
    panes = input_panes(row) if row is not None else []
    return panes[0] if panes else None


def own_pane(fleet: Snapshot | None, environ: Mapping[str, str]) -> str | None:
    """The pane this TUI runs in, when it runs inside the tmux server it shows ($TMUX names the
    server's socket, $TMUX_PANE the pane): typing into it or killing it would hit the TUI."""
    socket = tmux_socket(environ)
    pane = environ.get("TMUX_PANE")
    if fleet is None or not socket or socket != fleet.tmux.socket or pane is None:
        return None
    return pane if pane in fleet.panes_by_id else None


def tmux_socket(environ: Mapping[str, str]) -> str:
    """The socket of the tmux server this process runs inside ('' outside tmux)."""
    return environ.get("TMUX", "").split(",")[0]


def targets(
    fleet: Snapshot | None, selected: frozenset[str], row: Row | None, own: str | None = None
) -> list[Pane]:
    """The selection, or the agent(s) under the cursor when nothing is selected; never the
    TUI's own pane."""
    if fleet is None:
        return []
    if selected:  # in fleet order: a set's order changes from run to run
        return [p for p in fleet.panes() if p.id in selected and p.id != own]
    return [p for p in input_panes(row) if p.id != own] if row is not None else []


def agents_of(row: Row | None, own: str | None = None) -> list[Pane]:
    """The agents a row selects: a pane's own, a window's or a session's (the TUI's excepted)."""
    panes = input_panes(row) if row is not None else []
    return [p for p in panes if p.agent is not None and p.id != own]


def session_of(fleet: Snapshot | None, row: Row | None) -> str:
    """The name of the row's session (where a new agent goes by default), '' without one."""
    if fleet is None or row is None:
        return ""
    return fleet.sessions_by_id[row.id if isinstance(row, Session) else row.session_id].name


def renamable(fleet: Snapshot | None, row: Row | None) -> Session | Window | None:
    """What `rename` renames for a row: the session or window, a pane's window."""
    if isinstance(row, Pane):
        return fleet.windows_by_id.get(row.window_id) if fleet is not None else None
    return row


def toggled(selected: frozenset[str], row: Row | None, own: str | None) -> frozenset[str] | None:
    """The selection after `space` on `row`: the agent, or a window's or session's agents,
    added, or all of them taken out when all were in; None when the row holds no agent."""
    agents = {p.id for p in agents_of(row, own)}
    if not agents:
        return None
    return frozenset(selected - agents if agents <= selected else selected | agents)


def shown_agents(fleet: Snapshot | None, shown: Iterable[str], own: str | None) -> frozenset[str]:
    """Every agent among the rows shown (`a`); the TUI's own pane never."""
    keep = set(shown) - {own}
    panes = fleet.panes() if fleet is not None else []
    return frozenset(p.id for p in panes if p.agent is not None and p.id in keep)
