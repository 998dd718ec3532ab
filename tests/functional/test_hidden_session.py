"""The hidden sessions our control clients attach to never cost the user anything: a one-shot
command creates none, a user's window that lands in one is moved out alive, a user's session
is never given `destroy-unattached`, and the event stream never mentions ours."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from tmuxorch.core.engine import Engine
from tmuxorch.core.events import Event
from tmuxorch.core.tmux.hidden import is_hidden

from ..conftest import TmuxFixture, reap, wait_for


def sessions(t: TmuxFixture) -> list[str]:
    return t.tmux("list-sessions", "-F", "#{session_name}").split("\n")[:-1]


def hidden_sessions(t: TmuxFixture) -> list[str]:
    return [name for name in sessions(t) if is_hidden(name)]


def panes_by_start(t: TmuxFixture) -> dict[str, tuple[str, str]]:
    """Pane start command -> (session name, pane pid) for every pane of the server."""
    lines = t.tmux(
        "list-panes", "-a", "-F", "#{pane_start_command}\t#{session_name}\t#{pane_pid}"
    ).splitlines()
    return {cmd: (session, pid) for cmd, session, pid in (ln.split("\t") for ln in lines)}


def session_of(t: TmuxFixture, start: str) -> str:
    return panes_by_start(t).get(start, ("", ""))[0]


async def test_hidden_session_is_never_shown_and_goes_with_the_engine(
    running_tmux: TmuxFixture,
) -> None:
    eng = Engine(running_tmux.server)
    try:
        snapshot = await eng.snapshot()
        assert len(hidden_sessions(running_tmux)) == 1
        assert [s.name for s in snapshot.sessions] == ["main"]
        assert "_tmuxorch" not in str(snapshot.to_status_document())
    finally:
        await eng.close()
    assert sessions(running_tmux) == ["main"]


def test_one_shot_commands_create_no_session_and_attach_no_client(
    running_tmux: TmuxFixture,
) -> None:
    """status, summary, capture and send run as plain tmux processes: no handshake to crash
    tmux, nothing to leave behind."""
    before = running_tmux.tmux("display-message", "-p", "#{next_session_id}")
    for argv in (["status", "--json"], ["summary"], ["capture", "main:0"]):
        result = running_tmux.cli(*argv)
        assert result.returncode == 0, result.stderr
    result = running_tmux.cli("send", "main:0", "-m", "hello", "--force")
    assert result.returncode == 0, result.stderr
    assert running_tmux.tmux("display-message", "-p", "#{next_session_id}") == before
    assert running_tmux.tmux("list-clients", "-F", "#{client_pid}") == ""


async def test_a_window_landing_in_our_session_is_moved_to_the_users_alive(
    running_tmux: TmuxFixture,
) -> None:
    """`tmux new-window` run outside tmux goes to the session with the latest activity, which
    an attach makes ours; it must end up in the user's session, same process, and survive us."""
    eng = Engine(running_tmux.server)
    try:
        await eng.subscribe()
        before = {k: v for k, v in panes_by_start(running_tmux).items() if not is_hidden(v[0])}
        running_tmux.tmux("new-window", "-d", "-n", "precious", "sleep", "900")
        running_tmux.tmux("split-window", "-d", "sleep", "901")  # into our placeholder window
        landed = panes_by_start(running_tmux)
        assert is_hidden(landed["sleep 900"][0]), landed
        assert is_hidden(landed["sleep 901"][0]), landed
        await wait_for(lambda: session_of(running_tmux, "sleep 900") == "main")
        await wait_for(lambda: session_of(running_tmux, "sleep 901") == "main")
    finally:
        await eng.close()
    assert sessions(running_tmux) == ["main"]
    after = panes_by_start(running_tmux)
    assert after == {
        **before, "sleep 900": ("main", landed["sleep 900"][1]),
        "sleep 901": ("main", landed["sleep 901"][1]),
    }  # fmt: skip


async def test_with_no_user_session_a_landed_window_gets_its_own(
    running_tmux: TmuxFixture,
) -> None:
    eng = Engine(running_tmux.server)
    try:
        await eng.subscribe()
        running_tmux.tmux("kill-session", "-t", "=main")  # only our hidden session is left
        running_tmux.tmux("new-window", "-d", "-n", "orphan", "sleep", "900")
        assert is_hidden(session_of(running_tmux, "sleep 900"))
        await wait_for(lambda: not is_hidden(session_of(running_tmux, "sleep 900")))
    finally:
        await eng.close()
    (home,) = sessions(running_tmux)
    assert not is_hidden(home)
    assert list(panes_by_start(running_tmux)) == ["sleep 900"]


async def test_a_users_session_named_like_ours_is_never_touched(
    running_tmux: TmuxFixture,
) -> None:
    running_tmux.tmux("new-session", "-d", "-s", "_tmuxorch", "sleep", "900")
    result = running_tmux.cli("status")
    assert result.returncode == 0, result.stderr
    assert "_tmuxorch" in result.stdout  # a user's session, so shown
    eng = Engine(running_tmux.server)
    try:
        await eng.subscribe()
    finally:
        await eng.close()
    option = running_tmux.tmux("show-options", "-t", "=_tmuxorch:", "-v", "destroy-unattached")
    assert option.strip() in ("", "off")
    assert "_tmuxorch" in sessions(running_tmux)


async def test_events_never_mention_a_hidden_session(running_tmux: TmuxFixture) -> None:
    watcher = Engine(running_tmux.server)
    seen: list[Event] = []
    try:
        stream = await watcher.subscribe()
        other = Engine(running_tmux.server)  # another tmuxorch process's engine, say
        await other.snapshot()
        assert len(hidden_sessions(running_tmux)) == 2
        await other.close()
        running_tmux.tmux("new-session", "-d", "-s", "marker", "sleep", "900")
        async with asyncio.timeout(10):
            async for event in stream:
                seen.append(event)
                if event.event == "session_added" and "marker" in str(event.data()):
                    break
    finally:
        await watcher.close()
    assert not [e for e in seen if "_tmuxorch" in str(e.data())], seen


def start_events(t: TmuxFixture) -> subprocess.Popen[bytes]:
    """`tmuxorch events --json` against the test's server, as a user starts it."""
    return subprocess.Popen(
        [sys.executable, "-m", "tmuxorch", "-S", str(t.socket_path), "events", "--json"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=t.env,
    )  # fmt: skip


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGHUP], ids=["KILL", "HUP"])
async def test_the_hidden_session_goes_when_tmuxorch_is_killed(
    running_tmux: TmuxFixture, signum: int
) -> None:
    """Killed once its hidden session exists (SIGKILL: no cleanup of ours runs at all), the
    process leaves nothing behind: no hidden session, no control client; the user's session
    stays. (The chaos suite kills at random moments, often before the session exists.)"""
    process = start_events(running_tmux)
    try:
        await wait_for(
            lambda: any(n.startswith(f"_tmuxorch-{process.pid}-") for n in sessions(running_tmux)),
            timeout=15,
        )
        os.kill(process.pid, signum)
        await wait_for(lambda: process.poll() is not None, timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
        reap(process)

    def control_clients() -> list[str]:
        listed = running_tmux.tmux("list-clients", "-F", "#{client_pid} #{client_control_mode}")
        return [line for line in listed.splitlines() if line.endswith(" 1")]

    await wait_for(lambda: hidden_sessions(running_tmux) == [] and control_clients() == [])
    assert sessions(running_tmux) == ["main"]
