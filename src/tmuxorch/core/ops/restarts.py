"""Restart policies ("failure recovery"): an agent spawned with `--restart` is started again,
in the same pane, with the same argv and directory, when it exits.

The policy lives with the pane, in tmux: the pane option `@tmuxorch-restart` holds it as JSON
(`{"when": "on-failure", "max": 3, "argv": [...], "cwd": "..."}`), `@tmuxorch-restarts` the
restarts so far (which every listing reads: `status` and the TUI show it), and the window keeps
`remain-on-exit` on so an exit leaves a dead pane to start again. Any tmuxorch process sees the
same policy, and it outlives them all. The runner (usecases/restart_duty.py) decides when;
`revive` here does it: only a dead pane whose policy says so, by id, the argv exec'd as it is.
"""

from __future__ import annotations

import json

from tmuxorch.core.models import Spawned
from tmuxorch.core.ops.driver import Driver
from tmuxorch.core.restart_policy import RestartPolicy, Revival

POLICY_OPTION = "@tmuxorch-restart"
COUNT_OPTION = "@tmuxorch-restarts"


def policy_commands(
    spawned: Spawned, policy: RestartPolicy, argv: list[str], cwd: str
) -> list[list[str]]:
    """What makes a spawned pane's exit restartable: its policy, and the window keeping a
    dead pane (the spawn check had turned `remain-on-exit` off again)."""
    stored = json.dumps(
        {"when": policy.when, "max": policy.max_restarts, "argv": argv, "cwd": cwd},
        ensure_ascii=False,
        separators=(",", ":"),
    )  # fmt: skip  (JSON ends with "}": never a trailing ";" tmux would take for a separator)
    return [
        ["set-option", "-p", "-t", spawned.pane_id, POLICY_OPTION, stored],
        ["set-option", "-p", "-t", spawned.pane_id, COUNT_OPTION, "0"],
        ["set-option", "-w", "-t", spawned.window_id, "remain-on-exit", "on"],
    ]


_NOW = "#{pane_dead}:#{pane_dead_status}:#{@tmuxorch-restarts}:#{pane_dead_signal}"
"""Read with the policy, from tmux itself: a listing may not show our own last restart yet,
and one death must never be restarted twice (nor past the limit)."""


REAP_TRIES = 10


async def revive(engine: Driver, pane_id: str) -> Revival:
    """Start the dead pane again if its policy says so (exit status, count); else say why."""
    from tmuxorch.core.ops.operations import REAP, exact_argv

    shown = ["show-options", "-p", "-q", "-v", "-t", pane_id, POLICY_OPTION]
    now = ["display-message", "-p", "-t", pane_id, _NOW]
    state, policy = await engine.run([now, shown])
    for _ in range(REAP_TRIES):  # dead, not reaped yet: no status, no signal (see REAP)
        if not (state.ok and state.lines and state.lines[0].startswith("1::") and
                state.lines[0].endswith(":")):  # fmt: skip
            break
        await engine.run([REAP], idempotent=False)
        await engine.sleep(0.05)
        (state,) = await engine.run([now])
    dead, status, counted, signal = [*(state.lines[0] if state.ok and state.lines else "")
                                     .split(":"), "", "", "", ""][:4]  # fmt: skip
    restarts = int(counted) if counted.isdigit() else 0
    exit_status = int(status) if status.isdigit() else None

    def kept(reason: str) -> Revival:
        return Revival(pane_id=pane_id, restarted=False, restarts=restarts, reason=reason,
                       status=exit_status)  # fmt: skip

    if not state.ok:
        return kept(state.error or "no such pane")
    raw = "\n".join(policy.lines) if policy.ok else ""
    if not raw:
        return kept("no restart policy")
    try:
        stored = json.loads(raw)
        when, most, argv, cwd = stored["when"], stored["max"], list(stored["argv"]), stored["cwd"]
    except (ValueError, KeyError, TypeError):
        return kept(f"unreadable {POLICY_OPTION}")
    if dead != "1":
        return kept("alive")
    if when == "on-failure" and status == "0" and not signal:
        return kept("exited with status 0 (restart on-failure)")
    if most is not None and restarts >= most:
        return kept(f"gave up after {restarts} restarts (--max-restarts {most})")
    count = restarts + 1
    results = await engine.run(
        [["respawn-pane", "-k", "-t", pane_id, "-c", cwd, "--", *exact_argv(argv)],
         ["set-option", "-p", "-t", pane_id, COUNT_OPTION, str(count)]],
        idempotent=False,
    )  # fmt: skip
    failed = next((r for r in results if not r.ok), None)
    if failed is not None:
        return kept(f"respawn-pane: {failed.error}")
    return Revival(pane_id=pane_id, restarted=True, restarts=count, status=exit_status)
