"""The TUI's schedules and queue panel (`p`, tui/plans.py): a check-in added for the agent under
the cursor, a task queued, each cancelled from the list, all through the real backend."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, OptionList

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.schedules.when import trigger_of_words
from tmuxorch.tui.app import TmuxorchApp
from tmuxorch.tui.screens.plans import PlanPrompt, PlansScreen

from ..conftest import TmuxFixture, until
from ..simfleet import start_agent
from .test_tui_pilot import move_to, running


async def test_the_panel_adds_a_check_in_and_a_task_and_cancels_them(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path)
    app = TmuxorchApp(backend)
    async with running(app) as pilot:
        await move_to(pilot, app, agent.pane)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PlansScreen))
        assert "nothing pending" in str(app.screen.query_one("#plans-empty").render())
        await pilot.press("a")  # a check-in for the agent under the cursor
        await until(pilot, lambda: isinstance(app.screen, PlanPrompt))
        app.screen.query_one("#message", Input).value = "status report, please"
        await pilot.press("enter")
        app.screen.query_one("#second", Input).value = "every 1h"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PlansScreen))
        await pilot.press("t")  # a task for any idle sim agent
        await until(pilot, lambda: isinstance(app.screen, PlanPrompt))
        app.screen.query_one("#message", Input).value = "write the changelog"
        await pilot.press("enter")
        app.screen.query_one("#second", Input).value = "nosuchkind"
        await pilot.press("enter")  # refused: the kind is unknown; the panel again, no task
        await until(pilot, lambda: isinstance(app.screen, PlansScreen))
        assert (await backend.queue()).tasks == ()
        schedules = (await backend.schedules()).schedules
        assert [(s.targets, s.text, s.trigger.every) for s in schedules] == [
            ((agent.pane,), "status report, please", 3600.0)
        ]
        await until(pilot, lambda: app.screen.query_one(OptionList).option_count == 1)
        app.screen.query_one(OptionList).highlighted = 0
        await pilot.press("x")  # cancels the highlighted one
        await until(pilot, lambda: app.screen.query_one(OptionList).option_count == 0)
        assert [s.state for s in (await backend.schedules(everything=True)).schedules] == [
            "cancelled"
        ]
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, PlansScreen))


def test_times_as_typed_in_the_panel() -> None:
    now = 1_800_000_000.0
    assert trigger_of_words("30m", now).due == now + 1800
    assert trigger_of_words("in 90s", now).due == now + 90
    assert trigger_of_words("every 1h", now).every == 3600
    assert trigger_of_words("cron 0 9 * * 1-5", now).cron == "0 9 * * 1-5"
    assert trigger_of_words("idle", now).kind == "when_idle"


def test_words_the_panel_cannot_read_are_one_line() -> None:
    for words in ("soon", "every", "at noon-ish", "idle now", ""):
        with pytest.raises(BadInputError):
            trigger_of_words(words, 1_800_000_000.0)
