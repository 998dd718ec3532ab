"""`tmuxorch up` and `down` as a user runs them, on a real private tmux server with simulated
agents: idempotent (a second `up` changes nothing in tmux), `down` stops only what the file
started, a bad file is exit 2 with FILE:LINE and nothing started, and a new agent's first
message arrives once, only when it is idle."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..conftest import TmuxFixture
from ..serverkit import Served
from .test_remote import run_cli

SIM = [sys.executable, "-m", "tmuxorch.simagent"]
PANES = "#{session_id} #{session_name} #{window_id} #{window_name} #{pane_id} #{pane_pid}"


def toml_list(argv: list[str]) -> str:
    return json.dumps(argv)


def listing(t: TmuxFixture) -> str:
    return t.tmux("list-panes", "-a", "-F", PANES)


def spawns_logged(t: TmuxFixture) -> int:
    result = t.cli("log", "--json", "--op", "spawn", "--limit", "1000")
    assert result.returncode == 0, result.stderr
    return len(result.stdout.splitlines())


def test_up_twice_changes_nothing_the_second_time_and_down_stops_only_its_own(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    t = running_tmux
    t.tmux("new-window", "-d", "-t", "main", "-n", "mine", "sleep", "100000")  # the user's
    sessions = {"alpha": range(10), "beta": range(10, 20)}
    text = '[sessions.main.windows.mine]\ncommand = ["sleep", "1"]\n'  # exists: left alone
    for session, numbers in sessions.items():
        for n in numbers:
            argv = [*SIM, "--name", f"a{n}"]
            text += (
                f'\n[sessions.{session}.windows.a{n}]\nkind = "sim"\ncommand = {toml_list(argv)}\n'
            )
    path = tmp_path / "tmuxorch.toml"
    path.write_text(text)
    user_windows = t.tmux("list-windows", "-t", "main", "-F", "#{window_id} #{window_name}")

    plan = t.cli("up", str(path), "--dry-run")
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout.count("+ create window ") == 20
    assert "= exists main:mine" in plan.stdout
    assert "+ create session alpha\n" in plan.stdout
    assert t.tmux("list-sessions", "-F", "#{session_name}") == "main\n"  # a plan changes nothing

    first = t.cli("up", str(path))
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("+ created window ") == 20
    after_first = listing(t)
    assert len(after_first.splitlines()) == 22  # main's two panes and the twenty agents
    assert spawns_logged(t) == 20
    for session, numbers in sessions.items():  # made in the file's order, numbered so
        names = t.tmux("list-windows", "-t", f"={session}:", "-F", "#{window_name}").split()
        assert names == [f"a{n}" for n in numbers]

    second = t.cli("up", str(path), "--json")
    assert second.returncode == 0, second.stderr
    document = json.loads(second.stdout)
    assert document["schema"] == "tmuxorch.fleet/1"
    assert [w["action"] for w in document["windows"]] == ["exists"] * 21
    assert listing(t) == after_first  # the same sessions, windows, panes and processes
    assert spawns_logged(t) == 20  # and nothing asked tmux for a change

    path.write_text(text.rpartition("\n[sessions.beta.windows.a19]")[0])  # a19 taken out
    edited = t.cli("up", str(path), "--dry-run")
    assert "~ left running beta:a19" in edited.stdout  # still the file's: reported, kept

    down = t.cli("down", str(path))
    assert down.returncode == 0, down.stderr
    assert down.stdout.count("- killed window ") == 20  # a19 too: this file started it
    assert "main:mine" not in down.stdout
    assert t.tmux("list-sessions", "-F", "#{session_name}") == "main\n"
    assert t.tmux("list-windows", "-t", "main", "-F", "#{window_id} #{window_name}") == (
        user_windows
    )
    again = t.cli("down", str(path))
    assert again.returncode == 0, again.stderr
    assert "nothing of this fleet file is running" in again.stdout


def test_a_bad_fleet_file_is_exit_2_with_its_line_and_nothing_started(
    tmux: TmuxFixture, tmp_path: Path
) -> None:
    base = '[sessions.proj.windows.api]\ncommand = ["sleep", "1000"]\n'
    cases = {
        base + 'colour = "red"\n': ":3: sessions.proj.windows.api.colour: unknown key",
        base + "cwd = [\n": ": invalid TOML: ",
        base + "cwd = = 1\n": ":3: invalid TOML: ",
        base + 'cwd = "/nonexistent"\n': ":3: sessions.proj.windows.api.cwd: not a directory",
        base + 'kind = "nosuch"\n': ":3: sessions.proj.windows.api.kind: unknown agent kind",
        base
        + "max_restarts = 2\n": ":3: sessions.proj.windows.api.max_restarts: goes with `restart`",
        base + 'schedules = [{ every = "0h", message = "m" }]\n': ":3: sessions.proj.windows.api",
        base + "\n" + base: ":4: invalid TOML: Cannot declare",
        base
        + '[sessions.proj.windows."a.b"]\ncommand = ["x"]\n': ':3: sessions.proj.windows["a.b"]',
    }
    path = tmp_path / "fleet.toml"
    for text, problem in cases.items():
        path.write_text(text)
        result = tmux.cli("up", str(path))
        assert result.returncode == 2, (text, result.stderr)
        assert result.stderr.startswith(f"tmuxorch: {path}{problem}"), (text, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert not tmux.server.is_running()  # nothing started
    assert not list((tmux.tmpdir / "data").glob("**/*.db"))  # nothing stored

    missing = tmux.cli("up")  # no tmuxorch.toml in the directory it runs in
    assert missing.returncode == 2
    assert "tmuxorch.toml: no such fleet file" in missing.stderr


def test_a_new_agent_gets_its_first_message_once_and_only_when_idle(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    t = running_tmux
    log = tmp_path / "ready.log"
    asks = ["sh", "-c", "printf 'Do you want to proceed?\\n'; exec sleep 100000"]
    path = tmp_path / "tmuxorch.toml"
    path.write_text(
        f"""
