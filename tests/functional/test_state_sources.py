"""The agent's own word beside its screen: a hook's report (rung through the doorbell), Claude
Code's session file and the pane title, each weighed against the screen as core/agents/reports.py
says, on a real tmux server with a pane showing a real Claude Code screen."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tmuxorch.core.agents.hook_events import report_snippet
from tmuxorch.core.engine import Engine
from tmuxorch.core.events import AgentStateChanged
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.streams import EventStream

from ..conftest import TmuxFixture, wait_for

SCREENS = Path(__file__).resolve().parent.parent / "fixtures" / "screens" / "claude"


def _show(tmux: TmuxFixture, pane: str, fixture: str, tmp: Path, cli: str = "claude") -> None:
    """Print a captured screen of a real CLI into `pane` (its process stays: `exec sleep`)."""
    path = SCREENS.parent / cli / fixture
    body = path.read_text(encoding="utf-8").partition("\n---\n")[2].rstrip()
    screen = tmp / f"{fixture}.screen"
    screen.write_text(body, encoding="utf-8")
    tmux.tmux("respawn-pane", "-k", "-t", pane, f"clear; cat '{screen}'; exec sleep 100000")


@pytest.fixture
async def claude_pane(running_tmux: TmuxFixture, tmp_path: Path) -> str:
    pane = running_tmux.tmux(
        "new-session", "-d", "-P", "-F", "#{pane_id}", "-s", "agent", "-x", "80", "-y", "24",
        "sleep", "100000",
    ).strip()  # fmt: skip
    running_tmux.tmux("set-option", "-p", "-t", pane, "@tmuxorch-agent", "claude")
    _show(running_tmux, pane, "idle-prompt-80x24.txt", tmp_path)
    return pane


@pytest.fixture
async def watching(running_tmux: TmuxFixture) -> AsyncIterator[tuple[Engine, EventStream]]:
    engine = Engine(running_tmux.server, timeout=3.0)
    try:
        yield engine, await engine.subscribe()
    finally:
        await engine.close()


async def _next_state(stream: EventStream, pane: str, timeout: float = 5.0) -> AgentStateChanged:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "no agent_state event in time"
        event = await asyncio.wait_for(anext(stream), remaining)
        if isinstance(event, AgentStateChanged) and event.pane_id == pane:
            return event


async def _states_for(stream: EventStream, pane: str, quiet: float) -> list[str]:
    """The states of `pane`'s events until none comes for `quiet` seconds (the one that
    settled before may still be queued)."""
    seen: list[str] = []
    while True:
        try:
            seen.append((await _next_state(stream, pane, timeout=quiet)).state)
        except (AssertionError, TimeoutError):
            return seen


def _hook(tmux: TmuxFixture, pane: str, event: str, kind: str = "claude") -> None:
    """Run the hook command as the agent's CLI would: inside its pane's environment."""
    pid = tmux.tmux("display-message", "-p", "#{pid}").strip()
    env = {**tmux.env, "TMUX_PANE": pane, "TMUX": f"{tmux.socket_path},{pid},0"}
    hook = report_snippet(kind, event)  # what `tmuxorch hooks install claude` writes
    done = subprocess.run(["sh", "-c", hook], env=env, timeout=10, check=False)
    assert done.returncode == 0


async def _settled(engine: Engine, pane: str, state: str) -> None:
    async def agent_state() -> str | None:
        snapshot = await LocalBackend(engine).snapshot()
        found = snapshot.panes_by_id.get(pane)  # (the live model may not have it yet)
        agent = found.agent if found is not None else None
        return agent.state if agent else None

    deadline = time.monotonic() + 10
    while await agent_state() != state:
        assert time.monotonic() < deadline, f"{pane} never {state}"
        await asyncio.sleep(0.02)  # the live model answers at once: let the sweeper run


async def test_a_hook_report_rings_through_and_wins_until_the_screen_changes(
    running_tmux: TmuxFixture, claude_pane: str, watching: tuple[Engine, EventStream],
    tmp_path: Path,
) -> None:  # fmt: skip
    engine, stream = watching
    await _settled(engine, claude_pane, "idle")
    assert engine.doorbell.listening
    _hook(running_tmux, claude_pane, "UserPromptSubmit")
    event = await _next_state(stream, claude_pane)
    assert (event.state, event.source, event.reason) == ("busy", "hook", "hook UserPromptSubmit")
    _hook(running_tmux, claude_pane, "Stop")
    event = await _next_state(stream, claude_pane)
    assert (event.state, event.source, event.reason) == ("idle", "hook", "hook Stop")
    # The hook said idle; a question then shows on the screen: the screen is newer and decides.
    _show(running_tmux, claude_pane, "trust-folder-80x24.txt", tmp_path)
    event = await _next_state(stream, claude_pane)
    assert (event.state, event.source) == ("waiting", "screen")
    assert "matched" in event.reason


async def test_a_hook_that_stopped_reporting_ages_out(
    running_tmux: TmuxFixture, claude_pane: str, watching: tuple[Engine, EventStream],
    tmp_path: Path,
) -> None:  # fmt: skip
    engine, stream = watching
    await _settled(engine, claude_pane, "idle")
    _hook(running_tmux, claude_pane, "UserPromptSubmit")
    assert (await _next_state(stream, claude_pane)).state == "busy"
    # No Stop ever comes (the hook was removed): the screen's next change decides.
    _show(running_tmux, claude_pane, "trust-folder-80x24.txt", tmp_path)
    assert (await _next_state(stream, claude_pane)).state == "waiting"
    _show(running_tmux, claude_pane, "idle-prompt-80x24.txt", tmp_path)
    event = await _next_state(stream, claude_pane)
    assert (event.state, event.source) == ("idle", "screen")


async def test_a_malformed_or_foreign_report_changes_nothing(
    running_tmux: TmuxFixture, claude_pane: str, watching: tuple[Engine, EventStream]
) -> None:
    engine, stream = watching
    await _settled(engine, claude_pane, "idle")
    for value in ("claude NoSuchEvent 1", "codex agent-turn-complete 9999999999", "garbage"):
        running_tmux.tmux("set-option", "-p", "-t", claude_pane, "@tmuxorch-hook", value)
    _hook(running_tmux, claude_pane, "NoSuchEvent")
    assert set(await _states_for(stream, claude_pane, 1.0)) <= {"idle"}  # (a settled one)
    agent = (await LocalBackend(engine).snapshot()).panes_by_id[claude_pane].agent
    assert agent is not None
    assert (agent.state, agent.source) == ("idle", "screen")


async def test_the_spinner_title_claude_sets_is_a_live_source(
    running_tmux: TmuxFixture, claude_pane: str, watching: tuple[Engine, EventStream]
) -> None:
    engine, stream = watching
    await _settled(engine, claude_pane, "idle")
    running_tmux.tmux("select-pane", "-t", claude_pane, "-T", "⠂ Claude Code")
    event = await _next_state(stream, claude_pane)
    assert (event.state, event.source) == ("busy", "title")
    # `✳ Claude Code` says nothing (2.1.332 keeps it while working): the screen decides again.
    running_tmux.tmux("select-pane", "-t", claude_pane, "-T", "✳ Claude Code")
    event = await _next_state(stream, claude_pane)
    assert (event.state, event.source) == ("idle", "screen")


async def test_claudes_session_file_is_a_live_source(
    running_tmux: TmuxFixture, claude_pane: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "claude-config"
    (config / "sessions").mkdir(parents=True)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    await wait_for(lambda: running_tmux.runs(claude_pane, "sleep"), timeout=10)
    pid = int(running_tmux.tmux("display-message", "-p", "-t", claude_pane, "#{pane_pid}"))
    session = config / "sessions" / f"{pid}.json"
    engine = Engine(running_tmux.server, timeout=3.0)
    try:
        stream = await engine.subscribe()
        await _settled(engine, claude_pane, "idle")
        stamp = int(time.time() * 1000)
        status = {"pid": pid, "status": "busy", "statusUpdatedAt": stamp, "updatedAt": stamp}
        session.write_text(json.dumps(status))
        event = await _next_state(stream, claude_pane)
        assert (event.state, event.source, event.reason) == ("busy", "session-file", "status busy")
        stamp += 1000
        waiting = {**status, "status": "waiting", "waitingFor": "approve Bash",
                   "statusUpdatedAt": stamp}  # fmt: skip
        tmp = session.with_suffix(".tmp")
        tmp.write_text(json.dumps(waiting))
        os.replace(tmp, session)
        event = await _next_state(stream, claude_pane)
        assert (event.state, event.reason) == ("waiting", "status waiting (approve Bash)")
        session.unlink()  # the CLI exited or moved on: back to the screen
        event = await _next_state(stream, claude_pane)
        assert (event.state, event.source) == ("idle", "screen")
    finally:
        await engine.close()


def test_the_cli_explains_text_and_json_and_refuses_what_is_not_an_agent(
    running_tmux: TmuxFixture, claude_pane: str
) -> None:
    shown = running_tmux.cli("explain", "agent")  # the session: each of its agent panes
    assert shown.returncode == 0, shown.stderr
    for expected in (claude_pane, "source  screen", "claude.idle[", "screen region read"):
        assert expected in shown.stdout, expected
    as_json = running_tmux.cli("explain", claude_pane, "--json")
    document = json.loads(as_json.stdout)
    assert document["schema"] == "tmuxorch.explain/1"
    (agent,) = document["agents"]
    assert (agent["pane_id"], agent["agent"]["source"]) == (claude_pane, "screen")
    # A hook report that agrees with the screen lends its reason to a one-shot look.
    _hook(running_tmux, claude_pane, "Stop")
    hooked = running_tmux.cli("explain", claude_pane)
    assert "source  hook" in hooked.stdout
    assert "reason  hook Stop" in hooked.stdout
    for bad, message in (("main", "holds no agent pane"), ("%999", "no such target")):
        refused = running_tmux.cli("explain", bad)
        assert refused.returncode == 2
        assert message in refused.stderr
        assert "Traceback" not in refused.stderr


async def test_many_agents_have_their_titles_and_reports_read_in_one_listing(
    running_tmux: TmuxFixture, engine: Engine
) -> None:
    from tmuxorch.core.agents.pane_reads import FEW_PANES, read_live

    panes = [
        running_tmux.tmux(
            "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "main", "sleep", "100000"
        ).strip()
        for _ in range(FEW_PANES + 1)
    ]
    for index, pane in enumerate(panes):
        running_tmux.tmux("select-pane", "-t", pane, "-T", f"title {index}")
    running_tmux.tmux("set-option", "-p", "-t", panes[-1], "@tmuxorch-hook", "claude Stop 5")
    for few in (panes[:FEW_PANES], panes):  # by id, then one listing
        screens, metas = await read_live(engine.run, [*few, "%0"], few)  # %0: nothing to tell
        assert "%0" in screens
        assert set(screens) == {*few, "%0"}
        assert "%0" not in metas
        assert [metas[p].title for p in few] == [f"title {i}" for i in range(len(few))]
    assert metas[panes[-1]].hook == "claude Stop 5"
    assert metas[panes[0]].hook == ""


async def test_codexs_notify_never_decides_a_state(
    running_tmux: TmuxFixture, watching: tuple[Engine, EventStream], tmp_path: Path
) -> None:
    """Codex 0.171 says `agent-turn-complete` for side requests while its reply streams."""
    engine, stream = watching
    pane = running_tmux.tmux(  # tagged in the same command: the watching engine reads tags once
        "new-session", "-d", "-P", "-F", "#{pane_id}", "-s", "codex", "-x", "80", "-y", "24",
        "sleep", "100000", ";", "set-option", "-p", "@tmuxorch-agent", "codex",
    ).strip()  # fmt: skip
    _show(running_tmux, pane, "busy-streaming-long-80x24.txt", tmp_path, cli="codex")
    await _settled(engine, pane, "busy")
    _hook(running_tmux, pane, "agent-turn-complete", kind="codex")
    assert "idle" not in await _states_for(stream, pane, 1.0)
    explained = await LocalBackend(engine).explain(pane)
    assert explained.hook.startswith("codex agent-turn-complete ")  # shown, not believed
    assert (explained.agent.state, explained.agent.source) == ("busy", "screen")
