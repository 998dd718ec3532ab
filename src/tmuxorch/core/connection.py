"""The engine's link to one tmux server: a control-mode client when possible, a chained `tmux`
invocation per batch when not, and a watchdog between the two.

Every batch has a timeout. When the control client misses it, it is killed by its PID (tmux 3.3a
can wedge a control client for good, and the server then refuses everyone until that process
dies) and a new one is started on the next batch. A read-only batch is then re-run through the
fallback; a batch that changes tmux is not (it may have run already), it fails instead, clearly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from tmuxorch.core.control import (
    HIDDEN_TARGET,
    HIDDEN_WINDOW_ARGS,
    ControlClient,
)
from tmuxorch.core.errors import TmuxorchError, TmuxUnavailableError
from tmuxorch.core.fallback import run_chained
from tmuxorch.core.framing import Notification
from tmuxorch.core.results import CommandResult
from tmuxorch.core.timeouts import within
from tmuxorch.core.tmux_server import TmuxServer, tmux_binary, tmux_environ

_SESSION_SETUP = [
    ["set-option", "-t", HIDDEN_TARGET, "destroy-unattached", "on"],
    ["set-option", "-t", HIDDEN_TARGET, "detach-on-destroy", "off"],
]
"""The hidden session disappears when the last tmuxorch client leaves it. If it is destroyed
under us, tmux moves our client to another session rather than leaving it with none (tmux
3.3a's subscription timer crashes on a client with no session); the engine then reconnects.
Always with an explicit target: after such a move, an untargeted option would hit a user's
session."""


class ServerNotRunningError(TmuxUnavailableError):
    """No tmux server listens on the socket (and we were not asked to start one)."""


class TmuxConnection:
    """Runs batches of tmux commands against one server and forwards its notifications."""

    def __init__(
        self,
        server: TmuxServer,
        *,
        timeout: float = 5.0,
        on_notification: Callable[[Notification], None] | None = None,
        on_disconnect: Callable[[], None] | None = None,
    ) -> None:
        self.server = server
        self.timeout = timeout
        self._on_notification = on_notification or (lambda _n: None)
        self._on_disconnect = on_disconnect or (lambda: None)
        self._client: ControlClient | None = None
        self._connecting: asyncio.Lock | None = None
        self.setup_commands: list[Sequence[str]] = list(_SESSION_SETUP)
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

    async def connect(self, *, start_server: bool = False) -> None:
        """Attach a control client unless one is already up. With no server, start one when
        `start_server` says so (only a call that creates something may), else raise
        ServerNotRunningError."""
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self.connected:
                return
            if not self.server.is_running():
                if not start_server:
                    raise ServerNotRunningError(
                        f"no tmux server running on {self.server.socket_path}"
                    )
                await self._start_server()
            client = ControlClient(self.server, self._on_notification, self._client_exited)
            self.processes_started += 1
            try:
                await client.start(self.timeout)
            except (TimeoutError, OSError) as exc:
                raise TmuxUnavailableError(
                    f"tmux control mode did not start on {self.server.socket_path}: "
                    f"{exc or 'timed out'}"
                ) from exc
            try:
                setup = await within(self.timeout, client.run(self.setup_commands))
                for result in setup:
                    result.check()
            except (TimeoutError, TmuxorchError) as exc:
                client.kill()
                raise TmuxUnavailableError(f"tmux control mode setup failed: {exc}") from exc
            self._client = client

    async def run(
        self,
        commands: Sequence[Sequence[str]],
        *,
        idempotent: bool = True,
        start_server: bool = False,
    ) -> list[CommandResult]:
        """Run the commands in order and return one result per command.

        `idempotent=False` marks a batch that changes tmux: after a timeout it is not re-run.
        `start_server=True` starts a tmux server when none is running (for a batch that creates
        a session); never set on the connection itself, so a long-lived engine never restarts a
        server someone stopped.
        """
        if not commands:
            return []
        try:
            await self.connect(start_server=start_server)
        except ServerNotRunningError:
            raise
        except TmuxUnavailableError:
            return await self._fallback(commands)
        client = self._client
        assert client is not None
        try:
            return await within(self.timeout, client.run(commands))
        except TimeoutError:
            client.kill()  # the watchdog: a wedged client is killed by PID, replaced next batch
            if not idempotent:
                raise TmuxUnavailableError(
                    f"tmux did not answer within {self.timeout:g} s; the operation may or may "
                    "not have happened (the control client was restarted)"
                ) from None
            return await self._fallback(commands)
        except TmuxUnavailableError:
            if not self.server.is_running():
                raise ServerNotRunningError(
                    f"tmux server on {self.server.socket_path} stopped"
                ) from None
            if not idempotent:
                raise
            return await self._fallback(commands)

    def drop_client(self) -> None:
        """Let go of the current control client (it is closed in the background); the next
        batch attaches a fresh one."""
        client, self._client = self._client, None
        if client is not None:
            task = asyncio.ensure_future(client.close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
            self._on_disconnect()

    async def close(self) -> None:
        """Detach the control client (the hidden session goes when its last client leaves)."""
        client, self._client = self._client, None
        if client is not None:
            await client.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    async def _start_server(self) -> None:
        """Start a server with a plain client creating the hidden session (a control client
        must never start one: see ControlClient.start)."""
        self.server.prepare_directory()
        self.processes_started += 1
        process = await asyncio.create_subprocess_exec(
            tmux_binary(), "-S", str(self.server.socket_path),
            "new-session", "-d", *HIDDEN_WINDOW_ARGS,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, env=tmux_environ(), start_new_session=True,
        )  # fmt: skip
        try:
            _, stderr = await within(self.timeout, process.communicate())
        except TimeoutError:
            process.kill()
            await process.wait()
            raise TmuxUnavailableError("tmux did not start a server in time") from None
        if not self.server.is_running():  # tmux 3.3a exits 0 when it cannot create the socket
            message = stderr.decode("utf-8", "replace").strip() or "unknown error"
            raise TmuxUnavailableError(f"tmux could not start a server: {message}")

    async def _fallback(self, commands: Sequence[Sequence[str]]) -> list[CommandResult]:
        if not self.server.is_running():
            raise ServerNotRunningError(f"no tmux server running on {self.server.socket_path}")
        self.fallback_batches += 1
        self.processes_started += 1
        return await run_chained(self.server, commands, self.timeout)

    def _client_exited(self, client: ControlClient) -> None:
        if client is self._client:
            self._client = None
            self._on_disconnect()
