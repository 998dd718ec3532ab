"""A remote `send` cut off by a dropped connection is never sent again: the server may have typed
it already, and typing it twice submits it twice. The caller hears that the connection was lost
(and must look before trying again), unlike a read, which is simply asked again."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tmuxorch.client.backend import RemoteBackend
from tmuxorch.client.errors import ConnectionLostError
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.models import Receipt

from ..conftest import TmuxFixture, wait_for
from ..serverkit import Served
from ..simfleet import start_agent


async def test_a_send_cut_off_after_the_server_typed_it_is_not_sent_again(
    srv: Served, running_tmux: TmuxFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0", "--show-submits")
    typed = LocalBackend.send
    cut: list[str] = []

    async def type_then_drop(
        self: LocalBackend, targets: Sequence[str], text: str, **options: bool
    ) -> list[Receipt]:
        """The server's send: done, then the network goes away before the answer (once)."""
        receipts = await typed(self, targets, text, **options)
        if not cut:
            cut.append(text)
            for session in list(srv.server.sessions):
                session.ws.transport.abort()
        return receipts

    monkeypatch.setattr(LocalBackend, "send", type_then_drop)
    remote = RemoteBackend(srv.url, srv.control, backoff=(0.05, 0.5))
    try:
        with pytest.raises(ConnectionLostError):
            await remote.send([agent.pane], "exactly once")
        assert cut == ["exactly once"]
        await wait_for(lambda: agent.entries() == ["exactly once"])
        (after,) = await remote.send([agent.pane], "after it")  # the connection is back
        assert after.status == "delivered"
        await wait_for(lambda: agent.entries()[-1:] == ["after it"])
        assert agent.entries() == ["exactly once", "after it"]
        assert remote.link.reconnects == 1
    finally:
        await remote.close()
