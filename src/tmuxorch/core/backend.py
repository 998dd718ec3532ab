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

from tmuxorch.core.events import Event
from tmuxorch.core.fields import annotation_names_getattr
from tmuxorch.core.models import Explanation, Receipt, Snapshot, Spawned

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Literal, Protocol

    ConnectionState = Literal[
        "disconnected", "connecting", "live", "reconnecting", "refused", "closed"
    ]
    """Where a link to a remote fleet is; a local backend has no link (None)."""
else:  # structural types for the checker: at run time nothing is checked against them
    Protocol = object
    __getattr__ = annotation_names_getattr(__name__)

CONNECTION_STATES: tuple[ConnectionState, ...] = (
    "disconnected", "connecting", "live", "reconnecting", "refused", "closed"
)  # fmt: skip


def __annotation_names__() -> dict[str, object]:
    """ConnectionState as typing makes it, for a runtime import of it (core/fields.py)."""
    from typing import Literal

    return {"ConnectionState": Literal[CONNECTION_STATES]}


if TYPE_CHECKING:  # what only the plans' commands use: their modules (and datetime) stay out
    from tmuxorch.core.restart_policy import RestartPolicy, Revival
    from tmuxorch.core.schedules.records import Schedule, ScheduleList
    from tmuxorch.core.schedules.when import Trigger
    from tmuxorch.core.tasks.records import Task, TaskList


class EventSubscription(Protocol):
    """A live stream of events; close it when done."""

    def __aiter__(self) -> AsyncIterator[Event]: ...

    @property
    def dropped(self) -> int:
        """How many events were lost because the reader fell behind (a resync follows)."""

    async def close(self) -> None: ...


class Backend(Protocol):
    """What the faces of tmuxorch need from wherever the tmux server is."""

    @property
    def label(self) -> str:
        """Where the fleet is: a socket path or a URL, shown to the user."""

    @property
    def connection_state(self) -> ConnectionState | None:
        """The link's state for a remote fleet; None when there is no link (local)."""

    @property
    def latency(self) -> float | None:
        """The link's last measured round trip in seconds; None locally or before one."""

    def attach_argv(self, pane_id: str, *, switch: bool = False) -> list[str] | None:
        """The command that puts the user's terminal on `pane_id` (a tmux attach for a local
        fleet; `switch` moves the tmux client tmuxorch runs in instead), or None when this
        backend cannot attach (a remote fleet)."""

    @property
    def schedule_server(self) -> str | None:
        """The key of this fleet's schedules in this machine's store (the tmux socket) when the
        fleet is on this machine, so a process watching it runs them; None for a remote fleet,
        whose own `tmuxorch serve` runs them."""

    async def snapshot(self, *, activity: bool = False, states: bool = True) -> Snapshot:
        """The whole fleet now, agents and their states included; `activity=True` adds each
        window's last activity time. `states=False` is for a caller that needs agents' kinds
        only (to resolve targets): a backend may then skip reading agents' screens, and an
        agent it has not seen yet says "unknown"."""

    async def subscribe(self) -> EventSubscription:
        """Events from now on (structure, agent states, tmux down/up)."""

    async def send(
        self, targets: Sequence[str], text: str, *, enter: bool = True, force: bool = False
    ) -> list[Receipt]:
        """Type `text` into each pane and submit it once; a receipt per pane."""

    async def keys(self, targets: Sequence[str], keys: Sequence[str]) -> list[Receipt]:
        """Press named keys in each pane."""

    async def interrupt(self, targets: Sequence[str]) -> list[Receipt]:
        """Interrupt each agent the way its CLI expects."""

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        """The last lines of a pane, sanitised."""

    async def explain(self, target: str) -> Explanation:
        """Why the agent pane `target` (an id) is in its state, and the screen region read."""

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
        restart: RestartPolicy | None = None,
    ) -> Spawned:
        """Start `command` in a new window of `session`, tagged as an agent of `kind`, in
        directory `cwd` (`~` is the spawning host's home) with `env` added to its environment;
        `fleet` labels the window as started by that fleet file (`Window.fleet`); with
        `restart`, it is started again in its pane when it exits (core/ops/restarts.py)."""

    async def revive(self, pane_id: str) -> Revival:
        """Start a dead pane's command again if its restart policy says so (the runner's
        restarts duty calls it); else say why not."""

    async def kill(self, target: str) -> None:
        """Kill a pane, window or session by id."""

    async def rename(self, target: str, name: str) -> None:
        """Rename a window or session by id."""

    async def schedule_add(self, targets: Sequence[str], text: str, trigger: Trigger) -> Schedule:
        """Store a schedule: `text` to the panes `targets` (ids) when `trigger` says."""

    async def schedules(self, *, everything: bool = False) -> ScheduleList:
        """The fleet's schedules (pending and lately ended; all with `everything`), and whether
        a process runs them now."""

    async def schedule_cancel(self, schedule_id: int) -> Schedule:
        """Cancel a pending schedule."""

    async def queue_add(
        self, text: str, *, kind: str | None = None, session: str | None = None,
        agents: Sequence[str] = (), priority: int = 0,
    ) -> Task:  # fmt: skip
        """Queue a task for the next idle agent that matches (`session`, `agents`: ids)."""

    async def queue(self, *, everything: bool = False) -> TaskList:
        """The fleet's task queue (open tasks and those ended in the last day; all with
        `everything`), whether it is paused, whether a process runs it now."""

    async def queue_cancel(self, task_id: int) -> Task:
        """Cancel a pending task."""

    async def queue_pause(self, paused: bool) -> TaskList:
        """Stop (or go on) handing out tasks; running ones are followed all the same."""

    async def close(self) -> None:
        """Release connections and background tasks."""
