"""Small dialogs that return a value: confirm (yes/no), rename (a name), spawn (what to run)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; `y` or Enter on Yes confirms, `n` or Esc refuses."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question, id="dialog-title")
            with Horizontal(id="buttons"):
                yield Button("Yes (y)", variant="error", id="yes")
                yield Button("No (n)", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class RenameScreen(ModalScreen[str | None]):
    """Ask for a new name (validated by the backend when applied)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, what: str, current: str) -> None:
        super().__init__()
        self.what = what
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Rename {self.what}", id="dialog-title")
            yield Input(value=self.current, id="name")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class SpawnRequest:
    """What the user asked to start."""

    session: str
    name: str | None
    kind: str | None
    command: list[str]


class SpawnScreen(ModalScreen[SpawnRequest | None]):
    """Session, window name, agent kind and command (split like a shell would)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, session: str) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("New agent", id="dialog-title")
            yield Input(value=self.session, placeholder="session", id="session")
            yield Input(placeholder="window name (optional)", id="name")
            yield Input(placeholder="kind (claude, codex, sim…; optional)", id="kind")
            yield Input(placeholder="command, e.g. claude --model opus", id="command")
            yield Label("Enter in the command field starts it; Esc cancels.", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#command", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        values = {i.id: i.value.strip() for i in self.query(Input)}
        try:
            command = shlex.split(values["command"])
        except ValueError as exc:
            self.notify(f"command: {exc}", severity="error")
            return
        if not command or not values["session"]:
            self.notify("a session and a command are needed", severity="warning")
            return
        self.dismiss(
            SpawnRequest(
                session=values["session"],
                name=values["name"] or None,
                kind=values["kind"] or None,
                command=command,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
