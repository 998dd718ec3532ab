"""Real agent CLIs' screens, replayed: each fixture is printed into a real pane tagged with its
kind, at the size it was captured at, and the state tmuxorch reads must be the labelled one.

The fixtures under tests/fixtures/screens/<cli>/ were captured from the real CLIs (installed by
scripts/real-agents.sh, no network to their APIs) with `capture-pane -p -J`. Each file starts
with a small header (`state:`, `version:`, `size:`, `note:`) ended by a `---` line. `exited`
fixtures are printed by a process that then exits, into a pane kept by `remain-on-exit`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend

from ..conftest import TmuxFixture, wait_for

SCREENS = Path(__file__).resolve().parent.parent / "fixtures" / "screens"
STATES = {"busy", "idle", "waiting", "error", "exited", "unknown"}


@dataclass(frozen=True)
class Fixture:
    kind: str
    name: str
    state: str
    width: int
    height: int
    body: str


def _load(path: Path) -> Fixture:
    header, sep, body = path.read_text(encoding="utf-8").partition("\n---\n")
    assert sep, f"{path}: no `---` line ends the header"
    fields = {
        key.strip(): value.strip()
        for key, _, value in (line.partition(":") for line in header.splitlines())
    }
    assert fields.get("state") in STATES, f"{path}: bad state {fields.get('state')!r}"
    width, _, height = fields["size"].partition("x")
    return Fixture(
        kind=path.parent.name, name=path.stem, state=fields["state"],
        width=int(width), height=int(height), body=_without_trailing_blank_lines(body),
    )  # fmt: skip


def _without_trailing_blank_lines(body: str) -> str:
    """A screen's empty bottom rows are not printed: `-J` joined wrapped lines, so printing
    them all again could scroll the top row off."""
    lines = body.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


FIXTURES = [_load(p) for p in sorted(SCREENS.glob("*/*.txt"))]


def test_there_are_fixtures_for_the_main_clis() -> None:
    kinds = {f.kind for f in FIXTURES}
    assert {"claude", "codex", "gemini"} <= kinds
    for kind in kinds:
        assert len([f for f in FIXTURES if f.kind == kind]) >= 2, kind


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f"{f.kind}/{f.name}" for f in FIXTURES])
async def test_a_real_screen_reads_as_its_state(
    fixture: Fixture, running_tmux: TmuxFixture, tmp_path: Path
) -> None:
    screen = tmp_path / "screen.txt"
    # No final newline for a live one (nothing scrolls off); an exited CLI left its cursor on
    # a line of its own, where tmux writes "Pane is dead".
    ending = "\n" if fixture.state == "exited" else ""
    screen.write_text(fixture.body + ending, encoding="utf-8")
    pane = running_tmux.tmux(
        "new-session", "-d", "-P", "-F", "#{pane_id}", "-s", "fixture",
        "-x", str(fixture.width), "-y", str(fixture.height), "sleep", "100000",
    ).strip()  # fmt: skip
    running_tmux.tmux("set-option", "-p", "-t", pane, "@tmuxorch-agent", fixture.kind)
    running_tmux.tmux("set-option", "-p", "-t", pane, "remain-on-exit", "on")
    # An exited CLI ends once tmux has shown what it printed (the test says so through a FIFO):
    # a process that exits at once can be reaped before tmux has read its last output.
    release = tmp_path / "release"
    os.mkfifo(release)
    then = f"; read _ < '{release}'" if fixture.state == "exited" else "; exec sleep 100000"
    running_tmux.tmux("respawn-pane", "-k", "-t", pane, f"cat '{screen}'{then}")

    def dead() -> bool:
        return running_tmux.tmux("display-message", "-p", "-t", pane, "#{pane_dead}").strip() == "1"

    def shown() -> bool:
        lines = running_tmux.tmux("capture-pane", "-p", "-J", "-t", pane).splitlines()
        # (the end of it: tmux 3.3 loses a dead pane's wrapped first row)
        return any(line.rstrip().endswith(last[-40:]) for line in lines)

    last = [line for line in fixture.body.splitlines() if line.strip()][-1].rstrip()

    await wait_for(shown, timeout=10)
    if fixture.state == "exited":
        with release.open("w") as fifo:  # the shell is waiting to read it
            fifo.write("\n")
        await wait_for(lambda: dead() and shown(), timeout=10)
    eng = Engine(running_tmux.server, timeout=3.0)
    try:
        snapshot = await LocalBackend(eng).snapshot()
    finally:
        await eng.close()
    agent = snapshot.panes_by_id[pane].agent
    assert agent is not None
    assert (agent.kind, agent.state) == (fixture.kind, fixture.state)
