"""Schedules end to end (issue 14): stored by `schedule add`, fired by whichever watching
process holds the runner lock, through `send`'s delivery path, receipts and audit."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tmuxorch.core.local import LocalBackend
from tmuxorch.core.schedules.records import Schedule
from tmuxorch.core.schedules.when import Trigger
from tmuxorch.core.store.audit import AuditLog
from tmuxorch.core.store.store import Store
from tmuxorch.usecases.runner import Runner
from tmuxorch.usecases.schedule_duty import ScheduleDuty

from ..conftest import TmuxFixture, reap, wait_for
from ..runnerkit import running_duties
from ..simfleet import SimAgent, start_agent


@pytest.fixture
async def runner(backend: LocalBackend) -> AsyncIterator[Runner]:
    """A runner in this process (what the TUI runs), on the test's own store."""
    async with running_duties(backend, [schedules]) as running:
        yield running


def schedules(backend: LocalBackend, store: Store, report: Callable[[str], None]) -> ScheduleDuty:
    return ScheduleDuty(backend, backend.label, store, report)


async def schedule(backend: LocalBackend, schedule_id: int) -> Schedule:
    listed = await backend.schedules(everything=True)
    return next(s for s in listed.schedules if s.id == schedule_id)


async def ended(backend: LocalBackend, schedule_id: int, timeout: float = 10.0) -> Schedule:
    deadline = time.monotonic() + timeout
    while (found := await schedule(backend, schedule_id)).state == "pending":
        assert time.monotonic() < deadline, f"still pending: {found}"
        await asyncio.sleep(0.05)
    return found


async def until_fired(backend: LocalBackend, schedule_id: int) -> Schedule:
    deadline = time.monotonic() + 10
    while not (found := await schedule(backend, schedule_id)).fires:
        assert time.monotonic() < deadline, f"never fired: {found}"
        await asyncio.sleep(0.05)
    return found


def watch(tmux: TmuxFixture) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tmuxorch", "-S", str(tmux.socket_path), "watch"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=tmux.env,
    )  # fmt: skip
    assert process.stderr is not None
    assert process.stderr.readline().startswith("tmuxorch watch: watching")
    return process


def cli(tmux: TmuxFixture, *args: str) -> subprocess.CompletedProcess[str]:
    return tmux.cli("-S", str(tmux.socket_path), *args)


async def test_a_schedule_due_in_two_seconds_fires_once_on_time_with_three_watchers(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path)
    watchers = [watch(running_tmux) for _ in range(3)]
    try:
        added = cli(running_tmux, "schedule", "add", agent.pane, "-m", "check in", "--in", "2s",
                    "--json")  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert "no tmuxorch process watches" not in added.stderr  # the watchers do
        due = json.loads(added.stdout)["schedule"]["trigger"]["due"]
        await wait_for(lambda: agent.entries() == ["check in"], timeout=10)
        listed = json.loads(cli(running_tmux, "schedule", "list", "--json").stdout)
        (fired,) = listed["schedules"]
        assert fired["state"] == "done"
        assert fired["fires"] == 1
        assert not fired["late"]
        assert 0 <= fired["last_fired"] - due < 1.0
        await asyncio.sleep(1.0)  # would a second watcher fire it too?
        assert agent.entries() == ["check in"]
    finally:
        for process in watchers:
            process.kill()
            reap(process)
    db = Path(running_tmux.env["XDG_DATA_HOME"]) / "tmuxorch" / "tmuxorch.db"
    entries = AuditLog(Store(db)).entries()
    assert [e.op for e in entries if e.text == "check in"].count("send") == 1


async def test_one_due_while_nothing_ran_fires_once_at_the_next_start_marked_late(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path)
    added = await backend.schedule_add(
        [agent.pane], "missed", Trigger(kind="in", due=time.time() + 0.2)
    )
    await asyncio.sleep(LATE_WAIT)
    assert (await backend.schedules()).running is False
    async with running_duties(backend, [schedules]):
        found = await ended(backend, added.id)
        assert found.state == "done"
        assert found.late
        assert found.fires == 1
        assert [r.status for r in found.receipts] == ["delivered"]
        await wait_for(lambda: agent.entries() == ["missed"])


LATE_WAIT = 2.5
"""Longer than the runner's LATE_S after the due time."""


