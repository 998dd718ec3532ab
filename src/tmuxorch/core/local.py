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
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Protocol

from tmuxorch.core.agents.tracker import Sweep
from tmuxorch.core.backend import ConnectionState, EventSubscription
from tmuxorch.core.errors import SpawnFailedError, TmuxorchError
from tmuxorch.core.ids import require_id
from tmuxorch.core.models import Explanation, Receipt, Snapshot, Spawned
from tmuxorch.core.ops import operations
from tmuxorch.core.ops.delivery import deliver
from tmuxorch.core.ops.driver import Driver
from tmuxorch.core.tmux.server import TmuxServer

if TYPE_CHECKING:  # the store is opened (and imported) only by commands that change tmux
    from tmuxorch.core.store.audit import AuditLog

RESOLVED_REUSE = 2.0
"""Seconds a snapshot handed out stays good enough for `send`/`interrupt` on panes it holds:
what they take from it is each target's agent kind; they read each target's screen themselves
right before typing, and a pane gone since fails by its id."""

log = logging.getLogger("tmuxorch.audit")

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
        log.error("AUDIT LOG WRITE FAILED: changes to tmux go unrecorded: %s", problem)
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
        ...

    @property
    def watching(self) -> bool:
        """True while the engine follows the server's events (its agents' states are kept)."""
        ...

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

    @property
    def label(self) -> str:
        return str(self.engine.server.socket_path)

    @property
    def connection_state(self) -> ConnectionState | None:
        return None

    @property
    def latency(self) -> float | None:
        return None

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
        await self._record("spawn", [spawned.pane_id], [], argv)
        return spawned

    async def kill(self, target: str) -> None:
        await operations.kill(self.engine, target)
        await self._record("kill", [target], [])

    async def rename(self, target: str, name: str) -> None:
        await operations.rename(self.engine, target, name)
        await self._record("rename", [target], [], name)

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
