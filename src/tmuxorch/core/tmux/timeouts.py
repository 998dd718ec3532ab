"""One way to put a time limit on an await, used everywhere in core.

Python 3.11's `asyncio.wait_for` can swallow a cancellation that arrives in the same loop tick as
the awaited result, so a task cancelled while waiting on it may keep running (an engine whose
watcher survived `cancel()` hung `close()` forever). `asyncio.timeout` does not have that flaw.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable

TYPE_CHECKING = False  # typing costs a status-bar read ~3 ms (cli/status_bar.py)
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")


async def within(seconds: float, awaitable: Awaitable[T]) -> T:
    """`await awaitable`, raising TimeoutError after `seconds`."""
    import asyncio  # here: `no_answer` serves one-shot readers that load no asyncio

    async with asyncio.timeout(seconds):
        return await awaitable


def no_answer(started: float) -> str:
    """What a timeout says: the time that really passed since `started` (time.monotonic()).
    An operation can wait in steps, each with its own limit (control mode, then a plain `tmux`),
    so naming one step's limit ("within 5 s") would be false about the whole wait."""
    return f"tmux gave no answer in {time.monotonic() - started:.1f} s"
