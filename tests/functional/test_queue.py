"""The task queue end to end (issue 14): tasks stored by `queue add`, handed by the runner to
idle matching agents one at a time each, followed until the agent is idle again."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.store.store import Store
from tmuxorch.core.tasks.book import TaskBook
from tmuxorch.core.tasks.records import Task
from tmuxorch.usecases.queue_duty import QueueDuty
from tmuxorch.usecases.runner import Runner

from ..conftest import TmuxFixture, wait_for
from ..runnerkit import running_duties
from ..simfleet import start_agent, start_agents


def queue(backend: LocalBackend, store: Store, report: Callable[[str], None]) -> QueueDuty:
    return QueueDuty(backend, backend.label, store, report)


@pytest.fixture
async def runner(backend: LocalBackend) -> AsyncIterator[Runner]:
    async with running_duties(backend, [queue]) as running:
        yield running


async def tasks(backend: LocalBackend) -> list[Task]:
    return sorted((await backend.queue(everything=True)).tasks, key=lambda t: t.id)


async def first_task(
    backend: LocalBackend, holds: Callable[[Task], bool], timeout: float = 10.0
) -> Task:
    """The first task once `holds` is true of it (within `timeout`)."""
    deadline = time.monotonic() + timeout
    while not holds(found := (await tasks(backend))[0]):
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.05)
    return found


async def until_done(backend: LocalBackend, count: int, timeout: float = 30.0) -> list[Task]:
    deadline = time.monotonic() + timeout
    while True:
        found = await tasks(backend)
        if sum(t.state == "done" for t in found) >= count:
            return found
        assert time.monotonic() < deadline, [(t.id, t.state, t.agent) for t in found]
        await asyncio.sleep(0.05)


async def test_ten_tasks_go_to_three_idle_agents_one_at_a_time_never_to_the_waiting_one(
    backend: LocalBackend, runner: Runner, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    workers = await start_agents(running_tmux, tmp_path, 3, "--busy", "0.6")
    asking = await start_agent(running_tmux, tmp_path, "--busy", "0", name="asking")
    asking.type("please APPROVE this")
    asking.keys("Enter")
    await wait_for(lambda: asking.shows("1. Yes"))
    deadline = time.monotonic() + 10
    while (await backend.snapshot()).panes_by_id[asking.pane].agent.state != "waiting":  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    for n in range(10):
        await backend.queue_add(f"task {n}", kind="sim")
    done = await until_done(backend, 10)
    assert {t.agent for t in done} <= {w.pane for w in workers}  # never the waiting one
    assert asking.entries() == ["please APPROVE this"]
    received = sorted(text for w in workers for text in w.entries())
    assert received == sorted(f"task {n}" for n in range(10))  # each once
    for worker in workers:  # one at a time: each task ended before the agent's next began
        mine = sorted((t for t in done if t.agent == worker.pane), key=lambda t: t.dispatched or 0)
        for before, after in itertools.pairwise(mine):
            assert (before.finished or 0) <= (after.dispatched or 0)
    assert all(t.receipts and t.receipts[0].status == "delivered" for t in done)


async def test_filters_priority_pause_and_cancel(
    backend: LocalBackend, runner: Runner, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    first, second = await start_agents(running_tmux, tmp_path, 2, "--busy", "1")
    await backend.queue_pause(True)
    low = await backend.queue_add("low", agents=[first.pane])
    high = await backend.queue_add("high", agents=[first.pane], priority=5)
    dropped = await backend.queue_add("dropped", agents=[second.pane])
    await asyncio.sleep(0.5)
    assert first.entries() == []
    assert second.entries() == []
    assert (await backend.queue_cancel(dropped.id)).state == "cancelled"
    assert (await backend.queue()).paused
    await backend.queue_pause(False)
    found = await until_done(backend, 2)
    assert first.entries() == ["high", "low"]  # the higher priority first, both on `first`
    assert second.entries() == []
    assert [t.state for t in found] == ["done", "done", "cancelled"]
    assert {low.id, high.id} == {t.id for t in found if t.state == "done"}


async def test_an_agent_gone_mid_task_fails_the_task_with_the_reason(
    backend: LocalBackend, runner: Runner, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "30")
    added = await backend.queue_add("long job", agents=[agent.pane])
    await first_task(backend, lambda t: t.started is not None)
    running_tmux.tmux("kill-pane", "-t", agent.pane)
    found = await first_task(backend, lambda t: t.state != "running")
    assert found.id == added.id
    assert found.state == "failed"
    assert found.reason == f"the agent {agent.pane} no longer exists"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--kind", "nope"], "unknown kind 'nope'"),
        (["--session", "nosuch"], "no such target: 'nosuch'"),
        (["--agent", "%999"], "no such target: '%999'"),
        (["--priority", "5000"], "--priority 5000: from -1000 to 1000"),
    ],
)
def test_bad_queue_input_exits_2_and_stores_nothing(
    running_tmux: TmuxFixture, args: list[str], said: str
) -> None:
    socket = ["-S", str(running_tmux.socket_path)]
    result = running_tmux.cli(*socket, "queue", "add", "-m", "hi", *args)
    assert result.returncode == 2
    assert said in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    listed = json.loads(running_tmux.cli(*socket, "queue", "list", "--json").stdout)
    assert listed["tasks"] == []


async def test_a_task_claimed_by_a_runner_killed_before_its_send_goes_to_an_agent_again(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path)
    book = TaskBook(Store())
    task = book.add(backend.label, "do it", kind=None, session=None, agents=(), priority=0,
                    now=time.time() - 300)  # fmt: skip
    assert book.dispatch(task, agent.pane, time.time() - 200)  # claimed, never sent: SIGKILL
    async with running_duties(backend, [queue]):
        await wait_for(lambda: agent.entries() == ["do it"], timeout=15)
        await wait_for(lambda: book.listed(backend.label)[0].state == "done", timeout=15)
    (found,) = book.listed(backend.label)
    assert found.agent == agent.pane
    assert [r.status for r in found.receipts] == ["delivered"]


async def test_cancelling_a_running_task_frees_its_agent_for_the_next(
    backend: LocalBackend, runner: Runner, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "30")
    first = await backend.queue_add("long job", agents=[agent.pane])
    await first_task(backend, lambda t: t.state == "running")
    assert (await backend.queue_cancel(first.id)).state == "cancelled"
    with pytest.raises(BadInputError, match="cancelled already"):
        await backend.queue_cancel(first.id)
