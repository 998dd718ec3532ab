"""The fleet as a table shaped like a tree: sessions, their windows, their panes.

A keyed table rather than a Tree: it holds hundreds of rows, an update redraws only the rows
whose session, window or pane changed, and the cursor stays on the same one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.reactive import var

from tmuxorch.core.models import Pane, Session, Snapshot, Window
from tmuxorch.tui.messages import AttachRequested, RowHighlighted
from tmuxorch.tui.widgets.row_table import Column, RowTable
from tmuxorch.usecases.labels import STATE_BADGES, state_age

Row = tuple[str, tuple[Text | str, ...]]
Shown = Session | Window | Pane
STATE_WIDTH = len("? waiting 59m")
COLUMNS = (
    Column("mark"),
    Column("name", "name"),
    Column("kind", "kind"),
    # The state cell changes width every second ("idle 9s", "waiting 12m"); a fixed width that
    # fits the longest keeps the columns still and nothing cut.
    Column("state", "state", STATE_WIDTH),
    Column("id", "id"),
)


def _matches(needle: str, *haystack: str) -> bool:
    return any(needle in value.lower() for value in haystack)


def shown_objects(fleet: Snapshot, needle: str) -> list[Shown]:
    """The sessions, windows and panes the table shows, in its order. A filter keeps matching
    rows and their parents."""
    needle = needle.strip().lower()
    shown: list[Shown] = []
    for session in fleet.sessions:
        in_session: list[Shown] = []
        session_hit = not needle or _matches(needle, session.name)
        for window in session.windows:
            window_hit = session_hit or _matches(needle, window.name, window.kind)
            panes = [p for p in window.panes if window_hit or _pane_matches(needle, p)]
            if panes or window_hit:
                in_session += [window, *panes]
        if in_session or session_hit:
            shown += [session, *in_session]
    return shown


def row_of(item: Shown, selected: frozenset[str], now: float) -> Row:
    """The row of one session, window or pane: (id, cells)."""
    if isinstance(item, Pane):
        return _pane_row(item, selected, now)
    if isinstance(item, Window):
        label = Text.assemble(("  ", ""), (f"{item.index}: ", "dim"), item.name)
        if item.active:
            label.append(" *", "dim")
        return item.id, (" ", label, item.kind, "", item.id)
    label = Text(item.name, style="bold")
    if item.attached:
        label.append(" (attached)", "green")
    return item.id, (" ", label, "session", "", item.id)


def _pane_matches(needle: str, pane: Pane) -> bool:
    values = [pane.command, pane.id]
    if pane.agent is not None:
        values += [pane.agent.kind, pane.agent.state]
    return _matches(needle, *values)


def _pane_row(pane: Pane, selected: frozenset[str], now: float) -> Row:
    mark = Text("✓", "bold cyan") if pane.id in selected else " "
    label = Text.assemble(("      ", ""), (f"{pane.index}: ", "dim"), pane.command)
    if pane.agent is None:
        return pane.id, (mark, label, "", "", pane.id)
    return pane.id, (mark, label, Text(pane.agent.kind, "bold"), state_cell(pane, now), pane.id)


def state_cell(pane: Pane, now: float) -> Text | str:
    """An agent pane's state and for how long (`● busy 12s`); empty for other panes."""
    if pane.agent is None:
        return ""
    symbol, style = STATE_BADGES[pane.agent.state]
    state = Text.assemble((f"{symbol} {pane.agent.state}", style))
    if age := state_age(pane.agent, now):
        state.append(f" {age}", "dim")
    return state


class FleetTable(RowTable):
    """Sessions, windows and panes; set `fleet`, `selected` and `needle` to update it."""

    # `var`s: a change redraws the rows that changed, not the whole table.
    fleet: var[Snapshot | None] = var(None, always_update=True)
    selected: var[frozenset[str]] = var(frozenset(), always_update=True)
    needle: var[str] = var("")

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: object) -> None:
        super().__init__(COLUMNS, **kwargs)
        self.clock = clock
        self._shown: dict[str, Shown] = {}
        """The object each row shows, by id."""
        self._full = True

    @property
    def current_id(self) -> str | None:
        """The id of the row under the cursor."""
        return self.current_key

    def move_to_first_agent(self) -> None:
        """Put the cursor on the first agent pane (where a new user wants to start)."""
        for index, item in enumerate(self._shown.values()):
            if isinstance(item, Pane) and item.agent is not None:
                self.move_cursor(index)
                return

    def tick(self) -> None:
        """Once a second the durations move on: only the state cells whose text changed are
        updated (seconds tick, minutes and hours change seldom), nothing else is drawn again."""
        now = self.clock()
        for key, item in self._shown.items():
            if isinstance(item, Pane) and item.agent is not None:
                self.update_cell(key, "state", state_cell(item, now))

    def watch_fleet(self) -> None:
        self._refresh_rows()

    def watch_selected(self) -> None:
        self._full = True
        self._refresh_rows()

    def watch_needle(self) -> None:
        self._full = True
        self._refresh_rows()

    def _refresh_rows(self) -> None:
        """New rows when the rows shown changed; else new cells for the rows whose session,
        window or pane is not the object shown before (a model kept from events keeps the
        objects of what did not change), or for every row after a new selection or filter."""
        if self.fleet is None:
            return
        items = shown_objects(self.fleet, self.needle)
        before, self._shown = self._shown, {item.id: item for item in items}
        full, self._full = self._full, False
        now = self.clock()
        if list(self._shown) != list(self.keys):
            self.set_rows([row_of(item, self.selected, now) for item in items])
            return
        for item in items:
            if full or before.get(item.id) is not item:
                self.update_row(*row_of(item, self.selected, now))

    def on_row_table_cursor_moved(self, event: RowTable.CursorMoved) -> None:
        event.stop()
        self.post_message(RowHighlighted(event.key))

    def on_row_table_activated(self, event: RowTable.Activated) -> None:
        event.stop()
        self.post_message(AttachRequested())
