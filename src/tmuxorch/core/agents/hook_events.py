"""What agent CLIs tell us through their hooks: which events we hook per kind, what agent state
each one means, the shell snippet a hook runs, and the parser for what that snippet reports.

A hook runs inside the agent's own environment, where `$TMUX_PANE` names its pane exactly and
`$TMUX` its server: so a report needs no guessing about which pane it is for, also for panes
tmuxorch did not start. The report contract (the engine reads it): the snippet sets the pane
option `@tmuxorch-hook` to "KIND EVENT EPOCH" and then touches the doorbell file next to the
tmux socket ("<socket>.tmuxorch-hook"), which a watching engine follows with inotify instead of
polling. The event names were checked in the installed CLIs (claude 2.1.197, gemini-cli 0.61,
codex 0.171): see README "Hooks".
"""

from __future__ import annotations

import re

from tmuxorch.core.frozen import Frozen, frozen_record

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:  # kept light: the CLI's parser reads HOOKED for its help
    from tmuxorch.core.models import AgentState

REPORT_OPTION = "@tmuxorch-hook"
"""The pane option a hook sets; also the mark that tells our entries from the user's."""
DOORBELL_SUFFIX = ".tmuxorch-hook"
"""Appended to the tmux socket's path: the file a hook touches after each report."""


@frozen_record
class HookEvent(Frozen):
    """One event we hook: its name in the CLI's settings, the matcher that narrows it (Claude's
    Notification types, Gemini's), and the agent state it means."""

    name: str
    state: AgentState
    matcher: str | None = None

    @property
    def reported(self) -> str:
        """The event as the snippet reports it: "Notification:permission_prompt" when a matcher
        tells the cases of one event apart."""
        return f"{self.name}:{self.matcher}" if self.matcher else self.name


HOOKED: dict[str, tuple[HookEvent, ...]] = {
    "claude": (
        HookEvent("SessionStart", "idle"),
        HookEvent("UserPromptSubmit", "busy"),
        HookEvent("PreToolUse", "busy"),
        HookEvent("PostToolUse", "busy"),
        # The approval dialog as it opens; the permission_prompt notification can come later.
        HookEvent("PermissionRequest", "waiting"),
        HookEvent("Notification", "waiting", "permission_prompt"),
        HookEvent("Notification", "waiting", "elicitation_dialog"),
        HookEvent("Notification", "idle", "idle_prompt"),
        HookEvent("Stop", "idle"),
        HookEvent("StopFailure", "error"),
        HookEvent("SessionEnd", "exited"),
    ),
    "gemini": (
        HookEvent("SessionStart", "idle"),
        HookEvent("BeforeAgent", "busy"),
        HookEvent("BeforeTool", "busy"),
        HookEvent("AfterTool", "busy"),
        HookEvent("Notification", "waiting", "ToolPermission"),
        HookEvent("AfterAgent", "idle"),
        HookEvent("SessionEnd", "exited"),
    ),
    # Codex's `notify` runs one argv at the end of a turn (its JSON says agent-turn-complete).
    "codex": (HookEvent("agent-turn-complete", "idle"),),
}
"""Per kind, the events `tmuxorch hooks install` hooks, in the order they are written."""


ADVISORY = frozenset({"codex"})
"""Kinds whose reports never decide a state (`explain` still shows them). Codex 0.171's
`notify` says `agent-turn-complete` also for a side request (the thread title) while the main
reply still streams: 3.7 s early in the walks (docs/agent-sources.md). Its title is the live
source that tells instead."""
SUBMITTED: dict[str, str] = {"claude": "UserPromptSubmit", "gemini": "BeforeAgent"}
"""Per kind, the reported event that means "the CLI took a submitted prompt": a receipt
confirmed by it is surer than one the screen confirms (a paste summary hides the text)."""


@frozen_record
class HookReport(Frozen):
    """One report read back from a pane's `@tmuxorch-hook`: who said what, and when."""

    kind: str
    event: str
    state: AgentState
    at: float


_STATES = {kind: {e.reported: e.state for e in events} for kind, events in HOOKED.items()}
# compiled by re on its first use (a status bar with no hooked agent never uses it, issue 17)
_EPOCH = r"([0-9]{1,12})(?:\.([0-9]*|N))?"
"""Seconds, with a fraction or without; BSD date prints `%N` as a literal N (`1796188865.N`)."""


def parse_report(value: str) -> HookReport | None:
    """The report in a `@tmuxorch-hook` value; None when it is not one of ours (malformed, or
    an event or kind this version does not know: a newer snippet must not make a state up)."""
    parts = value.split()
    if len(parts) != 3:
        return None
    kind, event, at = parts
    state = _STATES.get(kind, {}).get(event)
    epoch = re.fullmatch(_EPOCH, at)
    if state is None or epoch is None:
        return None
    seconds, fraction = epoch.groups()
    if fraction and fraction != "N":
        return HookReport(kind, event, state, float(f"{seconds}.{fraction}"))
    return HookReport(kind, event, state, float(seconds))


_GUARDS = {"codex": "! grep -qs -- --managed-daemon /proc/$PPID/cmdline && "}
"""Per kind, a condition before reporting. Codex 0.171 runs turns, and so `notify`, in a shared
background server (`codex app-server --managed-daemon`) that keeps the environment of the pane
that started it: its $TMUX_PANE may name another pane, and a report on the wrong pane is worse
than none. `codex --no-daemon` runs them in the TUI itself, where $TMUX_PANE is right. Where
/proc is missing the check cannot tell, and the report is made."""


def report_snippet(kind: str, event: str, then: str = "exit 0") -> str:
    """The POSIX sh line a hook runs: report EVENT on our pane, ring the doorbell, then `then`.

    It does nothing outside tmux, prints nothing, and ends with status 0 whatever fails (a
    Claude PreToolUse hook that exits 2 blocks the tool). The doorbell is touched with `true`,
    not `:`: a failed redirection on a special builtin like `:` ends a non-interactive dash
    with status 2 before `exit 0` is reached.
    """
    return (
        f'[ -n "$TMUX_PANE" ] && {_GUARDS.get(kind, "")}tmux set-option -p -t "$TMUX_PANE" '
        f'{REPORT_OPTION} "{kind} {event} $(date +%s.%N)" >/dev/null 2>&1 '
        f'&& true 2>/dev/null >"${{TMUX%%,*}}{DOORBELL_SUFFIX}"; {then}'
    )
