"""The status-bar segment: `@tmuxorch-status` kept by whoever watches, `status --format tmux`,
and `tmuxorch watch` (core/status_segment.py, cli/watch.py)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from tmuxorch.core.engine import Engine
from tmuxorch.core.status_segment import OPTION, keeper_mark
from tmuxorch.core.tmux.hidden import is_hidden

from ..conftest import TmuxFixture, reap, wait_for
from ..simfleet import SimAgent, start_agent, start_agents, state_changes


def option(tmux: TmuxFixture) -> str | None:
    """The option's value as tmux holds it; None when it is unset."""
    shown = tmux.tmux("show-options", "-gqv", OPTION)
    return shown[:-1] if shown else None


def ours(tmux: TmuxFixture) -> list[str]:
    """Control clients and hidden sessions of any tmuxorch process on the server."""
    clients = tmux.tmux("list-clients", "-F", "#{client_control_mode} #{client_pid}")
    sessions = tmux.tmux("list-sessions", "-F", "#{session_name}").split()
    return [c for c in clients.splitlines() if c.startswith("1 ")] + [
        s for s in sessions if is_hidden(s)
    ]


def segment_cli(tmux: TmuxFixture) -> str:
    result = tmux.cli("status", "--format", "tmux")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def submit(agent: SimAgent, text: str) -> None:
    agent.type(text)
    agent.keys("Enter")


async def test_the_option_follows_each_state_change_within_a_second(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "1.5")
    engine = Engine(running_tmux.server, timeout=3.0)
    try:
        async with state_changes(engine, agent.pane) as changes:
            await wait_for(lambda: option(running_tmux) == "○1")
            submit(agent, "work on it")
            await wait_for(lambda: [c.state for c in changes] == ["busy"])
            await wait_for(lambda: option(running_tmux) == "●1", timeout=1.0)
            await wait_for(lambda: [c.state for c in changes] == ["busy", "idle"])
            await wait_for(lambda: option(running_tmux) == "○1", timeout=1.0)
            running_tmux.tmux("kill-pane", "-t", agent.pane)  # no agent left: nothing to show
            await wait_for(lambda: option(running_tmux) is None, timeout=2.0)
            submit(await start_agent(running_tmux, tmp_path, name="second"), "x")
            await wait_for(lambda: option(running_tmux) in ("○1", "●1"), timeout=2.0)
    finally:
        await engine.close()
    assert option(running_tmux) is None  # a clean exit leaves no summary behind
    assert ours(running_tmux) == []


async def test_status_format_tmux_counts_a_known_fleet_and_trusts_only_a_live_keeper(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    _idle, busy, asking = await start_agents(running_tmux, tmp_path, 3, "--busy", "120")
    submit(busy, "a long task")
    submit(asking, "APPROVE this first")
    await wait_for(lambda: busy.shows("esc to interrupt") and asking.shows("1. Yes"))
    expected = "?1 ●1 ○1\n"
    deadline = time.monotonic() + 10
    while (computed := segment_cli(running_tmux)) != expected:  # no watcher: computed
        assert time.monotonic() < deadline, computed
    json_status = running_tmux.cli("status", "--json")  # the old spelling still works
    assert json_status.returncode == 0
    assert '"tmuxorch.status/1"' in json_status.stdout

    engine = Engine(running_tmux.server, timeout=3.0)
    try:
        await engine.subscribe()
        await wait_for(lambda: option(running_tmux) == expected[:-1])
        running_tmux.tmux("set-option", "-g", OPTION, "?9")  # what the keeper would write
        assert segment_cli(running_tmux) == "?9\n"  # read from the option, not computed
    finally:
        await engine.close()
    assert option(running_tmux) is None
    running_tmux.tmux("set-option", "-g", OPTION, "?9")  # left by a keeper that was killed
    assert segment_cli(running_tmux) == expected  # no keeper attached: not trusted


async def test_two_keepers_write_the_same_and_the_last_one_out_clears(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    await start_agent(running_tmux, tmp_path, "--busy", "0")
    first = Engine(running_tmux.server, timeout=3.0)
    second = Engine(running_tmux.server, timeout=3.0)
    try:
        try:
            await first.subscribe()
            await second.subscribe()
            await wait_for(lambda: option(running_tmux) == "○1")
        finally:
            await first.close()
        assert option(running_tmux) == "○1"  # the other keeper still keeps it
    finally:
        await second.close()
    assert option(running_tmux) is None


def _line(stream: IO[str] | None, deadline: float) -> str:
    """The next line of a child's pipe, waiting no later than `deadline`."""
    assert stream is not None
    ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.monotonic()))
    assert ready, "no line in time"
    return stream.readline()


