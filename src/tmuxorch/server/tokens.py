"""API tokens for `tmuxorch serve`: created, listed and revoked by `tmuxorch token`, checked at
every WebSocket handshake.

A token is `tmo_<id>.<secret>`: a public id (8 random bytes, hex) and a secret (32 random bytes,
`secrets.token_urlsafe`). It is shown once when it is created and never again: the store keeps
the id and the SHA-256 of the whole token, nothing from which the secret could be read back. Each
token has a name (recorded as the actor in the audit log for everything done with it), a scope
(`read` may look, `control` may also change tmux), an optional expiry, and is revoked by name.

Checking a token finds its row by the public id, then compares the stored digest with the digest
of what was presented with `hmac.compare_digest`: how long the check takes says whether the id
exists (it is not secret), never how much of a guessed secret was right.

Tokens made before public ids existed (`tmo_` and 43 characters, no dot; schema version 2) keep
working, and are found the old way: by their digest, through a unique index. No comparison is
made after that lookup (the index already matched the whole digest); its timing can only tell
how much of the *digest of the attacker's own guess* matches a stored one, which steers no guess
towards a real token. `tmuxorch token list` marks them `legacy`: revoke and re-create them to get
the id-based check. The per-address throttle of failed guesses (see server.auth) bounds online
guessing of either kind.

A check is a read (never blocked by another process's write lock, in WAL mode) and makes sure the
database is still the file the server opened (store.ensure_same_file). Recording `last_used` is
best effort: it waits at most LAST_USED_WAIT for the write lock, so a locked database delays a
handshake by that much, never refuses a valid token. `still_valid`, asked on the event loop for
every request of an open connection, answers from what the last check found and refreshes that
on a store thread: a revocation by another process is seen within two rechecks.

Tokens are never logged, never put in URLs, and never printed except by `token create`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tmuxorch.core.errors import BadInputError
from tmuxorch.core.store.store import Store, StoreError, StoreGoneError
from tmuxorch.protocol.scopes import SCOPES, Scope

TOKEN_PREFIX = "tmo_"
MAX_TOKEN_LENGTH = 100
"""A presented token longer than this cannot be one of ours; it is refused before hashing."""
MAX_EXPIRY = 10 * 365 * 86400.0
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
_DURATION = re.compile(r"([0-9]{1,6})([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
LAST_USED_WAIT = 0.05
"""Seconds a token check waits for the write lock to record `last_used` before skipping it."""

TokenStatus = Literal["active", "expired", "revoked"]


class TokenInfo(BaseModel):
    """Everything about a token except the token itself (which is not stored)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: int
    name: str
    scope: Scope
    created: float
    expires: float | None = None
    revoked: float | None = None
    last_used: float | None = None
    legacy: bool = False
    """Made before public ids: found by its digest (see the module's docstring)."""

    def status(self, now: float | None = None) -> TokenStatus:
        """`revoked`, `expired` or `active` at `now` (default: the current time)."""
        if self.revoked is not None:
            return "revoked"
        if self.expires is not None and self.expires <= (time.time() if now is None else now):
            return "expired"
        return "active"


