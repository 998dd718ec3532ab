"""Reading a screen (and a pane title) with a kind's profile.

States are checked in a fixed order against a region at the bottom of the visible screen:
`waiting` (an approval or a question outranks everything), then `idle_first` (a prompt on the
last line that beats old busy lines above it, for agents that leave them, like aider), then
`busy` (before `idle`: a busy agent still shows its prompt box), then `error`, then `idle`;
nothing matching is `unknown`. A pattern ending in `\\Z` looks at the last line of the region
only. The region is the last 25 non-empty lines unless the kind's `[region]` says otherwise:
old output further up (an error from an hour ago) must not decide the current state.
"""

from __future__ import annotations

import functools
import re

from tmuxorch.core.frozen import Frozen, frozen_record
from tmuxorch.core.models import typing_aliases

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from tmuxorch.core.models import AgentState

__annotation_names__ = typing_aliases  # what its annotations name (core/fields.py)


@frozen_record
class Rule(Frozen):
    """One pattern and where it is written (`codex.waiting[3]`, `_generic.busy[0]`,
    `agents.claude.busy[0]`): what `explain` shows as the reason for a state.

    Compiled on first use: a one-shot command loads every kind but reads the screens of a few
    (or none), and compiling the ~160 built-in patterns was most of its start (issue 17)."""

    name: str
    source: str
    flags: int = re.MULTILINE
    """Screen patterns: `^`/`$` match at every line of the region; title patterns use 0."""

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.source, self.flags)

    def __str__(self) -> str:
        return f"{self.name} {self.source}"


@frozen_record
class ScreenRegion(Frozen):
    """Which lines of the screen the patterns read (see kindfile.Region)."""

    tail_lines: int = 25
    after_last: re.Pattern[str] | None = None
    above: re.Pattern[str] | None = None

    def of(self, screen: str) -> tuple[str, ...]:
        """The lines of `screen` the patterns read."""
        lines = [line for line in screen.splitlines() if line.strip()][-self.tail_lines :]
        if self.after_last is not None:
            lines = _cut(lines, self.after_last, after=True)
        if self.above is not None:
            lines = _cut(lines, self.above, after=False)
        return tuple(lines)


def _cut(lines: list[str], pattern: re.Pattern[str], *, after: bool) -> list[str]:
    """The lines after (or above) the last one `pattern` matches; all of them if none does."""
    for index in range(len(lines) - 1, -1, -1):
        if pattern.search(lines[index]):
            return lines[index + 1 :] if after else lines[:index]
    return lines


@frozen_record
class ScreenReading(Frozen):
    """What a profile read on one screen: the state, the rule (`kind.group[index] pattern`)
    and the matched line that decided it (empty for `unknown`), and the lines it looked at."""

    state: AgentState
    rule: str
    line: str
    region: tuple[str, ...]

    @property
    def reason(self) -> str:
        """The rule and the line it matched; for a reading no rule made (a dead pane), its
        line."""
        if self.rule:
            return f"{self.rule} matched {self.line!r}"
        return self.line or "no screen rule matched"


@frozen_record
class AgentProfile(Frozen):
    """How to recognise one kind of agent, read its screen and drive it (from its kind file,
    see catalog.py; a kind nobody described gets these defaults)."""

    kind: str
    processes: tuple[str, ...]
    waiting: tuple[Rule, ...] = ()
    idle_first: tuple[Rule, ...] = ()
    """Idle patterns checked before `busy` (after `waiting`): a prompt on the last line says
    the agent is back even when an old busy line is still above it."""
    busy: tuple[Rule, ...] = ()
    error: tuple[Rule, ...] = ()
    idle: tuple[Rule, ...] = ()
    region: ScreenRegion = ScreenRegion()
    interrupt_keys: tuple[str, ...] = ("C-c",)
    interrupt_gap: float = 0.0
    """Seconds between the interrupt keys; 0 sends them in one write."""
    enter_delay: float | None = None
    """Seconds between a message and its Enter; None: the config's `enter_delay`."""
    pasted: re.Pattern[str] | None = None
    """What the input line shows instead of a pasted message (the message is not gone)."""
    titles: tuple[tuple[AgentState, Rule], ...] = ()
    """Pane-title rules, in the order they are tried (waiting, busy, idle)."""
    origin: str = "default"
    """Where the profile came from: `builtin`, a user's kind file, the config (`kinds`)."""

    def classify(self, screen: str) -> AgentState:
        """The state the visible screen shows."""
        return self.read(screen).state

    def read(self, screen: str) -> ScreenReading:
        """The state the visible screen shows, with the rule that decided it and the line it
        matched (for `explain`), and the region that was read."""
        region = self.region.of(screen)
        tail = "\n".join(region)
        groups: tuple[tuple[AgentState, tuple[Rule, ...]], ...] = (
            ("waiting", self.waiting),
            ("idle", self.idle_first),
            ("busy", self.busy),
            ("error", self.error),
            ("idle", self.idle),
        )
        for state, rules in groups:
            for rule in rules:
                found = rule.pattern.search(tail)
                if found is not None:
                    start = tail.rfind("\n", 0, found.start()) + 1
                    end = tail.find("\n", found.end())
                    lines = tail[start : end if end >= 0 else len(tail)].strip().splitlines()
                    # a pattern over several lines is shown by its first and last
                    line = lines[0] if len(lines) < 2 else f"{lines[0]} … {lines[-1].strip()}"
                    return ScreenReading(state, str(rule), line, region)
        return ScreenReading("unknown", "", "", region)

    def read_title(self, title: str) -> AgentState | None:
        """The state the pane title shows, or None when it says nothing we know."""
        for state, rule in self.titles:
            if rule.pattern.search(title):
                return state
        return None
