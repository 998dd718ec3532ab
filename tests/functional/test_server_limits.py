"""The server's per-connection limits on the real thing (a real server on 127.0.0.1, real
websockets clients): at most `max_inflight` requests of one connection served at once, and each
client socket's kernel send buffer set to `send_buffer`."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.server.options import ServerOptions

from ..conftest import TmuxFixture, wait_for
from ..serverkit import served


def wmem_max() -> int:
    """The most SO_SNDBUF may be set to here."""
    return int(Path("/proc/sys/net/core/wmem_max").read_text())


class GatedBackend(LocalBackend):
    """The real backend, whose captures wait until the test opens the gate: requests that stay
    in flight exactly as long as the test needs, with no timing involved."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.gate = asyncio.Event()
        self.started = 0

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        self.started += 1
        await self.gate.wait()
        return await super().capture(target, lines, colours=colours)


async def test_a_connection_gets_at_most_max_inflight_requests_served_at_once(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    backend = GatedBackend(engine)
    options = ServerOptions(port=0, max_inflight=2)
    pane = (await engine.snapshot()).panes()[0].id
    async with (
        served(engine, running_tmux.tmpdir, options, backend_factory=lambda _: backend) as s,
        s.client() as busy,
    ):
        for request_id in (1, 2, 3):
            await busy.send_raw(
                json.dumps({"type": "request", "id": request_id, "op": "capture", "target": pane})
            )
        await busy.send_raw(json.dumps({"type": "request", "id": 4, "op": "ping"}))
        await wait_for(lambda: backend.started == 2)
        async with s.client() as other:  # the server goes on serving other connections
            assert (await other.ok("ping"))["time"] > 0
        assert backend.started == 2  # the third capture waits for a slot, and the ping too
        assert busy.responses == {}
        backend.gate.set()
        order: list[int] = []
        while len(order) < 4:
            await busy.pump()
            order += [i for i in busy.responses if i is not None and i not in order]
        assert backend.started == 3
        assert all(busy.responses[i]["ok"] for i in order), busy.responses
        assert 4 not in order[:2]  # the ping was read only once a capture had finished


async def test_each_client_socket_gets_the_send_buffer_asked_for(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    """SO_SNDBUF of the server's side of each connection (Linux reports twice what was set,
    for its bookkeeping, up to net.core.wmem_max)."""
    for asked in (96 * 1024, ServerOptions().send_buffer):
        assert asked is not None
        options = ServerOptions(port=0, send_buffer=asked)
        async with served(engine, running_tmux.tmpdir / str(asked), options) as s, s.client():
            await wait_for(lambda s=s: len(s.server.sessions) == 1)  # type: ignore[misc]
            [session] = s.server.sessions
            sock = session.ws.transport.get_extra_info("socket")
            got = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
            assert got == 2 * min(asked, wmem_max())
