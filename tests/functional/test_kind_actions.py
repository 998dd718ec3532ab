"""What a kind file makes tmuxorch do in a pane: its interrupt keys and their gap, its pause
before Enter and the paste summary it shows. The pane runs a small program that records every
read it gets (with the time) and echoes what it was typed, like an agent's input box."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tmuxorch.core.agents.hook_events import report_snippet
from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.store.config import Settings

from ..conftest import TmuxFixture, wait_for

RECORDER = r"""
import json, os, subprocess, sys, termios, time, tty
log, summary, deaf = sys.argv[1], "--summary" in sys.argv, "--deaf" in sys.argv
hook = sys.argv[sys.argv.index("--hook") + 1] if "--hook" in sys.argv else None
tty.setraw(0)
os.write(1, b"\x1b[?2004h> ")  # asks for bracketed paste, like the agent CLIs
pasting = b""
while True:
    data = os.read(0, 4096)
    with open(log, "a") as out:
        out.write(json.dumps({"t": time.time(), "data": data.decode("latin-1")}) + "\n")
    if b"\x1b[200~" in data or pasting:
        pasting += data
        if b"\x1b[201~" in pasting:
            text = pasting.split(b"\x1b[200~", 1)[1].split(b"\x1b[201~", 1)[0]
            count = text.count(b"\r") + 1
            shown = f"[Pasted text #1 +{count} lines]".encode() if summary else text
            os.write(1, shown.replace(b"\r", b" "))
            pasting = b""
        continue
    for byte in data:
        if byte == 13 and hook is not None:  # the CLI's hook, in its own pane's environment
            subprocess.run(["sh", "-c", hook])
        if byte == 13 and not deaf:
            os.write(1, b"\r\n> ")
        elif 32 <= byte < 127:
            os.write(1, bytes([byte]))
"""


class Recorder:
    """The recording program in a new window, tagged as an agent of `kind`."""

    def __init__(self, tmux: TmuxFixture, tmp_path: Path, kind: str, *options: str) -> None:
        script = tmp_path / "recorder.py"
        script.write_text(RECORDER)
        self.log = tmp_path / f"{kind}.log"
        argv = [sys.executable, str(script), str(self.log), *options]
        self.pane = tmux.tmux("new-window", "-d", "-P", "-F", "#{pane_id}", *argv).strip()
        tmux.tmux("set-option", "-p", "-t", self.pane, "@tmuxorch-agent", kind)
        self.tmux = tmux

    def reads(self) -> list[tuple[float, str]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        return [(entry["t"], entry["data"]) for entry in map(json.loads, lines)]

    def shows(self, text: str) -> bool:
        return text in self.tmux.tmux("capture-pane", "-p", "-t", self.pane)


@pytest.fixture
async def user_backend(
    running_tmux: TmuxFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[LocalBackend]:
    """A backend whose kinds include the user's files in tmp_path/config/tmuxorch/kinds."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("TMUXORCH_CONFIG", raising=False)
    folder = tmp_path / "config" / "tmuxorch" / "kinds"
    folder.mkdir(parents=True)
    (folder / "pasty.toml").write_text(
        "processes = ['pasty']\nidle = ['^>']\n[submit]\npasted = '\\[Pasted text #\\d+'\n"
    )
    (folder / "triple.toml").write_text(
        "interrupt = ['C-c', 'Escape', 'C-c']\ninterrupt_gap = 0.1\n"
    )
    engine = Engine(running_tmux.server, timeout=3.0, settings=Settings())
    try:
        yield LocalBackend(engine)
    finally:
        await engine.close()


