"""The task queue of the store (`tasks` and `queues`, migration 6).

Each change is one write transaction, and every step of a task is a compare-and-set on its
state (`pending` -> `running` -> `done`), so a `queue cancel` racing the runner is either
before a dispatch (nothing is sent) or after it (the cancel says it is running). Adding,
cancelling, pausing and resuming ring the store's doorbell (core/schedules/bell.py), which
wakes the process that runs the queue.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.models import Receipt
from tmuxorch.core.schedules.bell import ring
from tmuxorch.core.store.store import Store
from tmuxorch.core.tasks.records import Task

LISTED_ENDED_S = 24 * 3600.0
"""How long a finished task stays in `queue list` (`--all` shows every one)."""
_COLUMNS = (
    "id, server, text, created, kind, session, agents, priority, state, agent, dispatched, "
    "started, finished, receipts, reason"
)
_ORDER = "ORDER BY priority DESC, id"


def _task(row: sqlite3.Row) -> Task:
    return Task(
        id=row["id"], server=row["server"], text=row["text"], created=row["created"],
        kind=row["kind"], session=row["session"], agents=tuple(json.loads(row["agents"])),
        priority=row["priority"], state=row["state"], agent=row["agent"],
        dispatched=row["dispatched"], started=row["started"], finished=row["finished"],
        receipts=tuple(Receipt(**r) for r in json.loads(row["receipts"])), reason=row["reason"],
    )  # fmt: skip


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class TaskBook:
    """The task queues of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self, server: str, text: str, *, kind: str | None, session: str | None,
        agents: Sequence[str], priority: int, now: float,
    ) -> Task:  # fmt: skip
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO tasks (server, text, created, kind, session, agents, priority, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')",
                (server, text, now, kind, session, _json(list(agents)), priority),
            )
            task_id = int(cursor.lastrowid or 0)
        ring(self.store.path)
        return self.get(task_id)

    def get(self, task_id: int) -> Task:
        rows = self.store.query(f"SELECT {_COLUMNS} FROM tasks WHERE id = ?", (task_id,))
        if not rows:
            raise BadInputError(f"no such task: {task_id}")
        return _task(rows[0])

    def listed(
        self, server: str, *, everything: bool = False, now: float | None = None
    ) -> list[Task]:
        """Open tasks (pending, running) by priority, then those ended in the last day."""
        since = 0.0 if everything else (now or time.time()) - LISTED_ENDED_S
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM tasks WHERE server = ? AND (state IN ('pending', "
            f"'running') OR finished >= ? OR (state = 'cancelled' AND created >= ?)) {_ORDER}",
            (server, since, since),
        )
        return [_task(row) for row in rows]

    def open(self, server: str) -> list[Task]:
        """The pending and running tasks of `server`: what the runner looks after."""
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM tasks WHERE server = ? "
            f"AND state IN ('pending', 'running') {_ORDER}",
            (server,),
        )
        return [_task(row) for row in rows]

    def paused(self, server: str) -> bool:
        rows = self.store.query("SELECT paused FROM queues WHERE server = ?", (server,))
        return bool(rows and rows[0]["paused"])

    def pause(self, server: str, paused: bool) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO queues (server, paused) VALUES (?, ?) "
                "ON CONFLICT (server) DO UPDATE SET paused = excluded.paused",
                (server, int(paused)),
            )
        ring(self.store.path)

    def cancel(self, server: str, task_id: int, now: float) -> Task:
        """A pending task is dropped; a running one is no longer followed (its agent is not
        interrupted: `tmuxorch interrupt` does that), so that agent can take the next."""
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT state, server FROM tasks WHERE id = ?", (task_id,)
            ).fetchone()
            if row is None or row["server"] != server:
                raise BadInputError(f"no such task on this tmux server: {task_id}")
            if row["state"] not in ("pending", "running"):
                raise BadInputError(f"task {task_id} is {row['state']} already")
            conn.execute(
                "UPDATE tasks SET state = 'cancelled', finished = ? WHERE id = ? "
                "AND state IN ('pending', 'running')",
                (now, task_id),
            )
        ring(self.store.path)
        return self.get(task_id)

    def dispatch(self, task: Task, agent: str, now: float) -> bool:
        """Claim `task` for `agent` before sending it; False when it is no longer pending or
        the agent has a running task already (one task per agent at a time)."""
        with self.store.transaction() as conn:
            busy = conn.execute(
                "SELECT 1 FROM tasks WHERE server = ? AND state = 'running' AND agent = ?",
                (task.server, agent),
            ).fetchone()
            if busy is not None:
                return False
            cursor = conn.execute(
                "UPDATE tasks SET state = 'running', agent = ?, dispatched = ? "
                "WHERE id = ? AND state = 'pending'",
                (agent, now, task.id),
            )
            return cursor.rowcount == 1

    def sent(self, task: Task, receipts: Sequence[Receipt], taken: bool, reason: str) -> None:
        """The send's receipts (kept whatever the task's state is by now: a quick agent may
        be done already); not `taken`, the task is pending again, for another agent."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE tasks SET receipts = ?, reason = ? WHERE id = ?",
                (_json([r.model_dump() for r in receipts]), reason, task.id),
            )
            if not taken:
                conn.execute(
                    "UPDATE tasks SET state = 'pending', agent = NULL, dispatched = NULL, "
                    "started = NULL WHERE id = ? AND state = 'running'",
                    (task.id,),
                )

    def step(self, task: Task, *, started: float | None = None, finished: float | None = None,
             failed: str | None = None) -> None:  # fmt: skip
        """A running task seen at work (`started`), idle again (`finished`: done), or lost."""
        state = "failed" if failed is not None else "done" if finished is not None else "running"
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE tasks SET state = ?, started = COALESCE(started, ?), finished = ?, "
                "reason = CASE WHEN ? IS NULL THEN reason ELSE ? END "
                "WHERE id = ? AND state = 'running'",
                (state, started, finished, failed, failed, task.id),
            )
