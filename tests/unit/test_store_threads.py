"""The store off the event loop: a connection per thread, calls run on store threads, and a
database deleted or replaced under an open Store noticed before it is read or written."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tmuxorch.core.store.audit import AuditLog
from tmuxorch.core.store.store import (
    BUSY_TIMEOUT,
    STORE_THREADS,
    Store,
    StoreError,
    StoreGoneError,
)


def test_audit_writes_can_run_on_a_store_thread(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        audit = AuditLog(store)

        async def write() -> str:
            entry = await audit.arecord("me", "send", ["%1"], [{"status": "delivered"}], "hi")
            assert entry.op == "send"
            return await store.run(lambda: threading.current_thread().name)

        assert asyncio.run(write()).startswith("tmuxorch-store")
        assert [e.text for e in audit.entries()] == ["hi"]


def test_a_replaced_or_deleted_file_is_refused_not_used(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with Store(db) as store:
        AuditLog(store).record("me", "kill", ["%1"], [])
        with Store(tmp_path / "b.db"):
            pass
        os.replace(tmp_path / "b.db", db)
        with pytest.raises(StoreGoneError, match="deleted or replaced"):
            AuditLog(store).record("me", "kill", ["%2"], [])
        with pytest.raises(StoreGoneError):  # a new thread's connection is refused too
            store.submit(store.query, "SELECT 1").result(timeout=10)
        db.unlink()
        with pytest.raises(StoreGoneError):
            store.ensure_same_file()


def test_create_false_makes_no_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database there"):
        Store(tmp_path / "none.db", create=False).connect()
    assert not (tmp_path / "none.db").exists()


def test_audit_writes_waiting_for_a_lock_hold_up_no_read(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with Store(db) as store:
        audit = AuditLog(store)
        holder = sqlite3.connect(db, isolation_level=None)  # another writer, as another process
        holder.execute("BEGIN EXCLUSIVE")

        async def main() -> None:
            writes = [
                asyncio.ensure_future(audit.arecord("me", "kill", [f"%{n}"], []))
                for n in range(STORE_THREADS * 2)
            ]
            await asyncio.sleep(0)  # a yield (not a wait): each write is handed to a thread first
            started = time.monotonic()
            assert await store.run(store.query, "SELECT count(*) FROM audit")
            assert time.monotonic() - started < BUSY_TIMEOUT / 2
            assert not any(w.done() for w in writes)  # they still wait for the lock
            holder.execute("ROLLBACK")
            await asyncio.gather(*writes)

        asyncio.run(main())
        holder.close()
        assert len(audit.entries(limit=None)) == STORE_THREADS * 2