@pytest.mark.parametrize(
    ("kind", "reads", "gap"),
    [
        ("opencode", ["\x1b", "\x1b"], 0.2),  # the first Escape only arms opencode's interrupt
        ("claude", ["\x1b"], 0),
        ("aider", ["\x03"], 0),
        ("triple", ["\x03", "\x1b", "\x03"], 0.1),  # a user's kind file
    ],
)
async def test_interrupt_sends_the_kinds_keys_apart(
    user_backend: LocalBackend,
    running_tmux: TmuxFixture,
    tmp_path: Path,
    kind: str,
    reads: list[str],
    gap: float,
) -> None:
    recorder = Recorder(running_tmux, tmp_path, kind)
    await wait_for(lambda: recorder.shows(">"))
    (receipt,) = await user_backend.interrupt([recorder.pane])
    assert receipt.status == "delivered"
    await wait_for(lambda: len(recorder.reads()) >= len(reads))
    got = recorder.reads()
    assert [data for _, data in got] == reads  # one read per key: never one Alt-Escape
    for (before, _), (after, _) in itertools.pairwise(got):
        assert after - before >= gap * 0.8  # (the first read may come a little late)


async def test_interrupt_of_mixed_kinds_keeps_each_kinds_keys(
    user_backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    opencode = Recorder(running_tmux, tmp_path, "opencode")
    aider = Recorder(running_tmux, tmp_path, "aider")
    await wait_for(lambda: opencode.shows(">") and aider.shows(">"))
    receipts = await user_backend.interrupt([opencode.pane, aider.pane, "%999"])
    assert [r.status for r in receipts] == ["delivered", "delivered", "failed"]
    assert receipts[2].detail == "no such pane"
    await wait_for(lambda: len(opencode.reads()) == 2 and len(aider.reads()) == 1)
    assert [d for _, d in aider.reads()] == ["\x03"]


async def test_codex_gets_its_enter_later_than_the_config_default(
    user_backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """Codex takes an Enter within ~120 ms of fast input for a newline: its kind file's
    `submit.enter_delay` (0.2 s) holds the Enter back longer than the config's 0.08 s."""
    recorder = Recorder(running_tmux, tmp_path, "codex")
    await wait_for(lambda: recorder.shows(">"))
    (receipt,) = await user_backend.send([recorder.pane], "fix the bug", force=True)
    assert receipt.status == "delivered"
    reads = recorder.reads()
    text_at = next(t for t, data in reads if "fix the bug" in data)
    enter_at = next(t for t, data in reads if data == "\r")
    assert enter_at - text_at >= 0.2


async def test_a_paste_summary_is_not_taken_for_a_submitted_message(
    user_backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """A CLI that shows `[Pasted text #1 +2 lines]` for a multi-line message, and does not
    take the Enter: with the kind's `submit.pasted` the receipt says `not_submitted`."""
    recorder = Recorder(running_tmux, tmp_path, "pasty", "--summary", "--deaf")
    await wait_for(lambda: recorder.shows(">"))
    (receipt,) = await user_backend.send([recorder.pane], "line one\nline two")
    assert recorder.shows("[Pasted text #1 +2 lines]")
    assert receipt.status == "not_submitted"
    assert [data for _, data in recorder.reads()].count("\r") == 3  # and Enter, never text, again


async def test_a_hook_confirms_a_submit_the_screen_cannot_see(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    """Claude Code shows a paste summary for a multi-line message, so its screen cannot tell
    whether the prompt went; its `UserPromptSubmit` hook can: the receipt says `delivered`,
    confirmed by the hook, after one Enter."""
    snippet = report_snippet("claude", "UserPromptSubmit")
    recorder = Recorder(running_tmux, tmp_path, "claude", "--summary", "--deaf", "--hook", snippet)
    await wait_for(lambda: recorder.shows(">"))
    (receipt,) = await backend.send([recorder.pane], "line one\nline two")
    assert recorder.shows("[Pasted text #1 +2 lines]")  # still on the screen, as on Claude's
    assert (receipt.status, receipt.confirmed) == ("delivered", "hook")
    assert "hook confirmed" in receipt.detail
    assert [data for _, data in recorder.reads()].count("\r") == 1


async def test_a_receipt_says_the_screen_confirmed_it(
    backend: LocalBackend, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    recorder = Recorder(running_tmux, tmp_path, "claude")
    await wait_for(lambda: recorder.shows(">"))
    (receipt,) = await backend.send([recorder.pane], "hello there")
    assert (receipt.status, receipt.confirmed) == ("delivered", "screen")
    (typed,) = await backend.send([recorder.pane], "not sent", enter=False)
    assert (typed.status, typed.confirmed) == ("delivered", None)
