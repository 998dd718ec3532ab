"""The server's log tells a bug from a client's mistake: an internal error (an exception the
core does not name) is logged with its traceback, an error the core names (a bad request, a
target that is gone, no tmux) is not, and the client never sees the internals. A mutation run
found that nothing checked either half."""

from __future__ import annotations

import logging
from typing import NoReturn

import pytest

from tmuxorch.core.errors import BadInputError, TargetNotFoundError, TmuxUnavailableError
from tmuxorch.core.local import LocalBackend

from ..serverkit import Served


async def test_an_internal_error_is_logged_with_its_traceback_and_a_named_one_is_not(
    srv: Served, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    raised: list[tuple[Exception, str]] = [
        (BadInputError("lines must be positive"), "bad_request"),
        (TargetNotFoundError("%3"), "not_found"),
        (TmuxUnavailableError("no tmux server running"), "tmux_unavailable"),
        (RuntimeError("a bug in the core"), "internal"),
    ]

    async def capture(*args: object, **kwargs: object) -> NoReturn:
        raise raised[0][0]

    monkeypatch.setattr(LocalBackend, "capture", capture)
    pane = srv.engine.last_snapshot.panes()[0].id  # type: ignore[union-attr]
    caplog.set_level(logging.ERROR, logger="tmuxorch.server")
    async with srv.client() as client:
        while raised:
            code = raised[0][1]
            response = await client.request("capture", target=pane, lines=5)
            assert (response["ok"], response["error"]["code"]) == (False, code)
            if code != "internal":
                assert [r.getMessage() for r in caplog.records] == [], code
            raised.pop(0)
    assert "a bug in the core" not in response["error"]["message"]
    [record] = caplog.records
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
