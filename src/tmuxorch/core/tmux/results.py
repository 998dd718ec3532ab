"""The outcome of one tmux command, whichever path (control mode or fallback) ran it."""

from __future__ import annotations

from tmuxorch.core.errors import TmuxCommandError
from tmuxorch.core.frozen import Frozen, frozen_record

TYPE_CHECKING = False  # typing costs a status-bar read ~3 ms (cli/status_bar.py)
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Protocol


@frozen_record
class CommandResult(Frozen):
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


if TYPE_CHECKING:  # annotations only: imported under TYPE_CHECKING where used

    class Runner(Protocol):
        """Runs a batch of tmux commands (argv lists) and returns each one's result, in order:
        what a part of core that talks to tmux needs, without knowing the engine."""

        async def __call__(
            self,
            commands: Sequence[Sequence[str]],
            *,
            idempotent: bool = True,
            start_server: bool = False,
        ) -> list[CommandResult]: ...
