"""What one look at a due or watched schedule does: send now, wait on, retry, or give up.

Kept apart from the runner (usecases/runner.py: when to look) so the rules are a
plain function of the schedule, the fleet and the clock. Every message goes through the
Backend's `send`, the same delivery path, receipts and audit as `tmuxorch send`: an agent that
is waiting or unknown is skipped by it (never typed into) and retried here later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tmuxorch.core.backend import Backend
from tmuxorch.core.models import Pane, Receipt, Snapshot
from tmuxorch.core.schedules.records import Schedule, ScheduleState
from tmuxorch.core.schedules.when import format_duration, next_due

RETRIED = frozenset({"skipped_waiting", "skipped_unknown"})
"""Receipts of targets not typed into (waiting, unknown): tried again later, never forced."""
RETRY_S = 30.0
"""How soon a skipped target is tried again at the latest (its next state change is sooner)."""
LATE_S = 2.0
"""A fire this long after its time is marked late: nothing ran the schedules when it was due."""


@dataclass(frozen=True)
class Outcome:
    """What to write back for one look (see ScheduleBook.record); `fired` when it sent."""

    state: ScheduleState
    next_due: float | None
    fired: bool
    late: bool
    remaining: tuple[str, ...]
    receipts: tuple[Receipt, ...]
    reason: str


def _may_take(pane: Pane | None) -> bool:
    """Gone (to be marked so), or an agent send would not skip (not waiting, not unknown)."""
    return pane is None or pane.agent is None or pane.agent.state not in ("waiting", "unknown")


def _idle(pane: Pane | None) -> bool:
    return pane is not None and pane.agent is not None and pane.agent.state == "idle"


def waiting_on(schedule: Schedule, fleet: Snapshot, now: float) -> str | None:
    """Why a schedule cannot fire yet (None: it can); a when-idle one waits for its agent."""
    trigger = schedule.trigger
    if schedule.remaining and (trigger.kind != "when_idle" or trigger.watch is not None):
        # a fire skipped these targets: again once one of them may take it, or at the retry
        takes = any(_may_take(fleet.panes_by_id.get(t)) for t in schedule.remaining)
        return None if takes or _due(schedule, now) else "targets waiting"
    if trigger.kind != "when_idle":
        return None if _due(schedule, now) else "not due"
    if trigger.watch is None:
        targets = schedule.remaining or schedule.targets
        ready = any(_idle(fleet.panes_by_id.get(t)) for t in targets)
        gone = any(t not in fleet.panes_by_id for t in targets)
        return None if ready or gone or _timed_out(schedule, now) else "targets not idle"
    watched = fleet.panes_by_id.get(trigger.watch)
    if watched is None or _timed_out(schedule, now):
        return None
    agent = watched.agent  # idle since after the schedule was made: it went idle, not was
    if agent is not None and agent.state == "idle" and (agent.since or 0.0) >= schedule.created:
        return None
    return "agent not idle"


def _due(schedule: Schedule, now: float) -> bool:
    return schedule.next_due is not None and schedule.next_due <= now


def _timed_out(schedule: Schedule, now: float) -> bool:
    timeout = schedule.trigger.timeout
    return timeout is not None and now >= schedule.created + timeout


async def look(backend: Backend, schedule: Schedule, fleet: Snapshot, now: float) -> Outcome:
    """Fire `schedule` (it can: `waiting_on` said None) and say what is left of it."""
    trigger = schedule.trigger
    targets = schedule.remaining or schedule.targets
    if (
        trigger.kind == "when_idle"
        and _timed_out(schedule, now)
        and not _any_ready(schedule, fleet)
    ):
        return _ended(
            schedule, "failed", f"timed out after {format_duration(trigger.timeout or 0)}"
        )
    if trigger.watch is not None and trigger.watch not in fleet.panes_by_id and not schedule.fires:
        return _ended(schedule, "failed", f"the watched agent {trigger.watch} no longer exists")
    gone = [t for t in targets if t not in fleet.panes_by_id]
    present = [t for t in targets if t in fleet.panes_by_id]
    if trigger.kind == "when_idle" and trigger.watch is None:
        present = [t for t in present if _idle(fleet.panes_by_id[t])]
    sent = list(await backend.send(present, schedule.text)) if present else []
    lost = [Receipt(target=t, status="failed", detail="the pane no longer exists") for t in gone]
    receipts = _merged(schedule.receipts, [*sent, *lost])
    skipped = {r.target for r in sent if r.status in RETRIED}
    waiting = [t for t in targets if t not in gone and (t in skipped or t not in present)]
    late = (
        not schedule.remaining
        and schedule.next_due is not None
        and now - schedule.next_due > LATE_S
    )
    reason = "; ".join(f"{t} no longer exists" for t in gone)
    if trigger.repeats:
        if len(gone) == len(targets):
            return Outcome("failed", None, True, late, (), receipts, "every target is gone")
        after = max(now, schedule.next_due or now)
        return Outcome("pending", next_due(trigger, after), True, late, (), receipts, reason)
    if waiting:
        retry = now + RETRY_S if trigger.kind != "when_idle" or trigger.watch else None
        return Outcome("pending", retry, True, late, tuple(waiting), receipts, reason)
    if gone and len(gone) == len(targets) and not any(r.status == "delivered" for r in receipts):
        return Outcome("failed", None, True, late, (), receipts, reason)
    return Outcome("done", None, True, late, (), receipts, reason)


def _any_ready(schedule: Schedule, fleet: Snapshot) -> bool:
    if schedule.trigger.watch is not None:
        return False
    return any(_idle(fleet.panes_by_id.get(t)) for t in schedule.remaining or schedule.targets)


def retry_later(schedule: Schedule, now: float, reason: str) -> Outcome:
    """Nothing could be sent at all (tmux not answering): the same again in RETRY_S."""
    return Outcome(
        "pending", now + RETRY_S, False, False, schedule.remaining, schedule.receipts, reason
    )


def _ended(schedule: Schedule, state: ScheduleState, reason: str) -> Outcome:
    return Outcome(state, None, False, False, schedule.remaining, schedule.receipts, reason)


def _merged(old: Sequence[Receipt], new: Sequence[Receipt]) -> tuple[Receipt, ...]:
    """The latest receipt of each target, in the targets' first order."""
    latest = {r.target: r for r in old}
    latest.update((r.target, r) for r in new)
    return tuple(latest.values())
