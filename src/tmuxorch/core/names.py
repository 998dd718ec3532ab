"""Validation of names and words that users and clients hand to tmux.

tmux expands formats in session and window names (`#{host}`, `#(cmd)` runs a shell command), and
`:` `.` are target syntax; a leading `-` looks like an option. So such names are refused with a
message that says why, before tmux sees them (DESIGN.md safety rule 3).
"""

from __future__ import annotations

import re
import unicodedata

from tmuxorch.core.errors import BadInputError

MAX_NAME_LENGTH = 100
_FORBIDDEN = {
    "#": "'#', which starts tmux format syntax",
    ":": "':', which is tmux target syntax",
    ".": "'.', which is tmux target syntax",
}
_KIND = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_KEY = re.compile(
    r"(?:[CMS]-){0,3}(?:[!-~]|F(?:[1-9]|1[0-2])|Enter|Escape|Tab|BTab|BSpace|Space|Up|Down|Left|"
    r"Right|Home|End|PageUp|PageDown|PgUp|PgDn|PPage|NPage|DC|IC|KP[0-9]|KPEnter)"
)


def validate_name(name: str, what: str = "name") -> str:
    """Return `name` if tmux would keep it exactly, else raise BadInputError saying why."""
    if not name:
        raise BadInputError(f"{what} is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise BadInputError(f"{what} is {len(name)} characters long; at most {MAX_NAME_LENGTH}")
    if name.startswith("-"):
        raise BadInputError(f"{what} {name!r} starts with '-', which tmux reads as an option")
    for char in name:
        if char in _FORBIDDEN:
            raise BadInputError(f"{what} {name!r} contains {_FORBIDDEN[char]}")
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            raise BadInputError(f"{what} {name!r} contains a control character ({ord(char):#04x})")
    return name


def validate_kind(kind: str) -> str:
    """Agent kinds are short identifiers (`claude`, `codex`, `my-agent`)."""
    if not _KIND.fullmatch(kind):
        raise BadInputError(
            f"agent kind {kind!r} is not valid: use 1-32 lowercase letters, digits, '-' or '_'"
        )
    return kind


def validate_key(key: str) -> str:
    """A tmux key name (`C-c`, `Escape`, `Enter`, `M-x`, `F5`, a single character)."""
    if not _KEY.fullmatch(key):
        raise BadInputError(
            f"unknown key {key!r}: use tmux key names like C-c, Escape, Enter, Tab, Up, F5, M-x"
        )
    return key
