"""The pane under the cursor, shown: captured with its colours into the preview (every half
second and on each move), and, when it is a waiting agent, the question it asks, read from that
same capture (no capture of its own), shown in the detail strip and answered with the digit keys
through usecases/answer.py (only while it waits and still asks the same; then it must move on).
A pane shown is a pane looked at (`looked_at`): an agent idle after work stops asking for a look.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from tmuxorch.core.agents.questions import Question, read_question
from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.models import Pane
from tmuxorch.tui.widgets.detail_strip import DetailStrip
from tmuxorch.tui.widgets.pane_preview import PanePreview
from tmuxorch.usecases.answer import answer

PREVIEW_LINES = 200
ZOOMED_LINES = 2000


class CursorPane:
    """Set `zoomed` for the long history; `refresh()` captures, `answer(n)` picks choice n.
    Zoomed, the preview holds ZOOMED_LINES of the pane's history to scroll back through."""

    def __init__(
        self,
        backend: Backend,
        under_cursor: Callable[[], Pane | None],
        own: Callable[[], str | None],
        preview: PanePreview,
        detail: DetailStrip,
        say: Callable[[str, bool], None],
        looked_at: Callable[[str], None],
    ) -> None:
        self.backend, self.under_cursor, self.own = backend, under_cursor, own
        self.preview, self.detail, self.say = preview, detail, say
        self.looked_at = looked_at
        self.zoomed = False
        self.asked: tuple[Pane, Question] | None = None

    async def refresh(self) -> None:
        pane = self.under_cursor()
        if pane is None or pane.id == self.own():  # the TUI itself would show itself, smaller
            self.preview.content = ""
            self.preview.title = "" if pane is None else f"{pane.id}: this TUI"
            self._asks(None)
            return
        try:
            lines = ZOOMED_LINES if self.zoomed else PREVIEW_LINES
            text = await self.backend.capture(pane.id, lines, colours=True)
        except TmuxorchError:
            return
        if self.under_cursor() != pane:
            return  # the cursor moved on while this capture ran: a newer one shows that pane
        self.preview.title = f"{pane.id} {pane.command}"
        self.preview.content = text
        self.looked_at(pane.id)  # the user has seen it: its idle after work is no news now
        waiting = pane.agent is not None and pane.agent.state == "waiting"
        question = read_question(Text.from_ansi(text).plain) if waiting else None
        self._asks(None if question is None else (pane, question))

    def _asks(self, asked: tuple[Pane, Question] | None) -> None:
        self.asked = asked
        self.detail.question = None if asked is None else asked[1]

    async def answer(self, number: int) -> None:
        """Pick choice `number` of the question shown, then say what came of it."""
        if self.asked is None or self.under_cursor() != self.asked[0]:
            self.say("No question to answer here (a waiting agent shows its choices)", False)
            return
        pane, question = self.asked
        try:
            done = await answer(self.backend, pane, question, number)
        except TmuxorchError as exc:
            self.say(str(exc), False)
            return
        if done.receipt.status != "delivered":
            self.say(
                f"{pane.id}: not answered: {done.receipt.detail or done.receipt.status}", False
            )
        elif done.state == "waiting":
            self.say(f"{pane.id}: pressed {' '.join(done.choice.keys)}, still waiting", False)
        else:
            self.say(f"{pane.id}: answered {number} ({done.choice.label}); now {done.state}", True)
        self._asks(None)
