"""The TUI's Line API widgets on their own: the row table and the line view repaint only the
lines that changed, keep the cursor on its row, and follow the end of what they show."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Region

from tmuxorch.tui.widgets.event_log import EventLog
from tmuxorch.tui.widgets.line import Line
from tmuxorch.tui.widgets.line_view import LineView
from tmuxorch.tui.widgets.pane_preview import PanePreview
from tmuxorch.tui.widgets.row_table import Column, RowTable

from ..conftest import until

COLUMNS = (Column("name", "name"), Column("state", "state", 6))


def rows(count: int) -> list[tuple[str, tuple[str, ...]]]:
    return [(f"k{n}", (f"row {n}", "idle")) for n in range(count)]


class Host(App[None]):
    """One table, one preview and one log on a screen, each 10 lines high."""

    CSS = "RowTable, PanePreview, EventLog { height: 10; } Line { height: auto; padding: 0 1; }"

    def __init__(self) -> None:
        super().__init__()
        self.moved: list[str] = []
        self.activated: list[str] = []

    def compose(self) -> ComposeResult:
        yield RowTable(COLUMNS)
        yield PanePreview()
        yield EventLog()
        yield Line()

    def on_row_table_cursor_moved(self, message: RowTable.CursorMoved) -> None:
        self.moved.append(message.key)

    def on_row_table_activated(self, message: RowTable.Activated) -> None:
        self.activated.append(message.key)


def repaints(widget: RowTable | LineView | Line) -> list[object]:
    """The lines `widget` repaints from now on (by number; "all" for the whole widget)."""
    seen: list[object] = []
    refresh = widget.refresh

    def recording(*regions: Region, **kw: bool) -> object:
        seen.extend([y for r in regions for y in range(r.y, r.bottom)] if regions else ["all"])
        return refresh(*regions, **kw)

    widget.refresh = recording  # type: ignore[method-assign]
    return seen


def shown(widget: RowTable | LineView) -> list[str]:
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


async def test_a_changed_row_repaints_its_own_line_only() -> None:
    app = Host()
    async with app.run_test() as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows(5))
        await pilot.pause()
        seen = repaints(table)
        table.update_row("k3", ("row 3", "busy"))
        table.update_row("k1", ("row 1", "idle"))  # the same cells: nothing to do
        assert seen == [4]  # below the header
        assert shown(table)[4].split() == ["row", "3", "busy"]
        seen.clear()
        table.update_cell("k2", "name", "a much longer name")  # no longer fits: all again
        assert set(seen) == {"all"}
        assert "a much longer name" in shown(table)[3]


async def test_rows_that_only_moved_are_not_rendered_again() -> None:
    """An agent going up the needs-you order moves the rows between it and its new place: they
    are painted where they now are, from their kept rendering; only the changed row renders."""
    app = Host()
    async with app.run_test() as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows(5))
        await pilot.pause()
        rendered: list[str] = []
        line = table._line

        def recording(cells: tuple[str, ...]) -> object:
            rendered.append(cells[0])
            return line(cells)

        table._line = recording  # type: ignore[method-assign,assignment]
        moved = rows(5)
        moved.insert(0, ("k3", ("row 3", "busy")))
        del moved[4]
        table.set_rows(moved)
        await pilot.pause()
        assert [cells for cells in rendered if cells != "name"] == ["row 3"]  # not the header
        assert [r.split()[:2] for r in shown(table)[1:6]] == [
            ["row", "3"], ["row", "0"], ["row", "1"], ["row", "2"], ["row", "4"],
        ]  # fmt: skip


async def test_new_rows_repaint_only_the_lines_that_show_another_row() -> None:
    """Rows moving down the needs-you order: the lines from the old place to the new one are
    painted again, the lines above and below are not (nor the whole table, unless a row was
    added, removed or a column width changed)."""
    app = Host()
    async with app.run_test() as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows(6))
        table.move_cursor(5)
        await pilot.pause()
        seen = repaints(table)
        moved = rows(6)
        moved.insert(3, moved.pop(1))  # k1 goes down two places: k2, k3 move up
        table.set_rows(moved)
        assert sorted(set(seen)) == [2, 3, 4]  # rows 1-3 (under the header), not 0, 4, 5
        seen.clear()
        table.set_rows(rows(5))  # one row fewer: the whole table
        assert "all" in seen


async def test_the_cursor_stays_on_its_row_and_moves_by_keys() -> None:
    app = Host()
    async with app.run_test() as pilot:
        table = app.query_one(RowTable)
        table.focus()
        table.set_rows(rows(30))
        await pilot.press("down", "down")
        assert table.current_key == "k2"
        seen = repaints(table)
        await pilot.press("down")
        assert sorted(seen) == [3, 4]  # the line it left and the line it reached
        table.set_rows([r for r in rows(30) if r[0] != "k1"])  # a row above goes away
        assert table.current_key == "k3"
        await pilot.press("end")
        assert table.current_key == "k29"
        assert "row 29" in shown(table)[-1]  # scrolled to it
        await pilot.press("home")
        assert table.current_key == "k0"
        await pilot.press("pagedown")
        assert table.current_key == "k10"  # a page, the 9 lines under the header (k1 is gone)
        table.set_rows(rows(3))  # its row is gone: the nearest one
        assert table.current_key == "k2"
        await until(pilot, lambda: app.moved[-1] == "k2")


async def test_a_click_moves_the_cursor_and_a_second_one_activates() -> None:
    app = Host()
    async with app.run_test() as pilot:
        table = app.query_one(RowTable)
        table.set_rows(rows(5))
        await pilot.click(RowTable, offset=(2, 3))  # the third row under the header
        assert table.current_key == "k2"
        assert app.activated == []
        await pilot.click(RowTable, offset=(2, 3))
        assert app.activated == ["k2"]
        await pilot.click(RowTable, offset=(2, 0))  # the header does nothing
        assert table.current_key == "k2"


async def test_an_empty_table_still_shows_its_header() -> None:
    app = Host()
    async with app.run_test() as pilot:
        table = app.query_one(RowTable)
        table.set_rows([])
        await pilot.pause()
        assert shown(table)[0].split() == ["name", "state"]
        assert table.current_key is None


async def test_the_preview_repaints_the_lines_that_changed() -> None:
    app = Host()
    async with app.run_test() as pilot:
        preview = app.query_one(PanePreview)
        preview.content = "\n".join(f"line {n}" for n in range(8))
        await pilot.pause()
        seen = repaints(preview)
        preview.content = "\n".join("spinner ⠋" if n == 5 else f"line {n}" for n in range(8))
        assert seen == [5]
        assert shown(preview)[5] == "spinner ⠋"
        preview.content = "\x1b[31mred\nstill red\x1b[0m"  # tmux carries colours over lines
        await pilot.pause()
        assert [line.plain for line in preview.lines] == ["red", "still red"]
        colours = [line.spans[0].style.color for line in preview.lines]
        assert [c.number if c else None for c in colours] == [1, 1]  # red, both


async def test_a_line_repaints_the_wrapped_lines_that_changed_only() -> None:
    app = Host()
    async with app.run_test(size=(40, 30)) as pilot:
        line = app.query_one(Line)
        line.show("x" * 30 + " idle for 5s")  # 38 columns inside the padding: two lines
        await until(pilot, lambda: line.size.height == 2)
        seen = repaints(line)
        line.show("x" * 30 + " idle for 6s")
        assert seen == [1]  # the second line only
        assert [s.text.strip() for s in line._lines(38)] == ["x" * 30 + " idle", "for 6s"]
        line.show("the same")  # one line fewer: a layout
        assert seen == [1, "all"]
        line.show("the same")
        assert seen == [1, "all"]  # nothing changed, nothing painted


async def test_the_log_keeps_its_last_lines_and_follows_the_end() -> None:
    app = Host()
    async with app.run_test() as pilot:
        log = app.query_one(EventLog)
        log.max_lines = 50
        for n in range(60):
            log.add(f"event {n}")
        await until(pilot, lambda: log.scroll_y == log.max_scroll_y > 0)
        assert [line.plain.split(" ", 1)[1] for line in log.lines] == [
            f"event {n}" for n in range(10, 60)
        ]
        assert shown(log)[-1].endswith("event 59")
        log.scroll_to(y=0, animate=False)
        await pilot.pause()
        log.add("one more")  # scrolled up: stays where the user is
        await pilot.pause()
        assert log.scroll_y == 0
        assert shown(log)[0].endswith("event 11")


async def test_a_growing_log_asks_for_a_layout_a_handful_of_times() -> None:
    app = Host()
    async with app.run_test() as pilot:
        log = app.query_one(EventLog)
        heights: list[int] = []
        for n in range(300):
            log.add(f"event {n}")
            if not heights or heights[-1] != log.virtual_size.height:
                heights.append(log.virtual_size.height)
        assert heights == [10, 20, 40, 80, 160, 320]  # doubled, not one per line
        await until(pilot, lambda: log.scroll_y == log.max_scroll_y > 0)
        assert shown(log)[-1].endswith("event 299")
        log.scroll_to(y=0, animate=False)
        await pilot.pause()
        assert shown(log)[0] == ""  # above the first line: room to grow into
        assert shown(log)[-1] == ""


def test_a_strip_of_text_is_what_rich_renders() -> None:
    from rich.console import Console
    from rich.text import Text

    from tmuxorch.tui.widgets.strips import strip_of

    console = Console(width=200, force_terminal=True, color_system="truecolor")
    busy = Text.assemble("  0: python  ", ("● busy", "green"), (" 12s", "dim"), style="on blue")
    for text in (busy, Text("日本語 wide ✻ cells"), Text(""), Text("a\tb"), Text("two\nlines")):
        options = console.options.update(width=max(1, text.cell_len), no_wrap=True)
        rich = console.render_lines(text, options, pad=False)[0]
        strip = strip_of(console, text)
        assert strip.cell_length == text.cell_len
        assert [(s.text, s.style) for s in strip if s.text] == [
            (s.text, s.style) for s in rich if s.text
        ]
    assert all(s.text for s in strip_of(console, Text("")))  # no empty segments (Textual warns)
