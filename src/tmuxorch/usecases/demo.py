"""The demo fleet (`tmuxorch demo`, the TUI's `d`): a session of simulated agents in different
states, to try tmuxorch on without spending tokens. One is asked for approval, one works on a
long task, the others cycle between idle and busy on their own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import BadInputError, TmuxorchError
from tmuxorch.core.models import Spawned
from tmuxorch.core.ops.operations import SIMAGENT

MAX_AGENTS = 50


def agent_command(name: str, *, busy: float, cycle: bool, seed: int) -> list[str]:
    """argv of one simulated agent; the host that spawns it runs its own copy (SIMAGENT)."""
    argv = [SIMAGENT, "--name", name, "--busy", str(busy)]
    if cycle:
        argv += ["--state-cycle", "--seed", str(seed)]
    return argv


async def start_demo(backend: Backend, agents: int, session: str) -> str:
    """Spawn the fleet and put it in motion; returns the session name."""
    if not 1 <= agents <= MAX_AGENTS:
        raise BadInputError(f"--agents must be between 1 and {MAX_AGENTS}")
    snapshot = await backend.snapshot()
    if any(s.name == session for s in snapshot.sessions):
        raise BadInputError(
            f"session {session!r} already exists: kill it first (tmuxorch kill {session} --yes)"
        )

    def spawn(n: int) -> Awaitable[Spawned]:
        command = agent_command(f"agent-{n}", busy=60.0 if n == 3 else 4.0, cycle=n > 3, seed=n)
        return backend.spawn(session, command, name=f"agent-{n}", kind="sim")

    # The first creates the session; the others at once (each spawn waits ~1 s to see it start).
    first = await spawn(1)
    panes = [first.pane_id] + [
        s.pane_id for s in await asyncio.gather(*map(spawn, range(2, agents + 1)))
    ]
    await _wait_until_idle(backend, panes[:3])
    if agents >= 2:
        await backend.send([panes[1]], "deploy to production? APPROVE needed")
    if agents >= 3:
        await backend.send([panes[2]], "refactor the parser and run the whole test suite")
    return session


async def _wait_until_idle(backend: Backend, panes: list[str], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = {
            p.id: p.agent.state for p in (await backend.snapshot()).panes() if p.agent is not None
        }
        if all(states.get(pane) == "idle" for pane in panes):
            return
        await asyncio.sleep(0.1)
    raise TmuxorchError("the simulated agents did not start within 10 s")
