"""How `tmuxorch serve` listens and what it allows (DESIGN.md safety rule 9), and its TLS
context: the settings every other server module reads, checked once."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from tmuxorch.core.errors import BadInputError, TmuxorchError
from tmuxorch.server.auth import is_loopback_host
from tmuxorch.server.hub import DEFAULT_HISTORY, DEFAULT_OUTBOX_LIMIT


class BindRefusedError(BadInputError):
    """A non-loopback bind without TLS (and without `insecure`)."""


class ListenError(TmuxorchError):
    """The address cannot be bound (in use, not ours, ...)."""


@dataclass(frozen=True)
class ServerOptions:
    """How `tmuxorch serve` listens and what it allows."""

    host: str = "127.0.0.1"
    port: int = 8765
    ssl: ssl.SSLContext | None = None
    allowed_origins: tuple[str, ...] = ()
    insecure: bool = False
    max_connections: int = 64
    max_connections_per_token: int = 16
    """Authenticated connections one token may hold: one read token cannot take every slot."""
    listen_backlog: int | None = None
    """Connections the kernel queues before they are accepted (None: a quarter of the file
    descriptor limit, at most 1024). Under a flood a short queue overflows and a real client's
    dropped SYN is retried only after a second; but asyncio accepts up to this many at once,
    each a descriptor until it is closed, so it must stay well under the limit."""
    max_pending: int = 128
    max_pending_per_address: int = 16
    """Connections in their opening handshake (before any token is checked), in all and from
    one address (server/doorman.py)."""
    unanswered_limit: int = 64 * 1024
    """Bytes of pongs and other replies websockets writes itself that a client not reading may
    leave waiting before it is cut (server/connection.py)."""
    max_frame: int = 256 * 1024
    outbox_limit: int = DEFAULT_OUTBOX_LIMIT
    history: int = DEFAULT_HISTORY
    handshake_timeout: float = 5.0
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    close_timeout: float = 2.0
    max_auth_failures: int = 10
    auth_window: float = 60.0
    max_inflight: int = 8
    max_captures: int = 2
    """Captures of one connection with tmux at once (its others wait, holding their slots)."""
    capture_workers: int = 2
    """Captures with tmux at once, server-wide, granted in turn across clients (turns.py)."""
    max_capture_lines: int = 10_000
    max_capture_bytes: int = 1 << 20
    """A capture's text is cut to its last lines that fit (the result says so)."""
    token_recheck: float = 5.0
    send_buffer: int | None = 256 * 1024
    """SO_SNDBUF of each client socket: bounds what the kernel holds for a client that does not
    read (Linux would otherwise let it grow to 4 MiB) and makes such a client show up in its
    outbox sooner. None keeps the kernel's autotuning."""

    @property
    def loopback(self) -> bool:
        return is_loopback_host(self.host)

    def check_bind(self) -> None:
        """Refuse a non-loopback bind without TLS unless `insecure` (safety rule 9)."""
        if not self.loopback and self.ssl is None and not self.insecure:
            raise BindRefusedError(
                f"refusing to listen on {self.host!r} without TLS: tokens and everything typed "
                "into your agents would cross the network in clear text. Give --tls-cert and "
                "--tls-key, bind 127.0.0.1 and tunnel (ssh -L), or pass --insecure on a network "
                "you trust"
            )


def tls_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """The server's TLS context from a certificate chain and key file (both or neither)."""
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise BadInputError("give both --tls-cert and --tls-key")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except OSError as exc:
        raise BadInputError(
            f"cannot read the TLS certificate or key: {exc.strerror or exc}"
        ) from exc
    except ssl.SSLError as exc:
        raise BadInputError(f"unusable TLS certificate or key: {exc.reason or exc}") from exc
    return context
