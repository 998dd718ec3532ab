"""The runner's schedules duty: keeps the pending schedules of one server in memory, says when
the next is due, wakes for the events a when-idle or retried schedule waits on, and fires what
can fire (usecases/schedule_fire.py) through the Backend's `send`."""

from __future__ import annotations

from collections.abc import Callable

from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.events import AgentStateChanged, Event
from tmuxorch.core.models import Snapshot
from tmuxorch.core.schedules.book import ScheduleBook
from tmuxorch.core.schedules.records import Schedule
from tmuxorch.core.store.store import Store
from tmuxorch.usecases.schedule_fire import RETRY_S, look, retry_later, waiting_on

STRUCTURE = frozenset(
    {"pane_closed", "pane_died", "window_closed", "session_closed", "tmux_up", "resync"}
)
"""Events after which every waiting schedule is looked at again (a target may be gone)."""


class ScheduleDuty:
    def __init__(
        self, backend: Backend, server: str, store: Store, report: Callable[[str], None]
    ) -> None:
        self.backend, self.server, self.book = backend, server, ScheduleBook(store)
        self._report = report
        self._pending: dict[int, Schedule] = {}
        self._watched: dict[str, set[int]] = {}
        """Pane id -> the schedules an event about it may let fire."""
        self._look: set[int] = set()

    def attach(self, wake: Callable[[], None]) -> None:
        pass  # it sends within its pass

    async def close(self) -> None:
        pass

    async def reload(self) -> None:
        found = await self.book.store.run(self.book.pending, self.server)
        self._pending = {s.id: s for s in found}
        self._watched = {}
        for s in found:
            event_driven = s.trigger.kind == "when_idle" or s.remaining
            panes = list(s.remaining or s.targets) if event_driven else []
            if s.trigger.watch is not None:
                panes.append(s.trigger.watch)
            for pane in panes:
                self._watched.setdefault(pane, set()).add(s.id)
        self._look |= {s.id for s in found if s.trigger.kind == "when_idle"}

    def feed(self, event: Event) -> bool:
        if isinstance(event, AgentStateChanged):
            ids = self._watched.get(event.pane_id)
            if ids:
                self._look |= ids
                return True
        elif event.event in STRUCTURE and self._watched:
            self._look |= set().union(*self._watched.values())
            return True
        return False

    def due(self, now: float) -> float | None:
        dues = [s.next_due for s in self._pending.values() if s.next_due is not None]
        return min(dues) if dues else None

    def _candidates(self, now: float) -> list[int]:
        due = {i for i, s in self._pending.items() if s.next_due is not None and s.next_due <= now}
        return sorted((due | self._look) & self._pending.keys())

    def ready(self, now: float) -> bool:
        return bool(self._candidates(now))

    async def act(self, fleet: Snapshot, now: float) -> bool:
        candidates, self._look = self._candidates(now), set()
        wrote = False
        for schedule_id in candidates:
            schedule = self._pending[schedule_id]
            if waiting_on(schedule, fleet, now) is not None:
                continue
            try:
                outcome = await look(self.backend, schedule, fleet, now)
            except TmuxorchError as exc:  # the send failed as a whole (tmux gone): later
                self._report(f"schedule {schedule.id}: {exc}; trying again in {RETRY_S:g} s")
                outcome = retry_later(schedule, now, str(exc))
            written = await self.book.store.run_write(
                self.book.record, schedule, state=outcome.state, next_due=outcome.next_due,
                fired=outcome.fired, late=outcome.late, remaining=outcome.remaining,
                receipts=outcome.receipts, reason=outcome.reason, now=now,
            )  # fmt: skip
            wrote = True
            if outcome.state == "failed" and written:
                self._report(f"schedule {schedule.id} failed: {outcome.reason}")
        return wrote
