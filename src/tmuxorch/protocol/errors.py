"""The error table of the protocol: error code <-> exception, one place for both ends.

The server answers an exception raised while serving a request with `code_for(exc)`; the client
raises `exception_for(code, message)` for an error response, so a caller of RemoteBackend sees
the same exception types (and CLI exit statuses) as a caller of LocalBackend. Each row of
`ERROR_TABLE` names the exception the server catches for a code and the one the client raises;
they differ only where the core's own class cannot be rebuilt from a message alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from tmuxorch.core.errors import (
    BadInputError,
    TargetNotFoundError,
    TmuxCommandError,
    TmuxorchError,
    TmuxUnavailableError,
)

ErrorCode = Literal[
    "bad_request",  # not JSON, not a request, a missing/extra/wrong-typed field, bad input
    "unknown_op",  # `op` is not one of OPS
    "forbidden",  # the token's scope does not allow the op
    "not_found",  # the target does not exist
    "tmux_unavailable",  # no tmux server, or it stopped answering
    "unsupported",  # a known op this server cannot do (schedules, for now)
    "failed",  # tmux refused the command
    "internal",  # a bug: the server log has the details
]


class ProtocolError(TmuxorchError):
    """A request that cannot be served, with its code: answered as an error response."""

    def __init__(self, code: ErrorCode, message: str, request_id: int | None = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.request_id = request_id


class ForbiddenError(TmuxorchError):
    """The token's scope does not allow the operation (a `read` token asked to change tmux)."""

    exit_code = 1


class UnsupportedError(TmuxorchError):
    """A known operation this server cannot do (yet)."""


class RemoteNotFoundError(TargetNotFoundError):
    """The server has no such pane, window or session: a TargetNotFoundError built from the
    server's message (the core's constructor wants the target and its near matches)."""

    def __init__(self, message: str) -> None:
        BadInputError.__init__(self, message)
        self.target = ""
        self.suggestions = []


class RemoteOperationError(TmuxorchError):
    """The server could not do it (`failed`, `internal`)."""


@dataclass(frozen=True)
class ErrorRow:
    code: ErrorCode
    caught: type[Exception] | None
    """What the server answers with `code` (the first row whose class matches wins)."""
    raised: Callable[[str], TmuxorchError]
    """What the client raises for `code`, given the server's message."""


def _forbidden(message: str) -> TmuxorchError:
    return ForbiddenError(f"forbidden: {message} (this needs a token with scope control)")


def _internal(message: str) -> TmuxorchError:
    return RemoteOperationError(f"the server failed: {message}")


ERROR_TABLE: tuple[ErrorRow, ...] = (
    ErrorRow("forbidden", ForbiddenError, _forbidden),
    ErrorRow("tmux_unavailable", TmuxUnavailableError, TmuxUnavailableError),
    ErrorRow("not_found", TargetNotFoundError, RemoteNotFoundError),  # before its base class
    ErrorRow("bad_request", BadInputError, BadInputError),
    ErrorRow("unknown_op", None, BadInputError),  # only ever a ProtocolError's own code
    ErrorRow("unsupported", UnsupportedError, UnsupportedError),
    ErrorRow("failed", TmuxorchError, RemoteOperationError),
    ErrorRow("internal", None, _internal),
)
_BY_CODE: dict[str, ErrorRow] = {row.code: row for row in ERROR_TABLE}

_MISSING = re.compile(r"can't find (pane|window|session):? (\S+)|no such (pane|window|session)")


def code_for(exc: Exception) -> tuple[ErrorCode, str]:
    """The code and message the server answers for `exc`. An exception the core does not name
    is `internal`, and its text (which may hold internals) is not sent."""
    if isinstance(exc, ProtocolError):
        return exc.code, exc.message
    if isinstance(exc, TmuxCommandError) and (missing := _MISSING.search(exc.message)):
        # tmux says the target is gone: say it the way a lookup does
        what = missing.group(1) or missing.group(3)
        target = missing.group(2)
        return "not_found", f"no such {what}: {target}" if target else str(exc)
    for row in ERROR_TABLE:
        if row.caught is not None and isinstance(exc, row.caught):
            return row.code, str(exc)
    return "internal", f"internal error ({type(exc).__name__}); see the server log"


def exception_for(code: str, message: str) -> TmuxorchError:
    """The exception the client raises for an error response (`failed` for a code it does not
    know: a newer server may add codes)."""
    row = _BY_CODE.get(code)
    return (row or _BY_CODE["failed"]).raised(message)
