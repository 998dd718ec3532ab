"""Restart policies end to end (issue 14): `spawn --restart` keeps a crashing agent coming back
in its pane, with the same argv and directory, up to `--max-restarts`, then leaves it exited;
the count is in every listing (`status`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from tmuxorch.core.local import LocalBackend
from tmuxorch.core.restart_policy import RestartPolicy
from tmuxorch.core.store.store import Store
from tmuxorch.usecases.restart_duty import RestartDuty

from ..conftest import TmuxFixture, wait_for
from ..runnerkit import running_duties

CRASH = ["sh", "-c", "sleep 1.2; exit 7"]


@pytest.fixture
async def runner(backend: LocalBackend) -> AsyncIterator[list[str]]:
    """The runner with its restarts duty in this process; what it reported."""
    said: list[str] = []
    async with running_duties(backend, [restarts], said):
        yield said


def restarts(backend: LocalBackend, store: Store, report: Callable[[str], None]) -> RestartDuty:
    return RestartDuty(backend, backend.label, store, report)


async def settled(backend: LocalBackend, pane: str, restarts: int, timeout: float = 20.0) -> None:
    """Until `pane` is dead with `restarts` restarts and stays so past the next backoff."""
    deadline = time.monotonic() + timeout
    while True:
        found = (await backend.snapshot(states=False)).panes_by_id[pane]
        if found.dead and found.restarts == restarts:
            return
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.1)


async def test_a_crashing_agent_is_started_three_times_then_left_exited(
    backend: LocalBackend, runner: list[str], running_tmux: TmuxFixture
) -> None:
    policy = RestartPolicy(when="on-failure", max_restarts=3)
    spawned = await backend.spawn("main", CRASH, name="crash", kind="sim", restart=policy)
    await settled(backend, spawned.pane_id, 3, timeout=30)
    gave_up = f"{spawned.pane_id} exited (7): gave up after 3 restarts (--max-restarts 3)"
    deadline = time.monotonic() + 15  # at the 4th's time (4 s after the exit), not started
    while gave_up not in runner:
        assert time.monotonic() < deadline, (runner, await backend.snapshot(states=False))
        await asyncio.sleep(0.1)
    pane = (await backend.snapshot(states=False)).panes_by_id[spawned.pane_id]
    assert pane.restarts == 3
    assert pane.dead
    assert pane.window_id == spawned.window_id  # the same pane, the same window
    status = running_tmux.cli("-S", str(running_tmux.socket_path), "status")
    assert "restarted 3x" in status.stdout


async def test_on_failure_leaves_a_clean_exit_and_always_restarts_it(
    backend: LocalBackend, runner: list[str], running_tmux: TmuxFixture
) -> None:
    clean = ["sh", "-c", "sleep 1.2; exit 0"]
    left = await backend.spawn("main", clean, name="left", kind=None,
                               restart=RestartPolicy(when="on-failure"))  # fmt: skip
    again = await backend.spawn("main", clean, name="again", kind=None,
                                restart=RestartPolicy(when="always", max_restarts=1))  # fmt: skip
    await settled(backend, again.pane_id, 1)
    await settled(backend, left.pane_id, 0)
    said = f"{left.pane_id} exited (0): exited with status 0 (restart on-failure)"
    await wait_for(lambda: said in runner)
    assert (await backend.snapshot(states=False)).panes_by_id[left.pane_id].restarts == 0


async def test_an_agent_that_died_while_nothing_ran_is_restarted_at_the_start(
    backend: LocalBackend, running_tmux: TmuxFixture
) -> None:
    policy = RestartPolicy(when="on-failure", max_restarts=1)
    async with asyncio.timeout(20):
        spawned = await backend.spawn("main", CRASH, name="late", kind=None, restart=policy)
    await settled(backend, spawned.pane_id, 0)  # dead, no runner yet
    async with running_duties(backend, [restarts]):
        await settled(backend, spawned.pane_id, 1)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--max-restarts", "3"], "--max-restarts goes with --restart"),
        (["--restart", "always", "--max-restarts", "-1"], "--max-restarts -1: from 0 to 1000"),
        (["--restart", "sometimes"], "invalid choice: 'sometimes'"),
    ],
)
def test_bad_restart_options_exit_2_and_start_nothing(
    running_tmux: TmuxFixture, args: list[str], said: str
) -> None:
    before = running_tmux.tmux("list-windows", "-a", "-F", "#{window_id}")
    result = running_tmux.cli(
        "-S", str(running_tmux.socket_path), "spawn", "main", *args, "--", "sleep", "9"
    )
    assert result.returncode == 2
    assert said in result.stderr
    assert running_tmux.tmux("list-windows", "-a", "-F", "#{window_id}") == before
