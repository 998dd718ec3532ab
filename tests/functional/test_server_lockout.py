"""Issue 11, item 3: failed guesses from an address never lock out a valid token from it (on a
loopback bind every client and every ssh tunnel is 127.0.0.1); only presented tokens that fail
count; a plain GET gets 426 and counts for nothing. A real server, websockets and raw-socket
clients."""

from __future__ import annotations

import asyncio
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tmuxorch.core.engine import Engine
from tmuxorch.server.options import ServerOptions

from ..conftest import TmuxFixture
from ..serverkit import bearer, served


async def refused(url: str, headers: dict[str, str] | None) -> int:
    """The HTTP status of a refused handshake."""
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, additional_headers=headers):
            pass
    return info.value.response.status_code


async def plain_get(port: int) -> bytes:
    """What `<img src="http://127.0.0.1:PORT/">` sends: a GET without Upgrade. The status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: image/*\r\n\r\n")
        await writer.drain()
        return await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()


async def test_a_valid_token_gets_in_after_failed_guesses_from_its_address(
    engine: Engine, running_tmux: TmuxFixture
) -> None:
    options = ServerOptions(port=0, max_auth_failures=3, auth_window=60)
    async with served(engine, running_tmux.tmpdir, options) as s:
        for _ in range(5):  # no guess here: none of these counts
            assert (await plain_get(s.server.port)).startswith(b"HTTP/1.1 426")
            assert await refused(s.url, None) == 401  # no token at all
        for n in range(3):
            assert await refused(s.url, bearer(f"tmo_guess{n}")) == 401, n
        started = time.monotonic()
        assert await refused(s.url, bearer("tmo_guess3")) == 429  # throttled guesses
        assert time.monotonic() - started >= s.server.gatekeeper.penalty * 0.9
        for token in (s.control, s.read):  # what the user's own clients present
            async with s.client(token) as client:
                assert (await client.ok("ping"))["time"] > 0
        assert s.server.sessions_started == 2
