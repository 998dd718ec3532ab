"""Live structure events from changes made by *other* tmux clients, and server death/return."""

from __future__ import annotations

import asyncio

import pytest

from tmuxorch.core.engine import Engine
from tmuxorch.core.events import Event
from tmuxorch.core.streams import EventStream

from ..conftest import TmuxFixture, wait_for


async def next_event(stream: EventStream, name: str, timeout: float = 5.0) -> Event:
    """The next event called `name` (others, e.g. from the same burst, are skipped)."""

    async def find() -> Event:
        async for event in stream:
            if event.event == name:
                return event
        raise AssertionError("stream ended")

    return await asyncio.wait_for(find(), timeout)


async def test_sessions_and_windows_from_another_client(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    stream = await engine.subscribe()
    t = running_tmux.tmux
    t("new-session", "-d", "-s", "other: 🚀", "sleep", "100000")
    added = await next_event(stream, "session_added")
    assert added.name == "other_ 🚀"  # type: ignore[union-attr]  # tmux turns ':' into '_'
    sid = added.session_id  # type: ignore[union-attr]

    t("rename-session", "-t", sid, "renamed #1")
    renamed = await next_event(stream, "session_renamed")
    assert (renamed.old_name, renamed.name) == ("other_ 🚀", "renamed #1")  # type: ignore[union-attr]

    wid = t("new-window", "-d", "-P", "-F", "#{window_id}", "-t", sid, "sleep", "100000").strip()
    window_added = await next_event(stream, "window_added")
    assert window_added.window_id == wid  # type: ignore[union-attr]

    t("rename-window", "-t", wid, "w.name:x")
    window_renamed = await next_event(stream, "window_renamed")
    assert window_renamed.name == "w.name:x"  # type: ignore[union-attr]

    t("kill-window", "-t", wid)
    closed = await next_event(stream, "window_closed")
    assert closed.window_id == wid  # type: ignore[union-attr]

    t("kill-session", "-t", sid)
    session_closed = await next_event(stream, "session_closed")
    assert session_closed.session_id == sid  # type: ignore[union-attr]
    await stream.close()


async def test_panes_added_closed_and_dying_in_other_sessions(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    t = running_tmux.tmux
    t("set-option", "-g", "remain-on-exit", "on")
    t("new-session", "-d", "-s", "side", "sleep", "100000")
    stream = await engine.subscribe()
    pid = t(
        "split-window", "-d", "-P", "-F", "#{pane_id}", "-t", "side:0", "sleep", "100000"
    ).strip()
    added = await next_event(stream, "pane_added")
    assert added.pane_id == pid  # type: ignore[union-attr]

    # tmux marks a pane dead when its pty closes. A plain `exit 3` closes it as it exits, and
    # tmux 3.3a can see that EOF before the SIGCHLD: dead, with no status yet. Here a background
    # child holds the pty a little longer, so the status is reaped before the pane dies.
    t("respawn-pane", "-k", "-t", pid, "sleep 0.5 & exit 3")
    died = await next_event(stream, "pane_died")
    assert died.pane_id == pid  # type: ignore[union-attr]
    assert died.status == 3  # type: ignore[union-attr]

    t("kill-pane", "-t", pid)
    closed = await next_event(stream, "pane_closed")
    assert closed.pane_id == pid  # type: ignore[union-attr]


async def test_server_killed_and_restarted(engine: Engine, running_tmux: TmuxFixture) -> None:
    stream = await engine.subscribe()
    running_tmux.kill()
    down = await next_event(stream, "tmux_down")
    assert "tmux" in down.reason  # type: ignore[union-attr]
    snapshot = await engine.snapshot()
    assert snapshot.tmux.running is False

    running_tmux.start(session="back")
    await next_event(stream, "tmux_up")
    added = await next_event(stream, "session_added")
    assert added.name == "back"  # type: ignore[union-attr]
    assert [s.name for s in (await engine.snapshot()).sessions] == ["back"]


async def test_a_server_stopped_after_a_spawn_stays_stopped(
    engine: Engine, running_tmux: TmuxFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the spawn itself may start a server: a long-lived engine (TUI, serve) whose watcher
    reconnects must not bring back a server someone stopped."""
    from tmuxorch.core.local import LocalBackend

    attempts = [0]
    connect = engine.connection.connect

    async def counting() -> None:
        attempts[0] += 1
        await connect()

    monkeypatch.setattr(engine.connection, "connect", counting)
    stream = await engine.subscribe()
    await LocalBackend(engine).spawn("made", ["sleep", "100000"], name=None, kind=None)
    running_tmux.kill()
    await next_event(stream, "tmux_down")
    before = attempts[0]
    # several reconnect attempts of the watcher (or a server brought back, which ends the wait)
    await wait_for(lambda: attempts[0] >= before + 5 or running_tmux.server.is_running(), 10)
    assert not running_tmux.server.is_running()
    assert (await engine.snapshot()).tmux.running is False


async def test_killed_control_client_is_replaced_without_tmux_down(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    import os
    import signal

    stream = await engine.subscribe()
    pid = engine.connection.control_pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    running_tmux.tmux("new-session", "-d", "-s", "after", "sleep", "100000")
    added = await next_event(stream, "session_added")
    assert added.name == "after"  # type: ignore[union-attr]
    await wait_for(lambda: engine.connection.control_pid not in (None, pid))


async def test_subscribers_arriving_together_share_one_watcher(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    await engine.snapshot()  # attached already: the old code awaited tmux before starting one
    first, second = await asyncio.gather(engine.subscribe(), engine.subscribe())
    names = [task.get_name() for task in asyncio.all_tasks()]
    assert names.count("tmuxorch-engine-watcher") == 1
    assert names.count("tmuxorch-agent-sweeper") == 1
    running_tmux.tmux("new-window", "-d", "-t", "main", "sleep", "100000")
    for stream in (first, second):
        assert (await next_event(stream, "window_added")).session_id  # type: ignore[union-attr]
