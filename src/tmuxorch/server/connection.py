"""The websockets connection `tmuxorch serve` uses: bounded before and after authentication.

Two things the library does on its own are bounded here, where they happen:

- Accepting. Every accepted TCP connection enters the server's `Doorman` (pending handshakes,
  capped in all and per address) before a byte is read; one it refuses or drops gets a one-line
  503 and is parked (no longer read) until the handshake timeout closes it.
- Answering. websockets writes pongs (and close frames) itself, straight to the transport,
  outside the session's Outbox: a client that sends pings and never reads the pongs would grow
  the transport's buffer without bound. So once the transport has more than websockets'
  `write_limit` waiting (the client is not reading), the bytes websockets adds count against
  `unanswered_limit`; past it the connection is cut. A client that reads resets the count.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from websockets.asyncio.server import ServerConnection

from tmuxorch.server.doorman import Doorman
from tmuxorch.server.tokens import TokenInfo

log = logging.getLogger("tmuxorch.server")

BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nRetry-After: 5\r\n"
    b"Connection: close\r\nContent-Length: 38\r\n\r\ntoo many connections waiting; retry\r\n\r\n"
)
"""Answer to a connection refused before its request was read (the body is 38 bytes)."""


class GuardedConnection(ServerConnection):
    """A connection that passes the doorman, cannot make websockets buffer without bound, and
    remembers the token it was admitted with. `guarded()` makes the subclass a server uses."""

    doorman: ClassVar[Doorman | None] = None
    unanswered_limit: ClassVar[int] = 64 * 1024
    evictions: ClassVar[list[int]]
    """One count per server (a list so the subclass shares it): connections cut here."""

    token: TokenInfo | None = None
    _unanswered = 0
    _refused = False

    @property
    def idle(self) -> bool:
        """Whether its whole HTTP request has yet to arrive."""
        return not self.request_rcvd.done()

    @property
    def peer(self) -> str:
        remote = self.transport.get_extra_info("peername")
        if isinstance(remote, tuple) and remote:
            return str(remote[0])
        return str(remote)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self.doorman is not None and not self.doorman.enter(self, self.peer):
            self._refused = True
            self.drop()

    def drop(self) -> None:
        """Answer 503 and stop reading it: parked until its handshake times out, or cut at
        once when too many are parked."""
        self.transport.write(BUSY)  # it has sent no request yet: its socket takes it at once
        if self.doorman is not None and self.doorman.park(self):
            self.transport.pause_reading()
        else:
            self.transport.abort()

    def cut(self) -> None:
        self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.doorman is not None:
            self.doorman.unpark(self)

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        try:
            if self._refused:  # parked: wait for the handshake timeout (or the peer) to end it
                await asyncio.shield(self.connection_lost_waiter)
            else:
                await super().handshake(*args, **kwargs)
        finally:
            if self.doorman is not None:
                self.doorman.leave(self)

    def send_data(self) -> None:
        if not self.paused:
            super().send_data()
            return
        before = self.transport.get_write_buffer_size()
        super().send_data()
        self._unanswered += self.transport.get_write_buffer_size() - before
        if self._unanswered > self.unanswered_limit and not self.transport.is_closing():
            self.evictions[0] += 1
            log.warning(
                "cutting client %s: it does not read, and more than %d bytes of pongs or other "
                "replies it caused are waiting", self.peer, self.unanswered_limit,
            )  # fmt: skip
            self.transport.abort()

    def resume_writing(self) -> None:
        super().resume_writing()
        self._unanswered = 0


def guarded(doorman: Doorman, unanswered_limit: int) -> type[GuardedConnection]:
    """The connection class of one server: its doorman and limit, its own eviction count."""
    attributes = {"doorman": doorman, "unanswered_limit": unanswered_limit, "evictions": [0]}
    return type("ServerGuardedConnection", (GuardedConnection,), attributes)
