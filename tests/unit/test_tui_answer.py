"""Answering from the list: the waiting agent under the cursor shows its question and choices
in the detail strip (read from the preview's capture), and a digit picks one with exactly that
choice's keys, then the app says the agent moved on."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from tmuxorch.core.events import AgentStateChanged
from tmuxorch.core.live import apply
from tmuxorch.core.models import Receipt
from tmuxorch.tui.app import TmuxorchApp
from tmuxorch.tui.widgets.detail_strip import DetailStrip

from ..conftest import until
from ..tui_fakes import FIXED_TIME, FakeBackend

ASKING = (
    "• Running echo hi > f.txt\n"
    "  Would you like to run the following command?\n"
    "  $ echo hi > f.txt\n"
    "\x1b[1m› 1. Yes, proceed (y)\x1b[0m\n"
    "  2. No, and tell Codex what to do differently (esc)\n"
)


BUSY = AgentStateChanged(
    pane_id="%1", window_id="@1", session_id="$0", kind="codex", state="busy",
    previous="waiting", since=FIXED_TIME + 1, at=FIXED_TIME + 1,
)  # fmt: skip


class Asking(FakeBackend):
    """%1 (codex, waiting) asks; once a key is pressed in it, it works (its screen, the
    snapshots and the event stream say so, as the engine would)."""

    answered = False

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        await super().capture(target, lines, colours=colours)
        if target != "%1" or self.answered:
            return "$ "
        return ASKING if colours else Text.from_ansi(ASKING).plain  # as tmux gives either

    async def keys(self, targets: Sequence[str], keys: Sequence[str]) -> list[Receipt]:
        receipts = await super().keys(targets, keys)
        self.answered = True
        self.fixed = apply(self.fixed, [BUSY])
        for subscription in self.subscriptions:
            subscription.queue.put_nowait(BUSY)
        return receipts


async def test_a_digit_answers_the_question_the_detail_strip_shows() -> None:
    backend = Asking()
    app = TmuxorchApp(backend, clock=lambda: FIXED_TIME)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.fleet is not None and "%1" in app._table.keys)
        app._table.move_cursor(app._table.keys.index("%1"))
        detail = app.screen.query_one(DetailStrip)
        await until(pilot, lambda: "asks:" in detail.content.plain)
        assert "Would you like to run the following command?" in detail.content.plain
        assert "1 Yes, proceed · 2 No, and tell Codex" in detail.content.plain
        await pilot.press("3")  # not a choice here: nothing pressed
        await pilot.press("1")
        await until(pilot, lambda: backend.ops("keys"))
        assert [call.args for call in backend.ops("keys")] == [(["%1"], ["1"])]
        await until(pilot, lambda: any("answered 1" in n.message for n in app._notifications))
        await until(pilot, lambda: "asks:" not in detail.content.plain)


async def test_a_digit_without_a_question_presses_nothing() -> None:
    backend = Asking()
    app = TmuxorchApp(backend, clock=lambda: FIXED_TIME)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: app.fleet is not None and "%0" in app._table.keys)
        app._table.move_cursor(app._table.keys.index("%0"))  # busy claude: asks nothing
        await pilot.pause()
        await pilot.press("1")
        await until(pilot, lambda: any("No question" in n.message for n in app._notifications))
        assert backend.ops("keys") == []
