"""A short Static that repaints only when its text changed, and asks for a layout only when its
height changed.

Why: `Static.update` always asks the screen for a new layout, which costs the compositor far more
than the line itself (profiled on 24 demo agents: layout refreshes were a fifth of the TUI's
time), and the header and detail strip are told of every model change and every second tick.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class Line(Static):
    """`show(content)` instead of `update(content)`: the same content again costs nothing."""

    _shown: Text | str | None = None

    def show(self, content: Text | str) -> None:
        """Display `content`, unless it is what is shown already."""
        if content == self._shown:
            return
        before, self._shown = self._shown, content
        self.update(content, layout=self._height(content) != self._height(before))

    def _height(self, content: Text | str | None) -> int:
        """The lines `content` takes at the current width (-1 when that is not known yet)."""
        width = self.content_size.width
        if content is None or not width:
            return -1
        text = content if isinstance(content, Text) else Text(content)
        return len(text.wrap(self.app.console, width))
