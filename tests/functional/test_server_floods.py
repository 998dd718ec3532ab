"""Floods against a real `tmuxorch serve` on 127.0.0.1 from raw-socket clients we did not write
(issue 11, items 1 and 2): a client that sends pings and never reads the pongs is cut with the
server's buffers bounded; idle TCP connections that never send a request cannot hold more than
the pending caps, a real client still gets in, and the log says so in a few lines, no traceback.

The flooders are blocking sockets in threads: the server runs on the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from bench.attackers import PING, upgrade
from websockets.asyncio.client import connect

from tmuxorch.core.engine import Engine
from tmuxorch.server.options import ServerOptions

from ..conftest import TmuxFixture, wait_for
from ..serverkit import bearer, served


def flood(sock: socket.socket, stop: threading.Event, sent: list[int], budget: int) -> None:
    """Send pings (never reading) until the server cuts us (then `sent` ends with -1), `stop`,
    or `budget` bytes."""
    batch = PING * 500
    try:
        while not stop.is_set() and sent[0] < budget:
            sock.sendall(batch)
            sent[0] += len(batch)
    except OSError:
        sent.append(-1)


async def test_a_client_that_sends_pings_and_never_reads_the_pongs_is_cut(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    async with served(engine, running_tmux.tmpdir, ServerOptions(port=0)) as s:
        sock = await asyncio.to_thread(upgrade, s.server.port, s.read)
        stop, sent = threading.Event(), [0]
        flooder = threading.Thread(target=flood, args=(sock, stop, sent, 200 << 20))
        flooder.start()
        biggest = 0
        try:
            deadline = time.monotonic() + 20
            while sent[-1] != -1 and flooder.is_alive() and time.monotonic() < deadline:
                for connection in s.server._admitted:
                    biggest = max(biggest, connection.transport.get_write_buffer_size())
                await asyncio.sleep(0.005)
            assert sent[-1] == -1, f"not cut after {sent[0]} bytes of pings"
            await wait_for(lambda: not s.server.sessions, timeout=10)
            # what we buffered for it: websockets' write limit, plus the limit, plus what one
            # read of its pings asked for
            assert biggest < ServerOptions().unanswered_limit + 512 * 1024
            async with s.client(s.read) as other:  # the server goes on serving
                assert (await other.ok("ping"))["seq"] >= 0
        finally:
            stop.set()
            await asyncio.to_thread(flooder.join, 10)
            sock.close()


@contextlib.contextmanager
def idle_connections(port: int, source: str, count: int) -> Iterator[list[socket.socket]]:
    """`count` TCP connections from `source` that never send a byte."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind((source, 0))
            sock.connect(("127.0.0.1", port))
            sock.setblocking(False)
            socks.append(sock)
        yield socks
    finally:
        for sock in socks:
            sock.close()


def still_open(socks: list[socket.socket]) -> int:
    """How many of `socks` the server has not closed (or answered)."""
    count = 0
    for sock in socks:
        try:
            if sock.recv(1, socket.MSG_PEEK):
                continue  # answered (a 503): the server is done with it
        except BlockingIOError:
            count += 1
        except OSError:
            pass
    return count


async def test_idle_connections_before_authentication_are_capped_and_a_real_client_gets_in(
    engine: Engine, running_tmux: TmuxFixture, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # a long handshake timeout: the idle ones are closed by the caps, not by timing out
    options = ServerOptions(port=0, max_pending=12, max_pending_per_address=4, handshake_timeout=60)
    async with served(engine, running_tmux.tmpdir, options) as s:
        port = s.server.port
        with (
            idle_connections(port, "127.0.0.2", 40) as remote,
            idle_connections(port, "127.0.0.1", 40) as local,
        ):
            await wait_for(lambda: still_open(remote) <= 4 and still_open(local) <= 4, 8)
            # a real client from the same address as 40 idle ones gets in, at once
            started = time.monotonic()
            async with connect(s.url, additional_headers=bearer(s.read), open_timeout=5) as ws:
                assert b'"hello"' in (await ws.recv()).encode()
            assert time.monotonic() - started < 3.0
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert s.server.doorman.refused + s.server.doorman.dropped >= 70
    refusals = [r for r in caplog.records if "pending" in r.getMessage()]
    assert 1 <= len(refusals) <= 3, [r.getMessage() for r in refusals]
