"""One look at the whole server: the commands a snapshot sends, and how their results become one.

The engine (a long-lived process, over control mode) and the one-shot engine (a plain `tmux`
process per batch, core/oneshot.py) list the same way through this: the sessions and panes, a
window's activity when asked, and in the same round trip tmux's version and the agents' tags
while they are not known yet (the tracker then needs no round trip of its own to detect agents).
"""

from __future__ import annotations

from collections.abc import Sequence

from tmuxorch.core.agents.tags import TAG_LISTING
from tmuxorch.core.agents.tracker import AgentTracker
from tmuxorch.core.models import Snapshot, TmuxInfo
from tmuxorch.core.tmux.chained import ServerNotRunningError
from tmuxorch.core.tmux.server import TmuxServer
from tmuxorch.core.tmux.snapshot import (
    LIST_SESSIONS,
    WINDOW_ACTIVITY,
    SnapshotParser,
    empty_snapshot,
)

TYPE_CHECKING = False  # typing costs a status-bar read ~3 ms (cli/status_bar.py)
if TYPE_CHECKING:
    from tmuxorch.core.tmux.results import Runner

_VERSION = ["display-message", "-p", "#{version}"]


class FleetListing:
    """Lists one server through `run`, remembering its version and feeding `agents` its tags."""

    def __init__(self, server: TmuxServer, run: Runner, agents: AgentTracker) -> None:
        self.server = server
        self._run = run
        self._agents = agents
        self.parser = SnapshotParser()
        self.version: str | None = None

    def commands(self, *, activity: bool = False) -> list[Sequence[str]]:
        """The commands one snapshot sends (the benchmark's floor sends them too)."""
        commands: list[Sequence[str]] = [LIST_SESSIONS, self.parser.list_panes]
        if activity:
            commands.append(WINDOW_ACTIVITY)
        return commands

    async def take(self, *, activity: bool = False) -> Snapshot:
        """Ask tmux for the server as it is now; a not-running snapshot when there is none."""
        commands = self.commands(activity=activity)
        tags = len(commands) if self._agents.knows_no_pane else None
        if tags is not None:
            commands.append(TAG_LISTING)
        if self.version is None:
            commands.append(_VERSION)
        try:
            results = await self._run(commands)
        except ServerNotRunningError:
            self.version = None  # the next server may be another tmux
            return empty_snapshot(self.info(running=False))
        if self.version is None and results[-1].ok and results[-1].lines:
            self.version = results[-1].lines[0]
        sessions, panes = results[0], results[1]
        if not sessions.ok and sessions.error.startswith("no server running"):
            return empty_snapshot(self.info(running=False))
        snapshot = self.parser.parse(
            sessions.check().lines,
            panes.check().lines,
            self.info(running=True),
            results[2].check().lines if activity else (),
        )
        if tags is not None:
            self._agents.take_tags(snapshot, results[tags].check())
        return snapshot

    def info(self, *, running: bool) -> TmuxInfo:
        """What a snapshot says of the server itself."""
        return TmuxInfo(
            socket=str(self.server.socket_path),
            version=self.version if running else None,
            running=running,
        )
