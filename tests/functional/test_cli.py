"""The CLI as a user runs it: a real process against a real private tmux server."""

from __future__ import annotations

import json
import os

from tmuxorch.core.tmux.hidden import is_hidden

from ..conftest import TmuxFixture


def test_status_json_matches_list_panes(running_tmux: TmuxFixture) -> None:
    name = 'a:b.c #x "q" 🚀'
    running_tmux.tmux("new-window", "-d", "-t", "main", "-n", name, "sleep", "100000")
    result = running_tmux.cli("status", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "tmuxorch.status/1"
    assert document["tmux"]["running"] is True
    panes = {
        p["id"]: (w["name"], p["pid"])
        for s in document["sessions"]
        for w in s["windows"]
        for p in w["panes"]
    }
    listed = running_tmux.tmux(
        "list-panes", "-a", "-F", "#{session_name}\t#{pane_id}\t#{window_name}\t#{pane_pid}"
    ).splitlines()
    expected = {
        line.split("\t")[1]: (line.split("\t")[2], int(line.split("\t")[3]))
        for line in listed
        if not is_hidden(line.split("\t")[0])
    }
    assert panes == expected


def test_status_human_tree(running_tmux: TmuxFixture) -> None:
    result = running_tmux.cli("status", "--detailed")
    assert result.returncode == 0, result.stderr
    assert "main" in result.stdout
    assert "sleep" in result.stdout
    assert "\x1b[" not in result.stdout  # not a tty: no escape sequences


def test_status_of_a_target_and_unknown_target(running_tmux: TmuxFixture) -> None:
    running_tmux.tmux("new-session", "-d", "-s", "victim", "sleep", "100000")
    ok = running_tmux.cli("status", "--json", "victim")
    assert [s["name"] for s in json.loads(ok.stdout)["sessions"]] == ["victim"]
    bad = running_tmux.cli("status", "vic")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "tmuxorch: no such target: 'vic' (did you mean 'victim'?)"
    assert "Traceback" not in bad.stderr


def test_no_server_reports_not_running(tmux: TmuxFixture) -> None:
    result = tmux.cli("status", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["tmux"]["running"] is False
    assert document["sessions"] == []
    assert not tmux.socket_path.exists()
    human = tmux.cli("status")
    assert "no server running" in human.stdout


def test_changing_commands_do_not_start_a_server(tmux: TmuxFixture) -> None:
    """Only spawn and demo create a server; send, kill and the like say there is none."""
    for args in (["send", "main", "-m", "x"], ["kill", "main", "--yes"], ["keys", "%0", "Enter"]):
        result = tmux.cli(*args)
        assert result.returncode == 3, result.stderr
        assert result.stderr.strip() == f"tmuxorch: no tmux server running on {tmux.socket_path}"
    assert not tmux.socket_path.exists()


def test_summary(running_tmux: TmuxFixture) -> None:
    running_tmux.tmux("new-window", "-d", "-t", "main", "-n", "second", "sleep", "100000")
    result = running_tmux.cli("summary", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "tmuxorch.summary/1"
    assert document["counts"]["sessions"] == 1
    assert document["counts"]["windows"] == 2
    assert document["counts"]["panes"] == 2
    assert {w["name"] for w in document["recent_windows"]} == {"second", "sleep"}
    human = running_tmux.cli("summary")
    assert "1 session (0 attached), 2 windows, 2 panes" in human.stdout


def test_tmux_missing_is_exit_3(running_tmux: TmuxFixture) -> None:
    running_tmux.env["TMUXORCH_TMUX"] = "no-such-tmux-binary"
    result = running_tmux.cli("status")
    assert result.returncode == 3
    assert result.stderr.startswith("tmuxorch: tmux is not installed")


def test_bad_socket_is_exit_3(tmux: TmuxFixture) -> None:
    regular = tmux.tmpdir / "not-a-socket"
    regular.write_text("")
    result = tmux.cli("status")  # -S from the fixture; override with a bad one
    assert result.returncode == 0
    import subprocess
    import sys

    bad = subprocess.run(
        [sys.executable, "-m", "tmuxorch", "-S", str(regular), "status"],
        capture_output=True, text=True, env=tmux.env, timeout=30, check=False,
    )  # fmt: skip
    assert bad.returncode == 3
    assert "is not a tmux socket" in bad.stderr


def test_bad_usage_is_exit_2(tmux: TmuxFixture) -> None:
    result = tmux.cli("no-such-command")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def _on_a_terminal(tmux: TmuxFixture, *args: str, no_color: bool) -> bytes:
    """What the CLI writes when its stdout is a terminal (a pty)."""
    import pty
    import select
    import subprocess
    import sys

    env = {**tmux.env, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    if no_color:
        env["NO_COLOR"] = "1"
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tmuxorch", "-S", str(tmux.socket_path), *args],
        stdin=subprocess.DEVNULL, stdout=child, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    os.close(child)
    out = bytearray()
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 30)
            assert ready, "the CLI wrote nothing for 30 s"
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the CLI exited and closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(main)
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
    assert process.returncode == 0
    return bytes(out)


def _colours(output: bytes) -> list[bytes]:
    """The SGR parameters in `output` that set a colour (bold and the like are not colour)."""
    import re

    params = re.findall(rb"\x1b\[([0-9;]*)m", output)
    colour = re.compile(rb"3[0-9]|4[0-9]|9[0-7]|10[0-7]")
    return [p for group in params for p in group.split(b";") if colour.fullmatch(p)]


def test_colour_on_a_terminal_none_with_no_color_or_a_pipe(running_tmux: TmuxFixture) -> None:
    running_tmux.tmux("new-window", "-d", "-t", "main", "sleep 100000")  # a tree to colour
    assert _colours(_on_a_terminal(running_tmux, "status", no_color=False))
    assert _colours(_on_a_terminal(running_tmux, "status", no_color=True)) == []
    piped = running_tmux.cli("summary")
    assert piped.returncode == 0
    assert "\x1b[" not in piped.stdout
