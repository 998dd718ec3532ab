"""Notification claims: each agent state event is notified once, however many tmuxorch
processes (a TUI, `serve`, `tmuxorch watch`) watch the same tmux server.

Every watcher sees the event and decides to notify it; the first to claim it in the shared
database does, the others stand down. The claim is one write transaction (`BEGIN IMMEDIATE`
serialises the processes), keyed by server socket, pane, state and `since`. Each process's
engine times `since` by its own sweeps, so the same wait can carry slightly different times in
two processes: a claim within SAME_EVENT seconds of an earlier one is that event. Two distinct
notified waits of one pane cannot be that close: each lasted `min_seconds` before being claimed.
"""

from __future__ import annotations

import os
import time

from tmuxorch.core.store.store import Store

SAME_EVENT = 2.0
"""Seconds within which two watchers' `since` of one pane and state are the same event."""
KEPT = 7 * 24 * 3600.0
"""Claims older than this are deleted when a new one is made: they only need to outlive the
event's watchers."""


def claim(store: Store, server: str, pane: str, state: str, since: float) -> bool:
    """Whether this process is the one to notify this event (True once per event)."""
    now = time.time()
    with store.transaction() as conn:
        found = conn.execute(
            "SELECT 1 FROM notified WHERE server = ? AND pane = ? AND state = ? "
            "AND since BETWEEN ? AND ? LIMIT 1",
            (server, pane, state, since - SAME_EVENT, since + SAME_EVENT),
        ).fetchone()
        if found is not None:
            return False
        conn.execute("DELETE FROM notified WHERE at < ?", (now - KEPT,))
        conn.execute(
            "INSERT INTO notified (server, pane, state, since, at, pid) VALUES (?, ?, ?, ?, ?, ?)",
            (server, pane, state, since, now, os.getpid()),
        )
    return True
