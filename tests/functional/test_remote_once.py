"""A change that reached tmux is reported as what happened in tmux, even when the audit log
cannot be written (the store corrupted under the server): the audit failure is said beside the
result and logged loudly once. A change sent again with the same `request_id` gets the first
answer instead of acting twice, also while the first is still running, and also from a
RemoteBackend that lost its connection mid-send."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from tmuxorch.client.backend import RemoteBackend
from tmuxorch.client.errors import ConnectionLostError
from tmuxorch.core.engine import Engine
from tmuxorch.core.local import LocalBackend
from tmuxorch.core.models import Receipt
from tmuxorch.core.store.audit import AuditLog
from tmuxorch.core.store.store import Store
from tmuxorch.server.replies import Replies

from ..conftest import TmuxFixture, wait_for
from ..serverkit import Served, local_backends, served
from ..simfleet import start_agent


@pytest.fixture
async def audited(engine: Engine, running_tmux: TmuxFixture) -> AsyncIterator[tuple[Served, Path]]:
    """A server whose audit log is a store of its own (tokens stay readable when it breaks)."""
    path = running_tmux.tmpdir / "audit.db"
    store = Store(path)
    try:
        async with served(
            engine, running_tmux.tmpdir, backend_factory=local_backends(engine, AuditLog(store))
        ) as srv:
            yield srv, path
    finally:
        store.close()


def corrupt(path: Path) -> None:
    """Overwrite the database and its WAL with garbage, as a failing disk or a stray write
    would."""
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part.exists():
            with part.open("r+b") as file:
                file.write(b"\xa5" * max(part.stat().st_size, 8192))


def drop_after_typing(
    srv: Served, monkeypatch: pytest.MonkeyPatch, *, restart: bool = False
) -> list[str]:
    """Make the server's first send type its text, then lose every connection before the
    answer (as if the server restarted, with `restart`); the texts cut off so are listed."""
    typed = LocalBackend.send
    cut: list[str] = []

    async def type_then_drop(
        self: LocalBackend, targets: Sequence[str], text: str, **options: bool
    ) -> list[Receipt]:
        receipts = await typed(self, targets, text, **options)
        if not cut:
            cut.append(text)
            if restart:
                srv.server.instance = "a-later-run"  # what the next hello says
                srv.server.replies = Replies()  # and it remembers nothing
            for session in list(srv.server.sessions):
                session.ws.transport.abort()
        return receipts

    monkeypatch.setattr(LocalBackend, "send", type_then_drop)
    return cut


async def test_a_delivered_send_is_not_reported_failed_when_the_audit_write_fails(
    audited: tuple[Served, Path],
    running_tmux: TmuxFixture,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    srv, path = audited
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0", "--show-submits")
    async with srv.client() as client:
        first = await client.request("send", targets=[agent.pane], text="audited", request_id="a1")
        assert first["ok"], first
        assert "audit" not in first
        await wait_for(lambda: agent.entries() == ["audited"])
        corrupt(path)
        caplog.set_level(logging.ERROR, logger="tmuxorch.audit")

        sent = await client.request(
            "send", timeout=20, targets=[agent.pane], text="typed once", request_id="b-2"
        )
        assert sent["ok"], sent
        assert [r["status"] for r in sent["result"]["receipts"]] == ["delivered"]
        assert "send ran but is not in the audit log" in sent["audit"]
        await wait_for(lambda: agent.entries() == ["audited", "typed once"])

        again = await client.request(
            "send", timeout=20, targets=[agent.pane], text="typed once", request_id="b-2"
        )
        assert again["result"] == sent["result"]
        assert again["audit"] == sent["audit"]
        other = await client.request(
            "send", targets=[agent.pane], text="something else", request_id="b-2"
        )
        assert other["error"]["code"] == "bad_request"
        assert "already used" in other["error"]["message"]

        keys = await client.request("keys", timeout=20, targets=[agent.pane], keys=["End"])
        assert keys["ok"], keys
        assert "audit" in keys
    assert agent.entries() == ["audited", "typed once"]
    loud = [r for r in caplog.records if "AUDIT LOG WRITE FAILED" in r.getMessage()]
    assert len(loud) == 1, [r.getMessage() for r in loud]  # once per cause, not per request


async def test_a_repeat_while_the_first_still_runs_waits_for_it_and_does_not_act(
    srv: Served, running_tmux: TmuxFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0", "--show-submits")
    typed = LocalBackend.send
    release = asyncio.Event()
    calls: list[str] = []

    async def slow(
        self: LocalBackend, targets: Sequence[str], text: str, **options: bool
    ) -> list[Receipt]:
        calls.append(text)
        await release.wait()
        return await typed(self, targets, text, **options)

    monkeypatch.setattr(LocalBackend, "send", slow)
    params = {"targets": [agent.pane], "text": "only once", "request_id": "same"}
    async with srv.client() as one, srv.client() as two:
        await one.send_raw(json.dumps({"type": "request", "id": 1, "op": "send", **params}))
        await wait_for(lambda: calls == ["only once"])
        repeat = asyncio.create_task(two.request("send", timeout=20, **params))
        await asyncio.sleep(0)
        release.set()
        first = await one.response(1, timeout=20)
        second = await repeat
    assert first["ok"], first
    assert second["ok"], second
    assert second["result"] == first["result"]
    assert calls == ["only once"]
    await wait_for(lambda: agent.entries() == ["only once"])


async def test_a_remote_send_cut_off_is_retried_with_its_id_and_typed_once(
    srv: Served, running_tmux: TmuxFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0", "--show-submits")
    cut = drop_after_typing(srv, monkeypatch)
    remote = RemoteBackend(srv.url, srv.control, backoff=(0.05, 0.5))
    try:
        (receipt,) = await remote.send([agent.pane], "exactly once")
        assert receipt.status == "delivered"
        assert cut == ["exactly once"]
        assert remote.link.reconnects == 1
        (after,) = await remote.send([agent.pane], "after it")
        assert after.status == "delivered"
        await wait_for(lambda: agent.entries()[-1:] == ["after it"])
        assert agent.entries() == ["exactly once", "after it"]
    finally:
        await remote.close()


def test_the_reply_cache_is_bounded() -> None:
    replies = Replies(kept=3)

    async def run() -> None:
        from tmuxorch.protocol.requests import KillRequest
        from tmuxorch.protocol.results import Empty

        async def act(_request: object) -> Empty:
            return Empty()

        for n in range(10):
            request = KillRequest(type="request", id=n, op="kill", target="%1", request_id=f"r{n}")
            await replies.answer("ctl", request, act)

    asyncio.run(run())
    assert len(replies) == 3


async def test_a_send_cut_off_is_not_retried_on_a_restarted_server(
    srv: Served, running_tmux: TmuxFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restarted server does not know the request_id: the client does not send it again
    there, and says the send may or may not have happened."""
    agent = await start_agent(running_tmux, tmp_path, "--busy", "0", "--show-submits")
    drop_after_typing(srv, monkeypatch, restart=True)
    remote = RemoteBackend(srv.url, srv.control, backoff=(0.05, 0.5))
    try:
        with pytest.raises(ConnectionLostError, match="may or may not have happened"):
            await remote.send([agent.pane], "maybe")
        await wait_for(lambda: agent.entries() == ["maybe"])
        assert remote.link.hello is not None
        assert remote.link.hello.instance == "a-later-run"
    finally:
        await remote.close()
    assert agent.entries() == ["maybe"]
