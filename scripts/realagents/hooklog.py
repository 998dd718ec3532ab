"""A hook for the real CLIs during `make real-agents`: appends what the CLI reported, with the
moment it arrived and the pane it came from, to $TMUXORCH_WALK_HOOKLOG as one JSON line.

Claude Code, Codex and Gemini CLI hooks give their payload on stdin; Codex's `notify` gives it
as the last argument. Stdlib only, and it always exits 0 with no output: a hook's output or
exit status can steer the CLI (block a tool, add context), and this one only watches.
"""

from __future__ import annotations

import json
import os
import select
import sys
import time

KEEP = (
    "hook_event_name",
    "notification_type",
    "message",
    "tool_name",
    "type",
    "matcher",
    "source",
    "reason",
    "trigger",
    "stop_hook_active",
    "last-assistant-message",
    "status",
)


def main() -> int:
    t = time.time()
    who = sys.argv[1] if len(sys.argv) > 1 else "?"
    raw = sys.argv[2] if len(sys.argv) > 2 else ""
    if not raw and select.select([sys.stdin], [], [], 0.5)[0]:
        raw = sys.stdin.read()
    try:
        payload = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        payload = {"unparsed": raw[:200]}
    if not isinstance(payload, dict):
        payload = {"value": payload}
    line = {"t": t, "cli": who, "pane": os.environ.get("TMUX_PANE"), "keys": sorted(payload)}
    line.update(
        {k: payload[k] for k in KEEP if k in payload and not isinstance(payload[k], (dict, list))}
    )
    path = os.environ.get("TMUXORCH_WALK_HOOKLOG")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
