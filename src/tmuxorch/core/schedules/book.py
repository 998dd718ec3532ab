"""The schedules of the store (`schedules` table, migration 5): add, list, cancel, and the
runner's reads and writes of what it fired.

Every change is one write transaction, so a `schedule cancel` racing the runner's fire is
either before it (nothing is sent) or after it (the fire stands, the cancel says so). Adding
or cancelling rings the schedules' doorbell (core/schedules/bell.py): the process that runs the
schedules sleeps until the next due time and wakes for that at once.
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
from tmuxorch.core.schedules.records import Schedule, ScheduleState
from tmuxorch.core.schedules.when import Trigger
from tmuxorch.core.store.store import Store

LISTED_ENDED_S = 24 * 3600.0
"""How long an ended schedule stays in `schedule list` (`--all` shows every one)."""
_COLUMNS = (
    "id, server, targets, text, trigger, created, state, next_due, fires, last_fired, late, "
    "remaining, receipts, reason, ended"
)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _schedule(row: sqlite3.Row) -> Schedule:
    return Schedule(
        id=row["id"], server=row["server"], targets=tuple(json.loads(row["targets"])),
        text=row["text"], trigger=Trigger(**json.loads(row["trigger"])), created=row["created"],
        state=row["state"], next_due=row["next_due"], fires=row["fires"],
        last_fired=row["last_fired"], late=bool(row["late"]),
        remaining=tuple(json.loads(row["remaining"])),
        receipts=tuple(Receipt(**r) for r in json.loads(row["receipts"])),
        reason=row["reason"], ended=row["ended"],
    )  # fmt: skip


def first_look(trigger: Trigger, now: float) -> float | None:
    """When the runner first looks at a new schedule: its first due time, or for one waiting
    on an agent its timeout (it is woken by the agent's events before that)."""
    if trigger.due is not None:
        return trigger.due
    return None if trigger.timeout is None else now + trigger.timeout


class ScheduleBook:
    """The schedules of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self, server: str, targets: Sequence[str], text: str, trigger: Trigger, now: float
    ) -> Schedule:
        """Store a new pending schedule (targets are pane ids, resolved by the caller)."""
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO schedules (server, targets, text, trigger, created, state, next_due)"
                " VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                (server, _json(list(targets)), text, _json(trigger.model_dump()), now,
                 first_look(trigger, now)),
            )  # fmt: skip
            schedule_id = cursor.lastrowid
        ring(self.store.path)
        return self.get(int(schedule_id or 0))

    def get(self, schedule_id: int) -> Schedule:
        rows = self.store.query(f"SELECT {_COLUMNS} FROM schedules WHERE id = ?", (schedule_id,))
        if not rows:
            raise BadInputError(f"no such schedule: {schedule_id}")
        return _schedule(rows[0])

    def listed(
        self, server: str, *, everything: bool = False, now: float | None = None
    ) -> list[Schedule]:
        """The server's schedules, oldest first: the pending ones and those ended in the last
        day (every one with `everything`)."""
        since = 0.0 if everything else (now or time.time()) - LISTED_ENDED_S
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM schedules WHERE server = ? "
            "AND (state = 'pending' OR ended >= ?) ORDER BY id",
            (server, since),
        )
        return [_schedule(row) for row in rows]

    def pending(self, server: str) -> list[Schedule]:
        """What the runner of `server` has to look after."""
        rows = self.store.query(
            f"SELECT {_COLUMNS} FROM schedules WHERE server = ? AND state = 'pending' ORDER BY id",
            (server,),
        )
        return [_schedule(row) for row in rows]

    def cancel(self, server: str, schedule_id: int, now: float) -> Schedule:
        """Cancel a pending schedule of `server`; one that ended (or is another server's) is
        an error that says so."""
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT state, server FROM schedules WHERE id = ?", (schedule_id,)
            ).fetchone()
            if row is None or row["server"] != server:
                raise BadInputError(f"no such schedule on this tmux server: {schedule_id}")
            if row["state"] != "pending":
                raise BadInputError(f"schedule {schedule_id} is {row['state']} already")
            conn.execute(
                "UPDATE schedules SET state = 'cancelled', ended = ?, next_due = NULL, "
                "reason = '' WHERE id = ?",
                (now, schedule_id),
            )
        ring(self.store.path)
        return self.get(schedule_id)

    def record(
        self,
        schedule: Schedule,
        *,
        state: ScheduleState,
        next_due: float | None,
        fired: bool,
        late: bool,
        remaining: Sequence[str],
        receipts: Sequence[Receipt],
        reason: str,
        now: float,
    ) -> bool:
        """What a fire (or a retry, or giving up) did; False when the schedule was cancelled
        meanwhile (nothing is written over the cancel)."""
        with self.store.transaction() as conn:
            cursor = conn.execute(
                "UPDATE schedules SET state = ?, next_due = ?, fires = fires + ?, "
                "last_fired = CASE WHEN ? THEN ? ELSE last_fired END, late = ?, remaining = ?, "
                "receipts = ?, reason = ?, ended = ? WHERE id = ? AND state = 'pending'",
                (state, next_due, int(fired), int(fired), now, int(late), _json(list(remaining)),
                 _json([r.model_dump() for r in receipts]), reason,
                 None if state == "pending" else now, schedule.id),
            )  # fmt: skip
            return cursor.rowcount == 1
