"""A queued task as stored and listed: what to send, to which agents it may go, and who did it."""

from __future__ import annotations

from typing import Literal

from tmuxorch.core.frozen import Frozen, frozen_model
from tmuxorch.core.models import Receipt

TaskState = Literal["pending", "running", "done", "failed", "cancelled"]
SCHEMA = "tmuxorch.queue/1"


@frozen_model
class Task(Frozen):
    """One task of one tmux server's queue. It may go to an agent of `kind`, in `session` (an
    id), among `agents` (pane ids), each only when given; higher `priority` first, then the
    oldest. `agent` did it (`dispatched` when it was sent, `started` when it was seen at work,
    `finished` when it was idle again); `receipts` are the send's."""

    id: int
    server: str
    text: str
    created: float
    kind: str | None = None
    session: str | None = None
    agents: tuple[str, ...] = ()
    priority: int = 0
    state: TaskState = "pending"
    agent: str | None = None
    dispatched: float | None = None
    started: float | None = None
    finished: float | None = None
    receipts: tuple[Receipt, ...] = ()
    reason: str = ""


@frozen_model
class TaskList(Frozen):
    """A fleet's queue: its tasks, whether it is paused, whether a tmuxorch process runs it."""

    tasks: tuple[Task, ...]
    paused: bool
    running: bool
