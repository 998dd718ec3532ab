"""A schedule as stored and listed: what to send, to whom, when, and what its fires did."""

from __future__ import annotations

from typing import Literal

from tmuxorch.core.frozen import Frozen, frozen_model
from tmuxorch.core.models import Receipt
from tmuxorch.core.schedules.when import Trigger

ScheduleState = Literal["pending", "done", "failed", "cancelled"]
SCHEMA = "tmuxorch.schedules/1"


@frozen_model
class Schedule(Frozen):
    """One schedule of one tmux server (`server`: its socket). `next_due` is when the runner
    looks at it next (its time, a retry of targets that were skipped, or None while it waits
    for an agent to be idle); `remaining` are the targets the current fire has not reached
    yet; `receipts` are the last fire's, `late` says that fire came after its time (nothing
    ran then), `reason` why it failed or was cancelled."""

    id: int
    server: str
    targets: tuple[str, ...]
    text: str
    trigger: Trigger
    created: float
    state: ScheduleState = "pending"
    next_due: float | None = None
    fires: int = 0
    last_fired: float | None = None
    late: bool = False
    remaining: tuple[str, ...] = ()
    receipts: tuple[Receipt, ...] = ()
    reason: str = ""
    ended: float | None = None


@frozen_model
class ScheduleList(Frozen):
    """A fleet's schedules, and whether a tmuxorch process runs them now (else they wait for
    one: the TUI, `serve` or `tmuxorch watch`)."""

    schedules: tuple[Schedule, ...]
    running: bool
