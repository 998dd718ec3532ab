"""A runner (usecases/runner.py) with chosen duties, in the test's process, as the TUI runs it:
started, waited for until it holds the lock, stopped and its store closed after the block."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence

from tmuxorch.core.local import LocalBackend
from tmuxorch.core.store.store import Store
from tmuxorch.usecases.runner import Duty, Runner

from .conftest import wait_for

MakeDuty = Callable[[LocalBackend, Store, Callable[[str], None]], Duty]


@contextlib.asynccontextmanager
async def running_duties(
    backend: LocalBackend, makers: Sequence[MakeDuty], said: list[str] | None = None
) -> AsyncIterator[Runner]:
    """The runner of `makers`' duties (each given the backend, the store, and a report that
    appends to `said`), on the test's own store."""
    store = Store()
    lines = said if said is not None else []
    runner = Runner(
        backend, backend.label, store, [m(backend, store, lines.append) for m in makers]
    )
    task = asyncio.create_task(runner.run())
    try:
        await wait_for(lambda: runner.running)
        yield runner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        store.close()
