"""`tmuxorch schedule add|list|cancel`: messages sent later (core/schedules).

`add` reads the time options into a Trigger (core/schedules/when.py: every refusal is one line
and exit 2, nothing stored), resolves TARGETs to pane ids on a snapshot as `send` does, and
stores the schedule through the Backend (the local store, or a remote `tmuxorch serve`'s). The
schedule fires in whichever tmuxorch process watches the tmux server; when none does, `add`
says so, and it fires, marked late, when one starts.
"""

from __future__ import annotations

import argparse
import sys
import time

from tmuxorch.cli.commands import print_json, read_message, resolve_input_panes
from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import BadInputError
from tmuxorch.core.schedules.records import SCHEMA, Schedule
from tmuxorch.core.schedules.when import (
    Named,
    Trigger,
    TriggerKind,
    format_time,
    trigger_from,
)

NOBODY_RUNS = (
    "no tmuxorch process watches this tmux server now: the schedule fires when one starts "
    "(tmuxorch watch, tui or serve), marked late if its time has passed"
)


async def cmd_schedule(args: argparse.Namespace, backend: Backend) -> int:
    if args.schedule_command != "add" and args.texts:
        raise BadInputError(f"schedule {args.schedule_command} takes no message")
    if args.schedule_command == "add":
        return await _add(args, backend)
    if args.schedule_command == "list":
        return await _list(args, backend)
    cancelled = await backend.schedule_cancel(args.schedule_id)
    _print_one(args, cancelled, "cancelled")
    return 0


def trigger_of(args: argparse.Namespace, now: float) -> Trigger:
    """The trigger the time options ask for (exactly one of them is given: argparse)."""
    times: dict[TriggerKind, Named] = {
        "in": ("--in", args.in_), "at": ("--at", args.at), "every": ("--every", args.every),
        "cron": ("--cron", args.cron),
    }  # fmt: skip
    idle = ("--when-idle", args.when_idle is not None)
    return trigger_from(times, idle, ("--timeout", args.timeout), now)


async def _add(args: argparse.Namespace, backend: Backend) -> int:
    trigger = trigger_of(args, time.time())
    text = read_message(args)
    snapshot = await backend.snapshot(states=False)
    panes = [p.id for p in resolve_input_panes(snapshot, args.targets)]
    if args.when_idle:
        watched = resolve_input_panes(snapshot, [args.when_idle])
        if len(watched) != 1:
            raise BadInputError(
                f"--when-idle {args.when_idle}: name one agent's pane ({len(watched)} panes there)"
            )
        trigger = trigger.model_copy(update={"watch": watched[0].id})
    added = await backend.schedule_add(panes, text, trigger)
    _print_one(args, added, "added")
    if not (await backend.schedules()).running:
        print(f"tmuxorch: {NOBODY_RUNS}", file=sys.stderr)
    return 0


def _print_one(args: argparse.Namespace, schedule: Schedule, what: str) -> None:
    if args.json:
        print_json({"schema": SCHEMA, "schedule": schedule.plain()})
    else:
        print(f"schedule {schedule.id} {what}: {_line(schedule)}")


async def _list(args: argparse.Namespace, backend: Backend) -> int:
    listed = await backend.schedules(everything=args.all)
    if args.json:
        print_json(
            {"schema": SCHEMA, "running": listed.running,
             "schedules": [s.plain() for s in listed.schedules]}
        )  # fmt: skip
        return 0
    if not listed.schedules:
        print("no schedules")
    for schedule in listed.schedules:
        print(f"{schedule.id:>4}  {_line(schedule)}")
    if not listed.running and any(s.state == "pending" for s in listed.schedules):
        print(f"tmuxorch: {NOBODY_RUNS}", file=sys.stderr)
    return 0


def _line(schedule: Schedule) -> str:
    """`pending  at 2026-12-03 14:30:00  -> %3 %4  "text…"  (fired 2x, last …)`."""
    text = schedule.text.replace("\n", " ")
    text = text if len(text) <= 40 else text[:39] + "…"
    parts = [f"{schedule.state:<9}", schedule.trigger.describe(), "->", " ".join(schedule.targets),
             repr(text)]  # fmt: skip
    if schedule.state == "pending" and schedule.next_due is not None:
        parts.append(f"next {format_time(schedule.next_due)}")
    if schedule.fires:
        late = ", late" if schedule.late else ""
        parts.append(
            f"(fired {schedule.fires}x, last {format_time(schedule.last_fired or 0)}{late})"
        )
    if schedule.remaining:
        parts.append(f"waiting for {' '.join(schedule.remaining)}")
    if schedule.reason:
        parts.append(f"- {schedule.reason}")
    return "  ".join(parts)
