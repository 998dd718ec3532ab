"""Has a message left the input box? What the screen says about a submission.

After a submit the cursor sits on an empty prompt; while the end of the text still sits on the
cursor line before the cursor (or the pane shows its kind's paste summary, e.g. Claude Code's
`[Pasted text #1 +3 lines]`), the message is still in the input box and Enter is pressed again.
Where the agent's hook reports that it took a prompt (Claude Code's `UserPromptSubmit`, Gemini
CLI's `BeforeAgent`) after our Enter, that says so surely, paste summary or not.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Mapping, Sequence

from tmuxorch.core.agents.hook_events import REPORT_OPTION, SUBMITTED, parse_report
from tmuxorch.core.agents.pane_reads import capture_command
from tmuxorch.core.frozen import Frozen, frozen_record
from tmuxorch.core.ops.driver import Driver
from tmuxorch.core.tmux.results import CommandResult
from tmuxorch.core.tmux.snapshot import SEPARATOR

POLL = 0.05
"""How often a waiting submit check looks again."""


@frozen_record
class SubmitCheck(Frozen):
    """One look at the panes a message was typed into."""

    still: frozenset[str]
    """Panes whose input still holds the message (see `_before_cursor`)."""
    taken: frozenset[str]
    """Panes whose agent's hook reported, since `since`, that it took a prompt."""


async def until_shown(
    engine: Driver, pane_ids: Sequence[str], tail: str, pasted: Pasted, deadline: float
) -> None:
    """Wait until the text shows in every pane's input, or `deadline` (a program that does not
    echo, or shows a long paste as a summary it has no `pasted` pattern for, never shows it:
    Enter goes anyway)."""
    while len((await check_input(engine, pane_ids, tail, pasted)).still) < len(pane_ids):
        if time.monotonic() > deadline:
            return
        await engine.sleep(POLL)


Pasted = Mapping[str, re.Pattern[str]]
"""Per pane, what its input line shows instead of a pasted message (the kind's
`submit.pasted`, e.g. Claude Code's `[Pasted text #1 +3 lines]`)."""
_CURSOR_AND_REPORT = f"#{{cursor_x}} #{{cursor_y}}{SEPARATOR}#{{{REPORT_OPTION}}}"
_CLOCK_SLACK = 0.05
"""A hook's time is from `date` in another process: allow for the two clocks' readings."""


async def check_input(
    engine: Driver, pane_ids: Sequence[str], tail: str, pasted: Pasted, since: float | None = None
) -> SubmitCheck:
    """Which panes' input still holds the message: the text just before the cursor still ends
    like it, or shows the pane's `pasted` summary (after a submit the cursor sits on an empty
    prompt). With `since` (the time Enter was pressed), also which agents' hooks reported a
    prompt taken since then: their `@tmuxorch-hook` is read in the same round trip."""
    batch: list[list[str]] = []
    for pane_id in pane_ids:
        batch += [
            ["display-message", "-p", "-t", pane_id, _CURSOR_AND_REPORT],
            capture_command(pane_id),
        ]
    results = await engine.run(batch)
    still: set[str] = set()
    taken: set[str] = set()
    for index, pane_id in enumerate(pane_ids):
        cursor, screen = results[2 * index], results[2 * index + 1]
        position, _, reported = "\n".join(cursor.lines).partition(SEPARATOR)
        if _before_cursor(cursor.ok, position, screen, tail, pasted.get(pane_id)):
            still.add(pane_id)
        report = parse_report(reported) if since is not None and reported else None
        if (
            report is not None
            and since is not None
            and report.event == SUBMITTED.get(report.kind)
            and report.at >= since - _CLOCK_SLACK
        ):
            taken.add(pane_id)
    return SubmitCheck(frozenset(still), frozenset(taken))


def _before_cursor(
    ok: bool, position: str, screen: CommandResult, tail: str, pasted: re.Pattern[str] | None
) -> bool:
    """Does the cursor line, up to the cursor (`position`, "X Y"), end like the message (or
    show `pasted`)?"""
    if not (ok and screen.ok and position):
        return False
    x_text, _, y_text = position.partition(" ")
    if not (x_text.isdigit() and y_text.isdigit()) or int(y_text) >= len(screen.lines):
        return False
    before = columns_prefix(screen.lines[int(y_text)], int(x_text)).rstrip()
    if pasted is not None and pasted.search(before):
        return True
    overlap = min(len(tail), len(before))
    return overlap > 0 and before.endswith(tail[-overlap:])


def columns_prefix(line: str, columns: int) -> str:
    """The characters of `line` that fill its first `columns` terminal cells (wide characters,
    such as CJK and most emoji, take two)."""
    used = 0
    for index, char in enumerate(line):
        used += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if used > columns:
            return line[:index]
    return line
