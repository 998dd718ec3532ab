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

from tmuxorch.core.models import Pane, Snapshot
from tmuxorch.tui.messages import AttachRequested, RowHighlighted
from tmuxorch.usecases.labels import STATE_BADGES, state_age

Row = tuple[str, tuple[Text | str, ...]]
COLUMNS = ("mark", "name", "kind", "state", "id")
STATE_WIDTH = len("? waiting 59m")


def _matches(needle: str, *haystack: str) -> bool:
    return any(needle in value.lower() for value in haystack)


def fleet_rows(fleet: Snapshot, selected: frozenset[str], needle: str, now: float) -> list[Row]:
    """The table's rows for a snapshot: (id, cells). A filter keeps matching rows and their
    parents."""
    needle = needle.strip().lower()
    rows: list[Row] = []
    for session in fleet.sessions:
        session_rows: list[Row] = []
        session_hit = not needle or _matches(needle, session.name)
        for window in session.windows:
            window_hit = session_hit or _matches(needle, window.name, window.kind)
            pane_rows = [
                _pane_row(pane, selected, now)
                for pane in window.panes
                if window_hit or _pane_matches(needle, pane)
            ]
            if pane_rows or window_hit:
                label = Text.assemble(("  ", ""), (f"{window.index}: ", "dim"), window.name)
                if window.active:
                    label.append(" *", "dim")
                session_rows.append((window.id, (" ", label, window.kind, "", window.id)))
                session_rows += pane_rows
        if session_rows or session_hit:
            label = Text(session.name, style="bold")
            if session.attached:
                label.append(" (attached)", "green")
            rows.append((session.id, (" ", label, "session", "", session.id)))
            rows += session_rows
    return rows


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
    symbol, style = STATE_BADGES[pane.agent.state]
    state = Text.assemble((f"{symbol} {pane.agent.state}", style))
    if age := state_age(pane.agent, now):
        state.append(f" {age}", "dim")
    return pane.id, (mark, label, Text(pane.agent.kind, "bold"), state, pane.id)


class FleetTable(DataTable[Text | str]):
    """Sessions, windows and panes; set `fleet`, `selected` and `needle` to update it."""

    fleet: reactive[Snapshot | None] = reactive(None, always_update=True)
    selected: reactive[frozenset[str]] = reactive(frozenset(), always_update=True)
    needle: reactive[str] = reactive("")

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self.clock = clock
        self._keys: list[str] = []
        self._shown: Snapshot | None = None
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
        """Once a second every row is redrawn, so state durations stay current."""
        self._full = True
        self._refresh_rows()

    def watch_fleet(self) -> None:
        if not self._only_panes_changed():
            self._full = True
        self._refresh_rows()

    def watch_selected(self) -> None:
        self._full = True
        self._refresh_rows()

    def watch_needle(self) -> None:
        self._full = True
        self._refresh_rows()

    def _only_panes_changed(self) -> bool:
        """True when the new fleet has the same sessions and windows, named and ordered the
        same, as the one shown: then only pane rows can differ."""
        old, new = self._shown, self.fleet
        if old is None or new is None or len(old.sessions) != len(new.sessions):
            return False
        for a, b in zip(old.sessions, new.sessions, strict=True):
            if (a.id, a.name, a.attached, len(a.windows)) != (
                b.id,
                b.name,
                b.attached,
                len(b.windows),
            ):
                return False
            for wa, wb in zip(a.windows, b.windows, strict=True):
                if (wa.id, wa.name, wa.index, wa.active, wa.kind) != (
                    wb.id,
                    wb.name,
                    wb.index,
                    wb.active,
                    wb.kind,
                ):
                    return False
                if [p.id for p in wa.panes] != [p.id for p in wb.panes]:
                    return False
        return True

    def _refresh_rows(self) -> None:
        if self.fleet is None:
            return
        if not self._full and self._shown is not None:
            self._update_changed_panes(self._shown, self.fleet)
            self._shown = self.fleet
            return
        self._full = False
        self._shown = self.fleet
        rows = fleet_rows(self.fleet, self.selected, self.needle, self.clock())
        keys = [key for key, _ in rows]
        if keys == self._keys:
            for key, cells in rows:
                for column, value in zip(COLUMNS, cells, strict=True):
                    if self.get_cell(key, column) != value:
                        self.update_cell(key, column, value)
            return
        current = self.current_id
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        self._keys = keys
        if current in keys:
            self.move_cursor(row=keys.index(current), animate=False)
        elif keys:
            self.move_cursor(row=min(self.cursor_row, len(keys) - 1), animate=False)

    def _update_changed_panes(self, old: Snapshot, new: Snapshot) -> None:
        """Redraw only the rows of panes whose model changed (the rest are the same objects)."""
        now = self.clock()
        shown = set(self._keys)
        for pane_id, pane in new.panes_by_id.items():
            if old.panes_by_id.get(pane_id) is pane or pane_id not in shown:
                continue
            _, cells = _pane_row(pane, self.selected, now)
            for column, value in zip(COLUMNS, cells, strict=True):
                self.update_cell(pane_id, column, value)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(RowHighlighted(event.row_key.value))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(AttachRequested())
