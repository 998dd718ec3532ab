"""The engine's link to one tmux server: a control-mode client in long-lived processes, one
chained `tmux` invocation per batch in one-shot commands and whenever control mode is unavailable.

Why one-shot commands start no control client: a control client's handshake is the moment tmux
3.3a-3.6 can crash (docs/architecture.md), and a short-lived process would handshake every time
it runs; a plain `tmux` process costs 2-5 ms per batch and cannot be left attached.

Every batch has a timeout. A batch that changes tmux holds the server's HandshakeLock (changes
are what make tmux notify control clients). When tmux misses the timeout because its server is
stopped (SIGSTOP, Ctrl-Z, a suspended laptop), the control client is kept: its replies come when
the server is continued, and until then batches fail at once with a clear reason. When the server
runs but the client does not answer (tmux 3.3a can wedge a control client for good, and then
refuses everyone until that process dies) the client is killed by its PID and replaced; a
read-only batch is then re-run through a plain `tmux`; a batch that changes tmux is not (it may
have run already): it fails, clearly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence

from tmuxorch.core.errors import TmuxorchError, TmuxUnavailableError
from tmuxorch.core.tmux.chained import (
    ServerNotRunningError,
    ServerStoppedError,
    check_started,
    ready_to_chain,
    running_server_pid,
)
from tmuxorch.core.tmux.control import ControlClient
from tmuxorch.core.tmux.fallback import run_chained
from tmuxorch.core.tmux.framing import Notification
from tmuxorch.core.tmux.handshake_lock import HandshakeLock
from tmuxorch.core.tmux.hidden import IDENTIFY_FORMAT, HiddenSession
from tmuxorch.core.tmux.results import CommandResult
from tmuxorch.core.tmux.server import TmuxServer
from tmuxorch.core.tmux.timeouts import no_answer, within

_EXITING = 1.0
"""Seconds a server that dropped our attaching control client is given to finish exiting."""


class TmuxConnection:
    """Runs batches of tmux commands against one server and forwards its notifications."""

    def __init__(
        self,
        server: TmuxServer,
        *,
        timeout: float = 5.0,
        persistent: bool = True,
        on_notification: Callable[[Notification], None] | None = None,
        on_disconnect: Callable[[], None] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """`on_change` is called after every batch that changes tmux (`idempotent=False`),
        whether it succeeded or not: what anyone knew of the server may be stale."""
        self.server = server
        self.timeout = timeout
        self.persistent = persistent
        """False for one-shot commands: every batch is a plain `tmux` process."""
        self.lock = HandshakeLock(server)
        self._on_notification = on_notification or (lambda _n: None)
        self._on_disconnect = on_disconnect or (lambda: None)
        self._on_change = on_change or (lambda: None)
        self._client: ControlClient | None = None
        self.hidden: HiddenSession | None = None
        """The hidden session of the current control client (None when there is none)."""
        self.server_pid: int | None = None
        """The PID of the server the last control client attached to (a restart changes it)."""
        self._connecting: asyncio.Lock | None = None
        self.setup_commands: list[Sequence[str]] = []
        """Run right after every attach (the first one and each reconnect)."""
        self.processes_started = 0
        """tmux processes started by this connection (control clients and fallback runs)."""
        self.fallback_batches = 0
        self._closing: set[asyncio.Future[None]] = set()

    @property
    def connected(self) -> bool:
        """True while a control client is attached and healthy."""
        return self._client is not None and self._client.alive

    @property
    def control_pid(self) -> int | None:
        """PID of the current control client, if any."""
        return self._client.pid if self.connected and self._client else None

    async def connect(self) -> None:
        """Attach a control client unless one is already up; raises ServerNotRunningError with
        no server, ServerStoppedError when it is stopped (no handshake is started then)."""
        if not self.persistent:
            raise TmuxUnavailableError("this connection runs every batch as a plain tmux process")
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self.connected:
                return
            server_pid = self._check_server()
            client = ControlClient(self.server, self._on_notification, self._client_exited)
            self.processes_started += 1
            try:
                await client.start(self.timeout)
            except (TimeoutError, OSError) as exc:
                raise TmuxUnavailableError(
                    f"tmux control mode did not start on {self.server.socket_path}: "
                    f"{exc or 'timed out'}"
                ) from exc
            except TmuxUnavailableError:
                await self._check_gone()
                raise
            try:
                identify = ["display-message", "-p", "-t", f"={client.session_name}:",
                            IDENTIFY_FORMAT]  # fmt: skip
                results = await within(self.timeout, client.run([identify, *self.setup_commands]))
                for result in results:
                    result.check()
                hidden = HiddenSession.parse(client.session_name, results[0].lines[0])
                if hidden is None:
                    raise TmuxUnavailableError(f"unexpected hidden session {results[0].lines}")
            except (TimeoutError, TmuxorchError) as exc:
                await client.close()
                raise TmuxUnavailableError(f"tmux control mode setup failed: {exc}") from exc
            self._client, self.hidden, self.server_pid = client, hidden, server_pid

    async def run(
        self,
        commands: Sequence[Sequence[str]],
        *,
        idempotent: bool = True,
        start_server: bool = False,
    ) -> list[CommandResult]:
        """Run the commands in order and return one result per command.

        `idempotent=False` marks a batch that changes tmux: it holds the HandshakeLock, and
        after a timeout it is not re-run. `start_server=True` lets it start a tmux server when
        none is running (for a batch that creates a session; a plain `tmux` runs it): never
        set on the connection itself, so a long-lived engine never restarts a server someone
        stopped.
        """
        if not commands:
            return []
        started = time.monotonic()  # a timeout says the whole wait, not one step's limit
        if self.persistent and not (start_server and not self.server.is_running()):
            try:
                await self.connect()  # outside the lock: the handshake takes it itself
            except (ServerNotRunningError, ServerStoppedError):
                raise
            except TmuxUnavailableError:
                pass  # a plain `tmux` runs the batch
        async with self._changing(idempotent):
            if self.connected:
                return await self._on_client(commands, idempotent, started)
            return await self._fallback(commands, started, start_server=start_server)

    async def _on_client(
        self, commands: Sequence[Sequence[str]], idempotent: bool, started: float
    ) -> list[CommandResult]:
        client = self._client
        assert client is not None
        if client.overdue(self.timeout):
            self._check_server()  # stopped: fail at once, the client's replies come later
            self._drop(client, kill=True)  # not stopped: wedged (tmux 3.3a can do that)
            return await self._after_wedge(commands, idempotent, started)
        try:
            return await within(self.timeout, client.run(commands))
        except TimeoutError:
            self._check_server()  # stopped: keep the client (never kill one then)
            self._drop(client, kill=True)  # the watchdog: a wedged client, replaced next batch
            return await self._after_wedge(commands, idempotent, started)
        except TmuxUnavailableError:
            self._check_server()
            if not idempotent:
                raise
            return await self._fallback(commands, started)

    async def _after_wedge(
        self, commands: Sequence[Sequence[str]], idempotent: bool, started: float
    ) -> list[CommandResult]:
        if not idempotent:
            raise TmuxUnavailableError(
                f"{no_answer(started)}; the operation may or may not have happened (the "
                "control client was restarted)"
            )
        return await self._fallback(commands, started)

    @contextlib.asynccontextmanager
    async def _changing(self, idempotent: bool) -> AsyncIterator[None]:
        if idempotent:
            yield
            return
        try:
            async with self.lock.held(self.timeout):
                yield
        finally:
            self._on_change()

    def drop_client(self) -> None:
        """Let go of the current control client (it leaves in the background); the next batch
        attaches a fresh one."""
        if self._client is not None:
            self._drop(self._client, kill=False)

    def _drop(self, client: ControlClient, *, kill: bool) -> None:
        if client is self._client:
            self._client = self.hidden = None
            self._on_disconnect()
        if kill:
            client.kill()
        task = asyncio.ensure_future(client.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Detach the control client (its hidden session goes with it)."""
        client, self._client, self.hidden = self._client, None, None
        if client is not None:
            await client.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    async def _check_gone(self) -> None:
        """The control client exited before it was attached: when the server is exiting
        (`kill-server` took it down as we attached; tmux drops new clients then), say that
        rather than what it did to our client. The socket goes when the server has exited."""
        deadline = asyncio.get_running_loop().time() + _EXITING
        while asyncio.get_running_loop().time() < deadline:
            if self.server.server_pid() is None:
                raise ServerNotRunningError(
                    f"the tmux server on {self.server.socket_path} went away (it is not "
                    "running now)"
                )
            await asyncio.sleep(0.02)  # a poll step: the exiting server removes its socket

    def _check_server(self) -> int:
        return running_server_pid(self.server)

    async def _fallback(
        self, commands: Sequence[Sequence[str]], started: float, *, start_server: bool = False
    ) -> list[CommandResult]:
        starting = ready_to_chain(self.server, start_server=start_server)
        self.fallback_batches += 1
        self.processes_started += 1
        results = await run_chained(self.server, commands, self.timeout, started)
        if starting:
            check_started(self.server, results)
        return results

    def _client_exited(self, client: ControlClient) -> None:
        if client is self._client:
            self._client = self.hidden = None
            self._on_disconnect()
