"""The command line of what is planned over time: `up`/`down` (a fleet file), `schedule` and
`queue`. Registered in cli/parser.py's COMMANDS (imported at its end), apart so that module
stays one screenful of commands each."""

from __future__ import annotations

import argparse

from tmuxorch.cli.parser import _Parser, _text_options, command, positive


def _fleet_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "file", nargs="?", metavar="FILE", help="the fleet file (default: ./tmuxorch.toml)"
    )
    command.add_argument("--dry-run", action="store_true", help="print the plan; do nothing")
    command.add_argument("--json", action="store_true", help="the tmuxorch.fleet/1 document")


@command("up", "fleet:cmd_up", "start what a fleet file declares and is not running yet")
def _up(up: argparse.ArgumentParser) -> None:
    """`up [FILE]`: a fleet file's missing windows started (usecases/fleet.py)."""
    _fleet_options(up)
    up.add_argument(
        "--wait", type=float, default=60.0, metavar="SECONDS",
        help="how long a new agent may take to be idle for its first message (default 60)",
    )  # fmt: skip


@command("down", "fleet:cmd_down", "stop the windows a fleet file started, and only those")
def _down(down: argparse.ArgumentParser) -> None:
    _fleet_options(down)


@command("schedule", "schedule:cmd_schedule", "send a message later: check-ins, cron")
def _schedule(schedule: argparse.ArgumentParser) -> None:
    """`schedule add|list|cancel`: messages sent later (core/schedules)."""
    schedule.set_defaults(texts=[])
    actions = schedule.add_subparsers(
        dest="schedule_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    new = actions.add_parser(
        "add", help="send TEXT to TARGET... at a time, on a timer, a cron line or when idle"
    )
    new.add_argument("targets", nargs="+", metavar="TARGET")
    _text_options(new)
    when = new.add_mutually_exclusive_group(required=True)
    when.add_argument("--in", dest="in_", metavar="DURATION", help="once, after 90s, 30m, 1h30m")
    when.add_argument("--at", metavar="TIME", help="once, at 14:30 today or 2026-12-24 09:00")
    when.add_argument("--every", metavar="DURATION", help="again and again, every 1h")
    when.add_argument("--cron", metavar="LINE", help="on a cron line, e.g. '0 9 * * 1-5'")
    when.add_argument(
        "--when-idle", nargs="?", const="", metavar="AGENT",
        help="once each target is idle; with AGENT: once AGENT goes idle",
    )  # fmt: skip
    new.add_argument("--timeout", metavar="DURATION", help="--when-idle gives up after this")
    new.add_argument("--json", action="store_true", help="the schedule as JSON")
    listing = actions.add_parser("list", help="pending schedules and those ended today")
    listing.add_argument("--all", action="store_true", help="every schedule, however old")
    listing.add_argument("--json", action="store_true", help="the tmuxorch.schedules/1 document")
    cancel = actions.add_parser("cancel", help="cancel a pending schedule")
    cancel.add_argument("schedule_id", type=positive, metavar="ID")
    cancel.add_argument("--json", action="store_true", help="the schedule as JSON")


@command("queue", "queue:cmd_queue", "tasks handed to idle agents, one at a time each")
def _queue(queue: argparse.ArgumentParser) -> None:
    """`queue add|list|cancel|pause|resume`: tasks for whichever matching agent is idle."""
    queue.set_defaults(texts=[])
    actions = queue.add_subparsers(
        dest="queue_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    new = actions.add_parser("add", help="queue a task for the next matching idle agent")
    _text_options(new)
    new.add_argument("--kind", metavar="KIND", help="only an agent of this kind (claude, codex…)")
    new.add_argument("--session", metavar="SESSION", help="only an agent in this session")
    new.add_argument(
        "--agent", dest="agents", action="extend", nargs="+", default=[], metavar="TARGET",
        help="only one of these agents (a window or session means its agents)",
    )  # fmt: skip
    new.add_argument(
        "--priority", type=int, default=0, metavar="N", help="higher first (default 0, -1000-1000)"
    )
    new.add_argument("--json", action="store_true", help="the task as JSON")
    listing = actions.add_parser("list", help="open tasks and those ended today")
    listing.add_argument("--all", action="store_true", help="every task, however old")
    listing.add_argument("--json", action="store_true", help="the tmuxorch.queue/1 document")
    cancel = actions.add_parser(
        "cancel", help="cancel a task (a running one is no longer followed)"
    )
    cancel.add_argument("task_id", type=positive, metavar="ID")
    cancel.add_argument("--json", action="store_true", help="the task as JSON")
    for action, what in (("pause", "stop handing out tasks"), ("resume", "hand out tasks again")):
        actions.add_parser(action, help=what).add_argument("--json", action="store_true")
