"""The fleet as a table: needs-you first or shaped like a tree (`fleet_order` decides which
rows, in which order).

A keyed table rather than a Tree: it holds hundreds of rows, an update redraws only the rows
whose session, window or pane changed, and the cursor stays on the same one.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from rich.text import Text
from textual.reactive import var

from tmuxorch.core.models import AgentState, Pane, Snapshot, Window
from tmuxorch.tui.fleet_order import (
    Item,
    Shown,
    needs_you_items,
    next_needing,
    tree_items,
    window_name,
    worked_now,
)
from tmuxorch.tui.messages import AttachRequested, RowHighlighted
from tmuxorch.tui.widgets.row_table import Column, RowTable
from tmuxorch.usecases.labels import STATE_BADGES, state_age

Row = tuple[str, tuple[Text | str, ...]]
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


def row_of(
    item: Shown,
    selected: frozenset[str],
    now: float,
    name: Text | None = None,
    own: str | None = None,
) -> Row:
    """The row of one session, window or pane: (id, cells); `name` replaces a pane's own, and
    the TUI's own pane (`own`) says so."""
    if isinstance(item, Pane):
        return _pane_row(item, selected, now, name, own == item.id)
    if isinstance(item, Window):
        return item.id, (" ", window_name(item), item.kind, "", item.id)
    label = Text(item.name, style="bold")
    if item.attached:
        label.append(" (attached)", "green")
    return item.id, (" ", label, "session", "", item.id)


def _pane_row(
    pane: Pane, selected: frozenset[str], now: float, name: Text | None, own: bool
) -> Row:
    mark = Text("✓", "bold cyan") if pane.id in selected else " "
    label = name or Text.assemble(("      ", ""), (f"{pane.index}: ", "dim"), pane.command)
    if own:
        label = Text.assemble(label, (" (this TUI)", "italic dim"))
    if pane.agent is None:
        return pane.id, (mark, label, "", "", pane.id)
    return pane.id, (mark, label, Text(pane.agent.kind, "bold"), state_cell(pane, now), pane.id)


def state_cell(pane: Pane, now: float) -> Text | str:
    """An agent pane's state and for how long (`● busy 12s`); empty for other panes."""
    if pane.agent is None:
        return ""
    return _state_text(pane.agent.state, state_age(pane.agent, now))


@functools.lru_cache(maxsize=1024)
def _state_text(state: AgentState, age: str) -> Text:
    """One text per state and age, shared by every row that shows it: a second's tick
    compares cells, and the same object compares at once (cells are copied before they are
    cut to their column, never changed)."""
    symbol, style = STATE_BADGES[state]
    text = Text.assemble((f"{symbol} {state}", style))
    if age:
        text.append(f" {age}", "dim")
    return text


class FleetTable(RowTable):
    """Sessions, windows and panes; set `fleet`, `selected` and `needle` to update it."""

    # `var`s: a change redraws the rows that changed, not the whole table.
    fleet: var[Snapshot | None] = var(None, always_update=True)
    selected: var[frozenset[str]] = var(frozenset(), always_update=True)
    needle: var[str] = var("")
    own: var[str | None] = var(None)
    """The TUI's own pane, marked (when it runs inside the server it shows)."""
    needs_you: var[bool] = var(True)
    """Needs-you order (the agents most urgent first, then the rest), else the tree."""

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: object) -> None:
        super().__init__(COLUMNS, **kwargs)
        self.clock = clock
        self._shown: dict[str, Item] = {}
        """The object each row shows and the name it takes, by id."""
        self._full = True
        self._awaited: str | None = None
        """A row the cursor goes to once it is shown (a new agent, on its way as events)."""
        self._worked: frozenset[str] = frozenset()
        """The agents seen busy since we started watching or last looked at (their idle is
        idle after work)."""

    @property
    def current_id(self) -> str | None:
        """The id of the row under the cursor."""
        return self.current_key

    def move_to_first_agent(self) -> None:
        """Put the cursor on the first agent pane (where a new user wants to start)."""
        for index, (item, _) in enumerate(self._shown.values()):
            if isinstance(item, Pane) and item.agent is not None:
                self.move_cursor(index)
                return

    def saw_work(self, pane_id: str) -> None:
        """This agent was busy (an event said it left busy, between two models shown): its
        idle is idle after work once the next model is shown."""
        self._worked |= {pane_id}

    def looked_at(self, *pane_ids: str) -> None:
        """The user saw these agents (the preview, a send, an answer): idle after work drops
        to plain idle until they work again (one busy now is owed a look again at once:
        `worked_now` counts it). Costs nothing for agents owed no look (the preview says so
        twice a second)."""
        if self._worked.intersection(pane_ids):
            self._worked -= set(pane_ids)
            self._refresh_rows()

    def move_to_key(self, key: str) -> bool:
        """Put the cursor on the row of `key`, if it is shown."""
        if key not in self._shown:
            return False
        self.move_cursor(list(self._shown).index(key))
        return True

    def move_to_soon(self, key: str) -> None:
        """Put the cursor on the row of `key` now, or once it is shown."""
        self._awaited = None if self.move_to_key(key) else key

    def jump_to_needing(self) -> bool:
        """Move to the next agent that needs you (waiting, then error), wrapping; False when
        none does."""
        if self.fleet is None:
            return False
        key = next_needing(self.fleet, self._shown, self.current_id)
        return key is not None and self.move_to_key(key)

    def tick(self) -> None:
        """Once a second the durations move on: only the state cells whose text changed are
        updated (seconds tick, minutes and hours change seldom), nothing else is drawn again."""
        now = self.clock()
        self.update_rows(
            (key, self.with_cell(key, "state", state_cell(item, now)))
            for key, (item, _) in self._shown.items()
            if isinstance(item, Pane) and item.agent is not None
        )

    def watch_fleet(self) -> None:
        self._refresh_rows()

    def watch_selected(self) -> None:
        self._full = True
        self._refresh_rows()

    def watch_own(self) -> None:
        self._full = True
        self._refresh_rows()

    def watch_needs_you(self) -> None:
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
        self._worked = worked_now(self.fleet, self._worked)
        items: list[Item] = (
            needs_you_items(self.fleet, self.needle, self._worked)
            if self.needs_you
            else tree_items(self.fleet, self.needle)
        )
        before, self._shown = self._shown, {item.id: (item, name) for item, name in items}
        full, self._full = self._full, False
        now = self.clock()
        changed = [(item, name) for item, name in items if full or _changed(before, item, name)]
        rows = (row_of(item, self.selected, now, name, self.own) for item, name in changed)
        if list(self._shown) == list(self.keys):
            self.update_rows(rows)
            return
        # Another order or other rows: the rows of unchanged objects keep their cells (their
        # durations as the last tick left them), only the changed ones are built again.
        cells = self.all_cells() | dict(rows)
        self.set_rows([(item.id, cells[item.id]) for item, _ in items])
        if self._awaited is not None:
            self.move_to_soon(self._awaited)

    def on_row_table_cursor_moved(self, event: RowTable.CursorMoved) -> None:
        event.stop()
        self.post_message(RowHighlighted(event.key))

    def on_row_table_activated(self, event: RowTable.Activated) -> None:
        event.stop()
        self.post_message(AttachRequested())


def _changed(before: dict[str, Item], item: Shown, name: Text | None) -> bool:
    """Does the row of `item` show something else than it did (`before`)? The same object
    under the same name does not (names of agent rows are shared texts: `is` says so at once)."""
    was = before.get(item.id)
    return was is None or was[0] is not item or (was[1] is not name and was[1] != name)
