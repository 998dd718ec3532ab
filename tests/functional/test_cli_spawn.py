"""`spawn` as a user runs it: a command is an argv (a shell only with --shell), and a command that
exits at once is a failed spawn with its last output, locally and over --connect. Real CLI
processes against a real private tmux server."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from ..conftest import TmuxFixture, wait_for
from ..serverkit import Served
from .test_remote import run_cli


def windows(t: TmuxFixture) -> str:
    return t.tmux("list-windows", "-a", "-F", "#{window_id} #{window_name} #{pane_dead}")


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The CLI's stderr, checked to be one line of ours (never a traceback)."""
    stderr = result.stderr
    assert stderr.startswith("tmuxorch: "), stderr
    assert stderr.count("\n") == 1, stderr
    return stderr


def test_a_command_that_exits_at_once_is_a_failed_spawn(running_tmux: TmuxFixture) -> None:
    """It reports `failed` with the exit status and the pane's last output (exit 1), removes the
    window it made, and leaves every other window alone, a user's dead pane kept by its own
    remain-on-exit included."""
    t = running_tmux
    kept = t.tmux("new-window", "-d", "-t", "main", "-n", "kept", "-P", "-F", "#{pane_id}",
                  "sleep", "100000").strip()  # fmt: skip
    t.tmux("set-option", "-w", "-t", kept, "remain-on-exit", "on")
    t.tmux("respawn-pane", "-k", "-t", kept, "sh", "-c", "exit 7")
    deadline = time.monotonic() + 10
    while t.tmux("display", "-p", "-t", kept, "#{pane_dead}").strip() != "1":
        assert time.monotonic() < deadline, "the user's pane did not die"
        time.sleep(0.01)  # a poll step of a deadline-bounded wait
    before = windows(t)

    missing = t.cli("spawn", "main", "--", "/nonexistent/cmd")
    assert missing.returncode == 1
    error = one_error_line(missing)
    assert error.startswith("tmuxorch: failed: /nonexistent/cmd exited within 1 s with status 127;")
    assert windows(t) == before

    # tmux drops what a pane printed if it reaps the process before reading the pty: this one
    # waits a moment before it exits, so its output is kept.
    quick = ["sh", "-c", "echo bye now; sleep 0.2; exit 3"]
    result = t.cli("spawn", "main", "--name", "quick", "--", *quick)
    assert result.returncode == 1
    assert one_error_line(result) == (
        "tmuxorch: failed: sh -c 'echo bye now; sleep 0.2; exit 3' exited within 1 s with "
        "status 3; last output: bye now\n"
    )
    fresh = t.cli("spawn", "fresh", "--", "true")
    assert fresh.returncode == 1
    assert "exited within 1 s with status 0; no output kept" in one_error_line(fresh)
    assert "fresh" not in t.tmux("list-sessions", "-F", "#{session_name}")
    assert windows(t) == before

    lasting = t.cli("spawn", "main", "--json", "--", "sleep", "100000")
    assert lasting.returncode == 0, lasting.stderr
    window = json.loads(lasting.stdout)["window_id"]
    assert t.tmux("show-options", "-w", "-t", window) == ""  # remain-on-exit is restored
    assert t.tmux("display", "-p", "-t", window, "#{pane_dead}") == "0\n"


async def test_a_one_element_command_is_an_argv_not_a_shell_line(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """tmux runs a one-element command through `sh -c`; tmuxorch runs it as a program name."""
    touched = tmp_path / "touched"
    result = running_tmux.cli("spawn", "main", "--", f"touch {touched}; echo")
    assert result.returncode == 1
    assert "with status 127" in one_error_line(result)  # env found no such program (sh: 0)
    assert not touched.exists()  # the pane is dead: a shell would have run touch by now
    alone = running_tmux.cli("spawn", "main", "--json", "--", "cat")
    assert alone.returncode == 0, alone.stderr
    pane = json.loads(alone.stdout)["pane_id"]
    running_tmux.wait_command(pane, "cat")

    log = running_tmux.cli("log", "--json", "--op", "spawn")
    commands = [json.loads(json.loads(line)["text"]) for line in log.stdout.splitlines()]
    assert commands[:2] == [["cat"], [f"touch {touched}; echo"]]  # newest first, argv as given


async def test_a_shell_only_when_asked(running_tmux: TmuxFixture, tmp_path: Path) -> None:
    written = tmp_path / "written"
    result = running_tmux.cli("spawn", "main", "--shell", f"echo hi > {written}; exec sleep 100000")
    assert result.returncode == 0, result.stderr
    await wait_for(lambda: written.exists() and written.read_text() == "hi\n")
    both = running_tmux.cli("spawn", "main", "--shell", "true", "--", "true")
    assert both.returncode == 2
    assert one_error_line(both) == "tmuxorch: give the command after -- or with --shell, not both\n"
    neither = running_tmux.cli("spawn", "main")
    assert neither.returncode == 2
    assert one_error_line(neither) == (
        "tmuxorch: no command given (put it after --, or a shell line with --shell)\n"
    )


async def test_spawn_over_the_protocol_and_connect_is_the_same(
    srv: Served, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    touched = tmp_path / "touched"
    async with srv.client() as client:
        response = await client.request("spawn", session="main", command=[f"touch {touched}; echo"])
    assert not response["ok"]
    assert response["error"]["code"] == "failed"
    assert "with status 127" in response["error"]["message"]
    assert not touched.exists()

    local = running_tmux.cli("spawn", "main", "--", "/nonexistent/cmd")
    token = {"TMUXORCH_TOKEN": srv.control}
    far = await run_cli(
        running_tmux, "--connect", srv.url, "spawn", "main", "--", "/nonexistent/cmd", env=token
    )
    assert far.returncode == local.returncode == 1

    def reason(result: subprocess.CompletedProcess[str]) -> str:
        return one_error_line(result).partition(";")[0]  # what tmux kept of the output may vary

    expected = "tmuxorch: failed: /nonexistent/cmd exited within 1 s with status 127"
    assert reason(far) == reason(local) == expected
