"""The engine of a one-shot command: the same listing, tracker and operations as the engine,
each batch one plain `tmux` process, and no event loop.

Scripts and status bars run `tmuxorch status --json`, `capture`, `send` as a process, again and
again, so the whole process is what counts (issue 17): importing asyncio alone costs one of
them ~50 ms. So a one-shot command gets this engine instead of core/engine.py's: `run` is a
coroutine that never suspends (it runs `run_chained_now`, which waits in `subprocess`), its
clock blocks (`time.sleep`: nothing else runs in the process), and its store writes the
audit log in place (`Store(threads=False)`). A handler awaiting only these never suspends
either, and cli/main.py drives it with `coroutine.send(None)`.

It starts no control client (a handshake is where tmux 3.3a-3.6 can crash, docs/architecture.md
"tmux 3.3a crashes we avoid" 1.), takes the per-server HandshakeLock around every batch that
changes tmux as the engine does, starts a server only for a batch that asks to (`spawn`), and
has no event stream: commands that watch tmux run the engine.
"""

from __future__ import annotations

import time
from collections.abc import Coroutine, Sequence

from tmuxorch.core.agents.listing import FleetListing
from tmuxorch.core.agents.tracker import AgentTracker
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.tmux.chained import check_started, ready_to_chain, run_chained_now
from tmuxorch.core.tmux.results import CommandResult
from tmuxorch.core.tmux.server import TmuxServer

TYPE_CHECKING = False  # typing costs a status-bar read ~3 ms (cli/status_bar.py)
if TYPE_CHECKING:  # nor the Backend's module: a status bar's count needs only the snapshot
    from typing import TypeVar

    from tmuxorch.core.agents.tracker import Sweep
    from tmuxorch.core.backend import EventSubscription
    from tmuxorch.core.models import Snapshot
    from tmuxorch.core.store.config import Settings

    T = TypeVar("T")


def run_now(running: Coroutine[object, None, T], what: str) -> T:
    """Run a coroutine that awaits only the one-shot engine (it never suspends) in one step,
    with no event loop. One that suspends anyway awaits something of asyncio's: a bug, said at
    once rather than hung on (its `finally` blocks run as it is closed)."""
    try:
        running.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    running.close()
    raise RuntimeError(f"{what} waited on an event loop, which a one-shot command has not")


class OneShotEngine:
    """A LocalEngine (core/local.py) for one command that runs and exits."""

    def __init__(
        self, server: TmuxServer, *, timeout: float = 5.0, settings: Settings | None = None
    ) -> None:
        self.server = server
        self.timeout = timeout
        self.agents = AgentTracker(self.run, settings)
        self._listing = FleetListing(server, self.run, self.agents)
        self._generation = 0

    async def run(
        self,
        commands: Sequence[Sequence[str]],
        *,
        idempotent: bool = True,
        start_server: bool = False,
    ) -> list[CommandResult]:
        """`Runner`: the batch as plain `tmux` processes (core/tmux/chained.py); a batch that
        changes tmux holds the HandshakeLock, as in the engine (core/tmux/connection.py)."""
        if not commands:
            return []
        if idempotent:
            return self._chained(commands, start_server=start_server)
        try:
            from tmuxorch.core.tmux.handshake_lock import HandshakeLock  # a read needs none

            with HandshakeLock(self.server).held_now(self.timeout):
                return self._chained(commands, start_server=start_server)
        finally:
            self._generation += 1

    def _chained(
        self, commands: Sequence[Sequence[str]], *, start_server: bool
    ) -> list[CommandResult]:
        starting = ready_to_chain(self.server, start_server=start_server)
        results = run_chained_now(self.server, commands, self.timeout)
        if starting:
            check_started(self.server, results)
        return results

    async def sleep(self, seconds: float) -> None:
        """The clock: the process blocks (it has nothing else to do meanwhile)."""
        time.sleep(seconds)  # noqa: ASYNC251  # the point: this coroutine never suspends

    @property
    def generation(self) -> int:
        """Bumped by every batch that changes tmux."""
        return self._generation

    @property
    def watching(self) -> bool:
        return False

    async def snapshot(self, *, activity: bool = False) -> Snapshot:
        """The whole server, as tmux lists it now."""
        return await self._listing.take(activity=activity)

    async def fleet(self, *, activity: bool = False, sweep: Sweep = "unseen") -> Snapshot:
        """The snapshot with agents and their states (`AgentTracker.annotate`); the state
        changes a sweep settles are no one's news: nobody subscribes to a one-shot command."""
        annotated, _changes = await self.agents.annotate(
            await self.snapshot(activity=activity), sweep=sweep
        )
        return annotated

    async def subscribe(self) -> EventSubscription:
        raise TmuxorchError("a one-shot command has no event stream (bug: run the engine)")

    async def close(self) -> None:
        """Nothing to release: every batch's process has exited."""
