"""A short text (a line or a few, wrapped) that repaints only when it changed, and asks for a
layout only when its number of lines changed (Textual's Line API).

Why: `Static.update` always asks the screen for a new layout, which costs the compositor far more
than the line itself (profiled on 24 demo agents: layout refreshes were a fifth of the TUI's
time), and renders its content anew on each repaint; the header and the detail strip are told of
every model change and every second tick.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
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
        before = len(self._lines(self.content_size.width))
        self._shown, self._strips = text, None
        self.refresh(layout=len(self._lines(self.content_size.width)) != before)

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
