"""Where a key of a TOML file is written: the line a validation error points the user at.

tomllib says where a syntax error is, but a parsed document keeps no positions, and "FILE:LINE:
key: problem" is what an editor jumps to. So the file is read once more, line by line: a table
header (`[a.b]`, `[[a.b]]`) sets the current table, a `key = ...` line names a key in it, and
every key path is mapped to the first line that writes it or anything under it. A key is taken
apart by tomllib itself (quoted and dotted keys included), never by hand. What sits inside an
inline table or an array has no line of its own: it gets its enclosing key's.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence

_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEY = re.compile(rf"{_PART}(?:\s*\.\s*{_PART})*")
_HEADER = re.compile(rf"\s*\[\[?\s*({_KEY.pattern})\s*\]")
_ASSIGNMENT = re.compile(rf"\s*({_KEY.pattern})\s*=")
Path = tuple[str, ...]


def _key_path(key: str) -> Path:
    """`a."b.c".d` as ('a', 'b.c', 'd'), read by tomllib."""
    node = tomllib.loads(f"{key} = 0")
    path: list[str] = []
    while isinstance(node, dict):
        (name, node), *_ = node.items()
        path.append(name)
    return tuple(path)


class KeyLines:
    """The line of each key path of one TOML text (which must parse)."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        table: Path = ()
        in_string = False
        for number, line in enumerate(text.splitlines(), start=1):
            quotes = line.count('"""') + line.count("'''")
            if in_string:
                in_string = quotes % 2 == 0
                continue
            in_string = quotes % 2 == 1  # a multi-line string starts here: its lines are text
            if header := _HEADER.match(line):
                table = _key_path(header.group(1))
                self._note(table, number)
            elif assignment := _ASSIGNMENT.match(line):
                self._note(table + _key_path(assignment.group(1)), number)

    def _note(self, path: Path, number: int) -> None:
        for end in range(1, len(path) + 1):
            self._lines.setdefault(path[:end], number)

    def line(self, loc: Sequence[str | int]) -> int | None:
        """The line of the longest leading part of `loc` (a validation error's location, whose
        list indexes have no line of their own) that the text writes; None for the top level."""
        path = tuple(part for part in loc if isinstance(part, str))
        for end in range(len(path), 0, -1):
            if (found := self._lines.get(path[:end])) is not None:
                return found
        return None
