"""Running a batch as one chained `tmux` invocation under asyncio, for when control mode is
unavailable (the chain itself, its markers and how its output splits: core.tmux.chained)."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Sequence

from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.tmux.chained import Chain
from tmuxorch.core.tmux.results import CommandResult
from tmuxorch.core.tmux.server import TmuxServer
from tmuxorch.core.tmux.timeouts import no_answer, within


async def run_chained(
    server: TmuxServer,
    commands: Sequence[Sequence[str]],
    timeout: float,
    started: float | None = None,
) -> list[CommandResult]:
    """Run every command, in order, in as few `tmux` processes as failures allow, each given
    `timeout` seconds; a timeout says the time since `started` (the caller's time.monotonic()
    when it began: it may have waited already; by default, now)."""
    started = time.monotonic() if started is None else started
    results: list[CommandResult] = []
    while len(results) < len(commands):
        results += await _run_once(Chain(server, commands[len(results) :]), timeout, started)
    return results


async def _run_once(chain: Chain, timeout: float, started: float) -> list[CommandResult]:
    # Output goes to temporary files, not pipes: tmux hands a client's stdio to the server, so a
    # stopped server would keep a pipe open and asyncio's wait() (which waits for pipes) forever.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = await asyncio.create_subprocess_exec(
            *chain.argv, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=err,
            env=chain.environ, start_new_session=True,
        )  # fmt: skip
        try:
            await within(timeout, process.wait())
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise TmuxUnavailableError(no_answer(started)) from None
        out.seek(0)
        err.seek(0)
        return chain.results(out.read(), err.read(), process.returncode or 0)
