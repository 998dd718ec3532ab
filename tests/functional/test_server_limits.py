"""The server's per-connection limits on the real thing (a real server on 127.0.0.1, real
websockets clients): at most `max_inflight` requests of one connection served at once, and each
client socket's kernel send buffer set to `send_buffer`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.server.options import ServerOptions

from ..conftest import TmuxFixture, wait_for
from ..serverkit import Served, bearer, served
from .test_server_cli import serve_process


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


async def test_one_token_cannot_take_every_connection_slot(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    options = ServerOptions(port=0, max_connections=4, max_connections_per_token=2)
    async with (
        served(engine, running_tmux.tmpdir, options) as s,
        s.client(s.read),
        s.client(s.read),
    ):
        with pytest.raises(InvalidStatus) as refused:
            async with s.client(s.read):
                pass
        assert refused.value.response.status_code == 503
        assert b"at most 2" in refused.value.response.body
        async with s.client() as control:  # the control token still gets in
            assert (await control.ok("ping"))["seq"] >= 0


class TurnBackend(LocalBackend):
    """The real backend, whose captures each wait for one `allow.release()` and record which
    actor's capture got into the backend, in order."""

    def __init__(self, engine: Engine, actor: str, started: list[str], allow: asyncio.Semaphore):
        super().__init__(engine, actor=actor)
        self.started = started
        self.allow = allow

    async def capture(self, target: str, lines: int = 50, *, colours: bool = False) -> str:
        self.started.append(self.actor)
        await self.allow.acquire()
        return await super().capture(target, lines, colours=colours)


@contextlib.asynccontextmanager
async def turn_served(
    engine: Engine,
    running_tmux: TmuxFixture,
    options: ServerOptions,
) -> AsyncIterator[tuple[Served, str, list[str], asyncio.Semaphore]]:
    """A server whose captures are TurnBackend's, a pane to capture, the actors whose captures
    started, in order, and the semaphore that lets each through."""
    started: list[str] = []
    allow = asyncio.Semaphore(0)
    pane = (await engine.snapshot()).panes()[0].id
    factory = lambda actor: TurnBackend(engine, actor, started, allow)  # noqa: E731
    async with served(engine, running_tmux.tmpdir, options, backend_factory=factory) as s:
        yield s, pane, started, allow


def in_flight(s: Served, token: str) -> int:
    """Requests the server has read from the connection of `token` and not yet answered."""
    return sum(len(c._tasks) for c in s.server.sessions if c.token.name == token)


def capture(request_id: int, target: str, lines: int = 50) -> str:
    return json.dumps(
        {"type": "request", "id": request_id, "op": "capture", "target": target, "lines": lines}
    )


async def test_captures_take_turns_across_clients(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    """One capture with tmux at a time; a client with four queued does not go before another
    client's one more than once."""
    options = ServerOptions(port=0, capture_workers=1, max_captures=8)
    async with (
        turn_served(engine, running_tmux, options) as (s, pane, started, allow),
        s.client() as greedy,
        s.client(s.read) as other,
    ):  # fmt: skip
        for request_id in (1, 2, 3, 4):
            await greedy.send_raw(capture(request_id, pane))
        await wait_for(lambda: in_flight(s, "ctl") == 4)
        await other.send_raw(capture(1, pane))
        await wait_for(lambda: in_flight(s, "viewer") == 1)
        while len(started) < 5:  # one capture let through at a time, in the order granted
            count = len(started)
            allow.release()
            await wait_for(lambda count=count: len(started) > count or len(started) == 5)
        allow.release()  # the last one
        for request_id in (1, 2, 3, 4):
            assert (await greedy.response(request_id))["ok"]
        assert (await other.response(1))["ok"]
    assert started.index("viewer") <= 2, started


async def test_a_connection_gets_at_most_max_captures_with_tmux(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    options = ServerOptions(port=0, capture_workers=8, max_captures=2)
    async with (
        turn_served(engine, running_tmux, options) as (s, pane, started, allow),
        s.client() as busy,
    ):  # fmt: skip
        for request_id in (1, 2, 3, 4):
            await busy.send_raw(capture(request_id, pane))
        await wait_for(lambda: len(started) == 2)
        async with s.client(s.read) as other:  # another client's capture is not held up
            await other.send_raw(capture(1, pane))
            await wait_for(lambda: len(started) == 3)
            assert started.count("ctl") == 2
            for _ in range(5):
                allow.release()
            assert (await other.response(1))["ok"]
        for request_id in (1, 2, 3, 4):
            assert (await busy.response(request_id))["ok"]


async def test_captures_are_bounded_in_lines_and_bytes(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    pane = running_tmux.tmux(
        "new-window", "-d", "-P", "-F", "#{pane_id}", "seq 1 400; exec sleep 600"
    ).strip()
    options = ServerOptions(port=0, max_capture_lines=1000, max_capture_bytes=200)
    async with served(engine, running_tmux.tmpdir, options) as s, s.client(s.read) as c:
        response = await c.request("capture", target=pane, lines=1001)
        assert response["error"]["code"] == "bad_request"
        assert "at most 1000" in response["error"]["message"]

        async def tail() -> dict[str, object]:
            return await c.ok("capture", target=pane, lines=1000)

        deadline = asyncio.get_running_loop().time() + 10
        while not str((result := await tail())["text"]).rstrip().endswith("\n400"):
            assert asyncio.get_running_loop().time() < deadline, result
            await asyncio.sleep(0.05)
        text = str(result["text"])
        assert len(text.encode()) <= 200
        assert result["lines"] == text.count("\n") + (not text.endswith("\n"))
        assert text.split("\n")[0].isdigit() or text.split("\n")[0] == ""


async def test_serve_takes_the_per_token_cap_from_its_option(running_tmux: TmuxFixture) -> None:
    token = running_tmux.cli("token", "create", "one").stdout.strip()
    async with (
        serve_process(running_tmux, "--max-connections-per-token", "1") as (_, url),
        connect(url, additional_headers=bearer(token)),
    ):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, additional_headers=bearer(token)):
                pass
        assert refused.value.response.status_code == 503
    bad = running_tmux.cli("serve", "--max-connections-per-token", "0")
    assert bad.returncode == 2
    assert "not a whole number from 1" in bad.stderr
