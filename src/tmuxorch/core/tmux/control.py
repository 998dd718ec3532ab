"""One `tmux -C` control-mode client over pipes, with pipelined commands.

Why control mode: one persistent client answers every command with no process start (tens of
times faster than a `tmux` subprocess per command, shared/notes/tmux-facts.md). Commands are
written as lines, many at once; tmux answers each with one `%begin T N F` ... `%end|%error T N F`
block, in order. A block ends only on the *exact* tag of its `%begin`: pane text captured inside a
block may itself contain a line that looks like `%end`.

The client creates and attaches to its own hidden session (core/hidden.py) with
`no-output,ignore-size` set at attach time and never toggled (toggling can wedge tmux 3.3a). Lines
outside blocks are notifications (`%window-add @3`, `%sessions-changed`, ...), handed to a callback.

How a client comes and goes is what can crash tmux 3.3a-3.6 (docs/architecture.md): it starts
and leaves holding the server's HandshakeLock, never is killed while the server is stopped, and
dies with the process that started it (PR_SET_PDEATHSIG), so none is ever left attached.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tmuxorch.core.errors import TmuxUnavailableError
from tmuxorch.core.tmux.framing import ControlFramer, Notification
from tmuxorch.core.tmux.handshake_lock import HandshakeLock
from tmuxorch.core.tmux.hidden import attach_argv, new_name
from tmuxorch.core.tmux.lifetime import die_with_parent
from tmuxorch.core.tmux.quoting import control_lines
from tmuxorch.core.tmux.results import CommandResult
from tmuxorch.core.tmux.server import TmuxServer, tmux_binary, tmux_environ
from tmuxorch.core.tmux.timeouts import within

_READ_LIMIT = 64 * 1024 * 1024  # buffer bound of the pipe reader
_CHUNK = 1024 * 1024
_GRACE = 1.0
_STALL_LIMIT = 600.0
"""How long an attach waits for a stopped server to be continued before giving up."""
_LEAVE_STOPPED = 5.0
"""How long a client leaving a stopped server waits for it to wake before it is killed."""
_LEAVE_LOCK_WAIT = 5.0
_DROP_LIMIT = 30.0
"""How long a killed client's departure may take before the lock is let go anyway."""


@dataclass(slots=True)
class _Batch:
    """Commands written together, answered in order: one future for all of them (a future per
    command would cost a callback each on the way back)."""

    commands: list[str]
    done: asyncio.Future[list[CommandResult]]
    results: list[CommandResult] = field(default_factory=list)
    sent: float = field(default_factory=time.monotonic)


