"""Simulated agents in a private tmux server, for tests that need an agent end to end.

Each agent logs every message it received (one JSON line each), so a test can check that the
exact bytes arrived, exactly once, in exactly the pane that was meant.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from tmuxorch.core.engine import Engine
from tmuxorch.core.events import AgentStateChanged
from tmuxorch.simagent import PROMPT_PREFIX as BOX_PROMPT

from .conftest import TmuxFixture, wait_for


class SimAgent:
    """One simulated agent in its own window of the test server."""

    def __init__(
        self,
        tmux: TmuxFixture,
        log: Path,
        *options: str,
        session: str = "main",
        beside: str | None = None,
    ) -> None:
        """In a new window of `session`, or in a pane split off `beside` (a pane id)."""
        self.tmux = tmux
        self.log = log
        argv = [sys.executable, "-m", "tmuxorch.simagent", "--log", str(log), *options]
        where = ["split-window", "-t", beside] if beside else ["new-window", "-t", session]
        self.pane = tmux.tmux(*where, "-d", "-P", "-F", "#{pane_id}", *argv).strip()

    def screen(self) -> str:
        return self.tmux.tmux("capture-pane", "-p", "-t", self.pane)

    def cursor_line(self) -> str:
        y = int(self.tmux.tmux("display-message", "-p", "-t", self.pane, "#{cursor_y}"))
        return self.screen().split("\n")[y]

    def entries(self) -> list[str]:
        """Every message the agent received, in order."""
        if not self.log.exists():
            return []
        return [json.loads(line)["text"] for line in self.log.read_text("utf-8").splitlines()]

    def type(self, text: str) -> None:
        self.tmux.tmux("send-keys", "-t", self.pane, "-l", "--", text)

    def keys(self, *keys: str) -> None:
        self.tmux.tmux("send-keys", "-t", self.pane, *keys)

    async def read_all(self, marker: str = "read up to here") -> None:
        """Wait until the agent has read everything sent to it so far: it reads its input in
        order, so once `marker`, pasted now, shows in its prompt box, whatever came before it
        was handled. (The marker stays typed, not submitted; a paste, unlike typed keys, goes
        to this pane only, also with `synchronize-panes` on.)"""
        self.tmux.tmux(
            "set-buffer", "-b", "tmuxorch-test-marker", marker, ";",
            "paste-buffer", "-d", "-b", "tmuxorch-test-marker", "-t", self.pane,
        )  # fmt: skip
        await wait_for(lambda: marker in self.cursor_line())

    def shows(self, text: str) -> bool:
        return text in self.screen()

    def idle(self) -> bool:
        """The prompt box is drawn, empty, with the cursor in it, and no busy marker."""
        screen = self.screen()
        empty = self.cursor_line().rstrip(" │") == BOX_PROMPT.rstrip()
        return empty and "? for shortcuts" in screen and "esc to interrupt" not in screen


async def start_agent(
    tmux: TmuxFixture, directory: Path, *options: str, name: str = "agent"
) -> SimAgent:
    """Start one agent and wait until it shows its idle prompt."""
    agent = SimAgent(tmux, directory / f"{name}.jsonl", *options)
    await wait_for(agent.idle, timeout=10)
    return agent


async def start_agents(
    tmux: TmuxFixture, directory: Path, count: int, *options: str
) -> list[SimAgent]:
    """Start `count` agents (in parallel) and wait until all are idle."""
    agents = [SimAgent(tmux, directory / f"agent{n}.jsonl", *options) for n in range(count)]
    await wait_for(lambda: all(a.idle() for a in agents), timeout=15)
    return agents


LOGIN_MENU = (
    "printf 'Welcome to Codex\\n\\n> 1. Sign in with ChatGPT\\n  2. Provide your own API key\\n'"
    "; exec cat"
)
"""A first-run screen of Codex (a login menu), then `cat`: a screen no pattern of the codex
profile matches, which echoes whatever reaches it, so its pane shows what was typed."""


async def start_login_menu(tmux: TmuxFixture) -> str:
    """A pane tagged as a Codex agent showing its login menu; its id once the menu shows."""
    pane = tmux.tmux(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "-t", "main", "sh", "-c", LOGIN_MENU
    ).strip()
    tmux.tmux("set-option", "-p", "-t", pane, "@tmuxorch-agent", "codex")
    await wait_for(lambda: "own API key" in tmux.tmux("capture-pane", "-p", "-t", pane))
    return pane


def type_marker(tmux: TmuxFixture, pane: str, marker: str) -> None:
    """Type `marker` and Enter into `pane` as a user would: once it shows, anything typed
    into the pane before it has shown too."""
    tmux.tmux("send-keys", "-t", pane, "-l", marker)
    tmux.tmux("send-keys", "-t", pane, "Enter")


def below_menu(tmux: TmuxFixture, pane: str) -> list[str]:
    """The non-empty lines of a `start_login_menu` pane below the menu: what reached `cat`
    (echoed as typed, then again once it has read the line)."""
    screen = tmux.tmux("capture-pane", "-p", "-t", pane)
    return [line for line in screen.split("own API key", 1)[1].splitlines() if line.strip()]


def exit_time(tmux: TmuxFixture, pane: str) -> str:
    """When the process of a dead pane (remain-on-exit on) exited, once tmux has reaped it; ''
    before. tmux 3.3a at times leaves an exited child a zombie, the pane dead with no exit time
    or status, until another child of the server exits: `run-shell true` is one."""
    shown = tmux.tmux("display", "-p", "-t", pane, "#{pane_dead} #{pane_dead_time}")
    dead, _, at = shown.strip().partition(" ")
    if dead == "1" and not at:
        tmux.tmux("run-shell", "true")
    return at


@contextlib.asynccontextmanager
async def state_changes(engine: Engine, pane: str) -> AsyncIterator[list[AgentStateChanged]]:
    """The `agent_state` events of `pane`, collected while the body runs; entered once the
    sweeper has seen the pane idle (its first observation, not an event), so the body's first
    change is the first event."""
    stream = await engine.subscribe()
    changes: list[AgentStateChanged] = []

    async def collect() -> None:
        async for event in stream:
            if isinstance(event, AgentStateChanged) and event.pane_id == pane:
                changes.append(event)

    task = asyncio.create_task(collect())
    try:
        await wait_for(lambda: {p: s for p, _, s in engine.agents.states()}.get(pane) == "idle")
        yield changes
    finally:
        task.cancel()
        await stream.close()
