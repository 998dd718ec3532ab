"""Submission, end to end against simulated agents with the quirks of real CLIs: an Enter that is
lost is pressed again (never the text), the submit check tells a message still in the input from
one that left it, and a message that never leaves it is `not_submitted`.

Every agent here runs with `--show-submits`, so an Enter pressed once too often shows in its log
as an empty message; a marker typed after the send (read after everything sent before it) is
the positive signal that the log is complete.
"""

from __future__ import annotations

import json
from pathlib import Path

from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.ops.delivery import deliver

from ..conftest import TmuxFixture, wait_for
from ..simfleet import SimAgent, start_agent

TEXT = "fix the parser, then run the tests"


async def quirky(tmux: TmuxFixture, directory: Path, *quirks: str) -> SimAgent:
    """An idle agent that replies at once, shows every submit, and has `quirks`."""
    return await start_agent(tmux, directory, "--busy", "0", "--show-submits", *quirks)


async def everything_read(agent: SimAgent, *before: str) -> None:
    """Type a marker, and Enter once it shows (as a person would: a slow reader that loses an
    Enter coming with text would lose it); wait until the log is `before`, then the marker."""
    agent.type("MARKER")
    await wait_for(lambda: "MARKER" in agent.cursor_line(), timeout=10)
    agent.keys("Enter")
    await wait_for(lambda: agent.entries()[-1:] == ["MARKER"], timeout=10)
    assert agent.entries() == [*before, "MARKER"]


async def test_an_agent_that_takes_the_first_enter_gets_one(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await quirky(running_tmux, tmp_path)
    (receipt,) = await backend.send([agent.pane], TEXT)
    assert (receipt.status, receipt.detail) == ("delivered", "")
    await everything_read(agent, TEXT)


async def test_a_lost_enter_is_pressed_again_and_the_text_submitted_once(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await quirky(running_tmux, tmp_path, "--drop-first-enters", "1")
    (receipt,) = await backend.send([agent.pane], TEXT)
    assert (receipt.status, receipt.detail) == ("delivered", "Enter pressed 2 times")
    await everything_read(agent, TEXT)


async def test_a_message_that_never_leaves_the_input_is_not_submitted(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await quirky(running_tmux, tmp_path, "--drop-first-enters", "100")
    (receipt,) = await backend.send([agent.pane], TEXT)
    assert receipt.status == "not_submitted"
    assert "after 3 Enter presses" in receipt.detail
    assert TEXT[-12:] in agent.cursor_line()  # still in the input, typed once
    assert agent.screen().count(TEXT[-12:]) == 1
    assert agent.entries() == []


async def test_not_submitted_is_exit_1_from_the_cli(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0", "--drop-first-enters", "100")
    result = running_tmux.cli("send", agent.pane, "-m", TEXT, "--json")
    assert result.returncode == 1, result.stderr
    receipts = json.loads(result.stdout)["receipts"]
    assert [(r["target"], r["status"]) for r in receipts] == [(agent.pane, "not_submitted")]
    assert agent.entries() == []


async def test_a_slow_reader_that_loses_an_enter_with_the_text_still_gets_it_once(
    backend: LocalBackend, engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """A slow reader takes text and Enter in one read when the Enter is pressed before it has
    read the text; an agent that loses such an Enter keeps the text in its input, so the Enter
    waits until the text shows, and the submit check never takes "not shown yet" for "gone"."""
    agent = await quirky(running_tmux, tmp_path, "--drop-enter", "--read-delay", "0.3")
    # A timeout that leaves the slow reader time to read each Enter before the next is due.
    (receipt,) = await deliver(
        engine, await backend.snapshot(), [agent.pane], TEXT, submit_timeout=6.0
    )
    assert receipt.status == "delivered"
    await everything_read(agent, TEXT)