def start_watch(tmux: TmuxFixture) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tmuxorch", "-S", str(tmux.socket_path), "watch"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=tmux.env,
    )  # fmt: skip
    assert _line(process.stderr, time.monotonic() + 20).startswith("tmuxorch watch: watching")
    return process


async def test_watch_prints_state_changes_and_leaves_cleanly_on_sigterm(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0.5")
    process = start_watch(running_tmux)
    try:
        await wait_for(lambda: option(running_tmux) == "○1")
        assert len(ours(running_tmux)) == 2  # its control client and hidden session
        submit(agent, "go")
        deadline = time.monotonic() + 10
        assert f"{agent.pane} sim idle → busy" in _line(process.stdout, deadline)
        assert f"{agent.pane} sim busy → idle" in _line(process.stdout, deadline)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 128 + signal.SIGTERM
    finally:
        process.kill()
        reap(process)
    assert option(running_tmux) is None
    assert ours(running_tmux) == []


async def test_a_killed_watcher_leaves_its_value_and_status_computes_instead(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "120")
    process = start_watch(running_tmux)
    try:
        await wait_for(lambda: option(running_tmux) == "○1")
    finally:
        process.kill()
        reap(process)
    await wait_for(lambda: ours(running_tmux) == [], timeout=10)  # its tmux -C left too
    assert option(running_tmux) == "○1"  # stale: nobody could unset it
    submit(agent, "busy now")
    await wait_for(lambda: agent.shows("esc to interrupt"))
    deadline = time.monotonic() + 10
    while (computed := segment_cli(running_tmux)) != "●1\n":
        assert time.monotonic() < deadline, computed


def counted_tmux_runs(tmux: TmuxFixture, tmp_path: Path) -> tuple[str, int]:
    """`status --format tmux`'s output and how many `tmux` processes it ran (a wrapper that
    logs each, as TMUXORCH_TMUX)."""
    log = tmp_path / "tmux-runs"
    log.unlink(missing_ok=True)
    wrapper = tmp_path / "tmux-counting"
    real = subprocess.run(["sh", "-c", "command -v tmux"], capture_output=True, text=True)
    wrapper.write_text(f'#!/bin/sh\necho run >> "{log}"\nexec {real.stdout.strip()} "$@"\n')
    wrapper.chmod(0o755)
    argv = [sys.executable, "-m", "tmuxorch", "-S", str(tmux.socket_path)]
    result = subprocess.run(
        [*argv, "status", "--format", "tmux"],
        capture_output=True, text=True, env={**tmux.env, "TMUXORCH_TMUX": str(wrapper)}, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout, len(log.read_text().splitlines()) if log.exists() else 0


def marked(tmux: TmuxFixture) -> bool:
    """Is there a keeper's mark beside the socket?"""
    return os.path.exists(keeper_mark(tmux.server))


async def test_a_status_bar_refresh_is_one_tmux_process_with_a_keeper_or_without(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """Without a keeper's mark, no read of an option nobody keeps: just the listing."""
    assert counted_tmux_runs(running_tmux, tmp_path) == ("", 1)  # shells only: no agent
    engine = Engine(running_tmux.server, timeout=3.0)
    try:
        await engine.subscribe()
        await wait_for(lambda: marked(running_tmux))  # with no agent to count too
        assert counted_tmux_runs(running_tmux, tmp_path) == ("", 1)  # the option's, unset
        await start_agent(running_tmux, tmp_path, "--busy", "0")
        await wait_for(lambda: option(running_tmux) == "○1")
        assert marked(running_tmux)  # left beside the socket while it keeps the option
        assert counted_tmux_runs(running_tmux, tmp_path) == ("○1\n", 1)  # the option, read
    finally:
        await engine.close()
    assert not marked(running_tmux)  # the last keeper out takes it away
    assert counted_tmux_runs(running_tmux, tmp_path) == ("○1\n", 2)  # listed, then captured


def test_no_server_prints_nothing_and_exits_0(tmux: TmuxFixture) -> None:
    assert segment_cli(tmux) == ""
    assert not tmux.server.is_running()  # a read-only command started none
    both = tmux.cli("status", "--json", "--format", "tmux")
    assert both.returncode == 2
    assert "not allowed with" in both.stderr
