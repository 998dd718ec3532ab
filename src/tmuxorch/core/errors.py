"""Errors the engine raises, each mapped to one CLI exit status (DESIGN.md: 1 op failed, 2 bad
input, 3 tmux unreachable), so callers never need to parse messages."""

from __future__ import annotations


class TmuxorchError(Exception):
    """Base class: a failure the user should see as one clear line, never a traceback."""

    exit_code = 1


class BadInputError(TmuxorchError):
    """The user (or a client) asked for something malformed or nonexistent."""

    exit_code = 2


class TargetNotFoundError(BadInputError):
    """A TARGET string matched nothing; carries near matches to suggest."""

    def __init__(self, target: str, suggestions: list[str] | None = None) -> None:
        self.target = target
        self.suggestions = suggestions or []
        message = f"no such target: {target!r}"
        if self.suggestions:
            message += " (did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?)"
        super().__init__(message)


class AmbiguousTargetError(BadInputError):
    """A TARGET string matched more than one object; tmux would pick one silently, we refuse."""

    def __init__(self, target: str, ids: list[str]) -> None:
        self.target = target
        self.ids = ids
        super().__init__(
            f"ambiguous target: {target!r} matches {', '.join(ids)}; use one of these ids"
        )


class TmuxUnavailableError(TmuxorchError):
    """tmux is missing, the socket is not accessible, or the server stopped answering."""

    exit_code = 3


class TmuxCommandError(TmuxorchError):
    """tmux ran a command and reported an error for it."""

    def __init__(self, command: str, message: str) -> None:
        self.command = command
        self.message = message
        super().__init__(f"tmux {command}: {message}")


class SpawnFailedError(TmuxorchError):
    """A spawned command exited at once (not found, bad arguments, crashed): the message carries
    its exit status and last output; its window (which had pane `pane_id`) is gone."""

    def __init__(self, pane_id: str, message: str) -> None:
        self.pane_id = pane_id
        super().__init__(message)
