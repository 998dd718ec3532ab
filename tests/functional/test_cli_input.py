"""What the user typed is what happens: message options that take any text, the `-` marker in
any place, names tmux would change or read as ids, and errors that say what is missing. Real CLI
processes against a real private tmux server."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import TmuxFixture, wait_for
from ..simfleet import SimAgent, start_agent, start_agents
from .test_delivery import CORPUS


async def arrived(agents: list[SimAgent], text: str) -> None:
    """Wait until every agent's last message is `text`, then until each is idle again."""
    for agent in agents:
        await wait_for(lambda agent=agent: agent.entries()[-1:] == [text])
        await wait_for(agent.idle)


async def test_message_option_takes_the_next_argument_whatever_it_is(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """`-m` works as `git commit -m` does: the whole delivery corpus (`-R`, `--`, `-t`, a markdown
    bullet…) arrives exactly, each text once, given as `-m TEXT`."""
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0")
    texts = [t.replace("PWNED", str(tmp_path / "pwned")) for t in CORPUS]
    texts += ["- fix the failing test"]
    failures = []
    for text in texts:
        result = running_tmux.cli("send", agent.pane, "-m", text)
        if result.returncode != 0:
            failures.append((text[:20], result.stderr.strip()))
            continue
        await arrived([agent], text)
    assert failures == []
    assert agent.entries() == texts  # 19/19, each exactly once
    assert not (tmp_path / "pwned").exists()
    equals = running_tmux.cli("send", agent.pane, "--message=-x")
    assert equals.returncode == 0, equals.stderr
    await arrived([agent], "-x")


async def test_the_stdin_marker_and_options_go_in_any_order(
    running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    agents = await start_agents(running_tmux, tmp_path, 2, "--busy", "0")
    target = agents[0]
    after = running_tmux.cli("send", target.pane, "--force", "-", stdin="after an option\n")
    assert after.returncode == 0, after.stderr
    await arrived([target], "after an option")
    before = running_tmux.cli("send", "-", target.pane, "--json", stdin="before the target\n")
    assert before.returncode == 0, before.stderr
    await arrived([target], "before the target")
    for args in (["-", "--state", "idle"], ["--state", "idle", "--force", "-"]):
        text = f"broadcast {' '.join(args)}"
        sent = running_tmux.cli("broadcast", *args, stdin=text + "\n")
        assert sent.returncode == 0, sent.stderr
        await arrived(agents, text)
    dash = running_tmux.cli("broadcast", "--state", "idle", "-m", "-R")
    assert dash.returncode == 0, dash.stderr
    await arrived(agents, "-R")
    for twice in (["-m", "x", "-"], ["-m", "x", "--message=y"]):
        refused = running_tmux.cli("send", target.pane, *twice, stdin="y")
        assert refused.returncode == 2
        assert refused.stderr == (
            "tmuxorch: give the message exactly once: -m TEXT, -f FILE or - (stdin)\n"
        )


REFUSED = {
    "$40": "reads as a tmux id",
    "%1": "reads as a tmux id",
    "@0": "reads as a tmux id",
    "back\\slash": "'\\', which tmux stores escaped (as '\\\\')",
    "zero\u200bwidth": "U+200B",
    "right\u202eto-left": "U+202E",
}


@pytest.mark.parametrize("name", list(REFUSED), ids=repr)
def test_names_tmux_would_change_or_read_as_ids_are_refused(
    running_tmux: TmuxFixture, name: str
) -> None:
    """rename and spawn (the session and --name) refuse them in one line, exit 2, and tmux is
    left as it was. Without the checks tmux takes every one of these (`\\` comes back as `\\\\`)."""
    before = running_tmux.tmux("list-windows", "-a", "-F", "#{session_name}:#{window_name}")
    runs = {
        "rename session": running_tmux.cli("rename", "main", name),
        "rename window": running_tmux.cli("rename", "main:0", name),
        "spawn session": running_tmux.cli("spawn", name, "--", "sleep", "100000"),
        "spawn --name": running_tmux.cli("spawn", "main", "--name", name, "--", "sleep", "100000"),
    }
    for what, result in runs.items():
        assert result.returncode == 2, (what, result.stderr)
        assert REFUSED[name] in result.stderr, (what, result.stderr)
        assert result.stderr.count("\n") == 1, (what, result.stderr)
        assert result.stderr.startswith("tmuxorch: "), (what, result.stderr)
    after = running_tmux.tmux("list-windows", "-a", "-F", "#{session_name}:#{window_name}")
    assert after == before


def test_a_dollar_is_refused_in_session_names_only(running_tmux: TmuxFixture) -> None:
    """tmux stores a session `a$b` as `a\\$b`, and keeps a window `a$b` as it is."""
    session = running_tmux.cli("rename", "main", "a$b")
    assert session.returncode == 2
    assert session.stderr == (
        "tmuxorch: session name 'a$b' contains '$', which tmux stores escaped (as '\\$')\n"
    )
    window = running_tmux.cli("rename", "main:0", "cost $5")
    assert window.returncode == 0, window.stderr
    assert running_tmux.tmux("display", "-p", "-t", "main:0", "#{window_name}") == "cost $5\n"


def test_keys_without_a_target_says_so(running_tmux: TmuxFixture) -> None:
    only_key = running_tmux.cli("keys", "Escape")
    assert only_key.returncode == 2
    assert only_key.stderr == (
        "tmuxorch: no TARGET given: 'Escape' is a key (keys TARGET... KEY..., e.g. keys %3 C-c)\n"
    )
    only_target = running_tmux.cli("keys", "main")
    assert only_target.returncode == 2
    assert only_target.stderr == "tmuxorch: no KEY given (e.g. C-c, Escape, Enter)\n"
    neither = running_tmux.cli("keys", "nosuch", "Enter")
    assert neither.returncode == 2
    assert neither.stderr.startswith("tmuxorch: no such target: 'nosuch'")


def test_kill_says_what_it_would_kill(running_tmux: TmuxFixture) -> None:
    """The question (on a terminal) and the refusal (without one) name the pane by
    session:window.pane and its command, the window by its panes, the session by its windows."""
    pane = running_tmux.tmux("display", "-p", "-t", "main", "#{pane_id}").strip()
    answer = _ask_on_a_terminal(running_tmux, ["kill", pane], b"n\n")
    assert f"kill pane {pane} (main:sleep.0, running sleep)? [y/N]".encode() in answer
    assert b"not killed" in answer
    refused = running_tmux.cli("kill", pane)
    assert refused.returncode == 2
    assert refused.stderr == (
        f"tmuxorch: refusing to kill pane {pane} (main:sleep.0, running sleep) without --yes "
        "(stdin is not a terminal)\n"
    )
    running_tmux.tmux("split-window", "-d", "-t", "main", "sleep", "100000")
    window = running_tmux.cli("kill", "main:0")
    assert "window @0 (main:sleep, 2 panes)" in window.stderr
    session = running_tmux.cli("kill", "main")
    assert "session $0 (main, 1 window)" in session.stderr
    assert running_tmux.tmux("list-panes", "-a", "-F", "#{pane_id}").count("%") == 2


def _ask_on_a_terminal(t: TmuxFixture, args: list[str], reply: bytes) -> bytes:
    """Run the CLI with a terminal as stdin and stdout, answer its question with `reply`, and
    return all it wrote (it must exit within 30 s)."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tmuxorch", "-S", str(t.socket_path), *args],
        stdin=child, stdout=child, stderr=child, env=t.env,
    )  # fmt: skip
    os.close(child)
    out = bytearray()
    try:
        deadline = time.monotonic() + 30
        replied = False
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], max(0.0, deadline - time.monotonic()))
            try:
                chunk = os.read(main, 65536) if ready else b""
            except OSError:  # EIO: the CLI exited and closed the terminal
                break
            out += chunk
            if not replied and b"[y/N]" in out:
                os.write(main, reply)
                replied = True
        process.wait(timeout=10)
    finally:
        os.close(main)
        if process.poll() is None:
            process.kill()
            process.wait()
    return bytes(out)
