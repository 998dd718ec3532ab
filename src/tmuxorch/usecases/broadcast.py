"""Who a broadcast reaches and who it leaves out (and why), decided before anything is typed:
the CLI's `broadcast` (and its `--dry-run`) and the TUI's broadcast dialog plan the same way."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tmuxorch.core.models import Pane, Receipt, Snapshot
from tmuxorch.core.ops.delivery import HELD_BACK, held_back
from tmuxorch.usecases.labels import pane_label

PLAN_SCHEMA = "tmuxorch.broadcast-plan/1"


@dataclass(frozen=True)
class Skipped:
    """An agent a broadcast leaves out, and why: the filters do not match it, or it is held
    back by its state (`receipt`: the `skipped_*` receipt it gets instead of the text)."""

    pane: Pane
    reason: str
    receipt: Receipt | None = None

    @property
    def status(self) -> str:
        """`filtered`, or the held-back receipt's status."""
        return "filtered" if self.receipt is None else self.receipt.status


@dataclass(frozen=True)
class BroadcastPlan:
    """Who gets the message and who does not, decided before anything is typed."""

    send: tuple[Pane, ...]
    skipped: tuple[Skipped, ...]

    @property
    def held(self) -> list[Receipt]:
        """The receipts of agents that match the filters but are held back by their state."""
        return [s.receipt for s in self.skipped if s.receipt is not None]

    def receipts(self, sent: Sequence[Receipt]) -> list[Receipt]:
        """The receipts of the sent targets, then those of the held-back ones."""
        return [*sent, *self.held]

    def document(self, snapshot: Snapshot) -> dict[str, object]:
        """The plan as JSON (`broadcast --dry-run --json`)."""

        def entry(pane: Pane) -> dict[str, object]:
            agent = pane.agent
            return {
                "target": pane.id, "where": pane_label(snapshot, pane),
                "kind": agent.kind if agent else None, "state": agent.state if agent else None,
            }  # fmt: skip

        return {
            "schema": PLAN_SCHEMA,
            "send": [entry(pane) for pane in self.send],
            "skipped": [
                {**entry(s.pane), "status": s.status, "reason": s.reason} for s in self.skipped
            ],
        }


def plan_broadcast(
    snapshot: Snapshot,
    *,
    kinds: Collection[str] = (),
    states: Collection[str] = (),
    sessions: Collection[str] = (),
    force: bool = False,
) -> BroadcastPlan:
    """Every agent, matched against the filters (an empty one matches everything; a session by
    name or id), then held back when its state is one nothing may be typed into unless forced
    (the core's rule, so the plan shows what `send` would do)."""
    send: list[Pane] = []
    skipped: list[Skipped] = []
    for pane in snapshot.panes():
        agent = pane.agent
        if agent is None:
            continue
        session = snapshot.sessions_by_id[pane.session_id]
        if kinds and agent.kind not in kinds:
            skipped.append(Skipped(pane, f"kind is {agent.kind}"))
        elif states and agent.state not in states:
            skipped.append(Skipped(pane, f"state is {agent.state}"))
        elif sessions and session.name not in sessions and session.id not in sessions:
            skipped.append(Skipped(pane, f"in session {session.name}"))
        elif (held := held_back(pane.id, agent.state, force=force)) is not None:
            skipped.append(Skipped(pane, HELD_BACK[agent.state][1], held))
        else:
            send.append(pane)
    return BroadcastPlan(tuple(send), tuple(skipped))
