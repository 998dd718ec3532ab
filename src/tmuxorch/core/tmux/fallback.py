"""Running a batch as one chained `tmux` invocation, for when control mode is unavailable.

tmux runs `a ; b ; c` in one process but concatenates their output and stops at the first
failing command. So each command is followed by `display-message -p MARKER` (a constant with a
random nonce, no format syntax in it), which splits the output per command; after a failure the
rest of the batch is run again from the next command.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import tempfile
import time
from collections.abc import Sequence

from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.tmux.quoting import chained_argv
from tmuxorch.core.tmux.results import CommandResult
from tmuxorch.core.tmux.server import TmuxServer, tmux_binary, tmux_environ
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
    remaining = list(commands)
    while remaining:
        done = await _run_once(server, remaining, timeout, started)
        results.extend(done)
        remaining = remaining[len(done) :]
    return results


async def _run_once(
    server: TmuxServer, commands: Sequence[Sequence[str]], timeout: float, started: float
) -> list[CommandResult]:
    marker = f"tmuxorch-sep-{secrets.token_hex(8)}"
    chained: list[Sequence[str]] = []
    for command in commands:
        chained += [command, ["display-message", "-p", marker]]
    # Output goes to temporary files, not pipes: tmux hands a client's stdio to the server, so a
    # stopped server would keep a pipe open and asyncio's wait() (which waits for pipes) forever.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = await asyncio.create_subprocess_exec(
            tmux_binary(), "-S", str(server.socket_path), *chained_argv(chained),
            stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=err,
            env=tmux_environ(), start_new_session=True,
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
        stdout, stderr = out.read(), err.read()
    chunks = stdout.decode("utf-8", "replace").split(marker + "\n")
    finished = chunks[:-1]  # the text after the last marker belongs to a command that failed
    results = [
        CommandResult(command[0], True, _lines(chunk))
        for command, chunk in zip(commands, finished, strict=False)
    ]
    if len(results) < len(commands):
        message = stderr.decode("utf-8", "replace").strip()
        if process.returncode != 0 and _server_unreachable(message):
            raise TmuxUnavailableError(message or "tmux server is not reachable")
        results.append(CommandResult(commands[len(results)][0], False, (message or "failed",)))
    return results


def _lines(chunk: str) -> tuple[str, ...]:
    """Split on newlines only, as control mode does (`str.splitlines` would also split on `\r`,
    `\v`, `\x1c`-`\x1e`, which are text in a path or in captured pane output)."""
    return tuple(chunk.split("\n")[:-1]) if chunk else ()


def _server_unreachable(message: str) -> bool:
    return message.startswith(("no server running", "error connecting", "server exited"))
