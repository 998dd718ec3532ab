"""Every key binding with its id (what the config's [keymap] remaps) and what it does; the app
passes the effective keys, remaps included."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class HelpScreen(ModalScreen[None]):
    """A table of keys; any of escape, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, keys: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold cyan")
        table.add_column(style="dim")
        table.add_column()
        for key, binding_id, description in self.keys:
            table.add_row(key, binding_id, description)
        with VerticalScroll(id="dialog"):  # scrolls (arrows, page keys) on a small terminal
            yield Label(
                "Keys and their [keymap] ids  (ctrl+p: every action)",
                id="dialog-title", markup=False,
            )  # fmt: skip
            yield Static(table)