class ControlClient:
    """A running `tmux -C` process and the bookkeeping to pair replies with requests."""

    def __init__(
        self,
        server: TmuxServer,
        on_notification: Callable[[Notification], None],
        on_exit: Callable[[ControlClient], None],
    ) -> None:
        self.server = server
        self.session_name = new_name()
        """The hidden session this client creates and attaches to."""
        self._lock = HandshakeLock(server)
        self._on_exit = on_exit
        self._process: asyncio.subprocess.Process | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._stdout: asyncio.StreamReader | None = None
        self._read_transport: asyncio.ReadTransport | None = None
        self._write_transport: asyncio.WriteTransport | None = None
        self._pending: deque[_Batch] = deque()
        self._ready: asyncio.Future[None] | None = None
        self._closed = False
        self._leaving: asyncio.Task[None] | None = None
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

    def overdue(self, seconds: float) -> bool:
        """Has the oldest unanswered batch waited longer than `seconds`?"""
        return bool(self._pending) and time.monotonic() - self._pending[0].sent > seconds

    async def start(self, timeout: float) -> None:
        """Start the client and wait until tmux has attached it (its first reply block):
        commands written before would run before the attach. All of it holding the server's
        HandshakeLock. While the server is stopped the wait goes on (killing a half-set-up
        client then is what crashes tmux); `timeout` counts only time the server runs.
        `-N`: a control client must never start a server (tmux 3.3a crashes when one cannot
        create its socket); servers are started by plain clients."""
        lock = await self._lock.acquire(timeout)
        try:
            await self._spawn()
            await self._await_attach(timeout)
        except BaseException:
            self._leave_soon(lock, signal.SIGTERM)  # it keeps the lock until tmux drops us
            raise
        self._lock.release(lock)

    async def _spawn(self) -> None:
        loop = asyncio.get_running_loop()
        self._ready = loop.create_future()
        # Retrieve a late failure so asyncio does not warn when start() has already given up.
        self._ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        argv = [
            tmux_binary(), "-S", str(self.server.socket_path), "-N", "-C",
            *attach_argv(self.session_name),
        ]  # fmt: skip
        # The pipes are ours, not asyncio's: tmux hands a control client's stdio to the server,
        # which may hold them open (stopped, wedged) after the client is gone, and asyncio's
        # Process.wait() would wait for those pipes forever. With our own pipes, wait() only
        # waits for the process, and kill() can close our ends itself.
        # The child also holds the write end of its own stdin: if we die, the kernel closes
        # ours, and a control client whose stdin reaches EOF is detached the way that can crash
        # tmux 3.3a when another client leaves meanwhile (see _leave). The child then leaves on
        # the SIGTERM of die_with_parent instead, the regular way.
        child_stdin, our_stdin = os.pipe()
        our_stdout, child_stdout = os.pipe()
        try:
            self._process = await asyncio.create_subprocess_exec(
                *argv, stdin=child_stdin, stdout=child_stdout,
                stderr=asyncio.subprocess.DEVNULL, env=tmux_environ(), start_new_session=True,
                preexec_fn=die_with_parent(), pass_fds=(our_stdin,),
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

    async def _await_attach(self, timeout: float) -> None:
        assert self._ready is not None
        stalled_until = time.monotonic() + _STALL_LIMIT
        while True:
            try:
                await within(timeout, asyncio.shield(self._ready))
                return
            except TimeoutError:
                if not self.server.is_stopped() or time.monotonic() > stalled_until:
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
    # EOF while its session has `destroy-unattached on` (the session is destroyed under a
    # client tmux still lists; tmux PR #5497), and when anything notifies control clients while
    # another one is half set up. The safe order, measured: take the HandshakeLock, signal the
    # client, wait until tmux has dropped it (stdout at EOF), close stdin, release the lock.

    def kill(self) -> None:
        """Kill a wedged client by its own PID (never by name), in the background, holding the
        lock until tmux has dropped it. Never while the server is stopped (see start())."""
        self._closed = True
        self._fail_pending("tmux control client was restarted")
        if self._leaving is None:
            self._leaving = asyncio.ensure_future(self._leave(None, signal.SIGKILL))

    async def close(self) -> None:
        """Leave cleanly: SIGTERM, and wait (bounded) until tmux has dropped the client."""
        self._closed = True
        if self._leaving is None:
            self._leaving = asyncio.ensure_future(self._leave(None, signal.SIGTERM))
        await asyncio.shield(self._leaving)

    def _leave_soon(self, lock: int, signum: int) -> None:
        self._closed = True
        if self._leaving is None:
            self._leaving = asyncio.ensure_future(self._leave(lock, signum))
        else:
            self._lock.release(lock)

    async def _leave(self, lock: int | None, signum: int) -> None:
        """Signal the client and wait for EOF, holding the lock (taken here unless given). A
        stopped server gets the command timeout to wake before the client is killed."""
        try:
            if lock is None:
                with contextlib.suppress(TmuxUnavailableError):
                    lock = await self._lock.acquire(_LEAVE_LOCK_WAIT)
            self._signal(signum)
            patience = _LEAVE_STOPPED if self.server.is_stopped() else _GRACE
            if not await self._reached_eof(patience):
                self._signal(signal.SIGKILL)
                # Keep the lock until tmux has dropped the client, however slow it is: another
                # process's handshake meanwhile is what crashes it.
                await self._reached_eof(_DROP_LIMIT)
            if self._process is not None and self._process.returncode is None:
                with contextlib.suppress(TimeoutError):
                    await within(_GRACE, self._process.wait())
        except TmuxUnavailableError:
            self._signal(signal.SIGKILL)  # the socket became unusable: nothing left to wait for
        finally:
            self._close_pipes()
            self._lock.release(lock)

    async def _reached_eof(self, seconds: float) -> bool:
        if self._reader_task is None:
            return True
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await within(seconds, asyncio.shield(self._reader_task))
        return self._reader_task.done()

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
        """A complete reply: to one of our commands, or to the attach command list (its first
        block answers `new-session`; the option blocks after it are checked by the caller)."""
        if ours:
            self._resolve(ok, lines)
        elif self._ready is not None and not self._ready.done():
            if ok:
                self._ready.set_result(None)
            else:
                reason = lines[0] if lines else "refused"
                self._ready.set_exception(TmuxUnavailableError(f"tmux refused to attach: {reason}"))

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
