"""Lines of styled text in a scrollable view that renders each line once and repaints only the
lines that changed (Textual's Line API).

Why: the preview and the event log change a line or two at a time (an agent's spinner, one more
event), but a `Static` or `RichLog` renders its whole content again and asks the screen for a new
layout on every change — most of what the TUI cost beside a working fleet. Here a line is
rendered when it is first shown and kept until it changes. A layout (which also repaints every
scrollbar on the screen) comes only when the view's height in lines changes: for a log that
grows, that height doubles when the lines outgrow it, and the lines sit at its bottom, as in a
terminal, so a log asks for a layout a handful of times in its life, not once per line.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tmuxorch.tui.widgets.strips import strip_of


class LineView(ScrollView):
    """`show(lines)` replaces the lines, `append(lines)` adds at the end (keeping the last
    `max_lines`); either follows the end while the view is scrolled to it."""

    def __init__(self, *, max_lines: int | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.max_lines = max_lines
        self._lines: list[Text] = []
        self._first = 0
        """The number of the first kept line among all lines ever appended: a rendered line is
        kept by its number, which stays the same when older lines are dropped."""
        self._strips: dict[int, Strip] = {}
        self._room = 0
        """The view's height in lines (its virtual height): the lines sit at its bottom."""

    @property
    def lines(self) -> Sequence[Text]:
        """The lines held, first to last."""
        return self._lines

    def show(self, lines: Sequence[Text]) -> None:
        """Hold `lines` instead; only the lines that differ are rendered and repainted."""
        following = self._following()
        old, self._lines = self._lines, list(lines)
        if len(old) != len(self._lines):
            self._strips.clear()
            self._resized(len(self._lines), following)
            return
        for y, (before, after) in enumerate(zip(old, self._lines, strict=True)):
            if before != after:
                self._strips.pop(self._first + y, None)
                self.refresh_line(y)

    def append(self, lines: Sequence[Text]) -> None:
        """Add `lines` at the end, dropping the oldest beyond `max_lines`."""
        if not lines:
            return
        following = self._following()
        self._lines += lines
        excess = 0 if self.max_lines is None else len(self._lines) - self.max_lines
        if excess > 0:
            del self._lines[:excess]
            self._first += excess
            self._strips = {n: s for n, s in self._strips.items() if n >= self._first}
        room = self._room
        if len(self._lines) > room:
            room = max(2 * room, len(self._lines), self.scrollable_content_region.height)
            room = room if self.max_lines is None else min(room, self.max_lines)
        self._resized(room, following)

    def clear(self) -> None:
        """Hold no lines."""
        self.show([])

    def _following(self) -> bool:
        return self.scroll_y >= self.max_scroll_y - 1

    def _resized(self, room: int, following: bool) -> None:
        """What each line of the view holds changed: its lines repainted, and only when `room`
        is not the height it has a new height in lines (a layout, which repaints the
        scrollbars too) and back to the end if it was there. A line more in a log of the same
        height repaints its lines only: the scrollbar did not move (a refresh of the whole
        widget painted it too, once per event), and a view at its end stays there."""
        self._room = room
        size = Size(0, room)
        if self.virtual_size == size:
            self.refresh(Region(0, 0, *self.scrollable_content_region.size))
            return
        self.virtual_size = size
        self.refresh()
        if following:
            self.call_after_refresh(self.scroll_end, animate=False)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y - (self._room - len(self._lines))  # the lines sit at the bottom
        width, style = self.scrollable_content_region.width, self.visual_style.rich_style
        if not 0 <= index < len(self._lines):
            return Strip.blank(width, style)
        number = self._first + index
        strip = self._strips.get(number)
        if strip is None:
            strip = self._strips[number] = strip_of(self.app.console, self._lines[index])
        return strip.apply_style(style).crop_extend(scroll_x, scroll_x + width, style)
