"""keys, interrupt, capture, spawn, kill, rename: validated, by id, doing what they say."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.names import validate_name
from tmuxorch.core.ops.operations import SIMAGENT
from tmuxorch.usecases.demo import agent_command as demo_command

from ..conftest import TmuxFixture, wait_for
from ..simfleet import SimAgent, start_agent

BAD_NAMES = [
    "", "x" * 101, "-leading", "has#hash", "#(touch PWNED)", "co:lon", "do.t", "tab\tname",
    "new\nline", "bell\x07",
]  # fmt: skip


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
async def test_bad_names_are_refused_before_tmux(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path, name: str
) -> None:
    name = name.replace("PWNED", str(tmp_path / "pwned"))
    window = (await backend.snapshot()).windows()[0]
    before = running_tmux.tmux("list-windows", "-a", "-F", "#{window_name}")
    with pytest.raises(BadInputError) as caught:
        await backend.rename(window.id, name)
    assert "name" in str(caught.value)
    with pytest.raises(BadInputError):
        await backend.spawn("main", ["sleep", "1000"], name=name, kind=None)
    with pytest.raises(BadInputError):
        await backend.spawn(name or "", ["sleep", "1000"], name=None, kind=None)
    assert running_tmux.tmux("list-windows", "-a", "-F", "#{window_name}") == before
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("name", ["with spaces", "émoji 🚀 漢字", "x" * 100, "quo'te\"s"])
async def test_good_names_arrive_exactly(backend: LocalBackend, name: str) -> None:
    window = (await backend.snapshot()).windows()[0]
    await backend.rename(window.id, name)
    assert (await backend.snapshot()).windows_by_id[window.id].name == name
    session = (await backend.snapshot()).sessions[0]
    await backend.rename(session.id, name)
    assert (await backend.snapshot()).sessions_by_id[session.id].name == name


def test_validate_name_messages() -> None:
    with pytest.raises(BadInputError, match="format syntax"):
        validate_name("a#b", "window")
    with pytest.raises(BadInputError, match="at most 100"):
        validate_name("x" * 101, "session")


async def test_spawn_tags_and_kill(backend: LocalBackend, running_tmux: TmuxFixture) -> None:
    spawned = await backend.spawn("fresh", ["sleep", "100000"], name="worker", kind="mybot")
    snapshot = await backend.snapshot()
    pane = snapshot.panes_by_id[spawned.pane_id]
    assert snapshot.sessions_by_id[spawned.session_id].name == "fresh"
    assert snapshot.windows_by_id[spawned.window_id].name == "worker"
    assert pane.agent is not None
    assert pane.agent.kind == "mybot"
    tag = running_tmux.tmux("show-options", "-pqv", "-t", spawned.pane_id, "@tmuxorch-agent")
    assert tag.strip() == "mybot"
    second = await backend.spawn("fresh", ["sleep", "100000"], name=None, kind=None)
    assert second.session_id == spawned.session_id
    await backend.kill(spawned.window_id)
    snapshot = await backend.snapshot()
    assert spawned.window_id not in snapshot.windows_by_id
    assert second.pane_id in snapshot.panes_by_id
    await backend.kill(spawned.session_id)
    assert spawned.session_id not in (await backend.snapshot()).sessions_by_id


async def test_the_simulated_agent_runs_on_the_spawning_hosts_python(
    backend: LocalBackend, running_tmux: TmuxFixture
) -> None:
    """`tmuxorch-simagent` is resolved by whoever spawns it (a remote demo sends this name, not
    the client's interpreter path)."""
    spawned = await backend.spawn(
        "sims", [SIMAGENT, "--name", "host", "--busy", "0"], name="host", kind="sim"
    )
    started = running_tmux.tmux("display", "-p", "-t", spawned.pane_id, "#{pane_start_command}")
    assert started.startswith(f"{sys.executable} -m tmuxorch.simagent --name host")
    await wait_for(lambda: "for shortcuts" in running_tmux.tmux("capture-pane", "-p", "-t",
                                                                spawned.pane_id))  # fmt: skip
    assert demo_command("a", busy=1, cycle=False, seed=1)[0] == SIMAGENT


async def test_spawn_refuses_bad_kind_and_empty_command(backend: LocalBackend) -> None:
    with pytest.raises(BadInputError, match="agent kind"):
        await backend.spawn("main", ["sleep", "1"], name=None, kind="Bad Kind")
    with pytest.raises(BadInputError, match="no command"):
        await backend.spawn("main", [], name=None, kind=None)


async def test_capture_is_sanitised(backend: LocalBackend, running_tmux: TmuxFixture) -> None:
    script = r"printf '\033]0;evil-title\007\033[31mred\033[0m plain\n\033[2Jafter\n'; sleep 100000"
    pane = running_tmux.tmux(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "main", "sh", "-c", script
    ).strip()
    await wait_for(lambda: "after" in running_tmux.tmux("capture-pane", "-p", "-t", pane))
    text = await backend.capture(pane, 20)
    assert "red plain" in text
    assert "after" in text
    assert "\x1b" not in text
    assert "\x07" not in text
    coloured = await backend.capture(pane, 20, colours=True)
    assert "\x1b[31m" in coloured
    assert "\x07" not in coloured


async def test_keys_and_interrupt(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "30")
    agent.type("long job")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("esc to interrupt"))
    running_tmux.tmux("copy-mode", "-t", agent.pane)  # a typed Escape would only leave it
    receipts = await backend.interrupt([agent.pane])
    assert receipts[0].status == "delivered"
    await wait_for(lambda: agent.shows("Interrupted by user"))
    await wait_for(agent.idle)
    assert running_tmux.tmux("display", "-p", "-t", agent.pane, "#{pane_in_mode}").strip() == "1"
    running_tmux.tmux("copy-mode", "-q", "-t", agent.pane)  # the user scrolls back down
    agent.type("another")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("esc to interrupt"))
    await backend.keys([agent.pane], ["C-c"])
    await wait_for(agent.idle)
    with pytest.raises(BadInputError, match="unknown key"):
        await backend.keys([agent.pane], ["NotAKey;rm"])


async def test_interrupt_in_a_synchronized_window_stops_the_target_only(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """Typed keys are repeated in every pane of a window with synchronize-panes on: an
    interrupt for one agent must not stop its neighbour."""
    target = await start_agent(running_tmux, tmp_path, "--busy", "30")
    sibling = SimAgent(running_tmux, tmp_path / "sibling.jsonl", "--busy", "30", beside=target.pane)
    await wait_for(sibling.idle, timeout=10)
    for agent in (target, sibling):
        agent.type("long job")
        agent.keys("Enter")
    await wait_for(lambda: target.shows("esc to interrupt") and sibling.shows("esc to interrupt"))
    running_tmux.tmux("set-option", "-w", "-t", target.pane, "synchronize-panes", "on")
    receipts = await backend.interrupt([target.pane])
    assert receipts[0].status == "delivered"
    await wait_for(lambda: target.shows("Interrupted by user"))
    await sibling.read_all()  # and so whatever keys the interrupt gave it
    assert sibling.shows("esc to interrupt")
    assert not sibling.shows("Interrupted by user")


async def test_capture_and_rename_refuse_bad_arguments(backend: LocalBackend) -> None:
    pane = (await backend.snapshot()).panes()[0]
    with pytest.raises(BadInputError, match="--lines"):
        await backend.capture(pane.id, 0)
    with pytest.raises(BadInputError, match="not a tmux id"):
        await backend.kill("main")
    with pytest.raises(BadInputError, match="panes have no name"):
        await backend.rename(pane.id, "x")
