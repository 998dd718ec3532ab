"""A short text (a line or a few, wrapped) that repaints only the lines that changed, and asks
for a layout only when its number of lines changed (Textual's Line API).

Why: `Static.update` always asks the screen for a new layout, which costs the compositor far more
than the line itself (profiled on 24 demo agents: layout refreshes were a fifth of the TUI's
time), and renders its content anew on each repaint; the header and the detail strip are told of
every model change and every second tick.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from tmuxorch.tui.widgets.strips import wrapped


class Line(Widget):
    """`show(content)`: the same content again costs nothing."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown = Text()
        self._strips: list[Strip] | None = None
        self._strips_width = 0

    @property
    def content(self) -> Text:
        """What is shown."""
        return self._shown

    def show(self, content: Text | str) -> None:
        """Display `content`, unless it is what is shown already."""
        text = content if isinstance(content, Text) else Text(content)
        if text == self._shown:
            return
        width = self.content_size.width
        before = self._lines(width)
        self._shown, self._strips = text, None
        after = self._lines(width)
        if len(after) != len(before):
            self.refresh(layout=True)
            return
        changed = [y for y, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
        if changed:  # "idle for 5s" becoming "6s" repaints that line, not the strip's three
            top = self.styles.gutter.top
            self.refresh(*(Region(0, top + y, self.size.width, 1) for y in changed))

    def _lines(self, width: int) -> list[Strip]:
        if self._strips is None or width != self._strips_width:
            self._strips = wrapped(self.app.console, self._shown, width) if width else []
            self._strips_width = width
        return self._strips

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self._shown.cell_len

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(self._lines(width)))

    def render_line(self, y: int) -> Strip:
        width, style = self.content_size.width, self.visual_style.rich_style
        lines = self._lines(width)
        if y >= len(lines):
            return Strip.blank(width, style)
        return lines[y].apply_style(style).crop_extend(0, width, style)
