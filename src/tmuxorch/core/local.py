"""LocalBackend: the Backend for a tmux server on this machine, served by an embedded engine.

The engine is the long-lived one (core/engine.py: control mode, events, asyncio) or, for a
one-shot command, the one-shot engine (core/oneshot.py: a plain `tmux` process per batch, no
event loop); both are a `LocalEngine`, and everything here and in the operations is the same
for either.

Targets are tmux ids here: callers resolve TARGET strings against a snapshot first (DESIGN.md
safety rule 2). Every operation that changes tmux is written to the audit log, with who asked.
An audit write that fails (the store corrupted or gone) does not turn what happened in tmux into
a failure: a send that was typed is reported delivered, or a caller would type it again. The
failure is logged loudly (once per cause) and told to whoever collects it (`audit_problems`:
the server puts it in its response).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar

from tmuxorch.core.backend import EventSubscription
from tmuxorch.core.errors import SpawnFailedError, TmuxorchError
from tmuxorch.core.ids import require_id
from tmuxorch.core.models import Explanation, Receipt, Snapshot, Spawned
from tmuxorch.core.ops import operations
from tmuxorch.core.ops.delivery import deliver
from tmuxorch.core.ops.driver import Driver
from tmuxorch.core.tmux.server import TmuxServer

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Protocol
else:  # structural types for the checker: at run time nothing is checked against them
    Protocol = object

if TYPE_CHECKING:  # the store is opened (and imported) only by commands that change tmux
    from tmuxorch.core.agents.tracker import Sweep
    from tmuxorch.core.backend import ConnectionState
    from tmuxorch.core.restart_policy import RestartPolicy, Revival
    from tmuxorch.core.schedules.book import ScheduleBook
    from tmuxorch.core.schedules.records import Schedule, ScheduleList
    from tmuxorch.core.schedules.when import Trigger
    from tmuxorch.core.store.audit import AuditLog
    from tmuxorch.core.store.store import Store
    from tmuxorch.core.tasks.book import TaskBook
    from tmuxorch.core.tasks.records import Task, TaskList

RESOLVED_REUSE = 2.0
"""Seconds a snapshot handed out stays good enough for `send`/`interrupt` on panes it holds:
what they take from it is each target's agent kind; they read each target's screen themselves
right before typing, and a pane gone since fails by its id."""

_problems: ContextVar[list[str] | None] = ContextVar("tmuxorch_audit_problems", default=None)
_told: set[str] = set()
"""The audit failures already logged loudly (later ones with the same cause are not)."""
_TOLD_MAX = 100


@contextlib.contextmanager
def audit_problems() -> Iterator[list[str]]:
    """Collect why the audit entries of the operations the body runs (in this task) could not
    be written: empty when they all were."""
    problems: list[str] = []
    reset = _problems.set(problems)
    try:
        yield problems
    finally:
        _problems.reset(reset)


def _audit_failed(op: str, exc: Exception) -> None:
    cause = str(exc) or type(exc).__name__
    problem = f"{op} ran but is not in the audit log: {cause}"
    if cause not in _told:
        if len(_told) >= _TOLD_MAX:
            _told.clear()
        _told.add(cause)
        import logging  # on a failure only: a one-shot command that logs nothing skips ~3 ms

        logging.getLogger("tmuxorch.audit").error(
            "AUDIT LOG WRITE FAILED: changes to tmux go unrecorded: %s", problem
        )
    collected = _problems.get()
    if collected is not None:
        collected.append(problem)


class LocalEngine(Driver, Protocol):
    """What LocalBackend needs of its engine (core/engine.py's Engine, core/oneshot.py's
    OneShotEngine): the operations' driver, and snapshots, events and a lifetime."""

    @property
    def server(self) -> TmuxServer: ...

    @property
    def generation(self) -> int:
        """Changes whenever anything may have changed tmux."""

    @property
    def watching(self) -> bool:
        """True while the engine follows the server's events (its agents' states are kept)."""

    async def snapshot(self, *, activity: bool = False) -> Snapshot: ...

    async def fleet(self, *, activity: bool = False, sweep: Sweep = "unseen") -> Snapshot: ...

    async def subscribe(self) -> EventSubscription: ...

    async def close(self) -> None: ...


