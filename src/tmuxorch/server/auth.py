"""The handshake checks of `tmuxorch serve`, decided before the WebSocket upgrade.

In order, for every HTTP request:

1. a request that does not ask for a WebSocket (no `Upgrade: websocket`: a browser's
   `<img src=...>`, a health check, curl) gets 426 and counts for nothing;
2. on a loopback bind, the `Host` header must name the loopback (localhost, 127.0.0.1, ::1):
   a web page that rebinds its own DNS name to 127.0.0.1 still sends its own name as the Host,
   so this stops DNS-rebinding attacks on a server that relies on being local;
3. a request carrying an `Origin` header (every browser sends one) must have an origin from the
   allow-list (`--allow-origin`), else 403: a web page the user happens to visit cannot open a
   connection to the server (cross-site WebSocket hijacking);
4. `Authorization: Bearer <token>` must name an active token, else 401. The token is checked
   on a store thread within `check_timeout` (else 503: the database is locked by another process,
   try again), so a slow database delays one handshake, never the event loop.

A token that verifies is always admitted, whatever failed before from its address: on a loopback
bind every client and every `ssh -L` tunnel is 127.0.0.1, so refusing an address would lock out
every legitimate user along with one attacker. Only a presented token that fails is a guess and
counts: a missing Authorization header cannot guess anything (a misconfigured client, a probe),
and neither can a bad Host or Origin (never checked against the store). Past `limit` failed
guesses in `window` seconds, an address's further failed guesses are answered 429 only after
`penalty` seconds: with the server's cap on pending handshakes per address, that bounds the
guesses one address can make per second, without slowing down any valid token.

This module knows HTTP headers, not websockets, so it is tested without a network.
"""

from __future__ import annotations

import asyncio
import collections
import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tmuxorch.core.store.store import StoreGoneError
from tmuxorch.server.tokens import TokenInfo, TokenStore

LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})
MAX_TRACKED_ADDRESSES = 10_000
TOKEN_CHECK_TIMEOUT = 2.0
"""Seconds a handshake waits for its token check (the handshake timeout is 5 s by default)."""
GUESS_PENALTY = 1.0
"""Seconds before a throttled address hears that its guess failed."""


class Headers(Protocol):
    """The part of an HTTP header mapping the checks need (websockets' Headers has it)."""

    def get_all(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class Rejection:
    """An HTTP answer instead of the upgrade."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


def is_loopback_host(host: str) -> bool:
    """Whether a host (a bind address or the name in a Host header) is this machine only."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The host part of a Host header: `localhost:8765` -> `localhost`, `[::1]:80` -> `::1`."""
    header = header.strip()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    if header.count(":") == 1:
        return header.split(":", 1)[0]
    return header


class FailureLimiter:
    """Counts failed token guesses per address: past `limit` in any `window` seconds the address
    is throttled until its failures age out. Memory is bounded: past MAX_TRACKED_ADDRESSES the
    address seen least recently is forgotten."""

    def __init__(
        self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )

    def blocked(self, address: str) -> float:
        """Seconds until `address` is no longer throttled (0: it is not now)."""
        times = self._recent(address)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window - self._clock())

    def failed(self, address: str) -> None:
        times = self._recent(address)
        times.append(self._clock())
        self._failures[address] = times
        self._failures.move_to_end(address)
        while len(self._failures) > MAX_TRACKED_ADDRESSES:
            self._failures.popitem(last=False)

    def _recent(self, address: str) -> collections.deque[float]:
        times = self._failures.get(address, collections.deque())
        cutoff = self._clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            self._failures.pop(address, None)
        return times


class Gatekeeper:
    """Decides, from the request headers and the peer address, who may open a connection."""

    def __init__(
        self,
        tokens: TokenStore,
        *,
        allowed_origins: Sequence[str] = (),
        check_host: bool = True,
        limiter: FailureLimiter | None = None,
        check_timeout: float = TOKEN_CHECK_TIMEOUT,
        penalty: float = GUESS_PENALTY,
    ) -> None:
        self.tokens = tokens
        self.allowed_origins = frozenset(origin.strip().lower() for origin in allowed_origins)
        self.check_host = check_host
        self.limiter = limiter or FailureLimiter()
        self.check_timeout = check_timeout
        self.penalty = penalty

    async def admit(self, headers: Headers, address: str) -> TokenInfo | Rejection:
        """The token of an acceptable request, or the Rejection to answer with."""
        if not _wants_websocket(headers):
            return Rejection(
                426, "this is a WebSocket endpoint (tmuxorch serve): upgrade required\n",
                {"Upgrade": "websocket", "Connection": "Upgrade"},
            )  # fmt: skip
        if self.check_host:
            hosts = headers.get_all("Host")
            if len(hosts) != 1 or not is_loopback_host(host_name(hosts[0])):
                return Rejection(403, "this server only answers requests for localhost\n")
        origins = headers.get_all("Origin")
        if origins and (
            len(origins) != 1 or origins[0].strip().lower() not in self.allowed_origins
        ):
            return Rejection(403, "origin not allowed (see tmuxorch serve --allow-origin)\n")
        token = _bearer(headers)
        if token is None:
            return _UNAUTHORIZED
        try:
            async with asyncio.timeout(self.check_timeout):
                info = await self.tokens.check(token)
        except TimeoutError:
            return Rejection(
                503, "the token store is busy (locked by another process); try again\n",
                {"Retry-After": "1"},
            )  # fmt: skip
        except StoreGoneError:
            return Rejection(
                503, "the server's token store was deleted or replaced: it accepts no new "
                "connections until it is restarted\n",
            )  # fmt: skip
        if info is not None:
            return info
        wait = self.limiter.blocked(address)
        self.limiter.failed(address)
        if wait <= 0:
            return _UNAUTHORIZED
        await asyncio.sleep(self.penalty)
        return Rejection(
            429, "too many failed authentication attempts; try again later\n",
            {"Retry-After": str(int(wait) + 1)},
        )  # fmt: skip


_UNAUTHORIZED = Rejection(
    401, "a valid token is required: Authorization: Bearer <token>\n",
    {"WWW-Authenticate": 'Bearer realm="tmuxorch"'},
)  # fmt: skip


def _wants_websocket(headers: Headers) -> bool:
    upgrades = ",".join(headers.get_all("Upgrade")).lower()
    return "websocket" in (part.strip() for part in upgrades.split(","))


def _bearer(headers: Headers) -> str | None:
    values = headers.get_all("Authorization")
    if len(values) != 1:
        return None
    scheme, _, token = values[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None
