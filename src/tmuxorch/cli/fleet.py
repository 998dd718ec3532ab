"""`tmuxorch up [FILE]` and `tmuxorch down [FILE]`: a fleet file made to run, or stopped.

The file is read and checked before anything else (a mistake is exit 2 with FILE:LINE, nothing
started); the plan and its application are usecases/fleet.py's, over the Backend only. Over
--connect the directories and the agent kinds are the server's: the file's are checked there,
when each window is spawned, not here.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tmuxorch.cli.commands import print_json
from tmuxorch.usecases.fleet import (
    Outcome,
    Step,
    Stop,
    apply_down,
    apply_up,
    plan_down,
    plan_up,
    strays,
)
from tmuxorch.usecases.fleet_file import DEFAULT_FILE, Fleet, FleetWindow, fleet_label, read_fleet

if TYPE_CHECKING:
    from tmuxorch.core.backend import Backend

SCHEMA = "tmuxorch.fleet/1"


def _read(args: argparse.Namespace) -> Fleet:
    from tmuxorch.core.agents.profiles import load_profiles
    from tmuxorch.core.ops.start import directory_problem
    from tmuxorch.core.store.config import load_settings

    local = args.connect is None  # else the server's directories and kinds, checked there
    return read_fleet(
        Path(args.file or DEFAULT_FILE),
        known_kinds=load_profiles(load_settings()) if local else None,
        directory_exists=directory_problem if local else None,
    )


async def cmd_up(args: argparse.Namespace, backend: Backend) -> int:
    from tmuxorch.usecases.receipts import all_delivered

    fleet = _read(args)
    snapshot = await backend.snapshot(states=False)
    steps = plan_up(snapshot, fleet)
    left = strays(snapshot, fleet)
    if args.dry_run:
        _print_up(args, fleet, [(step, None) for step in steps], left)
        return 0
    outcomes = {id(o.step): o for o in await apply_up(backend, fleet, steps, wait=args.wait)}
    _print_up(args, fleet, [(step, outcomes.get(id(step))) for step in steps], left)
    failed = any(o.error for o in outcomes.values())
    receipts = [o.receipt for o in outcomes.values() if o.receipt is not None]
    return 1 if failed or not all_delivered(receipts) else 0


async def cmd_down(args: argparse.Namespace, backend: Backend) -> int:
    label = fleet_label(Path(args.file or DEFAULT_FILE))
    snapshot = await backend.snapshot(states=False)
    stops = plan_down(snapshot, label)
    errors = [None] * len(stops) if args.dry_run else await apply_down(backend, stops)
    if args.json:
        print_json({
            "schema": SCHEMA, "op": "down", "file": label, "dry_run": args.dry_run,
            "windows": [_stop_document(s, e) for s, e in zip(stops, errors, strict=True)],
        })  # fmt: skip
    else:
        print(f"fleet {label}")
        verb = "kill" if args.dry_run else "killed"
        for stop, error in zip(stops, errors, strict=True):
            goes = f"  (its session {stop.session} goes with it)" if stop.session_goes else ""
            if error is None:
                print(f"- {verb} window {stop.target}  ({stop.window_id}){goes}")
            else:
                print(f"! not killed {stop.target} ({stop.window_id}): {error}")
        if not stops:
            server = "" if snapshot.tmux.running else f" (no tmux server on {backend.label})"
            print(f"nothing of this fleet file is running{server}")
    return 1 if any(errors) else 0


def _print_up(
    args: argparse.Namespace,
    fleet: Fleet,
    done: list[tuple[Step, Outcome | None]],
    left: list[Stop],
) -> None:
    if args.json:
        print_json({
            "schema": SCHEMA, "op": "up", "file": fleet.label, "dry_run": args.dry_run,
            "windows": [_step_document(step, outcome) for step, outcome in done],
            "strays": [_stop_document(stop, None) for stop in left],
        })  # fmt: skip
        return
    print(f"fleet {fleet.label}")
    for step, outcome in done:
        window = step.window
        if step.action == "exists":
            print(f"= exists {window.target}  ({step.existing})")
            continue
        if step.new_session:
            print(f"+ {'create' if outcome is None else 'created'} session {window.session}")
        if outcome is None:
            print(f"+ create window {window.target}  {_described(window)}")
        elif outcome.spawned is None:
            print(f"! failed {window.target}: {outcome.error}")
        else:
            spawned = outcome.spawned
            print(f"+ created window {window.target}  ({spawned.window_id} {spawned.pane_id})")
        if outcome is not None and outcome.receipt is not None:
            receipt = outcome.receipt
            detail = f": {receipt.detail}" if receipt.detail else ""
            print(f"  message to {window.target}: {receipt.status}{detail}")
    for stop in left:
        print(f"~ left running {stop.target}  ({stop.window_id}): started by this file, no "
              "longer in it (down stops it)")  # fmt: skip


def _described(window: FleetWindow) -> str:
    """The command, then what else is set: `claude --model x  (cwd ~/proj, kind claude)`."""
    extras = [f"cwd {window.cwd}"] if window.cwd else []
    extras += [f"kind {window.kind}"] if window.kind else []
    extras += [f"env {', '.join(window.env)}"] if window.env else []
    extras += ["then a message"] if window.message else []
    if (policy := window.restart) is not None:
        most = "" if policy.max_restarts is None else f", at most {policy.max_restarts}x"
        extras.append(f"restart {policy.when}{most}")
    return shlex.join(window.command) + (f"  ({'; '.join(extras)})" if extras else "")


def _step_document(step: Step, outcome: Outcome | None) -> dict[str, Any]:
    window = step.window
    document: dict[str, Any] = {
        "session": window.session, "window": window.name, "action": step.action,
        "new_session": step.new_session, "command": list(window.command), "kind": window.kind,
        "cwd": window.cwd, "env": window.env, "message": window.message is not None,
        "restart": None if window.restart is None else window.restart.plain(),
        "window_id": step.existing,
    }  # fmt: skip
    if outcome is not None:
        spawned = outcome.spawned
        document.update(
            window_id=spawned.window_id if spawned else None,
            pane_id=spawned.pane_id if spawned else None,
            error=outcome.error,
            receipt=outcome.receipt.plain() if outcome.receipt else None,
        )
    return document


def _stop_document(stop: Stop, error: str | None) -> dict[str, Any]:
    return {
        "session": stop.session, "window": stop.name, "window_id": stop.window_id,
        "session_goes": stop.session_goes, "error": error,
    }  # fmt: skip
