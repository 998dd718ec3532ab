"""Validation of names and words that users and clients hand to tmux.

tmux expands formats in session and window names (`#{host}`, `#(cmd)` runs a shell command), and
`:` `.` are target syntax; a leading `-` looks like an option. tmux stores a session name with
`$` or `\\` escaped (`$HOME` becomes `\\$HOME`) and a renamed window's `\\` doubled, so the name
the user gave would never match again; a name shaped like an id (`$4`, `@1`, `%2`) would be read
as that id by every TARGET. Invisible format characters (U+200B, U+202E…) make a name that looks
like another one. So such names are refused with a message that says why, before tmux sees them
(DESIGN.md safety rules 3 and 7).
"""

from __future__ import annotations

import re

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.ids import id_kind

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Literal

MAX_NAME_LENGTH = 100
_FORBIDDEN = {
    "#": "'#', which starts tmux format syntax",
    ":": "':', which is tmux target syntax",
    ".": "'.', which is tmux target syntax",
}
_ESCAPED = {"\\": "'\\', which tmux stores escaped (as '\\\\')"}
_ESCAPED_IN_SESSIONS = {"$": "'$', which tmux stores escaped (as '\\$')", **_ESCAPED}
_INVISIBLE = {"Cc": "a control character", "Cf": "an invisible format character",
              "Zl": "a line separator", "Zp": "a paragraph separator"}  # fmt: skip
# Patterns, not compiled ones: re compiles (and caches) each on its first use, so a command that
# checks no such name pays nothing for it (a status bar, issue 17). So below too.
_KIND = r"[a-z0-9][a-z0-9_-]{0,31}"
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_KEY = (
    r"(?:[CMS]-){0,3}(?:[!-~]|F(?:[1-9]|1[0-2])|Enter|Escape|Tab|BTab|BSpace|Space|Up|Down|Left|"
    r"Right|Home|End|PageUp|PageDown|PgUp|PgDn|PPage|NPage|DC|IC|KP[0-9]|KPEnter)"
)


def validate_name(name: str, what: Literal["session", "window"]) -> str:
    """Return `name` if tmux would keep it exactly and no TARGET could read it as something
    else, else raise BadInputError saying why."""
    label = f"{what} name"
    if not name:
        raise BadInputError(f"{label} is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise BadInputError(f"{label} is {len(name)} characters long; at most {MAX_NAME_LENGTH}")
    if name.startswith("-"):
        raise BadInputError(f"{label} {name!r} starts with '-', which tmux reads as an option")
    if id_kind(name) is not None:
        raise BadInputError(f"{label} {name!r} reads as a tmux id: targets would mean that id")
    import unicodedata  # checking a name only (spawn, rename): a look loads none of it

    escaped = _ESCAPED_IN_SESSIONS if what == "session" else _ESCAPED
    for char in name:
        if char in _FORBIDDEN:
            raise BadInputError(f"{label} {name!r} contains {_FORBIDDEN[char]}")
        if char in escaped:
            raise BadInputError(f"{label} {name!r} contains {escaped[char]}")
        category = unicodedata.category(char)
        if category in _INVISIBLE:
            raise BadInputError(
                f"{label} {name!r} contains {_INVISIBLE[category]} (U+{ord(char):04X})"
            )
    return name


def validate_kind(kind: str) -> str:
    """Agent kinds are short identifiers (`claude`, `codex`, `my-agent`)."""
    if not re.fullmatch(_KIND, kind):
        raise BadInputError(
            f"agent kind {kind!r} is not valid: use 1-32 lowercase letters, digits, '-' or '_'"
        )
    return kind


def validate_env_name(name: str) -> str:
    """An environment variable's name as a shell takes it: `[A-Za-z_][A-Za-z0-9_]*` (a `=` in
    it would split `-e NAME=VALUE` elsewhere)."""
    if not re.fullmatch(_ENV_NAME, name):
        raise BadInputError(
            f"env name {name!r} is not valid: a letter or '_', then letters, digits or '_'"
        )
    return name


def is_key(word: str) -> bool:
    """Is `word` a tmux key name (`C-c`, `Escape`, `Enter`, `M-x`, `F5`, a single character)?"""
    return re.fullmatch(_KEY, word) is not None


def validate_key(key: str) -> str:
    """`key` if it is a tmux key name (see is_key), else BadInputError."""
    if not is_key(key):
        raise BadInputError(
            f"unknown key {key!r}: use tmux key names like C-c, Escape, Enter, Tab, Up, F5, M-x"
        )
    return key
