"""What each op answers: one result model per op, the server builds them and the client reads
them back with the same models (`RESULT_MODELS`), so a field is stated once for both ends and
for the schema in docs/protocol.md."""

from __future__ import annotations

import time
from typing import Any, Literal

from tmuxorch.core.frozen import Frozen, field, frozen_model
from tmuxorch.core.models import Explanation, Receipt, Snapshot, Spawned
from tmuxorch.core.schedules.records import Schedule, ScheduleList
from tmuxorch.core.tasks.records import Task, TaskList


@frozen_model
class StatusDocument(Snapshot):
    """`snapshot`'s result: the `tmuxorch.status/1` document (as `tmuxorch status --json`)."""

    schema: Literal["tmuxorch.status/1"] = "tmuxorch.status/1"

    @classmethod
    def of(cls, snapshot: Snapshot) -> StatusDocument:
        """The document of a snapshot, without validating again what the engine built."""
        return cls.model_construct(
            tmux=snapshot.tmux, sessions=snapshot.sessions, taken_at=snapshot.taken_at
        )

    def snapshot(self) -> Snapshot:
        """The plain Snapshot it carries (what a Backend returns)."""
        return Snapshot.model_construct(
            tmux=self.tmux, sessions=self.sessions, taken_at=self.taken_at
        )


@frozen_model
class SubscribeResult(Frozen):
    """Events with seq > `seq` follow; `replayed` of them were missed ones sent again. With
    `resync`, a `resync` event comes first instead."""

    seq: int
    replayed: int
    resync: bool


@frozen_model
class ReceiptsResult(Frozen):
    """The result of send, keys and interrupt: one receipt per target, in order."""

    receipts: list[Receipt]


@frozen_model
class CaptureResult(Frozen):
    target: str
    lines: int
    text: str


@frozen_model
class PingResult(Frozen):
    time: float = field(default_factory=time.time)
    """The server's clock."""
    seq: int
    """The seq of the server's last event: how far a subscriber's `last_seq` is behind."""


@frozen_model
class Empty(Frozen):
    """The result of ops that have nothing to say but that they ran (kill, rename,
    unsubscribe): `{}`."""


RESULT_MODELS: dict[str, type[Frozen]] = {
    "snapshot": StatusDocument,
    "subscribe": SubscribeResult,
    "unsubscribe": Empty,
    "send": ReceiptsResult,
    "keys": ReceiptsResult,
    "interrupt": ReceiptsResult,
    "capture": CaptureResult,
    "explain": Explanation,
    "spawn": Spawned,
    "kill": Empty,
    "rename": Empty,
    "schedule.add": Schedule,
    "schedule.list": ScheduleList,
    "schedule.cancel": Schedule,
    "queue.add": Task,
    "queue.list": TaskList,
    "queue.cancel": Task,
    "queue.pause": TaskList,
    "queue.resume": TaskList,
    "ping": PingResult,
}
"""The result model of every op."""


def results_schema() -> dict[str, Any]:
    """Each op's result as a JSON schema, for docs/protocol.md."""
    from pydantic import TypeAdapter

    return {
        op: TypeAdapter(model).json_schema(mode="serialization")
        for op, model in RESULT_MODELS.items()
    }
