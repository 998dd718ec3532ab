"""The runner's restarts duty: an agent spawned with a restart policy that exits is started again
(core/ops/restarts.py decides by its policy and does it), after a capped backoff that doubles
with each restart: a command that crashes at once does not spin, and one that ran a while and
crashed comes back in half a second. Woken by `pane_died`; at the runner's start it looks at
the panes already dead (an exit while no tmuxorch ran)."""

from __future__ import annotations

from collections.abc import Callable

from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.events import Event, PaneDied
from tmuxorch.core.models import Snapshot
from tmuxorch.core.store.store import Store

FIRST_DELAY_S = 0.5
MAX_DELAY_S = 60.0
QUIET = frozenset({"no restart policy", "alive"})
"""What `revive` says of a pane that is none of this duty's business."""


def backoff(restarts: int) -> float:
    """Seconds from an exit to the start again: 0.5, 1, 2, 4 … up to a minute."""
    return min(MAX_DELAY_S, FIRST_DELAY_S * float(2 ** min(restarts, 16)))


class RestartDuty:
    def __init__(
        self, backend: Backend, server: str, store: Store, report: Callable[[str], None]
    ) -> None:
        self.backend, self._report = backend, report
        self._due: dict[str, float] = {}
        """Dead pane id -> when it may be started again."""
        self._scan = True

    def attach(self, wake: Callable[[], None]) -> None:
        pass  # it restarts within its pass

    async def close(self) -> None:
        pass

    async def reload(self) -> None:
        pass  # policies live in tmux, with their panes

    def feed(self, event: Event) -> bool:
        if isinstance(event, PaneDied):
            restarts = event.pane.restarts if event.pane is not None else 0
            self._due.setdefault(event.pane_id, event.at + backoff(restarts))
            return True  # the runner sleeps again, until this one is due
        if event.event in ("tmux_up", "resync"):
            self._scan = True
            return True
        return False

    def due(self, now: float) -> float | None:
        return min(self._due.values()) if self._due else None

    def ready(self, now: float) -> bool:
        return self._scan or any(at <= now for at in self._due.values())

    async def act(self, fleet: Snapshot, now: float) -> bool:
        if self._scan:
            self._scan = False
            for dead in fleet.panes():
                if dead.dead:
                    self._due.setdefault(dead.id, now + backoff(dead.restarts))
        for pane_id in [p for p, at in self._due.items() if at <= now]:
            del self._due[pane_id]
            pane = fleet.panes_by_id.get(pane_id)
            if pane is None or not pane.dead:
                continue
            try:
                revival = await self.backend.revive(pane_id)
            except TmuxorchError as exc:
                self._report(f"restart of {pane_id} failed: {exc}")
                continue
            if revival.restarted:  # looked at again then, whatever events say (a quick
                # death right after the start may show in no listing as alive: no pane_died)
                self._due[pane_id] = now + backoff(revival.restarts) + FIRST_DELAY_S
            elif revival.reason not in QUIET:
                self._report(f"{pane_id} exited ({revival.status}): {revival.reason}")
        return False  # its state is in tmux, not the store
