"""The agent commands as a user runs them: real CLI processes, a real server, simulated agents."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tmuxorch.core.engine import Engine

from ..conftest import TmuxFixture, reap, wait_for
from ..simfleet import (
    SimAgent,
    below_menu,
    exit_time,
    start_agent,
    start_agents,
    start_login_menu,
    state_changes,
    type_marker,
)


def test_demo_then_status_shows_changing_states(tmux: TmuxFixture) -> None:
    result = tmux.cli("demo", "--agents", "4")
    assert result.returncode == 0, result.stderr
    try:
        states: dict[str, str] = {}
        seen_states: set[str] = set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not {"idle", "busy", "waiting"} <= seen_states:
            status = json.loads(tmux.cli("status", "--json").stdout)
            session = next(s for s in status["sessions"] if s["name"] == "tmuxorch-demo")
            states = {w["name"]: w["panes"][0]["agent"]["state"] for w in session["windows"]}
            seen_states |= set(states.values())
            assert all(w["kind"] == "agent" for w in session["windows"])
        assert states["agent-2"] == "waiting"
        assert {"idle", "busy", "waiting"} <= seen_states
        again = tmux.cli("demo", "--agents", "2")
        assert again.returncode == 2
        assert "already exists" in again.stderr
    finally:
        tmux.cli("kill", "tmuxorch-demo", "--yes")


async def test_broadcast_to_idle_skips_waiting(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    agents = await start_agents(running_tmux, tmp_path, 3, "--busy", "0")
    waiting = agents[2]
    waiting.type("needs APPROVE first")
    waiting.keys("Enter")
    await wait_for(lambda: waiting.shows("1. Yes"))
    result = running_tmux.cli("broadcast", "--state", "idle", "-m", "hello", "--json")
    assert result.returncode == 0, result.stderr
    receipts = json.loads(result.stdout)["receipts"]
    assert sorted((r["target"], r["status"]) for r in receipts) == sorted(
        (a.pane, "delivered") for a in agents[:2]
    )
    for agent in agents[:2]:
        await wait_for(lambda agent=agent: agent.entries() == ["hello"])  # type: ignore[misc]
    assert waiting.entries() == ["needs APPROVE first"]
    human = running_tmux.cli("broadcast", "--state", "idle", "--dry-run", "-m", "x")
    assert "skip: state is waiting" in human.stdout
    assert human.returncode == 0


async def test_send_exit_codes_and_stdin(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    piped = running_tmux.cli("send", agent.pane, "-", stdin="line one\nline two\n")
    assert piped.returncode == 0, piped.stderr
    await wait_for(lambda: agent.entries() == ["line one\nline two"])
    missing = running_tmux.cli("send", "nosuch", "-m", "x")
    assert missing.returncode == 2
    assert "no such target: 'nosuch'" in missing.stderr
    both = running_tmux.cli("send", agent.pane, "-m", "x", "-f", "/etc/hostname")
    assert both.returncode == 2
    assert "exactly once" in both.stderr
    agent.type("APPROVE me")
    agent.keys("Enter")
    await wait_for(lambda: agent.shows("1. Yes"))
    skipped = running_tmux.cli("send", agent.pane, "-m", "not now")
    assert skipped.returncode == 1
    assert "skipped_waiting" in skipped.stdout


def test_kill_rename_keys_capture_spawn(running_tmux: TmuxFixture) -> None:
    spawned = running_tmux.cli(
        "spawn", "work", "--name", "w1", "--kind", "mybot", "--json", "--", "sh"
    )
    assert spawned.returncode == 0, spawned.stderr
    ids = json.loads(spawned.stdout)
    refused = running_tmux.cli("kill", "work:w1")
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    bad = running_tmux.cli("rename", "work:w1", "bad#name")
    assert bad.returncode == 2
    assert "format syntax" in bad.stderr
    good = running_tmux.cli("rename", "work:w1", "w2 🚀")
    assert good.returncode == 0, good.stderr
    assert (
        running_tmux.tmux("display-message", "-p", "-t", ids["window_id"], "#{window_name}").strip()
        == "w2 🚀"
    )
    pane = ids["pane_id"]
    running_tmux.tmux("send-keys", "-t", pane, "-l", "sleep 100001")
    running_tmux.tmux("send-keys", "-t", pane, "Enter")
    running_tmux.wait_command(pane, "sleep")
    keys = running_tmux.cli("keys", pane, "C-c", "--json")
    assert keys.returncode == 0, keys.stderr
    assert [(r["target"], r["status"]) for r in json.loads(keys.stdout)["receipts"]] == [
        (pane, "delivered")
    ]
    running_tmux.wait_command(pane, "sh")  # C-c reached the pane: the sleep was interrupted
    badkey = running_tmux.cli("keys", pane, "Bogus;Key")
    assert badkey.returncode == 2
    running_tmux.tmux("send-keys", "-t", pane, "-l", "echo cap''tured")
    running_tmux.tmux("send-keys", "-t", pane, "Enter")
    deadline = time.monotonic() + 10
    while "captured" not in running_tmux.tmux("capture-pane", "-p", "-t", pane).split("\n"):
        assert time.monotonic() < deadline, "the echo never ran"
        time.sleep(0.02)  # a poll step of a deadline-bounded wait
    capture = running_tmux.cli("capture", pane, "--lines", "3")
    assert capture.returncode == 0, capture.stderr
    prompt = "# " if os.getuid() == 0 else "$ "  # sh's default PS1
    # the last three of the pane's five lines (`sleep 100001`, `^C` and these), exactly
    assert capture.stdout == f"{prompt}echo cap''tured\ncaptured\n{prompt}\n"
    killed = running_tmux.cli("kill", ids["window_id"], "--yes")
    assert killed.returncode == 0, killed.stderr
    assert ids["window_id"] not in running_tmux.tmux("list-windows", "-a", "-F", "#{window_id}")
    log = running_tmux.cli("log", "--json")
    ops = [json.loads(line)["op"] for line in log.stdout.splitlines()]
    assert ops[:4] == ["kill", "keys", "rename", "spawn"]
    text = [json.loads(line) for line in log.stdout.splitlines()][2]
    assert text["text"] == "w2 🚀"
    assert len(text["text_sha256"]) == 64


def test_events_json_stream(running_tmux: TmuxFixture) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tmuxorch", "-S", str(running_tmux.socket_path), "events", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=running_tmux.env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 10
        line = ""
        while '"window_added"' not in line:
            assert time.monotonic() < deadline, "no window_added event"
            running_tmux.tmux("new-window", "-d", "-t", "main", "sleep", "9999")
            ready, _, _ = select.select([process.stdout], [], [], 0.5)  # bounded wait
            if ready:
                line = process.stdout.readline()
        event = json.loads(line)
        assert event["event"] == "window_added"
        assert event["session_id"].startswith("$")
    finally:
        process.terminate()
        reap(process)


async def test_an_agent_on_a_screen_not_understood_gets_nothing_unless_forced(
    running_tmux: TmuxFixture,
) -> None:
    """A login menu takes Enter as a choice: `send` types nothing there, `--force` does."""
    pane = await start_login_menu(running_tmux)
    skipped = running_tmux.cli("send", pane, "-m", "hello there", "--json")
    assert skipped.returncode == 1, skipped.stderr
    (receipt,) = json.loads(skipped.stdout)["receipts"]
    assert receipt["status"] == "skipped_unknown"
    assert "does not recognise" in receipt["detail"]
    assert "--force" in receipt["detail"]
    type_marker(running_tmux, pane, "MARKER")
    # The marker shows (typed, then read by cat), with nothing typed before it.
    await wait_for(lambda: below_menu(running_tmux, pane) == ["MARKER", "MARKER"])

    forced = running_tmux.cli("send", pane, "--force", "-m", "forced text", "--json")
    assert forced.returncode == 0, forced.stderr
    assert [r["status"] for r in json.loads(forced.stdout)["receipts"]] == ["delivered"]
    await wait_for(lambda: below_menu(running_tmux, pane)[2:] == ["forced text"] * 2)


async def test_broadcast_plans_and_sends_nothing_to_a_screen_it_does_not_understand(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    menu = await start_login_menu(running_tmux)
    dry = running_tmux.cli("broadcast", "--dry-run", "--json", "-m", "hi")
    assert dry.returncode == 0, dry.stderr
    plan = json.loads(dry.stdout)
    assert plan["schema"] == "tmuxorch.broadcast-plan/1"
    assert [(t["target"], t["kind"], t["state"]) for t in plan["send"]] == [
        (agent.pane, "sim", "idle")
    ]
    assert [(s["target"], s["state"], s["status"]) for s in plan["skipped"]] == [
        (menu, "unknown", "skipped_unknown")
    ]
    assert plan["skipped"][0]["reason"] == "the agent shows a screen tmuxorch does not recognise"
    human = running_tmux.cli("broadcast", "--dry-run", "-m", "hi")
    assert "skip: the agent shows a screen tmuxorch does not recognise" in human.stdout
    assert human.returncode == 0

    sent = running_tmux.cli("broadcast", "-m", "hello all", "--json")
    assert sent.returncode == 1, sent.stderr  # not every agent got it
    receipts = json.loads(sent.stdout)["receipts"]
    assert [(r["target"], r["status"]) for r in receipts] == [
        (agent.pane, "delivered"), (menu, "skipped_unknown")
    ]  # fmt: skip
    await wait_for(lambda: agent.entries() == ["hello all"])  # the dry runs typed nothing
    type_marker(running_tmux, menu, "MARKER")
    await wait_for(lambda: below_menu(running_tmux, menu) == ["MARKER", "MARKER"])


def test_broadcast_without_a_server_is_exit_3_like_send(tmux: TmuxFixture) -> None:
    send = tmux.cli("send", "%0", "-m", "x")
    assert send.returncode == 3
    for args in (["-m", "x"], ["--dry-run", "-m", "x"], ["--dry-run", "--json", "-m", "x"]):
        result = tmux.cli("broadcast", *args)
        assert (result.returncode, result.stdout, result.stderr) == (3, "", send.stderr), args
    assert send.stderr.startswith("tmuxorch: no tmux server running on ")
    assert send.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "arrives", "shown"),
    [
        # The reproduction: ESC[201~ would end the bracketed paste; `!cmd` would be typed keys.
        ("a\n\x1b[201~\n!cmd", "a\n␛[201~\n!cmd", "␛"),
        # One line goes unbracketed: ESC[A would be the Up key, C-c an interrupt, C-u a wipe.
        ("up\x1b[Ahere", "up␛[Ahere", "␛"),
        ("stop\x03not\x15really\x7f", "stop␃not␕really␡", "␃ ␕ ␡"),
        ("crlf\r\nlines\r\n!", "crlf\nlines\n!", ""),  # one line break each, not two
        ("tab\tin one line", "tab\tin one line", ""),  # bracketed: a Tab key would complete
    ],
    ids=["paste-end", "escape", "control-keys", "crlf", "tab"],
)
async def test_text_never_becomes_keys(
    running_tmux: TmuxFixture, tmp_path: Path, text: str, arrives: str, shown: str
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    result = running_tmux.cli("send", agent.pane, "-", "--json", stdin=text + "\n")
    assert result.returncode == 0, result.stderr
    (receipt,) = json.loads(result.stdout)["receipts"]
    assert receipt["status"] == "delivered"
    if shown:
        assert f"control characters pasted as {shown}:" in receipt["detail"]
    else:
        assert receipt["detail"] == ""
    await wait_for(lambda: agent.entries() == [arrives])
    await wait_for(agent.idle)
    assert agent.entries() == [arrives]  # one message, nothing typed after it


def agent_of(tmux: TmuxFixture, pane_id: str) -> dict[str, object]:
    """The pane as a one-shot `status --json` shows it."""
    result = tmux.cli("status", "--json")
    assert result.returncode == 0, result.stderr
    sessions = json.loads(result.stdout)["sessions"]
    (pane,) = [p for s in sessions for w in s["windows"] for p in w["panes"] if p["id"] == pane_id]
    return pane  # type: ignore[no-any-return]


async def test_status_since_is_when_a_watching_tmuxorch_saw_the_state_begin(
    engine: Engine, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0.5")
    first = agent_of(running_tmux, agent.pane)["agent"]
    assert first["reason"].startswith("sim.idle[")  # the screen rule and the line it matched
    assert {**first, "reason": ""} == {
        "kind": "sim", "state": "idle", "since": None, "source": "screen", "reason": "",
    }  # nobody saw it begin  # fmt: skip
    async with state_changes(engine, agent.pane) as changes:  # a watching tmuxorch (TUI, serve)
        agent.type("work please")
        agent.keys("Enter")
        await wait_for(lambda: [c.state for c in changes] == ["busy", "idle"], timeout=8)
        began = changes[-1].since
        recorded = f"idle {began:.3f}"
        option = ["show-options", "-p", "-v", "-t", agent.pane, "@tmuxorch-since"]
        await wait_for(lambda: running_tmux.tmux(*option).strip() == recorded)
        seen = agent_of(running_tmux, agent.pane)["agent"]
        assert (seen["kind"], seen["state"], seen["source"]) == ("sim", "idle", "screen")
        assert seen["since"] == pytest.approx(began, abs=1e-3)


async def test_a_dead_agent_pane_is_an_exited_agent_in_a_one_shot_status(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    running_tmux.tmux("set-option", "-g", "remain-on-exit", "on")
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    agent.type("please --crash now")
    agent.keys("Enter")
    await wait_for(lambda: exit_time(running_tmux, agent.pane), timeout=10)
    assert "Error: simulated crash" in agent.screen()  # what its screen alone would call `error`
    pane = agent_of(running_tmux, agent.pane)
    assert pane["dead"] is True
    assert pane["agent"] == {
        "kind": "sim",
        "state": "exited",
        "since": int(exit_time(running_tmux, agent.pane)),
        "source": "tmux",
        "reason": f"the pane's process exited, exit status {pane['dead_status']}",
    }


async def test_broadcast_by_kind_and_by_session(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    """--kind and --session narrow who gets it; what they leave out is not even planned."""
    running_tmux.tmux("new-session", "-d", "-s", "other", "sleep", "100000")
    here = await start_agent(running_tmux, tmp_path, "--busy", "0", name="here")
    there = SimAgent(running_tmux, tmp_path / "there.jsonl", "--busy", "0", session="other")
    await wait_for(there.idle, timeout=10)
    menu = await start_login_menu(running_tmux)  # a codex agent on a screen it cannot read

    def broadcast(*args: str) -> tuple[int, list[tuple[str, str]]]:
        result = running_tmux.cli("broadcast", *args, "--json")
        receipts = json.loads(result.stdout)["receipts"]
        return result.returncode, [(r["target"], r["status"]) for r in receipts]

    assert broadcast("--kind", "sim", "--session", "other", "-m", "over there") == (
        0, [(there.pane, "delivered")],
    )  # fmt: skip
    await wait_for(lambda: there.entries() == ["over there"])
    assert broadcast("--session", "main", "--kind", "sim", "-m", "sims of main") == (
        0, [(here.pane, "delivered")],
    )  # fmt: skip
    assert broadcast("--kind", "sim", "-m", "every sim") == (
        0, [(here.pane, "delivered"), (there.pane, "delivered")],
    )  # fmt: skip
    assert broadcast("--kind", "codex", "-m", "codex only") == (1, [(menu, "skipped_unknown")])
    await wait_for(lambda: there.entries() == ["over there", "every sim"])
    await wait_for(lambda: here.entries() == ["sims of main", "every sim"])
    type_marker(running_tmux, menu, "MARKER")  # nothing reached the menu before it
    await wait_for(lambda: below_menu(running_tmux, menu) == ["MARKER", "MARKER"])


async def test_a_custom_interrupt_key_is_pressed_out_of_copy_mode(
    running_tmux: TmuxFixture,
) -> None:
    """A kind whose interrupt key comes from the config, and is not one tmuxorch pastes as
    bytes: it is pressed, after leaving copy mode (where it would only drive copy mode). Here
    C-\\ (SIGQUIT) stops a `sleep` that ignores SIGINT, so the default C-c would not."""
    config = running_tmux.tmpdir / "config.toml"
    config.write_text('[agents.sleeper]\nprocesses = ["sleep"]\ninterrupt_keys = ["C-\\\\"]\n')
    running_tmux.env["TMUXORCH_CONFIG"] = str(config)
    pane = running_tmux.tmux("new-window", "-d", "-P", "-F", "#{pane_id}", "sh").strip()
    type_marker(running_tmux, pane, "trap '' INT; sleep 100003")
    running_tmux.wait_command(pane, "sleep")
    status = json.loads(running_tmux.cli("status", "--json").stdout)
    [agent] = [
        p["agent"] for s in status["sessions"] for w in s["windows"] for p in w["panes"]
        if p["id"] == pane
    ]  # fmt: skip
    assert agent["kind"] == "sleeper"
    running_tmux.tmux("copy-mode", "-t", pane)
    result = running_tmux.cli("interrupt", pane, "--json")
    assert result.returncode == 0, result.stderr
    assert [(r["target"], r["status"]) for r in json.loads(result.stdout)["receipts"]] == [
        (pane, "delivered")
    ]
    running_tmux.wait_command(pane, "sh")  # the sleep got SIGQUIT
    assert running_tmux.tmux("display", "-p", "-t", pane, "#{pane_in_mode}").strip() == "0"
