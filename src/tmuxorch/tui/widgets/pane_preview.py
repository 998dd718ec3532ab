"""A live view of one pane: its recent output with colours, sanitised, following the tail
unless the user scrolled up; lines wider than the view are cropped, like tmux's own previews.

A capture is parsed whole (tmux carries colours over from one line to the next), then only
the lines that differ from the last capture are rendered and repainted: a spinner costs one line.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import var

from tmuxorch.tui.widgets.line_view import LineView


class PanePreview(LineView):
    """Set `content` (text with SGR colours only) and `title`."""

    content: var[str] = var("")
    title: var[str] = var("")

    def watch_title(self, title: str) -> None:
        self.border_title = title

    def watch_content(self, content: str) -> None:
        self.show(list(Text.from_ansi(content).split("\n", allow_blank=True)) if content else [])
