"""tmux's stable ids, `%N` a pane, `@N` a window, `$N` a session: the one place that tells an id
from a name. Everything is addressed by id (DESIGN.md safety rule 2), names shaped like ids are
refused (rule 7), and a TARGET shaped like an id is looked up as one, never as a name."""

from __future__ import annotations

from tmuxorch.core.errors import BadInputError

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Literal

    IdKind = Literal["pane", "window", "session"]

_SIGILS: dict[str, IdKind] = {"%": "pane", "@": "window", "$": "session"}


def id_kind(text: str) -> IdKind | None:
    """What `text` is the id of, or None when it is not shaped as one (ASCII digits only:
    tmux reads no other)."""
    number = text[1:]
    return _SIGILS.get(text[:1]) if number.isascii() and number.isdigit() else None


def require_id(text: str) -> IdKind:
    """`id_kind(text)`, or BadInputError when `text` is no id."""
    kind = id_kind(text)
    if kind is None:
        raise BadInputError(f"not a tmux id: {text!r} (expected %N, @N or $N)")
    return kind
