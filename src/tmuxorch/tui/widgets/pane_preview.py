"""A live view of one pane: its recent output with colours, sanitised, following the tail
unless the user scrolled up; lines wider than the view are cropped, like tmux's own previews."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static


class PanePreview(VerticalScroll):
    """Set `content` (text with SGR colours only) and `title`."""

    content: reactive[str] = reactive("")
    title: reactive[str] = reactive("")

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="preview-text")

    def watch_title(self, title: str) -> None:
        self.border_title = title

    def watch_content(self, content: str) -> None:
        following = self.scroll_y >= self.max_scroll_y - 1
        self.query_one("#preview-text", Static).update(Text.from_ansi(content))
        if following:
            self.call_after_refresh(self.scroll_end, animate=False)
