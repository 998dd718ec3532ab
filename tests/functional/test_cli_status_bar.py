"""The status bar's read of a watcher's segment runs its tmux batch without asyncio
(`core.tmux.chained.run_chained_now`): the same chain as the engine's fallback, the same
results, and the same time limit on a server that stopped answering."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.tmux.chained import run_chained_now
from tmuxorch.core.tmux.fallback import run_chained

from ..conftest import TmuxFixture

BATCH = [
    ["display-message", "-p", "a"],
    ["list-windows", "-t", "=nope"],
    ["display-message", "-p", "c"],
]


async def test_it_gives_what_the_fallback_gives(running_tmux: TmuxFixture) -> None:
    now = run_chained_now(running_tmux.server, BATCH, timeout=5)
    assert [r.ok for r in now] == [True, False, True]
    assert now[0].lines == ("a",)
    assert "nope" in now[1].error
    assert now == await run_chained(running_tmux.server, BATCH, timeout=5)


def test_a_stopped_server_is_unavailable_within_the_timeout(running_tmux: TmuxFixture) -> None:
    pid = int(running_tmux.tmux("display-message", "-p", "#{pid}"))
    os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(TmuxUnavailableError, match="no answer"):
            run_chained_now(running_tmux.server, BATCH[:1], timeout=0.5)
        assert time.monotonic() - started < 5
    finally:
        os.kill(pid, signal.SIGCONT)
    assert run_chained_now(running_tmux.server, BATCH[:1], timeout=5)[0].lines == ("a",)
