"""One `tmux -C` control-mode client over pipes, with pipelined commands.

Why control mode: one persistent client answers every command with no process start (tens of
times faster than a `tmux` subprocess per command, shared/notes/tmux-facts.md). Commands are
written as lines, many at once; tmux answers each with one `%begin T N F` ... `%end|%error T N F`
block, in order. A block ends only on the *exact* tag of its `%begin`: pane text captured inside a
block may itself contain a line that looks like `%end`.

The client attaches to a hidden session (`_tmuxorch`) with `no-output,ignore-size` set at attach
time and never toggled (toggling can wedge tmux 3.3a). Lines outside blocks are notifications
(`%window-add @3`, `%sessions-changed`, ...), handed to a callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.framing import ControlFramer, Notification
from tmuxorch.core.quoting import control_lines
from tmuxorch.core.results import CommandResult
from tmuxorch.core.timeouts import within
from tmuxorch.core.tmux_server import TmuxServer, tmux_binary, tmux_environ

HIDDEN_SESSION = "_tmuxorch"
"""The session our control clients attach to, and the name of its placeholder window; both are
filtered out of everything the user sees (a window someone else puts there is shown)."""
HIDDEN_TARGET = f"={HIDDEN_SESSION}:"
"""Exact-match target of the hidden session (a bare name would prefix-match)."""
HIDDEN_WINDOW_ARGS = [
    "-s", HIDDEN_SESSION, "-n", HIDDEN_SESSION, "-x", "80", "-y", "24", "sleep 2147483647",
]  # fmt: skip
"""How the hidden session is created: one placeholder window that does nothing."""

_READ_LIMIT = 64 * 1024 * 1024  # buffer bound of the pipe reader
_CHUNK = 1024 * 1024
_GRACE = 1.0


@dataclass(slots=True)
class _Batch:
    """Commands written together, answered in order: one future for all of them (a future per
    command would cost a callback each on the way back)."""

    commands: list[str]
    done: asyncio.Future[list[CommandResult]]
    results: list[CommandResult] = field(default_factory=list)


class ControlClient:
    """A running `tmux -C` process and the bookkeeping to pair replies with requests."""

    def __init__(
        self,
        server: TmuxServer,
        on_notification: Callable[[Notification], None],
        on_exit: Callable[[ControlClient], None],
    ) -> None:
        self.server = server
        self._on_exit = on_exit
        self._process: asyncio.subprocess.Process | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._stdout: asyncio.StreamReader | None = None
        self._read_transport: asyncio.ReadTransport | None = None
        self._write_transport: asyncio.WriteTransport | None = None
        self._pending: deque[_Batch] = deque()
        self._ready: asyncio.Future[None] | None = None
        self._closed = False
        self._framer = ControlFramer(self._block, on_notification)
        self._reaper: asyncio.Future[int] | None = None

    @property
    def pid(self) -> int | None:
        """PID of the tmux client process, used to kill it when it stops answering."""
        return self._process.pid if self._process else None

    @property
    def alive(self) -> bool:
        """True while the process runs and has not been closed or killed."""
        return self._process is not None and self._process.returncode is None and not self._closed

    async def start(self, timeout: float) -> None:
        """Start the client and wait for tmux's initial block, which comes once it is attached:
        commands written before it would run before the attach (and fail for lack of a client).
        `-N`: a control client must never start a server (tmux 3.3a crashes when one cannot
        create its socket); the connection starts servers with a plain client."""
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        # Retrieve a late failure so asyncio does not warn when start() has already given up.
        self._ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        argv = [
            tmux_binary(), "-S", str(self.server.socket_path), "-N", "-C",
            "new-session", "-A", "-f", "no-output,ignore-size", *HIDDEN_WINDOW_ARGS,
        ]  # fmt: skip
        # The pipes are ours, not asyncio's: tmux hands a control client's stdio to the server,
        # which may hold them open (stopped, wedged) after the client is gone, and asyncio's
        # Process.wait() would wait for those pipes forever. With our own pipes, wait() only
        # waits for the process, and kill() can close our ends itself.
        child_stdin, our_stdin = os.pipe()
        our_stdout, child_stdout = os.pipe()
        try:
            self._process = await asyncio.create_subprocess_exec(
                *argv, stdin=child_stdin, stdout=child_stdout,
                stderr=asyncio.subprocess.DEVNULL, env=tmux_environ(), start_new_session=True,
            )  # fmt: skip
        except BaseException:
            for fd in (our_stdin, our_stdout):
                os.close(fd)
            raise
        finally:
            os.close(child_stdin)
            os.close(child_stdout)
        self._stdout = reader = asyncio.StreamReader(limit=_READ_LIMIT)
        self._read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(our_stdout, "rb", 0)
        )
        self._write_transport, _ = await loop.connect_write_pipe(
            asyncio.BaseProtocol, os.fdopen(our_stdin, "wb", 0)
        )
        self._reader_task = asyncio.create_task(self._read_loop(), name="tmux-control-reader")
        try:
            await within(timeout, asyncio.shield(self._ready))
        except BaseException:
            self.kill()
            raise

    async def run(self, commands: Sequence[Sequence[str]]) -> list[CommandResult]:
        """Write all commands at once and wait for every reply (the caller applies the timeout)."""
        if not self.alive or self._write_transport is None:
            raise TmuxUnavailableError("tmux control client is not running")
        if not commands:
            return []
        payload = control_lines(commands)  # first: a bad command must not leave a batch behind
        batch = _Batch([argv[0] for argv in commands], asyncio.get_running_loop().create_future())
        # Registering and writing happen without an await in between, so concurrent batches
        # cannot interleave their replies.
        self._pending.append(batch)
        self._write_transport.write(payload)
        return await batch.done

    # How a control client leaves matters: tmux 3.3a can crash when a client detaches by stdin
    # EOF while the hidden session has `destroy-unattached on` (the session is destroyed under a
    # client tmux still lists; tmux PR #5497). The safe order, measured: signal the client,
    # let it exit, read stdout to EOF (tmux has then dropped it), and only then close stdin.

    def kill(self) -> None:
        """Kill the client by its own PID (never by name), the cure for a wedged client. Our
        pipe ends close when the reader sees EOF, or after a grace period if a stopped server
        keeps its ends open."""
        self._closed = True
        self._signal(signal.SIGKILL)
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().call_later(_GRACE, self._close_pipes)

    async def close(self) -> None:
        """Leave cleanly: SIGTERM, wait for the exit and for tmux to drop the client (EOF),
        then close our pipes."""
        self._closed = True
        process = self._process
        if process is None:
            return
        self._signal(signal.SIGTERM)
        try:
            await within(_GRACE, process.wait())
        except TimeoutError:
            self._signal(signal.SIGKILL)
            await process.wait()
        if self._reader_task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await within(_GRACE, asyncio.shield(self._reader_task))
        self._close_pipes()

    def _signal(self, signum: int) -> None:
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._process.pid, signum)

    def _close_pipes(self) -> None:
        for transport in (self._write_transport, self._read_transport):
            if transport is not None:
                transport.close()

    async def _read_loop(self) -> None:
        """Read in large chunks: one await per chunk, not per line (a 500-pane listing is 500
        lines); the framer splits them."""
        assert self._stdout is not None
        stdout = self._stdout
        try:
            while chunk := await stdout.read(_CHUNK):
                self._framer.feed(chunk)
        finally:
            self._closed = True
            self._fail_pending("tmux control client exited")
            if self._ready is not None and not self._ready.done():
                self._ready.set_exception(
                    TmuxUnavailableError("tmux control client exited before attaching")
                )
            self._signal(signal.SIGKILL)  # no-op when it already exited
            self._close_pipes()  # EOF: tmux has dropped the client, closing stdin is safe
            if self._process is not None:
                self._reaper = asyncio.ensure_future(self._process.wait())
            self._on_exit(self)

    def _block(self, ours: bool, ok: bool, lines: list[str]) -> None:
        """A complete reply: to one of our commands, or (the first one) to the attach."""
        if ours:
            self._resolve(ok, lines)
        elif self._ready is not None and not self._ready.done():
            self._ready.set_result(None)

    def _resolve(self, ok: bool, lines: list[str]) -> None:
        if not self._pending:
            return  # a reply to nothing we sent: ignore rather than mis-pair
        batch = self._pending[0]
        batch.results.append(CommandResult(batch.commands[len(batch.results)], ok, tuple(lines)))
        if len(batch.results) == len(batch.commands):
            self._pending.popleft()
            if not batch.done.done():
                batch.done.set_result(batch.results)

    def _fail_pending(self, reason: str) -> None:
        while self._pending:
            batch = self._pending.popleft()
            if not batch.done.done():
                batch.done.set_exception(TmuxUnavailableError(reason))
