"""The one-shot engine (core/oneshot.py): the engine's listing, tracker and operations over
plain `tmux` processes, coroutines that never suspend, and cli/main.py driving a one-shot
command's handler without an event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tmuxorch.cli import main as cli_main
from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.oneshot import OneShotEngine, run_now
from tmuxorch.core.tmux.handshake_lock import HandshakeLock

from ..conftest import TmuxFixture, wait_for
from ..simfleet import start_agent

T = TypeVar("T")


def at_once(coroutine: Coroutine[Any, None, T]) -> T:
    """The coroutine's result after one step; fails the test if it suspended instead."""
    return run_now(coroutine, "the test's coroutine")


async def test_a_look_and_a_send_finish_in_one_step(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    backend = LocalBackend(OneShotEngine(running_tmux.server, timeout=3.0))
    snapshot = at_once(backend.snapshot())
    assert snapshot.panes_by_id[agent.pane].agent is not None
    assert snapshot.panes_by_id[agent.pane].agent.state == "idle"  # type: ignore[union-attr]
    (receipt,) = at_once(backend.send([agent.pane], "hello one shot"))
    assert receipt.status == "delivered", receipt
    assert receipt.confirmed == "screen"  # the submit check polled the screen, blocking
    await wait_for(lambda: agent.entries() == ["hello one shot"])  # submitted once
    assert "hello one shot" in at_once(backend.capture(agent.pane, 50))


def test_no_server_is_a_not_running_snapshot_and_none_is_started(tmux: TmuxFixture) -> None:
    engine = OneShotEngine(tmux.server, timeout=3.0)
    snapshot = at_once(engine.fleet(sweep="all"))
    assert not snapshot.tmux.running
    assert not tmux.server.is_running()


def test_a_change_waits_for_the_handshake_lock_and_says_who_held_it(
    running_tmux: TmuxFixture,
) -> None:
    running_tmux.tmux("new-window", "-d", "-t", "main", "sleep", "100000")
    window = running_tmux.tmux("list-windows", "-t", "main", "-F", "#{window_id}").split()[-1]
    engine = OneShotEngine(running_tmux.server, timeout=0.3)
    held = HandshakeLock(running_tmux.server).acquire_now(1.0)  # another process attaching
    try:
        with pytest.raises(TmuxUnavailableError, match=r"kept tmux busy for 0\.3 s"):
            at_once(engine.run([["kill-window", "-t", window]], idempotent=False))
    finally:
        HandshakeLock.release(held)
    assert window in running_tmux.tmux("list-windows", "-a", "-F", "#{window_id}").split()
    assert engine.generation == 1  # what anyone knew of tmux may be stale all the same
    at_once(engine.run([["kill-window", "-t", window]], idempotent=False))
    assert window not in running_tmux.tmux("list-windows", "-a", "-F", "#{window_id}").split()


def test_a_one_shot_handler_that_suspends_fails_with_one_line(
    running_tmux: TmuxFixture, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    closed: list[bool] = []

    async def suspending(_args: object, backend: LocalBackend) -> int:
        real_close = backend.close

        async def close() -> None:
            closed.append(True)
            await real_close()

        backend.close = close  # type: ignore[method-assign]
        await asyncio.sleep(0)  # a bug in a one-shot handler: it waits on an event loop
        return 0

    monkeypatch.setattr(cli_main, "imported", lambda _spec: suspending)
    code = cli_main.main(["-S", str(running_tmux.socket_path), "capture", "%0"])
    err = capsys.readouterr().err
    assert code == 1
    assert err == (
        "tmuxorch: internal error: RuntimeError: capture waited on an event loop, which a "
        "one-shot command has not (run with TMUXORCH_DEBUG=1 for the traceback, and please "
        "report it)\n"
    )
    assert closed == [True]  # its `finally` ran: the backend was closed
