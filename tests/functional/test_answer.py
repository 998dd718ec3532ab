"""`tmuxorch answer`: a waiting agent's question shown and answered from the CLI, locally and
over `--connect` (a read token sees the question, only a control token answers)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from tmuxorch.client.backend import RemoteBackend
from tmuxorch.core.backend import Backend
from tmuxorch.core.engine import Engine
from tmuxorch.protocol.errors import ForbiddenError
from tmuxorch.usecases.answer import NotAskingError, answer, question_of

from ..conftest import TmuxFixture, wait_for
from ..serverkit import served
from ..simfleet import SimAgent, start_agent


async def asking(tmux: TmuxFixture, tmp_path: Path) -> SimAgent:
    agent = await start_agent(tmux, tmp_path, "--busy", "120")
    agent.type("APPROVE the deploy")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("1. Yes"))
    return agent


async def test_answer_shows_the_question_then_picks_a_choice(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await asking(running_tmux, tmp_path)
    await wait_for(lambda: "waiting" in running_tmux.cli("status").stdout)
    shown = running_tmux.cli("answer", agent.pane, "--json")
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["question"] == "Do you want to proceed with this action?"
    assert [c["keys"] for c in document["choices"]] == [["1"], ["2"]]
    wrong = running_tmux.cli("answer", agent.pane, "7")
    assert wrong.returncode == 2
    assert wrong.stderr == f"tmuxorch: no choice 7: {agent.pane} offers 1, 2\n"
    picked = running_tmux.cli("answer", agent.pane, "1")
    assert picked.returncode == 0, picked.stderr
    assert picked.stdout == f"{agent.pane}: answered 1 (Yes); now busy\n"
    await wait_for(lambda: agent.shows("esc to interrupt"))  # it went on with the task
    again = running_tmux.cli("answer", agent.pane)
    assert again.returncode == 1
    assert "is not waiting for an answer (it is busy)" in again.stderr
    log = running_tmux.cli("log", "--json", "--op", "keys")
    assert json.loads(log.stdout.splitlines()[0])["text"] == "1"  # audited


async def test_a_read_token_sees_the_question_but_cannot_answer(
    running_tmux: TmuxFixture, tmp_path: Path, engine: Engine
) -> None:
    agent = await asking(running_tmux, tmp_path)
    async with served(engine, running_tmux.tmpdir) as s:
        reader = RemoteBackend(s.url, s.read)
        controller = RemoteBackend(s.url, s.control)
        try:
            await wait_for_state(reader, agent.pane, "waiting")
            seen = (await reader.snapshot()).panes_by_id[agent.pane]
            question = await question_of(reader, seen)
            assert question.choices[0].label == "Yes"
            with pytest.raises(ForbiddenError, match="scope control"):
                await answer(reader, seen, question, 2)
            assert agent.shows("1. Yes")  # nothing was pressed
            done = await answer(controller, seen, question, 2)
            assert done.receipt.status == "delivered"
            assert done.state == "idle"  # declined: back at its prompt
            now = (await controller.snapshot()).panes_by_id[agent.pane]
            with pytest.raises(NotAskingError, match="not waiting"):
                await question_of(controller, now)
        finally:
            await reader.close()
            await controller.close()


async def wait_for_state(backend: Backend, pane: str, state: str) -> None:
    async def reached() -> bool:
        found = (await backend.snapshot()).panes_by_id.get(pane)
        return found is not None and found.agent is not None and found.agent.state == state

    deadline = time.monotonic() + 10
    while not await reached():
        assert time.monotonic() < deadline, f"{pane} never {state}"
        await asyncio.sleep(0.1)


async def test_nothing_is_pressed_when_the_screen_asks_something_else(
    running_tmux: TmuxFixture, tmp_path: Path, engine: Engine
) -> None:
    from tmuxorch.core.agents.questions import Choice, Question
    from tmuxorch.core.local import LocalBackend

    agent = await asking(running_tmux, tmp_path)
    backend = LocalBackend(engine)
    await wait_for_state(backend, agent.pane, "waiting")
    pane = (await backend.snapshot()).panes_by_id[agent.pane]
    seen_before = Question(
        "Delete everything?", (Choice(1, "Yes", ("1",)), Choice(2, "No", ("2",)))
    )
    with pytest.raises(NotAskingError, match="asks something else now"):
        await answer(backend, pane, seen_before, 1)
    assert agent.shows("1. Yes")  # still asking: nothing was pressed
