"""The schedules and task queue panel (`p`): what is pending for the fleet, and the keys to add
a check-in for the selection, queue a task, or cancel the highlighted one. It shows what the app
read and says what was chosen (`PlanChoice`); the app does it and opens it again, fresh."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tmuxorch.core.schedules.records import ScheduleList
from tmuxorch.core.tasks.records import TaskList

Action = Literal["add_schedule", "add_task", "cancel_schedule", "cancel_task"]


@dataclass(frozen=True)
class PlanChoice:
    action: Action
    number: int = 0
    """The schedule's or task's id, for a cancel."""


def _short(text: str, width: int = 40) -> str:
    line = text.replace("\n", " ")
    return line if len(line) <= width else line[: width - 1] + "…"


class PlansScreen(ModalScreen[PlanChoice | None]):
    BINDINGS = [
        Binding("a", "choose('add_schedule')", "Check-in"),
        Binding("t", "choose('add_task')", "Task"),
        Binding("x,delete", "cancel_row", "Cancel it"),
        Binding("escape,p", "dismiss", "Close"),
    ]

    def __init__(self, schedules: ScheduleList, tasks: TaskList, targets: str) -> None:
        super().__init__()
        self.schedules, self.tasks, self.targets = schedules, tasks, targets

    def compose(self) -> ComposeResult:
        rows = [
            Option(f"schedule {s.id:<4} {s.trigger.describe():<24} -> {' '.join(s.targets)}  "
                   f"{_short(s.text)!r}", id=f"schedule:{s.id}")
            for s in self.schedules.schedules if s.state == "pending"
        ] + [
            Option(f"task {t.id:<8} {t.state:<8} p{t.priority} "
                   f"{t.kind or t.session or ' '.join(t.agents) or 'any agent'}  "
                   f"{_short(t.text)!r}" + (f"  on {t.agent}" if t.agent else ""),
                   id=f"task:{t.id}")
            for t in self.tasks.tasks if t.state in ("pending", "running")
        ]  # fmt: skip
        notes = [] if self.schedules.running else ["no tmuxorch runs them on that host now"]
        notes += ["the queue is paused"] if self.tasks.paused else []
        with Vertical(id="dialog"):
            yield Label("Schedules and tasks", id="dialog-title")
            yield OptionList(*rows, id="plans")
            yield Static("nothing pending" if not rows else "", id="plans-empty")
            yield Static(
                f"a: a check-in for {self.targets}  ·  t: queue a task  ·  x: cancel it  ·  "
                "esc: close" + "".join(f"  ·  {n}" for n in notes), id="plans-keys",
            )  # fmt: skip

    def action_choose(self, action: Action) -> None:
        self.dismiss(PlanChoice(action))

    def action_cancel_row(self) -> None:
        plans = self.query_one(OptionList)
        if plans.highlighted is None:
            return
        what, _, number = (plans.get_option_at_index(plans.highlighted).id or "").partition(":")
        self.dismiss(PlanChoice("cancel_schedule" if what == "schedule" else "cancel_task",
                                int(number)))  # fmt: skip


class PlanPrompt(ModalScreen[tuple[str, str] | None]):
    """The message and one more field (when, for a check-in; a kind, for a task)."""

    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, title: str, second: str, placeholder: str) -> None:
        super().__init__()
        self.title_text, self.placeholder = title, placeholder
        self.second = second

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield Input(placeholder="the message", id="message")
            yield Input(placeholder=self.placeholder, id="second")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "message":
            self.query_one("#second", Input).focus()
            return
        message = self.query_one("#message", Input).value
        if not message.strip():
            self.notify("The message is empty", severity="warning")
            return
        self.dismiss((message, event.value.strip()))
