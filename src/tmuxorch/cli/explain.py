"""`tmuxorch explain TARGET`: why each agent pane of TARGET is in its state.

People ask "why does it say busy?" and a wrong state is only fixable when it is visible where it
came from: the source (hook, session file, title, screen, tmux), since when, the reason (the hook
event, the file's status, the title, or the screen rule and the line it matched), what the screen
alone says, and the very lines the profile read.
"""

from __future__ import annotations

import argparse
import time

from rich.markup import escape

from tmuxorch.cli.commands import print_json
from tmuxorch.cli.render import make_console, state_badge
from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import BadInputError
from tmuxorch.core.models import Explanation
from tmuxorch.core.targets import panes_of, resolve_target
from tmuxorch.usecases.labels import ago, pane_label

SCHEMA = "tmuxorch.explain/1"


async def cmd_explain(args: argparse.Namespace, backend: Backend) -> int:
    snapshot = await backend.snapshot()
    target = resolve_target(snapshot, args.target)
    agents = [pane for pane in panes_of(target) if pane.agent is not None]
    if not agents:
        raise BadInputError(f"{args.target!r} holds no agent pane")
    explained = [await backend.explain(pane.id) for pane in agents]
    if args.json:
        print_json({"schema": SCHEMA, "agents": [e.plain() for e in explained]})
        return 0
    console = make_console()
    now = time.time()
    for index, explanation in enumerate(explained):
        if index:
            console.print()
        pane = snapshot.panes_by_id[explanation.pane_id]
        console.print(f"[bold]{explanation.pane_id}[/] {escape(pane_label(snapshot, pane))}")
        for line in _lines(explanation, now):
            console.print(line, highlight=False)
    return 0


def _lines(explanation: Explanation, now: float) -> list[str]:
    agent = explanation.agent
    since = "unknown (no tmuxorch watched it change)" if agent.since is None else (
        f"{time.strftime('%H:%M:%S', time.localtime(agent.since))} ({ago(agent.since, now)})"
    )  # fmt: skip
    lines = [
        f"  [dim]kind[/]    {escape(agent.kind)}",
        f"  [dim]state[/]   {state_badge(agent.state)}",
        f"  [dim]source[/]  {agent.source}",
        f"  [dim]since[/]   {since}",
        f"  [dim]reason[/]  {escape(agent.reason) or '-'}",
        f"  [dim]screen[/]  {explanation.screen_state}: {escape(explanation.screen_reason)}",
        f"  [dim]title[/]   {escape(repr(explanation.title))}",
        f"  [dim]hook[/]    {escape(explanation.hook) or '(no report)'}",
        f"  [dim]screen region read ({len(explanation.region)} lines):[/]",
    ]
    lines += [f"  [dim]│[/] {escape(line)}" for line in explanation.region]
    return lines
