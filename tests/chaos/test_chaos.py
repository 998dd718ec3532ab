"""The chaos suite: faults our users meet every day, against a real tmux server and real tmuxorch
processes; after each the user's tmux server must be alive (the same process) with nothing of ours
left attached. The scenarios live in bench/chaos.py (`make bench ARGS="chaos --runs 50"` runs
many of them); here each runs once. Before the fix, a stall under two processes crashed tmux
3.3a every time."""

from __future__ import annotations

import random
import signal

import pytest
from bench.chaos import Outcome, early_kill, restart_mid_send, stall

pytestmark = pytest.mark.chaos


def assert_survived(outcome: Outcome) -> None:
    assert not outcome.crashed, f"tmux server died: {outcome.scenario}"
    assert outcome.leaks == [], f"{outcome.scenario}: {outcome.leaks}"


@pytest.mark.parametrize("actors", [1, 2, 3])
def test_tmux_stopped_for_8_s_under_concurrent_tmuxorch_processes(actors: int) -> None:
    assert_survived(stall(actors, 8.0))


@pytest.mark.parametrize(
    ("actor", "signum"),
    [
        (["events", "--json"], signal.SIGKILL),
        (["events", "--json"], signal.SIGHUP),
        (["serve", "--port", "0"], signal.SIGKILL),
        (["serve", "--port", "0"], signal.SIGHUP),
        (["tui"], signal.SIGHUP),  # kill-window on the TUI's pane, as a user closes it
        (["status"], signal.SIGKILL),
    ],
    ids=["events-KILL", "events-HUP", "serve-KILL", "serve-HUP", "tui-HUP", "status-KILL"],
)
def test_tmuxorch_killed_in_its_first_2_s(actor: list[str], signum: int) -> None:
    assert_survived(early_kill(actor, signum, random.uniform(0, 2)))


def test_tmux_killed_and_restarted_mid_send() -> None:
    assert_survived(restart_mid_send(random.uniform(0, 0.3)))
