"""A table of keyed rows under a header, with a row cursor, that renders a row once and
repaints only the rows that changed (Textual's Line API).

Why not Textual's DataTable: it keys every cached cell, row and line on one update counter that
any `update_cell` bumps, and repaints itself whole, so one agent changing state rendered every
visible row again — measured at half of the TUI's time beside 50 working agents. Here a row's
rendering is kept until that row's cells change, moving the cursor repaints two lines, and the
columns are laid out again only when a cell no longer fits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tmuxorch.tui.banded_compositor import bands
from tmuxorch.tui.widgets.strips import strip_of

Cell = Text | str
Cells = tuple[Cell, ...]
PADDING = 1
"""Blank cells on each side of a cell."""


@dataclass(frozen=True)
class Column:
    """A column: its key, its header and a fixed width (None: as wide as its widest cell)."""

    key: str
    label: str = ""
    width: int | None = None


class RowTable(ScrollView, can_focus=True):
    """Set the rows with `set_rows`, change some with `update_rows` (or `update_row`,
    `update_cell`); posts `CursorMoved` when the cursor lands on another row and `Activated`
    on a second click."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"row-table--header", "row-table--cursor"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    @dataclass
    class CursorMoved(Message):
        """The cursor is on the row of `key` now."""

        key: str

    @dataclass
    class Activated(Message):
        """The row of `key`, under the cursor, was clicked again."""

        key: str

    def __init__(self, columns: Sequence[Column], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.columns = tuple(columns)
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._cells: dict[str, Cells] = {}
        self._widths = [len(c.label) if c.width is None else c.width for c in self.columns]
        self._strips: dict[str, Strip] = {}
        """Each row rendered (without the cursor), by key, until its cells change."""
        self._cell_widths: dict[str, tuple[int, ...]] = {}
        """Each row's cells' widths, by key, until its cells change (the columns are fitted
        to them on every new set of rows: measuring every cell again was a third of a new
        order's time at 200 agents)."""
        self._cursor = 0
        self._reported: str | None = None
        """The key last posted in `CursorMoved`."""

    def on_mount(self) -> None:
        self.virtual_size = Size(self._row_width(), 1)  # the header, before any row

    # -- what it holds ---------------------------------------------------------------------

    @property
    def keys(self) -> Sequence[str]:
        """The rows' keys, top to bottom."""
        return self._keys

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def current_key(self) -> str | None:
        """The key of the row under the cursor."""
        return self._keys[self._cursor] if self._keys else None

    def all_cells(self) -> dict[str, Cells]:
        """Every row's cells, by key (a copy)."""
        return dict(self._cells)

    def get_cell(self, key: str, column: str) -> Cell:
        return self._cells[key][self._column_index(column)]

    def set_rows(self, rows: Sequence[tuple[str, Cells]]) -> None:
        """Hold these rows instead, the cursor kept on its row's key (or near where it was). A
        row whose cells are the same keeps its rendering: rows that only moved (an agent going
        up the needs-you order moves the rows between) are painted, not rendered again."""
        current, keys_before = self.current_key, self._keys
        self._keys = [key for key, _ in rows]
        self._index = {key: n for n, key in enumerate(self._keys)}
        before, self._cells = self._cells, dict(rows)
        same = {key for key, cells in self._cells.items() if before.get(key) == cells}
        self._strips = {k: s for k, s in self._strips.items() if k in same}
        widths = self._cell_widths
        self._cell_widths = {
            key: widths[key] if key in same else self._widths_of(cells)
            for key, cells in self._cells.items()
        }
        if self._fit_columns() or len(keys_before) != len(self._keys):
            self.refresh()
        else:  # the same lines: repaint those that show another row, or a changed one
            self._repaint(
                row
                for row, key in enumerate(self._keys)
                if key != keys_before[row] or key not in self._strips
            )
        if current in self._index:
            self._cursor = self._index[current]
        self.move_cursor(min(self._cursor, max(0, len(self._keys) - 1)), force=True)

    def update_row(self, key: str, cells: Cells) -> None:
        """New cells for one row (see `update_rows`)."""
        self.update_rows([(key, cells)])

    def update_rows(self, rows: Iterable[tuple[str, Cells]]) -> None:
        """New cells for some rows: those that changed are rendered again and repainted in one
        refresh (each refresh drops the widget's cached styles and sizes: a second's tick
        changes a dozen duration cells), or every row when a cell no longer fits."""
        changed: list[str] = []
        for key, cells in rows:
            if self._cells[key] != cells:
                self._cells[key] = cells
                self._cell_widths[key] = self._widths_of(cells)
                self._strips.pop(key, None)
                changed.append(key)
        widths = self._widths
        if any(
            cell > width
            for key in changed
            for cell, width in zip(self._cell_widths[key], widths, strict=True)
        ):
            self._fit_columns()
            self.refresh()
            return
        self._repaint(self._index[key] for key in changed)

    def with_cell(self, key: str, column: str, value: Cell) -> Cells:
        """The cells of `key`'s row with one of them replaced (for `update_rows`)."""
        cells = list(self._cells[key])
        cells[self._column_index(column)] = value
        return tuple(cells)

    def update_cell(self, key: str, column: str, value: Cell) -> None:
        self.update_row(key, self.with_cell(key, column, value))

    # -- the cursor ------------------------------------------------------------------------

    def move_cursor(self, row: int, *, force: bool = False) -> None:
        """Put the cursor on `row` (kept within the rows) and scroll it into view."""
        row = max(0, min(row, len(self._keys) - 1))
        if row == self._cursor and not force:
            return
        before, self._cursor = self._cursor, row
        if row != before:  # forced onto the same line: whoever forced it repainted it
            self._repaint((before, row))
        self._scroll_to_cursor()
        if self.current_key != self._reported:
            self._reported = self.current_key
            if self._reported is not None:
                self.post_message(self.CursorMoved(self._reported))

    def _scroll_to_cursor(self) -> None:
        rows_shown = max(1, self.scrollable_content_region.height - 1)  # under the header
        if self._cursor < self.scroll_y:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= self.scroll_y + rows_shown:
            self.scroll_to(y=self._cursor - rows_shown + 1, animate=False)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor + max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - max(1, self.scrollable_content_region.height - 1))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._keys) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:  # the header
            return
        row = int(self.scroll_y) + offset.y - 1
        if not 0 <= row < len(self._keys):
            return
        if row == self._cursor:
            self.post_message(self.Activated(self._keys[row]))
        else:
            self.move_cursor(row)

    def on_focus(self) -> None:
        self._refresh_row(self._cursor)  # the cursor's colours follow the focus

    def on_blur(self) -> None:
        self._refresh_row(self._cursor)

    # -- drawing ---------------------------------------------------------------------------

    def _column_index(self, key: str) -> int:
        return next(n for n, c in enumerate(self.columns) if c.key == key)

    @staticmethod
    def _widths_of(cells: Cells) -> tuple[int, ...]:
        return tuple(c.cell_len if isinstance(c, Text) else Text(c).cell_len for c in cells)

    def _fit_columns(self) -> bool:
        """Widths for the rows held (fixed ones stay); whether a width changed (then every
        row is rendered again: the caller repaints them)."""
        before = list(self._widths)
        for n, column in enumerate(self.columns):
            if column.width is None:
                cells = (row[n] for row in self._cell_widths.values())
                self._widths[n] = max([len(column.label), *cells])
        changed = self._widths != before
        if changed:
            self._strips.clear()
        self.virtual_size = Size(self._row_width(), len(self._keys) + 1)
        return changed

    def _row_width(self) -> int:
        return sum(w + 2 * PADDING for w in self._widths)

    def _refresh_row(self, row: int) -> None:
        self._repaint((row,))

    def _repaint(self, rows: Iterable[int]) -> None:
        """Repaint the lines of these rows, in one refresh: each refresh drops the widget's
        cached styles and sizes (a row moving down the needs-you order repaints a dozen). Only
        the lines' visible width: Textual's `refresh_line` marks the virtual width, which
        reaches past the table onto its scrollbar and the preview beside it (clipped only by
        the screen), and each frame rendered their lines too."""
        top, width = self.scroll_offset.y, self.scrollable_content_region.width
        shown = (row + 1 for row in rows if 0 <= row < len(self._keys))  # under the header
        regions = [Region(0, first - top, width, end - first) for first, end in bands(shown)]
        if regions:
            self.refresh(*regions)

    def _line(self, cells: Sequence[Cell]) -> Text:
        """The cells side by side, each cut or padded to its column."""
        line = Text(no_wrap=True, end="")
        for cell, width in zip(cells, self._widths, strict=True):
            text = cell.copy() if isinstance(cell, Text) else Text(cell)
            text.truncate(width, overflow="ellipsis", pad=True)
            line.append(" " * PADDING)
            line.append_text(text)
            line.append(" " * PADDING)
        return line

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width, base = self.scrollable_content_region.width, self.visual_style.rich_style
        if y == 0:
            header = self.get_component_rich_style("row-table--header")
            labels = strip_of(self.app.console, self._line([c.label for c in self.columns]))
            return labels.apply_style(base + header).crop_extend(scroll_x, scroll_x + width, base)
        row = scroll_y + y - 1
        if row >= len(self._keys):
            return Strip.blank(width, base)
        key = self._keys[row]
        if (strip := self._strips.get(key)) is None:
            strip = self._strips[key] = strip_of(self.app.console, self._line(self._cells[key]))
        if row == self._cursor:
            cursor = self.get_component_rich_style("row-table--cursor")
            post = Style.from_color(color=cursor.color)  # the cursor's colour wins (DataTable's)
            line = Strip(Segment.apply_style(strip, base + cursor, post), strip.cell_length)
        else:
            line = strip.apply_style(base)
        return line.crop_extend(scroll_x, scroll_x + width, base)
