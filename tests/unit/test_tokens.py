"""API tokens: created, checked, revoked and expired; found by their public id and compared
in constant time; and the tokens made before public ids, still accepted after the migration."""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from pathlib import Path

import pytest

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.store.migrations import MIGRATIONS
from tmuxorch.core.store.store import Store, split_statements
from tmuxorch.server import tokens as tokens_module
from tmuxorch.server.tokens import TokenStore, hash_token, parse_duration

TOKEN_SHAPE = re.compile(r"tmo_[0-9a-f]{16}\.[A-Za-z0-9_-]{43}")


def test_tokens_verify_revoke_expire(tmp_path: Path) -> None:
    now = [1000.0]
    with Store(tmp_path / "t.db") as store:
        tokens = TokenStore(store, clock=lambda: now[0])
        token, info = tokens.create("alice", "control", expires_in=60)
        assert TOKEN_SHAPE.fullmatch(token)
        verified = tokens.verify(token)
        assert verified is not None
        assert verified.name == "alice"
        assert verified.scope == "control"
        assert verified.last_used == 1000.0
        wrong_tokens = ("", token[:-1], token + "x", token.upper(), "tmo_" + "a" * 200, token[4:])
        for wrong in wrong_tokens:
            assert tokens.verify(wrong) is None
        stored = [tuple(row) for row in store.query("SELECT * FROM tokens")]
        assert token not in repr(stored)
        assert hash_token(token) in repr(stored)

        now[0] += 61
        assert tokens.verify(token) is None  # expired
        assert not tokens.still_valid(info.id)
        assert tokens.list_tokens()[0].status(now[0]) == "expired"

        other, info2 = tokens.create("bob")
        assert info2.scope == "read"
        assert info2.expires is None
        assert not tokens.still_valid(info2.id)  # never accepted here
        assert tokens.verify(other) is not None
        assert tokens.still_valid(info2.id)
        tokens.revoke("bob")
        assert tokens.verify(other) is None
        assert not tokens.still_valid(info2.id)
        with pytest.raises(BadInputError):
            tokens.revoke("bob")
        again, _ = tokens.create("bob")  # a revoked name can be used again
        assert tokens.verify(again) is not None
        with pytest.raises(BadInputError, match="already exists"):
            tokens.create("bob")
        with pytest.raises(BadInputError):
            tokens.create("no spaces")
        with pytest.raises(BadInputError):
            tokens.create("x", "admin")  # type: ignore[arg-type]


def test_a_revocation_by_another_process_is_seen_without_waiting_on_the_caller(
    tmp_path: Path,
) -> None:
    """still_valid answers from memory (it runs on the server's event loop) and looks again on a
    store thread: a revocation made through another connection shows on a later call."""
    with Store(tmp_path / "t.db") as store, Store(tmp_path / "t.db") as cli:
        tokens = TokenStore(store)
        token, info = tokens.create("alice", "control")
        assert tokens.verify(token) is not None
        TokenStore(cli).revoke("alice")  # what `tmuxorch token revoke` does, elsewhere
        deadline = time.monotonic() + 10
        while tokens.still_valid(info.id):
            assert time.monotonic() < deadline, "the revocation was never seen"
            store.submit(lambda: None).result(timeout=10)  # let the refresh run


def test_parse_duration() -> None:
    assert parse_duration("30d") == 30 * 86400
    assert parse_duration("12h") == 43200
    assert parse_duration("2w") == 14 * 86400
    assert parse_duration("never") is None
    for bad in ("", "30", "d", "0d", "-1d", "1y", "99999w"):
        with pytest.raises(BadInputError):
            parse_duration(bad)


def test_a_token_is_found_by_its_id_and_its_digest_compared_in_constant_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[str, str]] = []

    def compare_digest(a: str, b: str) -> bool:
        compared.append((a, b))
        return a == b

    monkeypatch.setattr(tokens_module.hmac, "compare_digest", compare_digest)
    with Store(tmp_path / "t.db") as store:
        tokens = TokenStore(store)
        token, _ = tokens.create("alice", "control")
        other, _ = tokens.create("bob")
        public_id, secret = token.removeprefix("tmo_").split(".")
        other_id, other_secret = other.removeprefix("tmo_").split(".")
        flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
        for wrong in (f"tmo_{public_id}.{flipped}", f"tmo_{public_id}.{other_secret}"):
            compared.clear()
            assert tokens.verify(wrong) is None
            # the row was found by the id; the digests compared differ: the comparison decided
            assert compared == [(hash_token(token), hash_token(wrong))]
        assert tokens.verify(f"tmo_{other_id}.{secret}") is None  # bob's id, alice's secret
        compared.clear()
        verified = tokens.verify(token)
        assert verified is not None
        assert (verified.name, verified.legacy) == ("alice", False)
        assert compared == [(hash_token(token), hash_token(token))]

        rows = [dict(row) for row in store.query("SELECT * FROM tokens ORDER BY id")]
        assert [(r["public_id"], r["token_sha256"]) for r in rows] == [
            (public_id, hash_token(token)), (other_id, hash_token(other)),
        ]  # fmt: skip
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())  # the db and its WAL
    for piece in (secret, other_secret, secret[:16], other_secret[:16]):
        assert piece.encode() not in stored
    assert public_id.encode() in stored  # the check above reads the right files


def test_tokens_made_before_public_ids_still_work_after_the_migration(tmp_path: Path) -> None:
    """A database at schema version 2 (tokens stored by the digest of `tmo_` + 43 characters)
    is migrated; its token is still accepted, marked legacy, and a wrong one is not."""
    db = tmp_path / "old.db"
    legacy = "tmo_" + secrets.token_urlsafe(32)
    conn = sqlite3.connect(db)
    for script in MIGRATIONS[:2]:
        for statement in split_statements(script):
            conn.execute(statement)
    conn.execute(
        "INSERT INTO tokens (name, scope, token_sha256, created) VALUES ('old', 'control', ?, 1)",
        (hashlib.sha256(legacy.encode()).hexdigest(),),
    )
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with Store(db) as store:
        tokens = TokenStore(store)
        verified = tokens.verify(legacy)
        assert verified is not None
        assert (verified.name, verified.scope, verified.legacy) == ("old", "control", True)
        assert tokens.verify(legacy[:-1] + ("A" if legacy[-1] != "A" else "B")) is None
        assert [t.legacy for t in tokens.list_tokens()] == [True]
        new, _ = tokens.create("new")
        assert [t.legacy for t in tokens.list_tokens()] == [True, False]
        assert tokens.verify(new) is not None
