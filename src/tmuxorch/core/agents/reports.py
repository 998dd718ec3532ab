"""One agent pane's state from all its sources: the screen, debounced, and the precise reports of
the agent itself (its hook, its session file, its terminal title).

Two kinds of precise source. A hook is an *event*: it says what happened at one moment, and says
nothing more if it is removed or the CLI stops calling it; so a hook's report counts only while it
is not older than the screen's current reading, and a hook that stopped reporting ages out by
itself the next time the screen's state changes. A session file and a terminal title are *live*:
the CLI keeps them current for as long as it runs, so they always count.

Among the reports that count, the newest wins (the most precise on a tie), at once: no debounce,
the agent says it. Two screen readings still outrank a live source that does not say the same:
a question on the screen (`waiting`) is the user's turn whatever a title says, and a screen we
do not understand (`unknown`) is never made to look understood. A question answered (no hook fires
on approval) is `busy` again as soon as the screen says so, being newer than the hook.

On a first look (a one-shot `status`, a pane just met) nobody saw the screen change, so a hook
report counts only where the screen agrees with it (it then lends its precise reason).
"""

from __future__ import annotations

from tmuxorch.core.agents.profiles import ScreenReading
from tmuxorch.core.frozen import Frozen, frozen_record
from tmuxorch.core.models import typing_aliases

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from tmuxorch.core.models import AgentState, StateSource

__annotation_names__ = typing_aliases  # what its annotations name (core/fields.py)

PRECISION: tuple[StateSource, ...] = ("hook", "session-file", "title")
"""Precise sources, most precise first (a tie in time goes to the first)."""


@frozen_record
class Report(Frozen):
    """What one precise source says: the state, why, and since when (the agent's own clock
    where it gives one, else when we first read it)."""

    state: AgentState
    source: StateSource
    reason: str
    at: float


@frozen_record
class Verdict(Frozen):
    """The state we publish, where it came from and why."""

    state: AgentState
    source: StateSource
    reason: str


class PaneSources:
    """Everything known about one agent pane's state, kept between sweeps."""

    def __init__(
        self,
        kind: str,
        screen: AgentState,
        screen_reason: str,
        screen_since: float | None,
        digest: int | None = None,
    ) -> None:
        self.kind = kind
        self.screen = screen
        self.screen_reason = screen_reason
        self.screen_since = screen_since
        """When the screen entered `screen`; None on a first look (nobody saw it change)."""
        self.digest = digest
        self.candidate: ScreenReading | None = None
        self.candidate_since = 0.0
        self.reports: dict[StateSource, Report] = {}
        self.verdict: Verdict | None = None
        self.since: float | None = None
        """When the published verdict's state began."""

    def note(self, report: Report | None, source: StateSource) -> None:
        """The latest report of `source` (None: it has nothing to say now)."""
        if report is None:
            self.reports.pop(source, None)
        else:
            self.reports[source] = report

    def decide(self) -> tuple[Verdict, float | None]:
        """The verdict now, and when its state began (see the module docstring)."""
        if self.screen == "exited":
            return Verdict("exited", "tmux", self.screen_reason), self.screen_since
        counted = [r for r in self.reports.values() if self._counts(r)]
        if not counted:
            return Verdict(self.screen, "screen", self.screen_reason), self.screen_since
        best = max(counted, key=lambda r: (r.at, -PRECISION.index(r.source)))
        if (
            best.source != "hook"
            and self.screen in ("waiting", "unknown")
            and best.state != self.screen
        ):
            return Verdict(self.screen, "screen", self.screen_reason), self.screen_since
        return Verdict(best.state, best.source, best.reason), best.at

    def _counts(self, report: Report) -> bool:
        if report.source != "hook":
            return True
        if self.screen_since is None:
            return report.state == self.screen
        return report.at >= self.screen_since
