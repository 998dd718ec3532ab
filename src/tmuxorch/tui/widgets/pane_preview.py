"""A live view of one pane: its recent output with colours, sanitised, following the tail
unless the user scrolled up; lines wider than the view are cropped, like tmux's own previews.
Zoomed (the app gives it the screen's width and more history), it takes the focus and the
arrows and page keys scroll back through the history.

A capture is parsed whole (tmux carries colours over from one line to the next), then only
the lines that differ from the last capture are rendered and repainted: a spinner costs one line.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.reactive import var

from tmuxorch.tui.widgets.line_view import LineView


class PanePreview(LineView, can_focus=True):
    """Set `content` (text with SGR colours only) and `title`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "scroll_up", "Up", show=False),
        Binding("down", "scroll_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_home", "Top", show=False),
        Binding("end", "scroll_end", "Bottom", show=False),
    ]

    content: var[str] = var("")
    title: var[str] = var("")

    def watch_title(self, title: str) -> None:
        self.border_title = title

    def watch_content(self, content: str) -> None:
        self.show(list(Text.from_ansi(content).split("\n", allow_blank=True)) if content else [])
