"""The runner: in whichever tmuxorch process watches a tmux server (the TUI, `serve`,
`tmuxorch watch`), does what was left to be done over time for that server (its duties: the
schedules, the task queue, restarts), exactly one process at a time.

Only the holder of the server's runner lock (core/store/runner_lock.py) runs; the others wait
for the lock, which passes on the moment its holder exits. The holder sleeps until the
soonest time a duty asks for, a ring of the store's doorbell (a schedule or a task was added
or cancelled in another process: every duty reads the store again) or an event a duty wants
(an agent going idle, a pane gone): no polling, however many schedules or tasks are pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from tmuxorch.core.agents.doorbell import Doorbell
from tmuxorch.core.backend import Backend, EventSubscription
from tmuxorch.core.events import Event
from tmuxorch.core.models import Snapshot
from tmuxorch.core.schedules.bell import bell_path
from tmuxorch.core.store.runner_lock import RunnerLock
from tmuxorch.core.store.store import Store
from tmuxorch.core.tmux.timeouts import within

log = logging.getLogger("tmuxorch.runner")
MAX_SLEEP_S = 3600.0
"""The longest sleep: a clock stepped forward (suspend, NTP) is noticed within the hour."""


class Duty(Protocol):
    """One kind of work the runner does (usecases/schedule_duty.py, usecases/queue_duty.py)."""

    async def reload(self) -> None:
        """Read what is pending from the store again."""
        ...

    def feed(self, event: Event) -> bool:
        """Take an event in; True when it may let something happen now (wake up)."""
        ...

    def due(self, now: float) -> float | None:
        """When it next has something to do by the clock (None: only on an event)."""
        ...

    def ready(self, now: float) -> bool:
        """Whether it has something to look at now (a fleet is taken for it)."""
        ...

    async def act(self, fleet: Snapshot, now: float) -> bool:
        """Do what can be done now; True when it wrote to the store (every duty reads the
        store again then: only then, so a pass that changed nothing reads nothing)."""
        ...

    def attach(self, wake: Callable[[], None]) -> None:
        """`wake()` makes the runner read the store again and look (work done off its loop)."""
        ...

    async def close(self) -> None:
        """Stop what it still does on its own."""
        ...


class Runner:
    """Runs `duties` for the server `backend` drives; `run` until cancelled."""

    def __init__(
        self, backend: Backend, server: str, store: Store, duties: Sequence[Duty],
        clock: Callable[[], float] = time.time,
    ) -> None:  # fmt: skip
        self.backend, self.server, self.store = backend, server, store
        self.duties = list(duties)
        self._clock = clock
        self._reload = True
        self._wake = asyncio.Event()
        self.running = False
        """True while this process holds the lock and runs the duties."""

    async def run(self) -> None:
        lock = RunnerLock(self.store.path, self.server)
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
        doorbell = Doorbell(bell_path(self.store.path), self._rung)
        doorbell.listen()
        for duty in self.duties:
            duty.attach(self._rung)
        subscription = await self.backend.subscribe()
        following = asyncio.create_task(self._follow(subscription))
        try:
            while True:
                self._wake.clear()  # before the pass: a ring during it is not lost
                await self._pass()
                with contextlib.suppress(TimeoutError):  # `within`: a cancel is never lost
                    await within(self._sleep(), self._wake.wait())
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
            for duty in self.duties:
                await duty.close()
            await subscription.close()
            doorbell.close()

    def _rung(self) -> None:
        self._reload = True
        self._wake.set()

    async def _follow(self, subscription: EventSubscription) -> None:
        async for event in subscription:
            woken = [duty.feed(event) for duty in self.duties]  # every duty sees it
            if any(woken):
                self._wake.set()

    def _sleep(self) -> float:
        now = self._clock()
        if any(duty.ready(now) for duty in self.duties):
            return 0.0  # a duty has more to do at once (a task ended: its agent is free)
        dues = [d for duty in self.duties if (d := duty.due(now)) is not None]
        return MAX_SLEEP_S if not dues else min(MAX_SLEEP_S, max(0.0, min(dues) - now))

    async def _pass(self) -> None:
        if self._reload:
            self._reload = False
            for duty in self.duties:
                await duty.reload()
        now = self._clock()
        ready = [duty for duty in self.duties if duty.ready(now)]
        if not ready:
            return
        fleet = await self.backend.snapshot()
        wrote = [await duty.act(fleet, now) for duty in ready]
        if any(wrote):
            self._reload = True  # what was written is read back, with whatever others changed


def _set_from_thread(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
        loop.call_soon_threadsafe(event.set)


def start_runner(backend: Backend, report: Callable[[str], None]) -> asyncio.Task[None] | None:
    """Run the duties of `backend`'s fleet in this process (once it gets the lock) until the
    task is cancelled; None for a fleet whose duties run elsewhere (a remote one)."""
    server = backend.schedule_server
    if server is None:
        return None
    return asyncio.create_task(_run_then_close(backend, server, report), name="tmuxorch-runner")


async def _run_then_close(backend: Backend, server: str, report: Callable[[str], None]) -> None:
    from tmuxorch.usecases.queue_duty import QueueDuty
    from tmuxorch.usecases.restart_duty import RestartDuty
    from tmuxorch.usecases.schedule_duty import ScheduleDuty

    store = Store()
    try:
        duties: list[Duty] = [
            ScheduleDuty(backend, server, store, report),
            QueueDuty(backend, server, store, report),
            RestartDuty(backend, server, store, report),
        ]
        await Runner(backend, server, store, duties).run()
    finally:
        store.close()


async def stop_runner(task: asyncio.Task[None] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
