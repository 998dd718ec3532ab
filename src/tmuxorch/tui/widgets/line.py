"""A one-line Static that repaints only when its text changed.

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
        self._shown = content
        self.update(content)
