"""What the operations need from whoever talks to tmux: the engine in a long-lived process,
the one-shot engine in a one-shot command (core/oneshot.py). Neither is named here, so an
operation loads no event loop unless its caller has one.

The clock is the driver's: delivery pauses before Enter and polls its submit check, spawn
polls a new pane. The engine waits on the event loop (its other work goes on); a one-shot
process blocks (nothing else runs in it), and its coroutines never suspend.
"""

from __future__ import annotations

from tmuxorch.core.agents.tracker import AgentTracker

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Protocol
else:  # structural types for the checker: at run time nothing is checked against them
    Protocol = object

if TYPE_CHECKING:
    from tmuxorch.core.tmux.results import Runner


class Driver(Protocol):
    """Runs batches of tmux commands, knows the agents, and waits."""

    @property
    def run(self) -> Runner:
        """Pipeline tmux commands (argv lists); `idempotent=False` for a batch that changes
        tmux."""

    @property
    def agents(self) -> AgentTracker:
        """Agent kinds, profiles and states."""

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds`."""
