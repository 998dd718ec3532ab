"""Answering a waiting agent's question from tmuxorch, without attaching (the CLI's `answer`;
the TUI takes the same path).

Through the Backend only (a capture, the keys, snapshots), so it works the same on a remote
fleet: a read token sees the question, only a control token may press the keys. Before pressing
anything the agent must be `waiting` and its screen must still show the very question the user
answered (read again just before the keys go): never type into a screen whose state we do not
know. After the keys, the answer is confirmed by the agent leaving `waiting`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from tmuxorch.core.agents.questions import Choice, Question, read_question
from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import BadInputError, TmuxorchError
from tmuxorch.core.models import AgentState, Pane, Receipt

SCREEN_LINES = 60
"""How much of the pane is read for the question (read_question keeps its bottom)."""
POLL_S = 0.1


class NotAskingError(TmuxorchError):
    """The agent asks nothing we can answer (not waiting, or its choices are not recognised)."""

    exit_code = 1


@dataclass(frozen=True)
class Answered:
    """What an answer did: the keys' receipt, and the state the agent was in after."""

    choice: Choice
    receipt: Receipt
    state: AgentState
    """`waiting` still when the agent did not move on within the timeout."""


async def question_of(backend: Backend, pane: Pane) -> Question:
    """The question agent `pane` asks now, or NotAskingError saying why there is none."""
    if pane.agent is None:
        raise BadInputError(f"{pane.id} is not an agent pane (runs {pane.command!r})")
    if pane.agent.state != "waiting":
        raise NotAskingError(f"{pane.id} is not waiting for an answer (it is {pane.agent.state})")
    question = read_question(await backend.capture(pane.id, SCREEN_LINES))
    if question is None:
        raise NotAskingError(
            f"{pane.id} ({pane.agent.kind}) is waiting, but its question is not one tmuxorch can "
            "read: attach to answer it"
        )
    return question


async def answer(
    backend: Backend, pane: Pane, asked: Question, number: int, timeout: float = 5.0
) -> Answered:
    """Pick choice `number` of `asked` (the question the user saw) in agent `pane`, then wait
    up to `timeout` seconds for it to leave `waiting`."""
    choice = asked.choice(number)
    if choice is None:
        numbers = ", ".join(str(c.number) for c in asked.choices)
        raise BadInputError(f"no choice {number}: {pane.id} offers {numbers}")
    fresh = (await backend.snapshot()).panes_by_id.get(pane.id)
    if fresh is None:
        raise NotAskingError(f"{pane.id} is gone")
    if await question_of(backend, fresh) != asked:
        raise NotAskingError(f"{pane.id} asks something else now: look again (answer --show)")
    (receipt,) = await backend.keys([pane.id], list(choice.keys))
    state: AgentState = "waiting"
    deadline = time.monotonic() + timeout
    while receipt.status == "delivered" and time.monotonic() < deadline:
        now = (await backend.snapshot()).panes_by_id.get(pane.id)
        state = now.agent.state if now is not None and now.agent is not None else "exited"
        if state != "waiting":
            break
        await asyncio.sleep(POLL_S)
    return Answered(choice, receipt, state)
