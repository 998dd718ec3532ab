"""The outcome of one tmux command, whichever path (control mode or fallback) ran it."""

from __future__ import annotations

from dataclasses import dataclass

from tmuxorch.core.errors import TmuxCommandError


@dataclass(frozen=True, slots=True)
class CommandResult:
    """Output lines of one command, or the error tmux gave for it."""

    command: str
    ok: bool
    lines: tuple[str, ...]

    @property
    def error(self) -> str:
        """tmux's error message (empty when the command succeeded)."""
        return "" if self.ok else "\n".join(self.lines)

    def check(self) -> CommandResult:
        """Raise TmuxCommandError when tmux reported an error; return self otherwise."""
        if not self.ok:
            raise TmuxCommandError(self.command, self.error or "failed")
        return self
