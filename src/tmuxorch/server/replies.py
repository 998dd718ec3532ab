"""Each request's answer as the server sends it: its result, whether it was audited, and, for a
change sent again with the same `request_id`, the first answer instead of a second change.

A client that lost its connection while a `send` was running cannot know whether the text was
typed; sending it again without an id would type it twice (and submit it twice). With an id it
asks "do this once": the first request with that id from that token acts, and a repeat (on any
connection) within REPLY_WINDOW seconds gets the same answer, waiting for it while the first is
still running. The cache is bounded (REPLIES_KEPT, oldest dropped first) and lives as long as
the server does: a restarted server does not know old ids, which the client checks (the hello's
`instance`) before it retries.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.frozen import Frozen
from tmuxorch.core.local import audit_problems
from tmuxorch.protocol.errors import ProtocolError
from tmuxorch.protocol.requests import Request

REPLY_WINDOW = 600.0
"""Seconds a change's answer is kept for a repeat of its `request_id`."""
REPLIES_KEPT = 4096
"""Answers kept at most (for every token together); the oldest go first."""

Answer = tuple[Frozen | None, str | None]
"""A request's result (None: the op answers by itself, as subscribe does) and, when the change
ran but its audit entry could not be written, why."""
Act = Callable[[Request], Awaitable[Frozen | None]]


@dataclass
class _Entry:
    fingerprint: bytes
    at: float
    done: asyncio.Event = field(default_factory=asyncio.Event)
    answer: Answer | None = None
    error: Exception | None = None


class Replies:
    """The answers of a server's recent changes, by token and `request_id`."""

    def __init__(self, window: float = REPLY_WINDOW, kept: int = REPLIES_KEPT) -> None:
        self.window = window
        self.kept = kept
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def answer(self, token: str, request: Request, act: Act) -> Answer:
        """`act(request)`'s answer: run now, or the first one's for a repeated `request_id`."""
        request_id: str | None = getattr(request, "request_id", None)
        if request_id is None:
            return await _audited(request, act)
        self._expire()
        key = (token, request_id)
        fingerprint = _fingerprint(request)
        entry = self._entries.get(key)
        if entry is not None:
            if entry.fingerprint != fingerprint:
                raise ProtocolError(
                    "bad_request",
                    f"request_id {request_id} was already used for another request",
                    request.id,
                )
            return await _first(entry, request)
        entry = self._entries[key] = _Entry(fingerprint, time.monotonic())
        while len(self._entries) > self.kept:
            self._entries.popitem(last=False)
        try:
            entry.answer = await _audited(request, act)
        except asyncio.CancelledError:
            entry.error = TmuxUnavailableError(
                f"the first {request.op} with request_id {request_id} was cut off (the server "
                "was closing): it may or may not have happened; look before trying again"
            )
            raise
        except Exception as exc:
            entry.error = exc
            raise
        finally:
            entry.done.set()
        return entry.answer

    def _expire(self) -> None:
        oldest = time.monotonic() - self.window
        while self._entries:
            entry = next(iter(self._entries.values()))
            if entry.at >= oldest or not entry.done.is_set():
                return
            self._entries.popitem(last=False)


def _fingerprint(request: Request) -> bytes:
    """What a repeat must match, as a digest: a kept entry costs the same whatever the size of
    the text it sent (up to a frame's worth)."""
    return hashlib.sha256(request.model_dump_json(exclude={"id"}).encode()).digest()


async def _audited(request: Request, act: Act) -> Answer:
    with audit_problems() as problems:
        result = await act(request)
    return result, "; ".join(problems) or None


async def _first(entry: _Entry, request: Request) -> Answer:
    """The first request's answer (an error it raised is raised again, for this request)."""
    await entry.done.wait()
    if entry.error is None:
        assert entry.answer is not None
        return entry.answer
    if isinstance(entry.error, ProtocolError):
        raise ProtocolError(entry.error.code, entry.error.message, request.id)
    raise entry.error
