"""Issue 11, items 6 and 7: the store cannot freeze or fool `tmuxorch serve`. Another process
holding the database's write lock delays no ping and refuses no valid token; a token check that
cannot finish in time answers 503 while others are served; a database deleted or replaced while
serving is noticed, said once, and refused. Real servers, websockets clients, a real second
process holding the lock."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tmuxorch.core.store.audit import AuditLog
from tmuxorch.core.store.store import Store
from tmuxorch.server.tokens import TokenStore

from ..conftest import TmuxFixture
from ..serverkit import Client, Served, bearer

LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
if sys.argv[2] == "exclusive":  # readers too are shut out
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
conn.execute("BEGIN EXCLUSIVE")
conn.execute("UPDATE tokens SET last_used = last_used")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
conn.execute("ROLLBACK")
"""


@contextmanager
def locked(db: Path, mode: str = "write") -> Iterator[None]:
    """Another process holding `BEGIN EXCLUSIVE` on `db` for the body's duration."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db), mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "locked\n"
        yield
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def ping_time(client: Client) -> float:
    started = time.monotonic()
    assert (await client.ok("ping"))["time"] > 0
    return time.monotonic() - started


async def status_of(url: str, token: str) -> int:
    """101 for a connection that opened, else the HTTP status it was refused with."""
    try:
        async with connect(url, additional_headers=bearer(token), open_timeout=20):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


def remove_database(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


async def closed_within(client: Client, timeout: float) -> bool:
    """Whether the server closes `client`'s connection within `timeout` (polled with pings)."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            await client.ok("ping")
            await asyncio.sleep(0.05)
    except ConnectionClosed:
        return True
    return False


async def test_a_write_lock_elsewhere_delays_no_ping_and_refuses_no_token(srv: Served) -> None:
    async with srv.client(srv.read) as other:
        with locked(srv.store.path):
            handshake = asyncio.create_task(status_of(srv.url, srv.control))
            # while that token is checked, the loop keeps answering everyone else
            assert max([await ping_time(other) for _ in range(5)]) < 1.5
            assert await handshake == 101
        # the locker has gone: it must not have taken itself for the last user of the file
        # (and deleted the WAL under the server's connections)
        # 16 at once, half with each token: within the per-token cap (16) with `other` open
        tokens = [srv.read, srv.control] * 8
        codes = await asyncio.gather(*(status_of(srv.url, token) for token in tokens))
        assert set(codes) == {101}


async def test_an_audit_write_waiting_for_a_lock_delays_no_other_client(srv: Served) -> None:
    """A change's audit entry waits out another process's write lock on a store thread: the
    change is answered once the lock goes, and meanwhile everyone else is served."""
    async with srv.client(srv.read) as other, srv.client() as changer:
        window = (await changer.ok("snapshot"))["sessions"][0]["windows"][0]["id"]
        with locked(srv.store.path):
            rename = asyncio.create_task(changer.request("rename", 20, target=window, name="w2"))
            assert max([await ping_time(other) for _ in range(5)]) < 1.5
        answer = await rename
        assert "error" not in answer
        assert answer["result"] == {}
    assert [e.op for e in AuditLog(srv.store).entries(limit=1)] == ["rename"]


async def test_a_token_check_that_cannot_finish_gets_503_and_others_are_served(
    srv: Served,
) -> None:
    async with srv.client(srv.read) as other:
        srv.store.close()  # its connections would keep the locker out of exclusive mode
        with locked(srv.store.path, "exclusive"):
            started = time.monotonic()
            handshake = asyncio.create_task(status_of(srv.url, srv.control))
            while not handshake.done():
                assert await ping_time(other) < 1.5
                assert time.monotonic() - started < 15
            assert await handshake == 503
        assert await status_of(srv.url, srv.control) == 101  # nothing stays broken


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_store_gone_while_serving_is_refused_and_said_once(
    srv: Served, how: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    async with srv.client(srv.read) as viewer:
        db = srv.store.path
        if how == "deleted":
            remove_database(db)
        else:  # a restored backup, another tmuxorch's database: tokens we never issued
            with Store(tmp_path / "other.db") as other:
                impostor, _ = TokenStore(other).create("impostor", "control")
            os.replace(tmp_path / "other.db", db)
        for token in (srv.control, srv.control, srv.read):
            with pytest.raises(InvalidStatus) as info:
                async with connect(srv.url, additional_headers=bearer(token)):
                    pass
            assert info.value.response.status_code == 503
            assert b"deleted or replaced" in info.value.response.body
        if how == "replaced":
            assert await status_of(srv.url, impostor) == 503
        # its token can no longer be revoked: the open connection ends too
        assert await closed_within(viewer, 15)
    gone = [r for r in caplog.records if "deleted or replaced" in r.getMessage()]
    assert len(gone) == 1, [r.getMessage() for r in caplog.records]
    assert gone[0].exc_info is None  # said, not a traceback


def test_token_commands_never_make_a_new_empty_database(tmux: TmuxFixture) -> None:
    db = tmux.tmpdir / "data" / "tmuxorch" / "tmuxorch.db"
    assert tmux.cli("token", "create", "ci-bot").returncode == 0
    remove_database(db)  # under a running serve, say
    revoked = tmux.cli("token", "revoke", "ci-bot")
    assert revoked.returncode == 1
    assert "no database at" in revoked.stderr
    assert "restart it" in revoked.stderr
    listed = tmux.cli("token", "list")
    assert "no database at" in listed.stderr
    assert not db.exists()
    created = tmux.cli("token", "create", "ci-bot")
    assert created.returncode == 0
    assert "creating a new database" in created.stderr