class LocalBackend:
    """The Backend for a tmux server on this machine, served by an embedded engine."""

    def __init__(
        self, engine: LocalEngine, audit: AuditLog | None = None, actor: str | None = None
    ):
        self.engine = engine
        self.audit = audit
        self._actor = actor
        self.settings = engine.agents.settings
        self._recent: tuple[int, float, Snapshot] | None = None
        """(engine generation, monotonic time, snapshot) of the last snapshot handed out."""
        self._own_store: Store | None = None

    @property
    def label(self) -> str:
        return str(self.engine.server.socket_path)

    @property
    def connection_state(self) -> ConnectionState | None:
        return None

    @property
    def latency(self) -> float | None:
        return None

    @property
    def schedule_server(self) -> str | None:
        return self.label

    def attach_argv(self, pane_id: str, *, switch: bool = False) -> list[str] | None:
        """`tmux` showing `pane_id`: `switch` moves the current tmux client over (tmuxorch runs
        inside tmux), else a new client attaches in this terminal."""
        socket = str(self.engine.server.socket_path)
        select = ["select-window", "-t", pane_id, ";", "select-pane", "-t", pane_id]
        last = ["switch-client", "-t", pane_id] if switch else ["attach-session", "-t", pane_id]
        return ["tmux", "-S", socket, *select, ";", *last]

    async def snapshot(self, *, activity: bool = False, states: bool = True) -> Snapshot:
        sweep: Sweep = "none" if not states else "unseen" if self.engine.watching else "all"
        snapshot = await self.engine.fleet(activity=activity, sweep=sweep)
        self._recent = (self.engine.generation, time.monotonic(), snapshot)
        return snapshot

    async def _targets(self, pane_ids: Sequence[str]) -> Snapshot:
        """A snapshot with agent kinds that holds `pane_ids`, for an operation that reads its
        targets' screens itself (send, interrupt): the one the caller resolved them on a moment
        ago when it is recent and nothing of ours changed tmux since (a CLI `send` lists once),
        else a new listing without a sweep of every agent's screen."""
        if self._recent is not None:
            generation, taken, snapshot = self._recent
            recent = time.monotonic() - taken < RESOLVED_REUSE
            held = all(pid in snapshot.panes_by_id for pid in pane_ids)
            if generation == self.engine.generation and recent and held:
                return snapshot
        return await self.engine.fleet(sweep="none")

    async def subscribe(self) -> EventSubscription:
        return await self.engine.subscribe()

    async def send(
        self, targets: Sequence[str], text: str, *, enter: bool = True, force: bool = False
    ) -> list[Receipt]:
        receipts = await deliver(
            self.engine, await self._targets(targets), targets, text, enter=enter, force=force,
            enter_delay=self.settings.enter_delay, submit_timeout=self.settings.submit_timeout,
        )  # fmt: skip
        await self._record("send", targets, receipts, text)
        return receipts

    async def keys(self, targets: Sequence[str], keys: Sequence[str]) -> list[Receipt]:
        receipts = await operations.send_keys(
            self.engine, await self.engine.snapshot(), targets, keys
        )
        await self._record("keys", targets, receipts, " ".join(keys))
        return receipts

    async def interrupt(self, targets: Sequence[str]) -> list[Receipt]:
        receipts = await operations.interrupt(self.engine, await self._targets(targets), targets)
        await self._record("interrupt", targets, receipts)
        return receipts

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        return await operations.capture(self.engine, target, lines, colours=colours)

    async def explain(self, target: str) -> Explanation:
        require_id(target)
        return await self.engine.agents.explain(await self.snapshot(), target)

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
        argv = json.dumps(list(command), ensure_ascii=False)  # audited as the argv it is
        try:
            spawned = await operations.spawn(
                self.engine, await self.engine.snapshot(), session, command,
                name=name, kind=kind, cwd=cwd, env=env, fleet=fleet,
            )  # fmt: skip
        except SpawnFailedError as exc:  # it ran, if only for a moment: that is audited too
            failed = Receipt(target=exc.pane_id, status="failed", detail=str(exc))
            await self._record("spawn", [exc.pane_id], [failed], argv)
            raise
        if restart is not None:
            await self._keep_restarting(spawned, restart, command)
        await self._record("spawn", [spawned.pane_id], [], argv)
        return spawned

    async def _keep_restarting(
        self, spawned: Spawned, policy: RestartPolicy, command: Sequence[str]
    ) -> None:
        from tmuxorch.core.ops.restarts import policy_commands

        fleet = await self.engine.fleet(sweep="none")
        pane = fleet.panes_by_id.get(spawned.pane_id)
        cwd = pane.cwd if pane is not None else "/"
        setup = policy_commands(spawned, policy, operations.host_command(command), cwd)
        for result in await self.engine.run(setup, idempotent=False):
            result.check()

    async def revive(self, pane_id: str) -> Revival:
        from tmuxorch.core.ops.restarts import revive

        require_id(pane_id)
        revival = await revive(self.engine, pane_id)
        if revival.restarted:
            await self._record("restart", [pane_id], [], f"restart {revival.restarts}")
        return revival

    async def kill(self, target: str) -> None:
        await operations.kill(self.engine, target)
        await self._record("kill", [target], [])

    async def rename(self, target: str, name: str) -> None:
        await operations.rename(self.engine, target, name)
        await self._record("rename", [target], [], name)

    async def schedule_add(self, targets: Sequence[str], text: str, trigger: Trigger) -> Schedule:
        from tmuxorch.core.errors import BadInputError
        from tmuxorch.core.schedules.when import checked

        now = time.time()
        checked(trigger, now)
        fleet = await self._targets([*targets, *([trigger.watch] if trigger.watch else [])])
        for pane_id in [*targets, *([trigger.watch] if trigger.watch else [])]:
            if require_id(pane_id) != "pane" or pane_id not in fleet.panes_by_id:
                raise BadInputError(f"no such pane: {pane_id}")
        if not targets:
            raise BadInputError("a schedule needs at least one target")
        book = self._schedule_book()
        added = await book.store.run_write(book.add, self.label, targets, text, trigger, now)
        await self._record("schedule.add", targets, [], text)
        return added

    async def schedules(self, *, everything: bool = False) -> ScheduleList:
        from tmuxorch.core.schedules.records import ScheduleList
        from tmuxorch.core.store.runner_lock import someone_runs

        book = self._schedule_book()
        found = await book.store.run(book.listed, self.label, everything=everything)
        return ScheduleList(
            schedules=tuple(found), running=someone_runs(book.store.path, self.label)
        )

    async def schedule_cancel(self, schedule_id: int) -> Schedule:
        book = self._schedule_book()
        cancelled = await book.store.run_write(book.cancel, self.label, schedule_id, time.time())
        await self._record("schedule.cancel", cancelled.targets, [], f"schedule {schedule_id}")
        return cancelled

    def _schedule_book(self) -> ScheduleBook:
        from tmuxorch.core.schedules.book import ScheduleBook

        return ScheduleBook(self._store())

    def _task_book(self) -> TaskBook:
        from tmuxorch.core.tasks.book import TaskBook

        return TaskBook(self._store())

    def _store(self) -> Store:
        """The audit log's store (the user's database when there is none): schedules and the
        queue are kept beside it."""
        if self._own_store is None:
            from tmuxorch.core.store.store import Store

            self._own_store = self.audit.store if self.audit is not None else Store()
        return self._own_store

    async def queue_add(
        self, text: str, *, kind: str | None = None, session: str | None = None,
        agents: Sequence[str] = (), priority: int = 0,
    ) -> Task:  # fmt: skip
        from tmuxorch.core.errors import BadInputError
        from tmuxorch.core.ops.delivery import validate_message

        validate_message(text)
        if kind is not None and kind not in self.engine.agents.profiles:
            known = ", ".join(sorted(self.engine.agents.profiles))
            raise BadInputError(f"unknown kind {kind!r} (one of {known})")
        fleet = await self._targets(agents)  # the listing the caller resolved on, when recent
        if session is not None and (require_id(session) != "session" or not any(
            s.id == session for s in fleet.sessions
        )):  # fmt: skip
            raise BadInputError(f"no such session: {session}")
        for pane_id in agents:
            if require_id(pane_id) != "pane" or pane_id not in fleet.panes_by_id:
                raise BadInputError(f"no such pane: {pane_id}")
        book = self._task_book()
        added = await book.store.run_write(
            book.add, self.label, text, kind=kind, session=session, agents=agents,
            priority=priority, now=time.time(),
        )  # fmt: skip
        await self._record("queue.add", list(agents), [], text)
        return added

    async def queue(self, *, everything: bool = False) -> TaskList:
        from tmuxorch.core.store.runner_lock import someone_runs
        from tmuxorch.core.tasks.records import TaskList

        book = self._task_book()
        found = await book.store.run(book.listed, self.label, everything=everything)
        paused = await book.store.run(book.paused, self.label)
        running = someone_runs(book.store.path, self.label)
        return TaskList(tasks=tuple(found), paused=paused, running=running)

    async def queue_cancel(self, task_id: int) -> Task:
        book = self._task_book()
        cancelled = await book.store.run_write(book.cancel, self.label, task_id, time.time())
        await self._record("queue.cancel", list(cancelled.agents), [], f"task {task_id}")
        return cancelled

    async def queue_pause(self, paused: bool) -> TaskList:
        book = self._task_book()
        await book.store.run_write(book.pause, self.label, paused)
        await self._record("queue.pause" if paused else "queue.resume", [], [])
        return await self.queue()

    async def close(self) -> None:
        await self.engine.close()

    @property
    def actor(self) -> str:
        """Who the audit log says made a change: the one given, else the login name."""
        if self._actor is None:
            from tmuxorch.core.store.audit import local_actor

            self._actor = local_actor()
        return self._actor

    async def _record(
        self, op: str, targets: Sequence[str], receipts: Sequence[Receipt], text: str | None = None
    ) -> None:
        if self.audit is None:
            return
        import sqlite3

        try:
            await self.audit.arecord(
                self.actor, op, list(targets), [r.model_dump() for r in receipts], text
            )
        except (TmuxorchError, sqlite3.Error, OSError) as exc:
            _audit_failed(op, exc)
