"""What a remote client is told is true: after `kill-server` tmux_down says the server went
away (not that a control client exited before attaching), and a timeout message names the time
that really passed."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest

from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.tmux.chained import ServerNotRunningError
from tmuxorch.core.tmux.connection import TmuxConnection
from tmuxorch.core.tmux.server import TmuxServer

from ..conftest import TmuxFixture
from ..serverkit import Served


async def test_tmux_down_after_kill_server_says_the_server_is_gone(
    srv: Served, running_tmux: TmuxFixture
) -> None:
    async with srv.client() as client:
        await client.ok("subscribe")
        reasons = []
        for round_ in range(3):  # the control client's exit races the server's: try a few
            running_tmux.tmux("kill-server", check=False)
            reasons.append((await client.event("tmux_down", timeout=15))["data"]["reason"])
            running_tmux.kill()  # by PID too, should it linger
            running_tmux.start(session=f"back{round_}")
            await client.event("tmux_up", timeout=15)
    for reason in reasons:
        assert "before attaching" not in reason, reasons
        assert "no tmux server running" in reason or "went away" in reason, reasons


async def test_a_server_that_goes_away_while_attaching_is_said_to_be_gone(tmp_path: Path) -> None:
    """`kill-server` races our attach: the server takes the connection and is gone before the
    control client is attached (tmux closes new clients once it is exiting). A listener on the
    socket plays that server: it drops each connection, and is gone after the attach's."""
    path = tmp_path / "dying.sock"
    accepted: list[int] = []

    async def drop(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        writer.close()
        if len(accepted) == 2:  # the check, then the control client: exit as tmux does
            listener.close()
            path.unlink()

    listener = await asyncio.start_unix_server(drop, path=str(path))
    try:
        connection = TmuxConnection(TmuxServer(path), timeout=5.0)
        with pytest.raises(ServerNotRunningError) as gone:
            await connection.connect()
        assert "went away" in str(gone.value)
        assert "before attaching" not in str(gone.value)
    finally:
        listener.close()
        await listener.wait_closed()


async def test_a_timeout_says_the_time_that_really_passed(tmp_path: Path) -> None:
    """A tmux that takes connections and never answers: control mode times out, then the plain
    `tmux` run in its place does too. The error comes after two limits, so it must not say one
    limit ("within 1 s") as if it were the whole wait."""
    path = tmp_path / "hung.sock"
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()  # never answers; returns when the client goes

    listener = await asyncio.start_unix_server(hold, path=str(path))
    try:
        connection = TmuxConnection(TmuxServer(path), timeout=1.0)
        started = time.monotonic()
        with pytest.raises(TmuxUnavailableError) as timed_out:
            await connection.run([["list-sessions"]])
        elapsed = time.monotonic() - started
        message = str(timed_out.value)
        assert "within 1 s" not in message, message
        said = re.search(r"no answer in (\d+\.\d) s", message)
        assert said is not None, message
        assert 1.9 <= float(said.group(1)) <= elapsed + 0.1, (message, elapsed)
        await connection.close()
    finally:
        for writer in held:
            writer.close()
        listener.close()
        await listener.wait_closed()
