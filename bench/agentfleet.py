"""Fleets of simulated agents for the benchmarks that type into panes and read their states.

Every pane runs `python -m tmuxorch.simagent` (the project's stand-in for Claude Code) as an argv,
so tmux executes it directly with no shell in between, in a window big enough that a one-line
message never wraps. The helpers read each agent's prompt line (`│ > TEXT │`) over the engine's
control connection, all panes in one pipelined round trip, so a benchmark can wait for the screens
to settle (with a deadline, never a blind sleep) and check that the text arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Iterator, Sequence

from bench.fleet import Fleet, PaneCommand, Shape, fleet
from tmuxorch.core.agents.pane_reads import capture_command
from tmuxorch.core.engine import Engine
from tmuxorch.simagent import PROMPT_PREFIX

AGENT_SIZE = (200, 50)
READY_TIMEOUT_S = 60.0
SETTLE_TIMEOUT_S = 10.0
_POLL_S = 0.01


def agent_command(busy: float) -> PaneCommand:
    """The pane command of a fleet whose agents work `busy` seconds per message."""

    def command(n: int) -> list[str]:
        return [sys.executable, "-m", "tmuxorch.simagent", "--busy", f"{busy:g}", "--name", f"a{n}"]

    return command


@contextlib.contextmanager
def agent_fleet(agents: int, busy: float, per_session: int = 10) -> Iterator[Fleet]:
    """A server of `agents` windows (one simulated agent each, `per_session` windows a session),
    torn down like every other fleet."""
    command = agent_command(busy)
    with fleet(Shape(agents, 1, per_session), command, AGENT_SIZE) as target:
        yield target


def prompt_text(lines: Sequence[str]) -> str | None:
    """What is typed in the agent's input box (None when the screen shows no prompt box)."""
    for line in lines:
        if line.startswith(PROMPT_PREFIX):
            return line[len(PROMPT_PREFIX) :].rstrip().removesuffix("│").rstrip()
    return None


async def prompts(engine: Engine, panes: Sequence[str]) -> list[str | None]:
    """The input box of every pane, in one round trip."""
    results = await engine.run([capture_command(pane) for pane in panes])
    return [prompt_text(r.lines) if r.ok else None for r in results]


async def wait_prompts(
    engine: Engine, panes: Sequence[str], expected: str, timeout: float = SETTLE_TIMEOUT_S
) -> int:
    """Poll until every pane's input box holds exactly `expected`; return how many did not by the
    deadline (0: all of them)."""
    deadline = time.monotonic() + timeout
    while True:
        wrong = sum(text != expected for text in await prompts(engine, panes))
        if wrong == 0 or time.monotonic() > deadline:
            return wrong
        await asyncio.sleep(_POLL_S)


async def clear_prompts(engine: Engine, panes: Sequence[str]) -> int:
    """Empty every input box: Escape clears an idle simagent's input (one batch for all panes).
    Returns how many boxes were still not empty by the deadline."""
    await engine.run([["send-keys", "-t", pane, "Escape"] for pane in panes], idempotent=False)
    return await wait_prompts(engine, panes, "")


async def wait_ready(engine: Engine, panes: Sequence[str]) -> None:
    """Wait until every agent has drawn its empty idle prompt; raise if some never do."""
    wrong = await wait_prompts(engine, panes, "", READY_TIMEOUT_S)
    if wrong:
        raise RuntimeError(f"{wrong} of {len(panes)} simulated agents never showed their prompt")
