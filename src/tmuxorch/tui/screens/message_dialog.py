"""What the send and broadcast dialogs share: a title, who gets the message, a multi-line
editor, Send/Close buttons, and the receipts once the app has sent it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

from tmuxorch.core.models import Receipt
from tmuxorch.usecases.receipts import RECEIPT_STYLES


def receipts_text(receipts: list[Receipt], labels: dict[str, str]) -> Text:
    """One line per receipt, coloured by status."""
    text = Text()
    for receipt in receipts:
        text.append(f"{receipt.target} {labels.get(receipt.target, '')}  ")
        text.append(receipt.status, RECEIPT_STYLES.get(receipt.status, ""))
        if receipt.detail:
            text.append(f"  {receipt.detail}", "dim")
        text.append("\n")
    text.rstrip()  # no blank line after the last receipt
    return text


class MessageDialog(ModalScreen[None]):
    """Subclasses say who gets the message (`compose_targets`) and post the request
    (`request`); the app sets `receipts` after sending."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Send", priority=True),
        Binding("escape", "dismiss", "Close", priority=True),
    ]
    receipts: reactive[list[Receipt] | None] = reactive(None)
    title_text = "Send"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield from self.compose_targets()
            yield TextArea(id="message", soft_wrap=True, show_line_numbers=False)
            yield Static(id="receipts")
            with Horizontal(id="buttons"):
                yield Button("Send (ctrl+s)", variant="primary", id="send")
                yield Button("Close (esc)", id="close")

    def compose_targets(self) -> ComposeResult:
        """The part between the title and the editor."""
        yield from ()

    def on_mount(self) -> None:
        self.query_one("#receipts").display = False
        self.query_one(TextArea).focus()

    def action_submit(self) -> None:
        text = self.query_one(TextArea).text
        if not text.strip():
            self.notify("The message is empty", severity="warning")
            return
        if self.request(text):
            self.query_one("#send", Button).disabled = True

    def request(self, text: str) -> bool:
        """Post the request up; False when there is nothing to send to."""
        raise NotImplementedError

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "send":
            self.action_submit()
        else:
            self.dismiss()

    def receipt_labels(self) -> dict[str, str]:
        """Labels shown beside target ids in the receipts."""
        return {}

    def watch_receipts(self, receipts: list[Receipt] | None) -> None:
        if receipts is None:
            return
        self.query_one("#dialog").add_class("-sent")
        panel = self.query_one("#receipts", Static)
        panel.display = True
        panel.update(receipts_text(receipts, self.receipt_labels()))
        self.query_one("#send", Button).disabled = False
