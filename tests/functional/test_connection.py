"""Faults: a stuck control client, a missing tmux binary, the fallback path."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

import pytest

from tmuxorch.core.engine import Engine
from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.tmux.connection import TmuxConnection
from tmuxorch.core.tmux.fallback import run_chained

from ..conftest import TmuxFixture, wait_for


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def wedge(connection: TmuxConnection, tmux: TmuxFixture) -> asyncio.Task[object]:
    """Make the control client stop answering while the server stays healthy: a blocking
    `run-shell` holds that client's command queue (SIGSTOP would not do it: the tmux server
    talks to a control client's pipes directly). Returns once tmux runs the blocking shell;
    `unwedge` kills it."""
    task = asyncio.create_task(connection.run([["run-shell", BLOCKER]], idempotent=False))
    await wait_for(lambda: _blockers(tmux))
    return task


BLOCKER = "exec sleep 30"


def _blockers(tmux: TmuxFixture) -> list[int]:
    """The PIDs of the tmux server's children that run BLOCKER (the shell, or what it exec'd)."""
    (server_pid,) = tmux.pids
    try:
        children = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()
    except OSError:
        return []
    found = []
    for child in children:
        with contextlib.suppress(OSError):
            if b"sleep\x0030" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


def unwedge(tmux: TmuxFixture) -> None:
    """Kill the blocking shell by its PID (it would outlive the server by 30 s)."""
    for pid in _blockers(tmux):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


async def test_stuck_control_client_is_killed_and_fallback_serves(
    running_tmux: TmuxFixture,
) -> None:
    eng = Engine(running_tmux.server, timeout=1.0)
    try:
        await eng.snapshot()
        stuck = eng.connection.control_pid
        assert stuck is not None
        blocker = await wedge(eng.connection, running_tmux)
        # a deadline far above the 1 s timeout: the snapshot comes from the fallback, no hang
        snapshot = await asyncio.wait_for(eng.snapshot(), 15)
        assert [s.name for s in snapshot.sessions] == ["main"]
        assert eng.connection.fallback_batches == 1
        await wait_for(lambda: not _alive(stuck))  # killed by its PID, then reaped
        await eng.snapshot()  # a fresh control client takes over
        assert eng.connection.control_pid not in (None, stuck)
        assert (await blocker)[0].ok  # run-shell ends its block at once, then holds the queue
    finally:
        unwedge(running_tmux)
        await eng.close()


async def test_mutation_is_not_retried_after_timeout(running_tmux: TmuxFixture) -> None:
    conn = TmuxConnection(running_tmux.server, timeout=1.0)
    try:
        await conn.connect()
        blocker = await wedge(conn, running_tmux)
        with pytest.raises(TmuxUnavailableError, match="may or may not have happened"):
            await conn.run([["rename-window", "-t", "main:0", "once"]], idempotent=False)
        assert conn.fallback_batches == 0
        assert "once" not in running_tmux.tmux("list-windows", "-F", "#{window_name}")
        await blocker
    finally:
        unwedge(running_tmux)
        await conn.close()


async def test_fallback_resumes_after_a_failing_command(running_tmux: TmuxFixture) -> None:
    results = await run_chained(
        running_tmux.server,
        [
            ["display-message", "-p", "a"],
            ["list-windows", "-t", "=nope"],
            ["display-message", "-p", "c"],
        ],
        timeout=5,
    )
    assert [r.ok for r in results] == [True, False, True]
    assert results[0].lines == ("a",)
    assert "nope" in results[1].error
    assert results[2].lines == ("c",)


async def test_missing_tmux_binary_is_a_clear_error(
    running_tmux: TmuxFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUXORCH_TMUX", "definitely-not-tmux")
    eng = Engine(running_tmux.server)
    try:
        with pytest.raises(TmuxUnavailableError, match="tmux is not installed"):
            await eng.snapshot()
    finally:
        await eng.close()


def test_not_a_socket_is_a_clear_error(tmp_path: os.PathLike[str]) -> None:
    from tmuxorch.core.tmux.server import TmuxServer

    regular = Path(tmp_path) / "file"
    regular.write_text("x")
    with pytest.raises(TmuxUnavailableError, match="is not a tmux socket"):
        TmuxServer(regular).is_running()


async def test_frozen_server_fails_within_the_timeout(running_tmux: TmuxFixture) -> None:
    eng = Engine(running_tmux.server, timeout=1.0)
    (server_pid,) = running_tmux.pids
    try:
        await eng.snapshot()
        os.kill(server_pid, signal.SIGSTOP)
        with pytest.raises(TmuxUnavailableError):
            # the control timeout, then the fallback's: a deadline far above both, no hang
            await asyncio.wait_for(eng.snapshot(), 15)
    finally:
        os.kill(server_pid, signal.SIGCONT)
        await eng.close()


async def test_fallback_and_control_mode_give_the_same_lines(running_tmux: TmuxFixture) -> None:
    """Output is split on newlines only: `\\r`, `\\v`, `\\x1c`-`\\x1e` are text in both paths."""
    odd = running_tmux.tmpdir / "a\rb\x0bc\x1ed\x85e"
    odd.mkdir()
    running_tmux.tmux("new-window", "-d", "-t", "main", "-c", str(odd), "sleep 100000")
    command = ["list-panes", "-t", "main", "-s", "-F", "#{pane_id} #{pane_current_path}"]
    conn = TmuxConnection(running_tmux.server)
    try:
        (control,) = await conn.run([command])
    finally:
        await conn.close()
    (chained,) = await run_chained(running_tmux.server, [command], timeout=5)
    assert f"%1 {odd}" in control.lines
    assert chained.lines == control.lines


async def test_an_empty_command_is_refused_and_the_client_stays_in_step(
    engine: Engine,
) -> None:
    with pytest.raises(ValueError, match="empty"):
        await engine.run([["display-message", "-p", "a"], []])
    (result,) = await engine.run([["display-message", "-p", "b"]])
    assert result.lines == ("b",)
