"""A batch of tmux commands as one chained `tmux` invocation: its argv and its results.

tmux runs `a ; b ; c` in one process but concatenates their output and stops at the first
failing command. So each command is followed by `display-message -p MARKER` (a constant with a
random nonce, no format syntax in it), which splits the output per command; after a failure the
caller runs the rest of the batch again from the next command.

This module imports no asyncio: `run_chained_now` runs a batch as a plain process
(core.tmux.process), for a one-shot reader whose whole process should cost little more than the
interpreter (a status bar running `tmuxorch status --format tmux` every few seconds, issue 17).
The engine's fallback runs the same chain under asyncio (`core.tmux.fallback`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence

from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.tmux.process import run_process
from tmuxorch.core.tmux.quoting import chained_argv
from tmuxorch.core.tmux.results import CommandResult
from tmuxorch.core.tmux.server import TmuxServer, process_stopped, tmux_binary, tmux_environ
from tmuxorch.core.tmux.timeouts import no_answer


class ServerNotRunningError(TmuxUnavailableError):
    """No tmux server listens on the socket (and we were not asked to start one)."""


class ServerStoppedError(TmuxUnavailableError):
    """The tmux server process is stopped: it answers nothing until it is continued."""

    def __init__(self, pid: int) -> None:
        super().__init__(
            f"tmux server (pid {pid}) is stopped; it answers again once continued "
            f"(kill -CONT {pid})"
        )


def running_server_pid(server: TmuxServer) -> int:
    """The PID of the server on the socket; ServerNotRunningError when there is none,
    ServerStoppedError when it is stopped (neither asks tmux anything)."""
    pid = server.server_pid()
    if pid is None:
        raise ServerNotRunningError(f"no tmux server running on {server.socket_path}")
    if process_stopped(pid):
        raise ServerStoppedError(pid)
    return pid


def ready_to_chain(server: TmuxServer, *, start_server: bool) -> bool:
    """Check the server before a chained batch runs: it must be running and not stopped,
    unless the batch may start one (`start_server`), whose socket directory is then made.
    Returns whether this batch starts the server (see `check_started`)."""
    starting = start_server and not server.is_running()
    if starting:
        server.prepare_directory()
    else:
        running_server_pid(server)
    return starting


def check_started(server: TmuxServer, results: Sequence[CommandResult]) -> None:
    """After a batch that was to start the server: tmux 3.3a exits 0 when it cannot create
    its socket, so the server is looked for, and its absence said with tmux's message."""
    if not server.is_running():
        raise TmuxUnavailableError(
            f"tmux could not start a server on {server.socket_path}: "
            + (next((r.error for r in results if not r.ok), "") or "unknown error")
        )


class Chain:
    """One `tmux` process's worth of a batch: the argv to run and how to read its output."""

    def __init__(self, server: TmuxServer, commands: Sequence[Sequence[str]]) -> None:
        self.commands = commands
        # os.urandom is what `secrets` draws from; `secrets` itself loads hmac and hashlib
        self._marker = f"tmuxorch-sep-{os.urandom(8).hex()}"
        chained: list[Sequence[str]] = []
        for command in commands:
            chained += [command, ["display-message", "-p", self._marker]]
        self.argv = [tmux_binary(), "-S", str(server.socket_path), *chained_argv(chained)]
        self.environ = tmux_environ()

    def results(self, stdout: bytes, stderr: bytes, returncode: int) -> list[CommandResult]:
        """The results of the commands that ran: every one up to the first that failed (which
        is included, with tmux's message); TmuxUnavailableError when no server answered."""
        chunks = stdout.decode("utf-8", "replace").split(self._marker + "\n")
        finished = chunks[:-1]  # the text after the last marker belongs to a command that failed
        commands = self.commands
        results = [
            CommandResult(command[0], True, _lines(chunk))
            for command, chunk in zip(commands, finished, strict=False)
        ]
        if len(results) < len(commands):
            message = stderr.decode("utf-8", "replace").strip()
            if returncode != 0 and _server_unreachable(message):
                raise TmuxUnavailableError(message or "tmux server is not reachable")
            results.append(CommandResult(commands[len(results)][0], False, (message or "failed",)))
        return results


def run_chained_now(
    server: TmuxServer, commands: Sequence[Sequence[str]], timeout: float
) -> list[CommandResult]:
    """Every command, in order, in as few `tmux` processes as failures allow, each given
    `timeout` seconds, without an event loop (the process waits: only for one-shot readers)."""
    started = time.monotonic()
    results: list[CommandResult] = []
    while len(results) < len(commands):
        chain = Chain(server, commands[len(results) :])
        try:
            returncode, stdout, stderr = run_process(chain.argv, chain.environ, timeout)
        except TimeoutError:
            raise TmuxUnavailableError(no_answer(started)) from None
        results += chain.results(stdout, stderr, returncode)
    return results


def _lines(chunk: str) -> tuple[str, ...]:
    """Split on newlines only, as control mode does (`str.splitlines` would also split on `\r`,
    `\v`, `\x1c`-`\x1e`, which are text in a path or in captured pane output)."""
    return tuple(chunk.split("\n")[:-1]) if chunk else ()


def _server_unreachable(message: str) -> bool:
    return message.startswith(("no server running", "error connecting", "server exited"))