[sessions.work.windows.ready]
kind = "sim"
command = {toml_list([*SIM, "--busy", "0.1", "--log", str(log)])}
message = "start on TODO.md"

[sessions.work.windows.asking]
kind = "sim"
command = {toml_list(asks)}
message = "never typed into a question"

[sessions.work.windows.broken]
command = ["sh", "-c", "exit 3"]
"""
    )
    result = t.cli("up", str(path), "--wait", "2", "--json")
    assert result.returncode == 1, result.stderr  # one not delivered, one not started
    windows = {w["window"]: w for w in json.loads(result.stdout)["windows"]}
    assert windows["ready"]["receipt"]["status"] == "delivered"
    assert windows["asking"]["receipt"]["status"] == "skipped_waiting"
    assert "exited within 1 s with status 3" in windows["broken"]["error"]
    entries = [json.loads(line)["text"] for line in log.read_text().splitlines()]
    assert entries == ["start on TODO.md"]
    asking = windows["asking"]["pane_id"]
    assert "never typed" not in t.tmux("capture-pane", "-p", "-t", asking)

    again = t.cli("up", str(path))
    assert again.returncode == 1  # `broken` still fails to start
    assert "= exists work:ready" in again.stdout
    assert "= exists work:asking" in again.stdout
    assert [json.loads(line)["text"] for line in log.read_text().splitlines()] == entries


async def test_up_and_down_over_connect(
    srv: Served, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text(srv.control + "\n")
    connect = ("--connect", srv.url, "--token-file", str(token))
    out = tmp_path / "env.txt"
    path = tmp_path / "tmuxorch.toml"
    path.write_text(
        f"""
[sessions.far]
cwd = "{tmp_path}"
env = {{ GREETING = "-n #{{x}} ;" }}

[sessions.far.windows.one]
shell = 'printf %s "$GREETING" > {out}; pwd >> {out}; exec sleep 100000'

[sessions.far.windows.two]
command = ["sleep", "100000"]

[sessions.far.windows.three]
command = ["sleep", "100000"]

[sessions.near.windows.four]
command = ["sleep", "100000"]
"""
    )
    up = await run_cli(running_tmux, *connect, "up", str(path))
    assert up.returncode == 0, up.stderr
    assert up.stdout.count("+ created window ") == 4
    status = json.loads(running_tmux.cli("status", "--json").stdout)
    (far,) = [s for s in status["sessions"] if s["name"] == "far"]
    assert [w["name"] for w in far["windows"]] == ["one", "two", "three"]
    assert {w["fleet"] for w in far["windows"]} == {str(path.resolve())}
    again = await run_cli(running_tmux, *connect, "up", str(path))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("= exists ") == 4
    down = await run_cli(running_tmux, *connect, "down", str(path))
    assert down.returncode == 0, down.stderr
    left = running_tmux.tmux("list-sessions", "-F", "#{session_name}").split()
    assert "far" not in left
    assert "near" not in left
    assert "main" in left
    assert out.read_text() == f"-n #{{x}} ;{tmp_path}\n"


def test_a_windows_schedules_are_added_once_with_the_window(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    t = running_tmux
    path = tmp_path / "tmuxorch.toml"
    path.write_text(
        f"""
[sessions.work.windows.pm]
kind = "sim"
command = {toml_list(SIM)}
[[sessions.work.windows.pm.schedules]]
after = "30m"
message = "status report, please"
[[sessions.work.windows.pm.schedules]]
cron = "0 9 * * 1-5"
message = "plan the day"
"""
    )
    made = t.cli("up", str(path), "--json")
    assert made.returncode == 0, made.stderr
    pane = json.loads(made.stdout)["windows"][0]["pane_id"]
    assert t.cli("up", str(path)).returncode == 0  # exists: nothing added again
    listed = json.loads(t.cli("-S", str(t.socket_path), "schedule", "list", "--json").stdout)
    found = [(s["targets"], s["text"], s["trigger"]["kind"]) for s in listed["schedules"]]
    assert found == [([pane], "status report, please", "in"), ([pane], "plan the day", "cron")]
