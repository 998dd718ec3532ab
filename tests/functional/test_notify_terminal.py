"""The TUI's terminal channel (tui/notifications.py): the exact bytes, that a real tmux client
in a real terminal (a pty we read) receives the bell and the OSC 9 / OSC 777 notifications from
a pane with `allow-passthrough on` and not without it, and that the TUI notifies at all.

A pty rather than `capture-pane`: tmux keeps no OSC in a pane's contents, so only what reaches
the terminal of a client can show that the notification got out of tmux."""

from __future__ import annotations

import os
import pty
import select
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.store.config import NotifyConfig
from tmuxorch.tui.app import TmuxorchApp
from tmuxorch.tui.notifications import passthrough, sequences

from ..conftest import TmuxFixture, reap, until
from ..simfleet import start_agent
from .test_tui_pilot import running

OSC9 = b"\x1b]9;tmuxorch: sim is waiting: main:agent (%1) for 3s\x07"
OSC777 = b"\x1b]777;notify;tmuxorch: sim is waiting;main:agent (%1) for 3s\x07"


def test_the_sequences_outside_and_inside_tmux() -> None:
    outside = sequences("T", "B", bell=True, osc=(9, 777), inside_tmux=False)
    assert outside == "\a\x1b]9;T: B\a\x1b]777;notify;T;B\a"
    inside = sequences("T", "B", bell=True, osc=(9,), inside_tmux=True)
    assert inside == "\a\x1bPtmux;\x1b\x1b]9;T: B\a\x1b\\"
    assert passthrough("\x1b]9;x\a") == "\x1bPtmux;\x1b\x1b]9;x\a\x1b\\"
    assert sequences("T", "B", bell=False, osc=(), inside_tmux=False) == ""


def test_screen_text_cannot_write_its_own_escape_sequences() -> None:
    sent = sequences("a;b", "x\x1b]52;c;evil\x07\x9d y", bell=False, osc=(777,), inside_tmux=False)
    assert sent == "\x1b]777;notify;a,b;x ]52,c,evil   y\a"


class Terminal:
    """A tmux client attached to `session`, in a pty whose every byte we keep."""

    def __init__(self, tmux: TmuxFixture, session: str) -> None:
        self.master, slave = pty.openpty()
        env = {**tmux.env, "TERM": "xterm-256color"}
        self.process = subprocess.Popen(
            ["tmux", "-L", tmux.name, "-f", str(tmux.config), "attach", "-t", session],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.seen = b""

    def read_until(self, wanted: bytes, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while wanted not in self.seen and (left := deadline - time.monotonic()) > 0:
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:  # the client went away
                    return False
        return wanted in self.seen

    def close(self) -> None:
        self.process.terminate()
        reap(self.process)
        os.close(self.master)


@pytest.fixture
def writer(tmp_path: Path) -> Path:
    """A program that, on each line it reads, writes the notification of the module as the TUI
    would, deciding from $TMUX that it runs inside tmux."""
    path = tmp_path / "writer.py"
    path.write_text(
        "import os, sys\n"
        "from tmuxorch.tui.notifications import sequences\n"
        "for _ in sys.stdin:\n"
        "    sys.stdout.write(sequences('tmuxorch: sim is waiting', 'main:agent (%1) for 3s',\n"
        "        bell=True, osc=(9, 777), inside_tmux=bool(os.environ.get('TMUX'))))\n"
        "    sys.stdout.write('written\\n')\n"
        "    sys.stdout.flush()\n"
    )
    return path


@pytest.fixture
def terminal(running_tmux: TmuxFixture, writer: Path) -> Iterator[Terminal]:
    running_tmux.tmux("new-session", "-d", "-s", "term", "-x", "80", "-y", "24",
                      sys.executable, str(writer))  # fmt: skip
    found = Terminal(running_tmux, "term")
    try:
        assert found.read_until(b"[term]")  # attached: its status line is drawn
        yield found
    finally:
        found.close()


def test_a_real_terminal_gets_the_bell_and_both_oscs_through_tmux(
    running_tmux: TmuxFixture, terminal: Terminal
) -> None:
    running_tmux.tmux("set-option", "-g", "allow-passthrough", "on")
    running_tmux.tmux("send-keys", "-t", "term", "Enter")
    assert terminal.read_until(OSC777), terminal.seen[-400:]
    assert OSC9 in terminal.seen
    rest = terminal.seen.replace(OSC9, b"").replace(OSC777, b"")
    assert b"\x07" in rest  # the bell itself, not only the OSCs' terminators
    assert b"Ptmux;" not in terminal.seen  # tmux unwrapped them


def test_without_allow_passthrough_tmux_keeps_the_oscs(
    running_tmux: TmuxFixture, terminal: Terminal
) -> None:
    running_tmux.tmux("set-option", "-g", "allow-passthrough", "off")
    running_tmux.tmux("send-keys", "-t", "term", "Enter")
    assert terminal.read_until(b"written")
    assert OSC9 not in terminal.seen
    assert OSC777 not in terminal.seen


async def test_the_tui_notifies_a_waiting_agent(
    running_tmux: TmuxFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # its claims: not the user's
    out = tmp_path / "event.json"
    hook = tmp_path / "hook"
    hook.write_text(f'#!/bin/sh\ncat > "{out}"\n')
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0.2")
    engine = Engine(running_tmux.server, timeout=3.0)
    config = NotifyConfig(min_seconds=0.5, hook=[str(hook)])
    app = TmuxorchApp(LocalBackend(engine), notify=config)
    async with running(app) as pilot:
        await until(pilot, lambda: app.fleet is not None and agent.pane in app.fleet.panes_by_id)
        agent.type("please APPROVE this")
        agent.keys("Enter")
        await until(pilot, out.exists, timeout=15)
    assert f'"pane": "{agent.pane}"' in out.read_text()
    assert (tmp_path / "data").exists()
