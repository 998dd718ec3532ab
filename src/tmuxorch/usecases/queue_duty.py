"""The runner's queue duty ("load balancing"): hands each pending task to one matching agent
that is idle, one task per agent at a time, and follows it until the agent is idle again.

A task goes only to an agent whose state is `idle` (never busy, waiting or unknown), through
the Backend's `send` (its receipts and audit); an agent that did not take it (the send skipped
or failed it) leaves the task pending for the next. A running task is done when its agent is
idle again after it was sent (its state changed since: it worked, then stopped), failed when
the agent is gone. Of the idle agents that match, the one idle the longest gets the task.
Wakes only for agent state events and structural ones; a paused queue only follows what runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tmuxorch.core.backend import Backend
from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.events import AgentStateChanged, Event
from tmuxorch.core.models import Pane, Receipt, Snapshot
from tmuxorch.core.store.store import Store
from tmuxorch.core.tasks.book import TaskBook
from tmuxorch.core.tasks.records import Task
from tmuxorch.usecases.schedule_duty import STRUCTURE

QUICK_DONE_S = 10.0
"""A task whose agent took it (delivered) and is still idle this long after: done, though it
was never seen at work (a job quicker than a sweep and the debounce, ~0.5 s)."""
TAKEN = frozenset({"delivered"})
STOPPED = "the runner stopped while sending it"
LOST_SEND_S = 120.0
"""A claimed task with no receipt this long after: its runner died before it sent it (a send,
its checks included, takes seconds at most)."""
"""The receipts that mean the agent has the task (an idle agent took it and submitted it)."""


def matches(task: Task, pane: Pane) -> bool:
    """Whether `pane`'s agent may be given `task` (its kind, session and agents, each if set)."""
    agent = pane.agent
    if agent is None:
        return False
    if task.kind is not None and agent.kind != task.kind:
        return False
    if task.session is not None and pane.session_id != task.session:
        return False
    return not task.agents or pane.id in task.agents


class QueueDuty:
    def __init__(
        self, backend: Backend, server: str, store: Store, report: Callable[[str], None]
    ) -> None:
        self.backend, self.server, self.book = backend, server, TaskBook(store)
        self._report = report
        self._open: list[Task] = []
        self._paused = False
        self._look = False
        self._sending: set[asyncio.Task[None]] = set()
        self._in_flight: set[int] = set()
        """The tasks this process is sending now (a running one with no receipt otherwise was
        claimed by a runner that died meanwhile)."""
        self._quick_looked: set[int] = set()
        """Running tasks looked at once QUICK_DONE_S after their send (never again by time)."""
        self._woken: Callable[[], None] = lambda: None

    async def reload(self) -> None:
        self._open = await self.book.store.run(self.book.open, self.server)
        self._paused = await self.book.store.run(self.book.paused, self.server)
        self._look = bool(self._open)

    def feed(self, event: Event) -> bool:
        if not self._open:
            return False
        if isinstance(event, AgentStateChanged) or event.event in STRUCTURE:
            self._look = True
        return self._look

    def due(self, now: float) -> float | None:
        """When a running task may be taken as quickly done (else only events move them)."""
        running = [t.dispatched + QUICK_DONE_S for t in self._open
                   if t.state == "running" and t.dispatched is not None
                   and t.id not in self._quick_looked]  # fmt: skip
        return min(running) if running else None

    def _quick(self, task: Task, now: float) -> bool:
        """Time to look once whether a running task was quickly done."""
        late = task.dispatched is not None and now >= task.dispatched + QUICK_DONE_S
        return late and task.id not in self._quick_looked

    def ready(self, now: float) -> bool:
        return self._look or any(t.state == "running" and self._quick(t, now) for t in self._open)

    async def act(self, fleet: Snapshot, now: float) -> bool:
        self._look = False
        busy: set[str] = set()
        wrote = False
        for task in self._open:
            if task.state == "running" and task.agent is not None:
                busy.add(task.agent)
                wrote |= await self._follow(task, fleet.panes_by_id.get(task.agent), now)
        if self._paused:
            return wrote
        idle = sorted(
            (p for p in fleet.panes() if p.agent is not None and p.agent.state == "idle"
             and p.id not in busy),
            key=lambda p: p.agent.since or 0.0 if p.agent is not None else 0.0,
        )  # fmt: skip
        for task in self._open:
            if task.state != "pending":
                continue
            pane = next((p for p in idle if matches(task, p)), None)
            if pane is None or not await self.book.store.run_write(
                self.book.dispatch, task, pane.id, now
            ):
                continue
            idle.remove(pane)
            wrote = True
            sending = asyncio.create_task(self._send(task.model_copy(update={"agent": pane.id})))
            self._sending.add(sending)
            self._in_flight.add(task.id)
            sending.add_done_callback(self._sending.discard)
        return wrote

    async def _send(self, task: Task) -> None:
        """Send a claimed task (as a task of its own: the runner goes on meanwhile, so other
        agents going idle get theirs at once); not taken, it is pending again."""
        assert task.agent is not None
        try:
            receipts = await self.backend.send([task.agent], task.text)
        except TmuxorchError as exc:
            await self.book.store.run_write(self.book.sent, task, [], False, str(exc))
            self._report(f"task {task.id}: {exc}")
            return
        except asyncio.CancelledError:  # the runner stops: the text may be typed already, so
            # the task stays with this agent (followed to idle as any), never sent twice
            cut = Receipt(target=task.agent, status="not_submitted", detail=STOPPED)
            self.book.sent(task, [cut], True, STOPPED)
            raise
        finally:
            self._in_flight.discard(task.id)
            self._woken()
        taken = all(r.status in TAKEN for r in receipts)
        why = "" if taken else "; ".join(f"{r.target} {r.status} {r.detail}" for r in receipts)
        await self.book.store.run_write(self.book.sent, task, receipts, taken, why)

    def attach(self, wake: Callable[[], None]) -> None:
        self._woken = wake

    async def close(self) -> None:
        for sending in list(self._sending):
            sending.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)

    async def _follow(self, task: Task, pane: Pane | None, now: float) -> bool:
        """A running task: failed when its agent is gone, done when it is idle again (then
        the next pass, at once, may give that agent the next task); claimed by a runner that
        died before its send said anything (SIGKILL), pending again for the next agent."""
        lost = not task.receipts and task.id not in self._in_flight
        if lost and task.dispatched is not None and now - task.dispatched > LOST_SEND_S:
            why = "its send was lost (the runner stopped): pending again"
            await self.book.store.run_write(self.book.sent, task, [], False, why)
            self._look = True
            return True
        if pane is None or pane.agent is None:
            failed = f"the agent {task.agent} no longer exists"
            await self.book.store.run_write(self.book.step, task, finished=now, failed=failed)
            self._report(f"task {task.id} failed: {failed}")
            return True
        changed = (pane.agent.since or 0.0) > (task.dispatched or now)
        taken = any(r.status in TAKEN for r in task.receipts)
        quick = self._quick(task, now)
        if quick:
            self._quick_looked.add(task.id)
        if not changed and taken and pane.agent.state == "idle" and quick:
            await self.book.store.run_write(self.book.step, task, started=now, finished=now)
            self._look = True
            return True
        if not changed:
            return False
        if pane.agent.state == "idle":
            await self.book.store.run_write(self.book.step, task, started=now, finished=now)
            self._look = True
            return True
        if task.started is None:
            await self.book.store.run_write(self.book.step, task, started=now)
            return True
        return False
