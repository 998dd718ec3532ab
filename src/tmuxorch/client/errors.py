"""What only a client can fail with: a refused handshake and a dropped connection. (Errors a
server answers are in the protocol's error table, shared with the server.)"""

from __future__ import annotations

from tmuxorch.core.errors import TmuxUnavailableError


class RefusedError(TmuxUnavailableError):
    """The server refused the handshake (401: the token; 403: Host or Origin). Final: never
    retried. Exit status 3, like any server that cannot be used."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ConnectionLostError(TmuxUnavailableError):
    """The connection dropped while a request was waiting for its answer."""


def fresh(error: BaseException) -> BaseException:
    """A copy of a stored error to raise again (raising one instance twice chains tracebacks)."""
    if isinstance(error, RefusedError):
        return RefusedError(error.status, str(error))
    try:
        return type(error)(*error.args)
    except Exception:
        return error
