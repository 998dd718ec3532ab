"""The audit log: an append-only record of every change tmuxorch made to tmux.

tmux panes are shells, so sending text to one is running code. When a fleet of agents is driven
from the keyboard, from scripts and from remote clients, the question "who sent what, where, and
did it arrive?" must have an answer after the fact. Each entry records the actor, the operation,
the target ids and the per-target receipts.

Only the first TEXT_PREVIEW_CHARS characters of a text are kept (enough to recognise it, and a
pasted file or secret is not copied wholesale into the database), together with the SHA-256 and
length of the full text so that a given text can still be proven to be the one sent.

A write into a database deleted or replaced since it was opened raises StoreGoneError (the store
checks before each write): an audit row nobody could ever read is a lost audit row.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.frozen import Frozen, frozen_model
from tmuxorch.core.store.store import Store

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:
    from typing import Any, Concatenate, ParamSpec

    P = ParamSpec("P")


def __annotation_names__() -> dict[str, object]:
    """What its entries' annotations name, for `get_type_hints` (core/fields.py)."""
    from typing import Any

    return {"Any": Any}


TEXT_PREVIEW_CHARS = 500


def _sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data` from CPython's own implementation where the build has it, as
    hashlib falls back to: hashlib loads OpenSSL's library first, ~2.5 ms of every `send`
    (issue 17), for the digest of one message."""
    try:
        from _sha2 import sha256  # type: ignore[import-not-found]  # Python 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found]  # 3.11
        except ImportError:  # a build without them
            from hashlib import sha256
    digest: str = sha256(data).hexdigest()
    return digest


@frozen_model
class AuditEntry(Frozen):
    """One recorded change. `text` is a preview; `text_sha256`/`text_length` describe the whole."""

    id: int
    at: float
    actor: str
    op: str
    targets: list[str]
    receipts: list[dict[str, Any]]
    text: str | None = None
    text_sha256: str | None = None
    text_length: int | None = None


def local_actor() -> str:
    """The name recorded for changes made by the person at this machine (the login name).

    getpass.getuser() can fail in containers whose uid has no passwd entry; the uid still
    identifies the actor, so it stands in rather than the audit write failing.
    """
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return f"uid:{os.getuid()}"


def _json(value: list[Any]) -> str:
    """A column's JSON, compact and UTF-8 as the rows written before have it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _storable(text: str) -> str:
    """Text SQLite can store: lone surrogates (from undecodable input) become escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _on_store_thread(
    method: Callable[Concatenate[AuditLog, P], AuditEntry],
) -> Callable[Concatenate[AuditLog, P], Coroutine[Any, Any, AuditEntry]]:
    """An awaitable `method` run by a store thread, with the very same parameters (typed)."""

    async def run(log: AuditLog, /, *args: P.args, **kwargs: P.kwargs) -> AuditEntry:
        return await log._store.run_write(method, log, *args, **kwargs)

    return run


class AuditLog:
    """Appends to and reads the `audit` table of a Store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def store(self) -> Store:
        """The store the log writes to (the schedules are kept there too)."""
        return self._store

    def record(
        self,
        actor: str,
        op: str,
        targets: Sequence[str],
        receipts: Sequence[Mapping[str, Any]],
        text: str | None = None,
    ) -> AuditEntry:
        """Append one entry and return it as stored (with its id and timestamp)."""
        if not op:
            raise BadInputError("audit: op must not be empty")
        targets_json = _json(list(targets))
        receipts_json = _json([dict(r) for r in receipts])
        preview: str | None = None
        digest: str | None = None
        length: int | None = None
        if text is not None:
            preview = _storable(text[:TEXT_PREVIEW_CHARS])
            digest = _sha256_hex(text.encode("utf-8", "surrogatepass"))
            length = len(text)
        at = time.time()
        with self._store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO audit"
                " (at, actor, op, targets, receipts, text, text_sha256, text_length)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (at, actor, op, targets_json, receipts_json, preview, digest, length),
            )
            # An INSERT into a rowid table always sets lastrowid; the fallback only satisfies types.
            row_id = cursor.lastrowid or 0
        return AuditEntry(
            id=row_id,
            at=at,
            actor=actor,
            op=op,
            targets=json.loads(targets_json),
            receipts=json.loads(receipts_json),
            text=preview,
            text_sha256=digest,
            text_length=length,
        )

    arecord = _on_store_thread(record)
    """`record` on a store thread, for callers on an event loop that serves others: a locked
    database then delays this write, not every client."""

    def entries(
        self, limit: int | None = 50, op: str | None = None, since: float | None = None
    ) -> list[AuditEntry]:
        """Entries newest first: at most `limit` (None: all), of one `op`, at or after `since`."""
        if limit is not None and limit < 0:
            raise BadInputError(f"audit: limit must be >= 0, got {limit}")
        clauses: list[str] = []
        params: list[Any] = []
        if op is not None:
            clauses.append("op = ?")
            params.append(op)
        if since is not None:
            clauses.append("at >= ?")
            params.append(since)
        sql = "SELECT * FROM audit"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        # id, not at: ids are strictly increasing, while the wall clock may step backwards.
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(-1 if limit is None else limit)
        return [
            AuditEntry(
                id=row["id"],
                at=row["at"],
                actor=row["actor"],
                op=row["op"],
                targets=json.loads(row["targets"]),
                receipts=json.loads(row["receipts"]),
                text=row["text"],
                text_sha256=row["text_sha256"],
                text_length=row["text_length"],
            )
            for row in self._store.query(sql, params)
        ]