async def test_a_waiting_agent_is_skipped_then_sent_to_once_it_is_idle(
    backend: LocalBackend, runner: Runner, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    ask(agent)
    added = await backend.schedule_add(
        [agent.pane], "after the question", Trigger(kind="in", due=time.time() + 0.1)
    )
    skipped = await until_fired(backend, added.id)
    assert skipped.state == "pending"
    assert skipped.remaining == (agent.pane,)
    assert [r.status for r in skipped.receipts] == ["skipped_waiting"]
    assert "after the question" not in agent.screen()  # never typed into the question
    agent.keys("1")  # approved: the agent goes idle, and that event brings the retry
    found = await ended(backend, added.id)
    assert found.state == "done"
    assert [r.status for r in found.receipts] == ["delivered"]
    await wait_for(lambda: agent.entries()[-1:] == ["after the question"])


def ask(agent: SimAgent) -> None:
    agent.type("please APPROVE this")
    agent.keys("Enter")


async def test_a_target_gone_marks_the_schedule_failed_with_the_reason(
    backend: LocalBackend, runner: Runner, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path)
    added = await backend.schedule_add(
        [agent.pane], "too late", Trigger(kind="in", due=time.time() + 0.5)
    )
    running_tmux.tmux("kill-pane", "-t", agent.pane)
    found = await ended(backend, added.id)
    assert found.state == "failed"
    assert found.reason == f"{agent.pane} no longer exists"
    assert [(r.target, r.status) for r in found.receipts] == [(agent.pane, "failed")]


async def test_when_idle_of_another_agent_fires_after_it_worked(
    backend: LocalBackend, runner: Runner, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    worker = await start_agent(running_tmux, tmp_path, "--busy", "1", name="backend")
    tester = await start_agent(running_tmux, tmp_path, name="tester")
    added = await backend.schedule_add(
        [tester.pane], "start testing", Trigger(kind="when_idle", watch=worker.pane)
    )
    await asyncio.sleep(0.5)  # idle since before the schedule: that is no "went idle"
    assert (await schedule(backend, added.id)).state == "pending"
    worker.type("build it")
    worker.keys("Enter")
    found = await ended(backend, added.id)
    assert found.state == "done"
    assert worker.entries() == ["build it"]
    assert tester.entries() == ["start testing"]


async def test_cancel_stops_a_pending_schedule_before_it_fires(
    backend: LocalBackend, runner: Runner, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path)
    added = await backend.schedule_add(
        [agent.pane], "never", Trigger(kind="in", due=time.time() + 1.0)
    )
    cancelled = await backend.schedule_cancel(added.id)
    assert cancelled.state == "cancelled"
    await asyncio.sleep(1.5)
    assert agent.entries() == []
    assert (await schedule(backend, added.id)).fires == 0


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--in", "0s"], "--in '0s': must be more than zero"),
        (["--in", "soon"], "--in 'soon': not a duration"),
        (["--every", "0m"], "--every '0m': must be more than zero"),
        (["--every", "-1h"], "--every '-1h': not a duration"),
        (["--at", "00:00"], "is in the past"),
        (["--at", "half past"], "--at 'half past': not a time"),
        (["--cron", "61 * * * *"], "--cron '61 * * * *': not a cron line"),
        (["--cron", "* * *"], "not a cron line"),
        (["--in", "1h", "--timeout", "1h"], "--timeout goes with --when-idle"),
        (["--when-idle", "--timeout", "forever"], "--timeout 'forever': not a duration"),
    ],
)
def test_bad_times_exit_2_with_the_reason_and_store_nothing(
    running_tmux: TmuxFixture, args: list[str], said: str
) -> None:
    result = cli(running_tmux, "schedule", "add", "main", "-m", "hi", *args)
    assert result.returncode == 2
    assert said in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    listed = json.loads(cli(running_tmux, "schedule", "list", "--json").stdout)
    assert listed["schedules"] == []


def test_unknown_targets_and_schedules_exit_2(running_tmux: TmuxFixture) -> None:
    result = cli(running_tmux, "schedule", "add", "nosuch", "-m", "hi", "--in", "1m")
    assert result.returncode == 2
    assert "no such target: 'nosuch'" in result.stderr
    result = cli(running_tmux, "schedule", "cancel", "7")
    assert result.returncode == 2
    assert "no such schedule" in result.stderr
