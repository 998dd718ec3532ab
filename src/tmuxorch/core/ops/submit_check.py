"""Has a message left the input box? What the screen says about a submission.

After a submit the cursor sits on an empty prompt; while the end of the text still sits on the
cursor line before the cursor (or the pane shows its kind's paste summary, e.g. Claude Code's
`[Pasted text #1 +3 lines]`), the message is still in the input box and Enter is pressed again.
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from collections.abc import Mapping, Sequence

from tmuxorch.core.agents.pane_reads import capture_command
from tmuxorch.core.engine import Engine
from tmuxorch.core.tmux.results import CommandResult

POLL = 0.05
"""How often a waiting submit check looks again."""


async def until_shown(
    engine: Engine, pane_ids: Sequence[str], tail: str, pasted: Pasted, deadline: float
) -> None:
    """Wait until the text shows in every pane's input, or `deadline` (a program that does not
    echo, or shows a long paste as a summary it has no `pasted` pattern for, never shows it:
    Enter goes anyway)."""
    while len(await still_in_input(engine, pane_ids, tail, pasted)) < len(pane_ids):
        if time.monotonic() > deadline:
            return
        await asyncio.sleep(POLL)


Pasted = Mapping[str, re.Pattern[str]]
"""Per pane, what its input line shows instead of a pasted message (the kind's
`submit.pasted`, e.g. Claude Code's `[Pasted text #1 +3 lines]`)."""


async def still_in_input(
    engine: Engine, pane_ids: Sequence[str], tail: str, pasted: Pasted
) -> set[str]:
    """Panes where the text just before the cursor still ends like the message, or shows the
    pane's `pasted` summary: the message is still in the input box (after a submit the cursor
    sits on an empty prompt)."""
    batch: list[list[str]] = []
    for pane_id in pane_ids:
        batch += [
            ["display-message", "-p", "-t", pane_id, "#{cursor_x} #{cursor_y}"],
            capture_command(pane_id),
        ]
    results = await engine.run(batch)
    return {
        pane_id
        for index, pane_id in enumerate(pane_ids)
        if _before_cursor(results[2 * index], results[2 * index + 1], tail, pasted.get(pane_id))
    }


def _before_cursor(
    cursor: CommandResult, screen: CommandResult, tail: str, pasted: re.Pattern[str] | None
) -> bool:
    """Does the cursor line, up to the cursor, end like the message (or show `pasted`)?"""
    if not (cursor.ok and screen.ok and cursor.lines):
        return False
    x_text, _, y_text = cursor.lines[0].partition(" ")
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
