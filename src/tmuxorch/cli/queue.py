"""`tmuxorch queue add|list|cancel|pause|resume`: the task queue (core/tasks, queue_duty.py).

`add` resolves `--session` and `--agent` TARGETs to ids on a snapshot, as `send` does, and
stores the task through the Backend; whichever tmuxorch process watches the server hands it to
the first matching idle agent. When none watches, `add` and `list` say so.
"""

from __future__ import annotations

import argparse
import sys

from tmuxorch.cli.commands import print_json, read_message, resolve_input_panes
from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import BadInputError
from tmuxorch.core.models import Session
from tmuxorch.core.schedules.when import format_time
from tmuxorch.core.targets import resolve_target
from tmuxorch.core.tasks.records import SCHEMA, Task, TaskList

NOBODY_RUNS = (
    "no tmuxorch process watches this tmux server now: tasks are handed out once one starts "
    "(tmuxorch watch, tui or serve)"
)


async def cmd_queue(args: argparse.Namespace, backend: Backend) -> int:
    action = args.queue_command
    if action != "add" and args.texts:
        raise BadInputError(f"queue {action} takes no message")
    if action == "add":
        return await _add(args, backend)
    if action == "list":
        return _print_list(args, await backend.queue(everything=args.all))
    if action == "cancel":
        _print_one(args, await backend.queue_cancel(args.task_id), "cancelled")
        return 0
    listed = await backend.queue_pause(action == "pause")
    if args.json:
        return _print_list(args, listed)
    print("the queue is paused: no task is handed out" if listed.paused else "the queue goes on")
    return 0


async def _add(args: argparse.Namespace, backend: Backend) -> int:
    text = read_message(args)
    if not -1000 <= args.priority <= 1000:
        raise BadInputError(f"--priority {args.priority}: from -1000 to 1000")
    snapshot = await backend.snapshot(states=False)
    session = None
    if args.session is not None:
        found = resolve_target(snapshot, args.session)
        if not isinstance(found, Session):
            raise BadInputError(f"--session {args.session}: not a session")
        session = found.id
    agents = [p.id for p in resolve_input_panes(snapshot, args.agents)]
    added = await backend.queue_add(
        text, kind=args.kind, session=session, agents=agents, priority=args.priority
    )
    _print_one(args, added, "queued")
    listed = await backend.queue()
    if not listed.running:
        print(f"tmuxorch: {NOBODY_RUNS}", file=sys.stderr)
    elif listed.paused:
        print("tmuxorch: the queue is paused (tmuxorch queue resume)", file=sys.stderr)
    return 0


def _print_one(args: argparse.Namespace, task: Task, what: str) -> None:
    if args.json:
        print_json({"schema": SCHEMA, "task": task.plain()})
    else:
        print(f"task {task.id} {what}: {_line(task)}")


def _print_list(args: argparse.Namespace, listed: TaskList) -> int:
    if args.json:
        print_json(
            {"schema": SCHEMA, "paused": listed.paused, "running": listed.running,
             "tasks": [t.plain() for t in listed.tasks]}
        )  # fmt: skip
        return 0
    if listed.paused:
        print("the queue is paused: no task is handed out (tmuxorch queue resume)")
    if not listed.tasks:
        print("no tasks")
    for task in listed.tasks:
        print(f"{task.id:>4}  {_line(task)}")
    if not listed.running and any(t.state in ("pending", "running") for t in listed.tasks):
        print(f"tmuxorch: {NOBODY_RUNS}", file=sys.stderr)
    return 0


def _line(task: Task) -> str:
    """`pending  p0  kind claude  'text…'` / `done  by %3 at … (sent …)`."""
    text = task.text.replace("\n", " ")
    text = text if len(text) <= 40 else text[:39] + "…"
    wants = [f"kind {task.kind}"] if task.kind else []
    wants += [f"session {task.session}"] if task.session else []
    wants += [f"agents {' '.join(task.agents)}"] if task.agents else []
    parts = [f"{task.state:<9}", f"p{task.priority}", *wants, repr(text)]
    if task.agent is not None and task.dispatched is not None:
        parts.append(f"by {task.agent}, sent {format_time(task.dispatched)}")
    if task.finished is not None and task.state == "done":
        parts.append(f"done {format_time(task.finished)}")
    if task.reason:
        parts.append(f"- {task.reason}")
    return "  ".join(parts)