def hash_token(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def generate_token() -> tuple[str, str]:
    """A fresh token and its public id: the prefix (so a leaked token is recognisable), the id
    (64 random bits, to find the token by) and the secret (256 random bits)."""
    public_id = secrets.token_hex(8)
    return f"{TOKEN_PREFIX}{public_id}.{secrets.token_urlsafe(32)}", public_id


def validate_token_name(name: str) -> str:
    """Token names are short identifiers: they show up as the audit log's actor."""
    if not _NAME.fullmatch(name):
        raise BadInputError(
            f"token name {name!r} is not valid: use 1-64 letters, digits or . _ @ + - "
            "(starting with a letter or digit)"
        )
    return name


def parse_duration(text: str) -> float | None:
    """`30d`, `12h`, `90m`, `2w`, `3600s` -> seconds; `never` -> None."""
    if text.strip().lower() == "never":
        return None
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise BadInputError(
            f"invalid duration {text!r}: use a number and a unit (s, m, h, d, w), e.g. 30d, "
            "or 'never'"
        )
    seconds = float(int(match.group(1)) * _UNITS[match.group(2)])
    if not 0 < seconds <= MAX_EXPIRY:
        raise BadInputError(f"invalid duration {text!r}: must be more than 0 and at most 10 years")
    return seconds


class TokenStore:
    """The `tokens` table of a Store."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._valid: dict[int, bool] = {}
        """What the latest check of each token id accepted here found (see still_valid)."""
        self._refreshing: set[int] = set()
        self._lock = threading.Lock()

    @property
    def store(self) -> Store:
        """The database the tokens live in."""
        return self._store

    async def check(self, presented: str) -> TokenInfo | None:
        """`verify` on a store thread: the event loop never waits for the database."""
        return await self._store.run(self.verify, presented)

    def create(
        self, name: str, scope: Scope = "read", expires_in: float | None = None
    ) -> tuple[str, TokenInfo]:
        """A new token named `name`; returns the token (to show once) and its record."""
        validate_token_name(name)
        if scope not in SCOPES:
            raise BadInputError(f"scope must be read or control, not {scope!r}")
        if expires_in is not None and not 0 < expires_in <= MAX_EXPIRY:
            raise BadInputError("the expiry must be in the future and at most 10 years away")
        token, public_id = generate_token()
        now = self._clock()
        expires = None if expires_in is None else now + expires_in
        with self._store.transaction() as conn:
            taken = conn.execute(
                "SELECT 1 FROM tokens WHERE name = ? AND revoked IS NULL", (name,)
            ).fetchone()
            if taken:
                raise BadInputError(
                    f"a token named {name!r} already exists: revoke it first "
                    f"(tmuxorch token revoke {name}) or pick another name"
                )
            cursor = conn.execute(
                "INSERT INTO tokens (name, scope, token_sha256, public_id, created, expires)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (name, scope, hash_token(token), public_id, now, expires),
            )
            row_id = cursor.lastrowid or 0
        info = TokenInfo(id=row_id, name=name, scope=scope, created=now, expires=expires)
        return token, info

    def list_tokens(self) -> list[TokenInfo]:
        """Every token ever created (revoked and expired ones included), oldest first."""
        return [_info(row) for row in self._store.query("SELECT * FROM tokens ORDER BY id")]

    def revoke(self, name: str) -> TokenInfo:
        """Revoke the live token called `name`; it stops working at the next check."""
        now = self._clock()
        with self._store.transaction() as conn:
            conn.execute(
                "UPDATE tokens SET revoked = ? WHERE name = ? AND revoked IS NULL", (now, name)
            )
            changed = conn.execute("SELECT changes()").fetchone()[0]
        if not changed:
            raise BadInputError(f"no token named {name!r} (see tmuxorch token list)")
        rows = self._store.query(
            "SELECT * FROM tokens WHERE name = ? AND revoked = ? ORDER BY id DESC LIMIT 1",
            (name, now),
        )
        info = _info(rows[0])
        with self._lock:
            self._valid[info.id] = False
        return info

    def verify(self, presented: str) -> TokenInfo | None:
        """The record of a presented token if it is known, not revoked and not expired; else
        None. Marks the token as used (best effort, see the module's docstring). Raises
        StoreGoneError when the database was deleted or replaced since the store opened it."""
        if not presented.startswith(TOKEN_PREFIX) or len(presented) > MAX_TOKEN_LENGTH:
            return None
        self._store.ensure_same_file()
        digest = hash_token(presented)
        public_id, dot, _secret = presented.removeprefix(TOKEN_PREFIX).partition(".")
        if dot:
            rows = self._store.query("SELECT * FROM tokens WHERE public_id = ?", (public_id,))
            if not rows or not hmac.compare_digest(str(rows[0]["token_sha256"]), digest):
                return None
        else:  # a legacy token (see the module's docstring): the index matches the digest
            rows = self._store.query(
                "SELECT * FROM tokens WHERE token_sha256 = ? AND public_id IS NULL", (digest,)
            )
            if not rows:
                return None
        info = _info(rows[0])
        now = self._clock()
        active = info.status(now) == "active"
        with self._lock:
            self._valid[info.id] = active
        if not active:
            return None
        try:
            with self._store.transaction(busy_timeout=LAST_USED_WAIT) as conn:
                conn.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (now, info.id))
        except StoreGoneError:
            raise
        except StoreError:  # locked by another process: the token is no less valid
            return info
        return info.model_copy(update={"last_used": now})

    def still_valid(self, token_id: int) -> bool:
        """Whether a token accepted earlier is still active (not revoked or expired since), as
        the latest look found; never waits for the database (see the module's docstring)."""
        with self._lock:
            valid = self._valid.get(token_id, False)
            if token_id in self._refreshing:
                return valid
            self._refreshing.add(token_id)
        self._store.submit(self._refresh, token_id)
        return valid

    def _refresh(self, token_id: int) -> None:
        try:
            self._store.ensure_same_file()
            rows = self._store.query("SELECT * FROM tokens WHERE id = ?", (token_id,))
            valid: bool | None = bool(rows) and _info(rows[0]).status(self._clock()) == "active"
        except StoreGoneError:  # its revocation could no longer reach us: it ends here
            valid = False
        except StoreError:  # a database hiccup must not drop every client
            valid = None
        with self._lock:
            self._refreshing.discard(token_id)
            if valid is not None:
                self._valid[token_id] = valid


def _info(row: sqlite3.Row) -> TokenInfo:
    return TokenInfo(
        id=row["id"],
        name=row["name"],
        scope=row["scope"],
        created=row["created"],
        expires=row["expires"],
        revoked=row["revoked"],
        last_used=row["last_used"],
        legacy=row["public_id"] is None,
    )
