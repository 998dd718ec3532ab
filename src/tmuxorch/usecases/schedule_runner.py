"""The schedule runner: in whichever tmuxorch process watches a tmux server (the TUI, `serve`,
`tmuxorch watch`), fires that server's schedules, exactly one process at a time.

Only the holder of the server's runner lock (core/store/runner_lock.py) runs them; the others
wait for the lock, which passes on the moment its holder exits. The holder keeps the pending
schedules in memory and sleeps until the next due time, a ring of the schedules' doorbell
(one was added or cancelled: they are read again) or an event about a pane some schedule
waits on (an agent going idle, a skipped target's state changing, a pane gone): no polling,
whatever the number of schedules. After a start, what fell due while nothing ran fires once,
marked late (usecases/schedule_fire.py holds what a fire does).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from tmuxorch.core.agents.doorbell import Doorbell
from tmuxorch.core.backend import Backend, EventSubscription
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.events import AgentStateChanged, Event
from tmuxorch.core.schedules.bell import bell_path
from tmuxorch.core.schedules.book import ScheduleBook
from tmuxorch.core.schedules.records import Schedule
from tmuxorch.core.store.runner_lock import RunnerLock
from tmuxorch.core.store.store import Store
from tmuxorch.usecases.schedule_fire import RETRY_S, look, retry_later, waiting_on

log = logging.getLogger("tmuxorch.schedules")
STRUCTURE = frozenset(
    {"pane_closed", "pane_died", "window_closed", "session_closed", "tmux_up", "resync"}
)
"""Events after which every waiting schedule is looked at again (a target may be gone)."""
MAX_SLEEP_S = 3600.0
"""The longest sleep: a clock stepped forward (suspend, NTP) is noticed within the hour."""


class ScheduleRunner:
    """Runs the schedules of the server `backend` drives; `run` until cancelled."""

    def __init__(
        self, backend: Backend, server: str, store: Store,
        report: Callable[[str], None] = log.warning, clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.backend, self.server, self.book = backend, server, ScheduleBook(store)
        self._report, self._clock = report, clock
        self._pending: dict[int, Schedule] = {}
        self._watched: dict[str, set[int]] = {}
        """Pane id -> the schedules an event about it may let fire."""
        self._look: set[int] = set()
        self._reload = True
        self._wake = asyncio.Event()
        self.running = False
        """True while this process holds the lock and runs the schedules."""

    async def run(self) -> None:
        lock = RunnerLock(self.book.store.path, self.server)
        try:
            if not lock.try_acquire():
                got = asyncio.Event()
                loop = asyncio.get_running_loop()
                lock.acquire(lambda: _set_from_thread(loop, got))
                await got.wait()
            self.running = True
            await self._serve()
        finally:
            self.running = False
            lock.release()

    async def _serve(self) -> None:
        doorbell = Doorbell(bell_path(self.book.store.path), self._rung)
        doorbell.listen()
        subscription = await self.backend.subscribe()
        following = asyncio.create_task(self._follow(subscription))
        try:
            while True:
                await self._pass()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._sleep())
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
            await subscription.close()
            doorbell.close()

    def _rung(self) -> None:
        self._reload = True
        self._wake.set()

    async def _follow(self, subscription: EventSubscription) -> None:
        async for event in subscription:
            self.feed(event)

    def feed(self, event: Event) -> None:
        """Wake for an event some pending schedule waits on."""
        if isinstance(event, AgentStateChanged):
            ids = self._watched.get(event.pane_id)
            if ids:
                self._look |= ids
                self._wake.set()
        elif event.event in STRUCTURE and self._watched:
            self._look |= set().union(*self._watched.values())
            self._wake.set()

    def _sleep(self) -> float:
        dues = [s.next_due for s in self._pending.values() if s.next_due is not None]
        if not dues:
            return MAX_SLEEP_S
        return min(MAX_SLEEP_S, max(0.0, min(dues) - self._clock()))

    async def _pass(self) -> None:
        if self._reload:
            self._reload = False
            found = await self.book.store.run(self.book.pending, self.server)
            self._set_pending(found)
            self._look |= {s.id for s in found if s.trigger.kind == "when_idle"}
        now = self._clock()
        due = {i for i, s in self._pending.items() if s.next_due is not None and s.next_due <= now}
        candidates = sorted((due | self._look) & self._pending.keys())
        self._look = set()
        if not candidates:
            return
        fleet = await self.backend.snapshot()
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
            if outcome.state == "failed" and written:
                self._report(f"schedule {schedule.id} failed: {outcome.reason}")
        self._reload = True  # what was written is read back, with whatever others changed

    def _set_pending(self, schedules: list[Schedule]) -> None:
        self._pending = {s.id: s for s in schedules}
        self._watched = {}
        for s in schedules:
            panes = (
                list(s.remaining or s.targets)
                if s.trigger.kind == "when_idle" or s.remaining
                else []
            )
            if s.trigger.watch is not None:
                panes.append(s.trigger.watch)
            for pane in panes:
                self._watched.setdefault(pane, set()).add(s.id)


def _set_from_thread(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
        loop.call_soon_threadsafe(event.set)


def start_schedules(backend: Backend, report: Callable[[str], None]) -> asyncio.Task[None] | None:
    """Run the schedules of `backend`'s fleet in this process (when it gets the lock) until
    the task is cancelled; None for a fleet whose schedules run elsewhere (a remote one)."""
    server = backend.schedule_server
    if server is None:
        return None
    return asyncio.create_task(_run_then_close(backend, server, report), name="tmuxorch-schedules")


async def _run_then_close(backend: Backend, server: str, report: Callable[[str], None]) -> None:
    store = Store()
    try:
        await ScheduleRunner(backend, server, store, report=report).run()
    finally:
        store.close()


async def stop_schedules(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
