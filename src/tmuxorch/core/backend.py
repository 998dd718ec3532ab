"""The Backend interface: all the CLI and the TUI know about where the fleet lives.

`core.local.LocalBackend` embeds the engine; `client.RemoteBackend` (a WebSocket client)
implements the same protocol, so `--connect URL` swaps one for the other without the callers
knowing. What differs between them is declared here as capabilities (connection state, latency,
how to attach to a pane, dropped events), so no consumer ever asks which backend it holds.
Targets are tmux ids: callers resolve TARGET strings against a snapshot first (DESIGN.md safety
rule 2).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Literal, Protocol, runtime_checkable

from tmuxorch.core.events import Event
from tmuxorch.core.models import Explanation, Receipt, Snapshot, Spawned

ConnectionState = Literal["disconnected", "connecting", "live", "reconnecting", "refused", "closed"]
"""Where a link to a remote fleet is; a local backend has no link (None)."""


@runtime_checkable
class EventSubscription(Protocol):
    """A live stream of events; close it when done."""

    def __aiter__(self) -> AsyncIterator[Event]: ...

    @property
    def dropped(self) -> int:
        """How many events were lost because the reader fell behind (a resync follows)."""
        ...

    async def close(self) -> None: ...


class Backend(Protocol):
    """What the faces of tmuxorch need from wherever the tmux server is."""

    @property
    def label(self) -> str:
        """Where the fleet is: a socket path or a URL, shown to the user."""
        ...

    @property
    def connection_state(self) -> ConnectionState | None:
        """The link's state for a remote fleet; None when there is no link (local)."""
        ...

    @property
    def latency(self) -> float | None:
        """The link's last measured round trip in seconds; None locally or before one."""
        ...

    def attach_argv(self, pane_id: str, *, switch: bool = False) -> list[str] | None:
        """The command that puts the user's terminal on `pane_id` (a tmux attach for a local
        fleet; `switch` moves the tmux client tmuxorch runs in instead), or None when this
        backend cannot attach (a remote fleet)."""
        ...

    async def snapshot(self, *, activity: bool = False, states: bool = True) -> Snapshot:
        """The whole fleet now, agents and their states included; `activity=True` adds each
        window's last activity time. `states=False` is for a caller that needs agents' kinds
        only (to resolve targets): a backend may then skip reading agents' screens, and an
        agent it has not seen yet says "unknown"."""
        ...

    async def subscribe(self) -> EventSubscription:
        """Events from now on (structure, agent states, tmux down/up)."""
        ...

    async def send(
        self, targets: Sequence[str], text: str, *, enter: bool = True, force: bool = False
    ) -> list[Receipt]:
        """Type `text` into each pane and submit it once; a receipt per pane."""
        ...

    async def keys(self, targets: Sequence[str], keys: Sequence[str]) -> list[Receipt]:
        """Press named keys in each pane."""
        ...

    async def interrupt(self, targets: Sequence[str]) -> list[Receipt]:
        """Interrupt each agent the way its CLI expects."""
        ...

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        """The last lines of a pane, sanitised."""
        ...

    async def explain(self, target: str) -> Explanation:
        """Why the agent pane `target` (an id) is in its state, and the screen region read."""
        ...

    async def spawn(
        self,
        session: str,
        command: Sequence[str],
        *,
        name: str | None,
        kind: str | None,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        fleet: str | None = None,
    ) -> Spawned:
        """Start `command` in a new window of `session`, tagged as an agent of `kind`, in
        directory `cwd` (`~` is the spawning host's home) with `env` added to its environment;
        `fleet` labels the window as started by that fleet file (`Window.fleet`)."""
        ...

    async def kill(self, target: str) -> None:
        """Kill a pane, window or session by id."""
        ...

    async def rename(self, target: str, name: str) -> None:
        """Rename a window or session by id."""
        ...

    async def close(self) -> None:
        """Release connections and background tasks."""
        ...
