"""One line about the row under the cursor: kind, state, for how long and where the state came
from (hook, session file, title, screen), command, size, cwd
(the cwd last: it is the long one, and on a narrow screen the strip is cut at its end).
For a waiting agent that asks a question, the question and its numbered choices come first,
and the strip grows (`-asking`) so that the choices show even in a narrow column."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.reactive import var

from tmuxorch.core.agents.questions import Question
from tmuxorch.core.models import Pane, Session, Snapshot, Window
from tmuxorch.core.targets import resolve_target
from tmuxorch.tui.widgets.line import Line
from tmuxorch.usecases.labels import STATE_BADGES, counted, state_age


def describe(fleet: Snapshot, row_id: str, now: float) -> Text:
    """The detail line for a session, window or pane id."""
    try:
        target = resolve_target(fleet, row_id)
    except Exception:
        return Text("")
    if isinstance(target, Session):
        panes = sum(len(w.panes) for w in target.windows)
        flag = "attached" if target.attached else "detached"
        return Text(
            f"session {target.name}  ·  {counted(len(target.windows), 'window')}, "
            f"{counted(panes, 'pane')}  ·  {flag}"
        )
    if isinstance(target, Window):
        return Text(
            f"window {target.name}  ·  {target.kind}  ·  {counted(len(target.panes), 'pane')}"
        )
    return _pane_line(target, now)


def _pane_line(pane: Pane, now: float) -> Text:
    line = Text()
    if pane.agent is not None:
        symbol, style = STATE_BADGES[pane.agent.state]
        line.append(f"{pane.agent.kind} ", "bold")
        line.append(f"{symbol} {pane.agent.state}", style)
        age = state_age(pane.agent, now)
        line.append(f" for {age}" if age else "")
        line.append(f" via {pane.agent.source}", "dim")  # `tmuxorch explain` says more
        line.append("  ·  ")
    line.append(f"{pane.command}  ·  {pane.width}x{pane.height}  ·  ")
    if pane.dead:
        line.append(f"dead (exit {pane.dead_status})", "red")
        line.append("  ·  ")
    if pane.restarts:  # its restart policy started it again (spawn --restart)
        line.append(f"restarted {pane.restarts}x", "yellow")
        line.append("  ·  ")
    line.append(pane.cwd)
    return line


def asks(question: Question) -> Text:
    """`asks: Do you want to proceed?  1 Yes · 2 No  (press 1-2)`."""
    line = Text("asks: ", "bold")
    line.append(question.text)
    for n, choice in enumerate(question.choices):
        line.append("  " if n == 0 else " · ")
        line.append(str(choice.number), "bold reverse")
        line.append(f" {choice.label}")
    line.append(f"  (press 1-{question.choices[-1].number})", "dim")
    return line


class DetailStrip(Line):
    """Set `fleet` and `row_id`; it describes that row, and `question`, what it asks."""

    # `var`s: the line repaints itself when its text changed, not on every model.
    fleet: var[Snapshot | None] = var(None, always_update=True)
    row_id: var[str | None] = var(None)
    question: var[Question | None] = var(None)

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.clock = clock

    def tick(self) -> None:
        """A second went by: "idle for 5s" keeps counting, as the table does."""
        self._render_line()

    def watch_fleet(self) -> None:
        self._render_line()

    def watch_row_id(self) -> None:
        self._render_line()

    def watch_question(self) -> None:
        self._render_line()

    def _render_line(self) -> None:
        if self.fleet is None or self.row_id is None:
            self.show("")
            return
        line = describe(self.fleet, self.row_id, self.clock())
        if self.question is not None:  # first, and the strip taller: the choices must show
            line = Text("\n").join([asks(self.question), line])
        self.set_class(self.question is not None, "-asking")
        self.show(line)
