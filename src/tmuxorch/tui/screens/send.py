"""The send dialog: a multi-line message, the list of targets, and receipts after sending."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

from tmuxorch.core.delivery import Receipt
from tmuxorch.render import RECEIPT_STYLES
from tmuxorch.tui.messages import SendRequested


def receipts_text(receipts: list[Receipt], labels: dict[str, str]) -> Text:
    """One line per receipt, coloured by status."""
    text = Text()
    for receipt in receipts:
        text.append(f"{receipt.target} {labels.get(receipt.target, '')}  ")
        text.append(receipt.status, RECEIPT_STYLES.get(receipt.status, ""))
        if receipt.detail:
            text.append(f"  {receipt.detail}", "dim")
        text.append("\n")
    return text


class SendScreen(ModalScreen[None]):
    """Type a message for `targets` (pane id → label); ctrl+s sends; the app sets `receipts`."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Send", priority=True),
        Binding("escape", "dismiss", "Close", priority=True),
    ]
    receipts: reactive[list[Receipt] | None] = reactive(None)

    def __init__(self, targets: dict[str, str], title: str = "Send") -> None:
        super().__init__()
        self.targets = targets
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"{self.title_text} to {len(self.targets)} target(s)", id="dialog-title")
            yield Static(
                "\n".join(f"{pid}  {label}" for pid, label in self.targets.items()),
                id="targets",
            )
            yield TextArea(id="message", soft_wrap=True, show_line_numbers=False)
            yield Static(id="receipts")
            with Horizontal(id="buttons"):
                yield Button("Send (ctrl+s)", variant="primary", id="send")
                yield Button("Close (esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#receipts").display = False
        self.query_one(TextArea).focus()

    def action_submit(self) -> None:
        text = self.query_one(TextArea).text
        if not text.strip():
            self.notify("The message is empty", severity="warning")
            return
        self.query_one("#send", Button).disabled = True
        self.post_message(SendRequested(list(self.targets), text))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.action_submit()
        else:
            self.dismiss()

    def watch_receipts(self, receipts: list[Receipt] | None) -> None:
        if receipts is None:
            return
        panel = self.query_one("#receipts", Static)
        panel.display = True
        panel.update(receipts_text(receipts, self.targets))
        self.query_one("#send", Button).disabled = False
