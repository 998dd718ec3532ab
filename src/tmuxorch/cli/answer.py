"""`tmuxorch answer TARGET [N]`: show a waiting agent's question and its choices, or pick one
(usecases/answer.py does the checking: waiting, the same question still on screen, the agent
moving on after)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tmuxorch.cli.commands import print_json
from tmuxorch.core.errors import BadInputError
from tmuxorch.core.targets import panes_of, resolve_target
from tmuxorch.usecases.answer import answer, question_of

if TYPE_CHECKING:
    from tmuxorch.core.agents.questions import Question
    from tmuxorch.core.backend import Backend
    from tmuxorch.core.models import Pane


async def cmd_answer(args: argparse.Namespace, backend: Backend) -> int:
    if args.show and args.choice is not None:
        raise BadInputError("give a CHOICE to answer, or --show to see the question: not both")
    snapshot = await backend.snapshot()
    agents = [p for p in panes_of(resolve_target(snapshot, args.target)) if p.agent is not None]
    if len(agents) != 1:
        found = "no agent" if not agents else f"{len(agents)} agents"
        raise BadInputError(f"{args.target!r} holds {found}: name one agent pane (%N)")
    pane = agents[0]
    question = await question_of(backend, pane)
    if args.choice is None:
        return _show(args, pane, question)
    done = await answer(backend, pane, question, args.choice, timeout=args.timeout)
    moved_on = done.receipt.status == "delivered" and done.state != "waiting"
    if args.json:
        print_json({
            "schema": "tmuxorch.answer/1", "pane": pane.id, "number": done.choice.number,
            "label": done.choice.label, "keys": list(done.choice.keys),
            "receipt": done.receipt.plain(), "state": done.state,
        })  # fmt: skip
    elif done.receipt.status != "delivered":
        print(f"{pane.id}: not answered: {done.receipt.status} {done.receipt.detail}".rstrip())
    elif not moved_on:
        print(f"{pane.id}: pressed {' '.join(done.choice.keys)}, but it is still waiting "
              f"after {args.timeout:g} s")  # fmt: skip
    else:
        print(f"{pane.id}: answered {done.choice.number} ({done.choice.label}); now {done.state}")
    return 0 if moved_on else 1


def _show(args: argparse.Namespace, pane: Pane, question: Question) -> int:
    kind = pane.agent.kind if pane.agent is not None else ""
    if args.json:
        print_json({
            "schema": "tmuxorch.question/1", "pane": pane.id, "kind": kind,
            "question": question.text,
            "choices": [
                {"number": c.number, "label": c.label, "keys": list(c.keys)}
                for c in question.choices
            ],
        })  # fmt: skip
        return 0
    print(f"{pane.id} {kind} asks: {question.text}")
    for choice in question.choices:
        print(f"  {choice.number}  {choice.label}")
    print(f"answer with: tmuxorch answer {pane.id} N")
    return 0
