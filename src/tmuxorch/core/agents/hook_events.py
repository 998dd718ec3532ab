"""What an agent's hook report says (placeholder: the hooks work replaces this module)."""

from __future__ import annotations

from dataclasses import dataclass

from tmuxorch.core.models import AgentState

HOOK_OPTION = "@tmuxorch-hook"
_STATES: dict[str, dict[str, AgentState]] = {
    "claude": {
        "UserPromptSubmit": "busy", "PreToolUse": "busy", "PostToolUse": "busy",
        "Notification:permission_prompt": "waiting", "Notification:elicitation_dialog": "waiting",
        "Notification:idle_prompt": "idle", "Stop": "idle", "StopFailure": "error",
        "SessionStart": "idle", "SessionEnd": "exited",
    },
    "codex": {"agent-turn-complete": "idle"},
}  # fmt: skip


@dataclass(frozen=True)
class HookReport:
    """One report: which agent kind said which event, meaning which state, when."""

    kind: str
    event: str
    state: AgentState
    at: float


def parse_report(value: str) -> HookReport | None:
    """`"<kind> <event> <epoch>"` as the hook wrote it; anything malformed is None."""
    kind, _, rest = value.strip().partition(" ")
    event, _, stamp = rest.partition(" ")
    state = _STATES.get(kind, {}).get(event)
    whole = stamp.partition(".")[0]
    if state is None or not whole.isdigit():
        return None
    fraction = stamp.partition(".")[2]
    at = float(f"{whole}.{fraction}") if fraction.isdigit() else float(whole)
    return HookReport(kind, event, state, at)
