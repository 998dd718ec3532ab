"""Whoever watches notifies: `tmuxorch watch` and `tmuxorch serve` run the `[notify]` channels,
and three of them watching one tmux server notify an event once (real processes, a real hook
command, the store they share)."""

from __future__ import annotations

import json
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from ..conftest import TmuxFixture, reap, wait_for
from ..simfleet import start_agent


def notify_config(tmux: TmuxFixture, tmp_path: Path, *lines: str) -> Path:
    """A config whose hook appends each event's JSON to `events.jsonl`; the watchers read it."""
    hook = tmp_path / "hook"
    hook.write_text(f'#!/bin/sh\ncat >> "{tmp_path / "events.jsonl"}"\n')
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    config = tmp_path / "config.toml"
    config.write_text("\n".join(["[notify]", f"hook = [{json.dumps(str(hook))}]", *lines]) + "\n")
    tmux.env["TMUXORCH_CONFIG"] = str(config)
    return tmp_path / "events.jsonl"


def events(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def watcher(tmux: TmuxFixture, *command: str) -> subprocess.Popen[str]:
    """`tmuxorch -S SOCKET COMMAND…`, started once it says it watches (or listens)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tmuxorch", "-S", str(tmux.socket_path), *command],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=tmux.env,
    )  # fmt: skip
    assert process.stderr is not None
    deadline = time.monotonic() + 20
    while not re.search(r"watching|listening on", line := process.stderr.readline()):
        assert line, "it stopped before watching"
        assert time.monotonic() < deadline
    return process


def close_pipe(process: subprocess.Popen[str]) -> None:
    if process.stderr is not None:
        process.stderr.close()


async def test_watch_and_serve_notify_a_waiting_agent_once_between_three_of_them(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    out = notify_config(running_tmux, tmp_path, "min_seconds = 1.0")
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0.2")
    processes = []
    try:
        for command in (["watch"], ["serve", "--port", "0"], ["watch"]):
            processes.append(watcher(running_tmux, *command))
        agent.type("please APPROVE this")
        agent.keys("Enter")
        await wait_for(lambda: agent.shows("1. Yes"), timeout=10)
        asked = time.time()
        await wait_for(lambda: events(out), timeout=10)
        (event,) = events(out)
        assert (event["pane"], event["state"], event["kind"]) == (agent.pane, "waiting", "sim")
        assert asked + 1.0 - 0.5 <= time.time() <= asked + 1.0 + 3.0
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            assert process.wait(timeout=15) in (0, 128 + signal.SIGTERM)
        assert len(events(out)) == 1  # the others stood down, to the end
    finally:
        for process in processes:
            process.kill()
            reap(process)
            close_pipe(process)


async def test_a_wait_shorter_than_min_seconds_rings_nobody(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    out = notify_config(running_tmux, tmp_path, "min_seconds = 2.5")
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0.2")
    process = watcher(running_tmux, "watch")
    try:
        agent.type("please APPROVE this")
        agent.keys("Enter")
        await wait_for(lambda: agent.shows("1. Yes"), timeout=10)
        agent.keys("Enter")  # answered
        await wait_for(lambda: agent.idle() and not agent.shows("1. Yes"), timeout=10)
        asked_again = time.monotonic()
        agent.type("now APPROVE that")
        agent.keys("Enter")
        await wait_for(lambda: events(out), timeout=15)
        assert time.monotonic() - asked_again >= 2.0  # this one, not the short wait before
        assert len(events(out)) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        reap(process)
        close_pipe(process)


def test_a_bad_notify_section_is_exit_2_naming_the_file_and_key(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    notify_config(running_tmux, tmp_path, 'quiet_hours = "late"', "min_secs = 3")
    result = running_tmux.cli("watch")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert str(tmp_path / "config.toml") in line
    assert "notify.quiet_hours: quiet hours are HH:MM-HH:MM" in line
    assert "notify.min_secs: unknown key" in line
