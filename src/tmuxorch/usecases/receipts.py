"""What a receipt means to people: which statuses count as delivered, their colours, and the
one-line tally an operation leaves in a log."""

from __future__ import annotations

from collections.abc import Sequence

from tmuxorch.core.models import Receipt, ReceiptStatus

DELIVERED: tuple[ReceiptStatus, ...] = ("delivered", "queued")
"""Receipts that mean the message reached its agent (a busy one reads it next)."""
RECEIPT_STYLES: dict[str, str] = {
    "delivered": "green", "queued": "yellow", "not_submitted": "red",
    "skipped_waiting": "magenta", "skipped_unknown": "magenta", "failed": "bold red",
}  # fmt: skip


def all_delivered(receipts: Sequence[Receipt]) -> bool:
    """Every target got its message (the CLI's exit status 0)."""
    return all(r.status in DELIVERED for r in receipts)


def tally(op: str, receipts: Sequence[Receipt]) -> str:
    """`send: 2/3 delivered`."""
    delivered = sum(r.status in DELIVERED for r in receipts)
    return f"{op}: {delivered}/{len(receipts)} delivered"
