"""Connections that have not finished their opening handshake, bounded before authentication.

An idle TCP connection costs a file descriptor until its handshake times out; a few thousand of
them (reconnecting as each times out) would exhaust the descriptors and slow every real
handshake. So at most `total` connections may be pending at once, and at most `per_address`
from one address. When a cap is reached, the oldest pending connection of that address (or of
all, for the total) that has not yet sent its whole request is dropped to make room: an idle
connection is what an attacker holds, and a real client sends its request at once, so it gets
in even while an attacker keeps reconnecting from the same address (on a loopback bind every
client, `ssh -L` tunnels included, is 127.0.0.1). When every pending connection is already
being answered, the newcomer is refused instead (a one-line 503). A dropped or refused
connection is parked: left open, unread, until its handshake times out, as it would have been
anyway, so that a flood that reconnects each time it is closed does not churn (up to a budget
of descriptors; past it they are closed at once).

Refusals, and failures to accept at all (out of file descriptors, which asyncio would log
with a traceback each time), are logged once per `log_interval` seconds with a count, never one
line (or a traceback) per connection. This module knows no sockets: a connection is anything with a
`drop()` and an `idle` flag, so it is tested without a network.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger("tmuxorch.server")


class Pending(Protocol):
    """A connection in its opening handshake."""

    @property
    def idle(self) -> bool:
        """True until its whole HTTP request has arrived."""
        ...

    def drop(self) -> None:
        """Send it away (503, parked or cut): it held a slot without sending its request."""
        ...

    def cut(self) -> None:
        """Close it now."""
        ...


class Doorman:
    """Admits connections into the handshake, within the caps."""

    def __init__(
        self,
        total: int,
        per_address: int,
        parked: int = 0,
        log_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.per_address = per_address
        self.max_parked = parked
        self.parked: set[Pending] = set()
        """Connections dropped or refused but left open, unread, until their handshake times
        out (see `park`)."""
        self.log_interval = log_interval
        self._clock = clock
        self._pending: dict[Pending, str] = {}
        """Every pending connection and its address, oldest first."""
        self._by_address: collections.Counter[str] = collections.Counter()
        self.refused = 0
        self.dropped = 0
        self._unlogged = 0
        self._logged_at: float | None = None

    def __len__(self) -> int:
        return len(self._pending)

    def enter(self, connection: Pending, address: str) -> bool:
        """Whether `connection` (just accepted, from `address`) may start its handshake; an
        idle older one may be dropped to make room. False: refuse it."""
        if self._by_address[address] >= self.per_address and not self._make_room(address):
            return self._refuse(address, f"{self.per_address} from this address")
        if len(self._pending) >= self.total and not self._make_room(None):
            return self._refuse(address, f"{self.total} in all")
        self._pending[connection] = address
        self._by_address[address] += 1
        return True

    def leave(self, connection: Pending) -> None:
        """The handshake is over (done, failed or cut); idempotent."""
        address = self._pending.pop(connection, None)
        if address is None:
            return
        self._by_address[address] -= 1
        if self._by_address[address] <= 0:
            del self._by_address[address]

    def park(self, connection: Pending) -> bool:
        """Whether a dropped or refused connection may be left open (unread) until its
        handshake times out, rather than closed now: an attacker whose connection is closed
        reconnects at once, and that churn costs far more than an idle socket. At most
        `max_parked` (each holds a descriptor); past that they are closed."""
        if len(self.parked) >= self.max_parked:
            return False
        self.parked.add(connection)
        return True

    def unpark(self, connection: Pending) -> None:
        self.parked.discard(connection)

    def close(self) -> None:
        """Cut every pending and parked connection: the server is stopping."""
        for connection in [*self._pending, *self.parked]:
            connection.cut()

    def _make_room(self, address: str | None) -> bool:
        """Drop the oldest idle pending connection (of `address`, or of any): False if none."""
        for connection, where in self._pending.items():
            if connection.idle and (address is None or where == address):
                self.leave(connection)
                self.dropped += 1
                self._note(where, "dropped an idle pending connection")
                connection.drop()
                return True
        return False

    def accept_failed(self, exc: OSError) -> None:
        """The listening socket could not accept (out of descriptors): asyncio retries in a
        second; say so once per interval, with no traceback."""
        self._note("-", f"cannot accept connections: {exc.strerror or exc}")

    def _refuse(self, address: str, cap: str) -> bool:
        self.refused += 1
        self._note(address, f"refused a connection: at most {cap} may be in their handshake")
        return False

    def _note(self, address: str, what: str) -> None:
        """Log at most once per interval, with how many were dropped or refused meanwhile."""
        self._unlogged += 1
        now = self._clock()
        if self._logged_at is not None and now - self._logged_at < self.log_interval:
            return
        log.warning(
            "%s (%s; %d in the last %.0f s, %d pending now)",
            what, address, self._unlogged, self.log_interval, len(self._pending),
        )  # fmt: skip
        self._unlogged = 0
        self._logged_at = now
