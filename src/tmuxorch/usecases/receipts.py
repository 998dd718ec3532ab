"""What a receipt means to people: which statuses count as delivered, their colours, and the
one-line tally an operation leaves in a log."""

from __future__ import annotations

from collections.abc import Sequence

from tmuxorch.core.models import Receipt, ReceiptStatus, Snapshot
from tmuxorch.usecases.labels import pane_label

DELIVERED: tuple[ReceiptStatus, ...] = ("delivered", "queued")
"""Receipts that mean the message reached its agent (a busy one reads it next)."""
RECEIPT_STYLES: dict[str, str] = {
    "delivered": "green", "queued": "yellow", "not_submitted": "red",
    "skipped_waiting": "magenta", "skipped_unknown": "magenta", "failed": "bold red",
}  # fmt: skip


RECEIPT_COLUMNS = ("target", "pane", "status", "detail")


def receipt_rows(snapshot: Snapshot, receipts: Sequence[Receipt]) -> list[tuple[str, ...]]:
    """One row per target, as RECEIPT_COLUMNS: where, what happened, why."""
    rows: list[tuple[str, ...]] = []
    for receipt in receipts:
        pane = snapshot.panes_by_id.get(receipt.target)
        label = pane_label(snapshot, pane) if pane else ""
        rows.append((receipt.target, label, receipt.status, receipt.detail))
    return rows


def all_delivered(receipts: Sequence[Receipt]) -> bool:
    """Every target got its message (the CLI's exit status 0)."""
    return all(r.status in DELIVERED for r in receipts)


def tally(op: str, receipts: Sequence[Receipt]) -> str:
    """`send: 2/3 delivered`."""
    delivered = sum(r.status in DELIVERED for r in receipts)
    return f"{op}: {delivered}/{len(receipts)} delivered"
