"""The send dialog: the chosen targets, a multi-line message, and receipts after sending."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tmuxorch.tui.messages import SendRequested
from tmuxorch.tui.screens.message_dialog import MessageDialog


class SendScreen(MessageDialog):
    """Type a message for `targets` (pane id → label); ctrl+s sends."""

    def __init__(self, targets: dict[str, str]) -> None:
        super().__init__()
        self.targets = targets
        self.title_text = f"Send to {len(targets)} target(s)"

    def compose_targets(self) -> ComposeResult:
        yield Static(
            "\n".join(f"{pid}  {label}" for pid, label in self.targets.items()), id="targets"
        )

    def request(self, text: str) -> bool:
        self.post_message(SendRequested(list(self.targets), text))
        return True

    def receipt_labels(self) -> dict[str, str]:
        return self.targets
