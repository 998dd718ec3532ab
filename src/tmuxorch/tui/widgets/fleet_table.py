"""The fleet as a table shaped like a tree: sessions, their windows, their panes.

A DataTable rather than a Tree: it is built for hundreds of rows, and keyed rows let an update
change only the cells that changed and keep the cursor on the same session, window or pane.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import DataTable

from tmuxorch.core.models import Pane, Session, Snapshot, Window
from tmuxorch.tui.messages import AttachRequested, RowHighlighted
from tmuxorch.usecases.labels import STATE_BADGES, state_age

Row = tuple[str, tuple[Text | str, ...]]
Shown = Session | Window | Pane
COLUMNS = ("mark", "name", "kind", "state", "id")
STATE_WIDTH = len("? waiting 59m")


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


class FleetTable(DataTable[Text | str]):
    """Sessions, windows and panes; set `fleet`, `selected` and `needle` to update it."""

    fleet: reactive[Snapshot | None] = reactive(None, always_update=True)
    selected: reactive[frozenset[str]] = reactive(frozenset(), always_update=True)
    needle: reactive[str] = reactive("")

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self._keys: list[str] = []
        self._shown: dict[str, Shown] = {}
        """The object each row shows, by id."""
        self._full = True

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)
        for key in COLUMNS:
            # The state cell changes width every second ("idle 9s", "waiting 12m"); a fixed
            # width that fits the longest keeps the columns still and nothing cut.
            width = STATE_WIDTH if key == "state" else None
            self.add_column("" if key == "mark" else key, key=key, width=width)

    @property
    def current_id(self) -> str | None:
        """The id of the row under the cursor."""
        if not self._keys or not 0 <= self.cursor_row < len(self._keys):
            return None
        return self._keys[self.cursor_row]

    def move_to_first_agent(self) -> None:
        """Put the cursor on the first agent pane (where a new user wants to start)."""
        if self.fleet is None:
            return
        for index, key in enumerate(self._keys):
            pane = self.fleet.panes_by_id.get(key)
            if pane is not None and pane.agent is not None:
                self.move_cursor(row=index, animate=False)
                return

    def _tick(self) -> None:
        """Once a second the durations move on: only the state cells whose text changed are
        updated (seconds tick, minutes and hours change seldom), nothing else is built again."""
        if self.fleet is None or self._keys != list(self._shown):
            return
        now = self.clock()
        for key, item in self._shown.items():
            if isinstance(item, Pane) and item.agent is not None:
                cell = state_cell(item, now)
                if self.get_cell(key, "state") != cell:
                    self.update_cell(key, "state", cell)

    def watch_fleet(self) -> None:
        self._refresh_rows()

    def watch_selected(self) -> None:
        self._full = True
        self._refresh_rows()

    def watch_needle(self) -> None:
        self._full = True
        self._refresh_rows()

    def _refresh_rows(self) -> None:
        """Rebuild the table when its rows changed; else redraw the rows whose session, window
        or pane is not the object shown before (a model kept from events keeps the objects of
        what did not change), or every row after a tick, a new selection or filter."""
        if self.fleet is None:
            return
        items = shown_objects(self.fleet, self.needle)
        keys = [item.id for item in items]
        before, self._shown = self._shown, {item.id: item for item in items}
        full, self._full = self._full, False
        if keys != self._keys:
            self._rebuild(items, keys)
            return
        now = self.clock()
        for item in items:
            if full or before.get(item.id) is not item:
                key, cells = row_of(item, self.selected, now)
                for column, value in zip(COLUMNS, cells, strict=True):
                    if self.get_cell(key, column) != value:
                        self.update_cell(key, column, value)

    def _rebuild(self, items: list[Shown], keys: list[str]) -> None:
        """Every row anew, the cursor kept on its row (or near where it was)."""
        current = self.current_id
        self.clear()
        now = self.clock()
        for item in items:
            key, cells = row_of(item, self.selected, now)
            self.add_row(*cells, key=key)
        self._keys = keys
        if current in keys:
            self.move_cursor(row=keys.index(current), animate=False)
        elif keys:
            self.move_cursor(row=min(self.cursor_row, len(keys) - 1), animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(RowHighlighted(event.row_key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(AttachRequested())
