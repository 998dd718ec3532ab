"""What a token may do: its scope, and which ops each scope allows.

Here rather than beside the token store (server) because both ends state it: the server checks
it before anything else about a request, the client reads its own scope from the hello, and the
token store only records it.
"""

from __future__ import annotations

from typing import Literal

Scope = Literal["read", "control"]
SCOPES: tuple[Scope, ...] = ("read", "control")

READ_OPS = frozenset(
    {"snapshot", "subscribe", "unsubscribe", "capture", "explain", "ping", "schedule.list",
     "queue.list"}
)  # fmt: skip
"""What a `read` token may do. Everything else changes tmux and needs `control`."""
MUTATING_OPS = frozenset(
    {"send", "keys", "interrupt", "spawn", "kill", "rename", "schedule.add", "schedule.cancel",
     "queue.add", "queue.cancel", "queue.pause", "queue.resume"}
)  # fmt: skip
OPS = READ_OPS | MUTATING_OPS


def allows(scope: Scope, op: str) -> bool:
    """Whether a token of `scope` may ask for `op`."""
    return op in READ_OPS or scope == "control"
