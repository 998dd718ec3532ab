"""`tmuxorch hooks install|uninstall|status|snippet KIND`: put our report hook into an agent
CLI's own settings, take it out, say whether it is there. The file work is in
usecases.agent_hooks; this module only parses, prints and picks exit statuses."""

from __future__ import annotations

import argparse
import sys
import time

from tmuxorch.cli.commands import print_json
from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import BadInputError
from tmuxorch.core.tmux.server import TmuxServer
from tmuxorch.usecases import agent_hooks
from tmuxorch.usecases.hook_settings import KINDS, check_kind, paste_text
from tmuxorch.usecases.labels import ago

_SAID = {
    "installed": "installed into {path}",
    "updated": "updated in {path} (it was outdated)",
    "unchanged": "already installed in {path}: nothing to do",
    "restored": "removed: {path} is back to its exact bytes from before install",
    "removed": "removed from {path} (your other edits kept)",
    "deleted": "removed: {path} held only our hook, so it is deleted again",
    "absent": "not installed in {path}: nothing to do",
}


async def cmd_hooks(args: argparse.Namespace, _backend: Backend | None) -> int:
    """Run one `hooks` action. An unknown KIND is one line of ours, not argparse's usage."""
    if args.kind is not None:
        check_kind(args.kind)
    if args.hooks_command == "snippet":
        sys.stdout.write(paste_text(args.kind))
        return 0
    if args.hooks_command == "status":
        return await _status(args)
    path = args.settings or agent_hooks.settings_path(args.kind)
    run = agent_hooks.install if args.hooks_command == "install" else agent_hooks.uninstall
    outcome = run(args.kind, path)
    line = f"tmuxorch: {args.kind} hook " + _SAID[outcome.action].format(path=outcome.path)
    if outcome.backup is not None:
        line += f"; backup of your file: {outcome.backup}"
    print(line)
    return 0


async def _status(args: argparse.Namespace) -> int:
    if args.settings is not None and args.kind is None:
        raise BadInputError("--settings names one CLI's file: give its KIND too")
    kinds = [args.kind] if args.kind else list(KINDS)
    reports = [
        agent_hooks.status(kind, args.settings or agent_hooks.settings_path(kind)) for kind in kinds
    ]
    panes = await agent_hooks.pane_reports(TmuxServer.resolve(args.socket_name, args.socket_path))
    panes = [(pane, report) for pane, report in panes if report.kind in kinds]
    if args.json:
        print_json({
            "hooks": [
                {"kind": r.kind, "path": str(r.path), "status": r.status, "exists": r.exists}
                for r in reports
            ],
            "panes": [
                {"pane": pane, "kind": p.kind, "event": p.event, "state": p.state, "at": p.at}
                for pane, p in panes
            ],
        })  # fmt: skip
        return 0
    for report in reports:
        missing = "" if report.exists else " (no such file)"
        print(f"{report.kind:<7} {report.status:<14} {report.path}{missing}")
    now = time.time()
    for pane, p in panes:
        print(f"  {pane:<6} {p.kind:<7} {p.event:<32} {p.state:<8} {ago(p.at, now)}")
    return 0
