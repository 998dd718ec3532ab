"""The question a waiting agent asks, and its choices, read off its screen.

Two forms cover the approval prompts of the CLIs we know (tests/fixtures/screens, captured from
the real CLIs): numbered choices under a question (Claude Code `❯ 1. Yes`, Codex `› 1. Yes,
proceed (y)`, Gemini CLI `● 1. Allow once`, inside a box or not), picked by typing the number;
and aider's `Run shell command? (Y)es/(N)o/(D)on't ask again [Yes]:`, picked by the letter and
Enter. Anything else (opencode's row of buttons, Claude Code's unnumbered trust menu) reads as no
question: nothing is offered, so nothing is typed into a menu we do not understand.

Only the bottom of the screen is read, and only the last block of choices there: an old answered
question higher up in the scrollback must not be mistaken for the one asked now.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

TAIL_LINES = 30
"""How far up from the bottom a question is looked for."""

_FRAME = re.compile(r"^[\s│┃║|]+|[\s│┃║|]+$")
"""Box borders and indentation around a line (Gemini CLI draws its prompt in a box)."""
_NUMBERED = re.compile(r"^(?:[❯›●>▶]\s*)?(\d{1,2})\.\s+(\S.*?)$")
_LETTERED = re.compile(
    r"^(?P<question>.*?\?)\s+(?P<options>(?:\([A-Za-z]\)[\w' ]+/?)+)(?:\s*\[[^\]]*\])?:?$"
)
_OPTION = re.compile(r"\(([A-Za-z])\)([\w' ]+)")
_KEY_HINT = re.compile(r"\s+\((?:[a-z]|esc)\)$")
"""Codex's shortcut hint after a label: `Yes, proceed (y)`."""


@dataclass(frozen=True)
class Choice:
    """One answer: as numbered on screen, its label, and the keys that pick it."""

    number: int
    label: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    text: str
    choices: tuple[Choice, ...]

    def choice(self, number: int) -> Choice | None:
        return next((c for c in self.choices if c.number == number), None)


def read_question(screen: str) -> Question | None:
    """The question at the bottom of `screen` with its choices; None when there is none we can
    answer (see the module docstring)."""
    lines = [_FRAME.sub("", line) for line in screen.splitlines()]
    lines = [line for line in lines if line][-TAIL_LINES:]
    return _lettered(lines) or _numbered(lines)


def _numbered(lines: Sequence[str]) -> Question | None:
    """The last run of lines numbered 1, 2, 3…, and the last line ending in `?` above it."""
    found: list[tuple[int, int, str]] = []  # (line index, number, label)
    for index, line in enumerate(lines):
        match = _NUMBERED.match(line)
        if match is None:
            continue
        number, label = int(match[1]), _KEY_HINT.sub("", match[2]).strip()
        if number == 1 or (found and number != found[-1][1] + 1):
            found = []  # a new block starts (or the numbering broke): keep the last block
        if number == len(found) + 1:
            found.append((index, number, label))
    if len(found) < 2:
        return None
    first = found[0][0]
    asked = next((line for line in reversed(lines[:first]) if line.endswith("?")), None)
    if asked is None:
        return None
    choices = tuple(Choice(n, label, (str(n),)) for _, n, label in found)
    return Question(asked, choices)


def _lettered(lines: Sequence[str]) -> Question | None:
    """aider's `Question? (Y)es/(N)o [Yes]:` on the last line."""
    if not lines:
        return None
    match = _LETTERED.match(lines[-1])
    if match is None:
        return None
    options = _OPTION.findall(match["options"])
    choices = tuple(
        Choice(n, letter + rest.strip(), (letter.lower(), "Enter"))
        for n, (letter, rest) in enumerate(options, start=1)
    )
    return Question(match["question"].strip(), choices) if len(choices) >= 2 else None
