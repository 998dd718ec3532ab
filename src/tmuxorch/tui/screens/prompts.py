"""Small dialogs that return a value: confirm (yes/no), rename (a name), spawn (what to run)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.models import Session, Window
from tmuxorch.core.names import validate_name


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
    """Ask for a new name, checked as the engine will check it: a name tmux would not keep
    says why under the field, and the dialog stays open for another try."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, row: Session | Window) -> None:
        super().__init__()
        self.kind: Literal["session", "window"] = (
            "session" if isinstance(row, Session) else "window"
        )
        self.current = row.name

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Rename {self.kind} {self.current}", id="dialog-title", markup=False)
            yield Input(value=self.current, id="name")
            yield Label("", id="error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#error").display = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            validate_name(event.value, self.kind)
        except TmuxorchError as exc:
            error = self.query_one("#error", Label)
            error.update(str(exc))
            error.display = True
            return
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
    """Command (split like a shell would), session, window name and agent kind."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, session: str) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("New agent", id="dialog-title")
            # The command first, and focused: what is typed right after `n` is the command
            # (keys that arrive before the dialog's mount land in its first field).
            yield Input(placeholder="command, e.g. claude --model opus", id="command")
            yield Input(value=self.session, placeholder="session", id="session")
            yield Input(placeholder="window name (optional)", id="name")
            yield Input(placeholder="kind (claude, codex, sim…; optional)", id="kind")
            yield Label(
                "Enter starts it; Tab moves between the fields; Esc cancels.", classes="hint"
            )

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
