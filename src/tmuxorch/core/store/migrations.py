"""The database's schema history: what each version of the store adds to the one before.

Kept apart from the store (core/store/store.py), which applies it: `MIGRATIONS[n]` upgrades a
database from version n to n + 1 (`PRAGMA user_version`).
"""

# Append only. Each entry is a SQL script taking the schema from version (index) to index + 1.
MIGRATIONS: list[str] = [
    # 1: the audit log (core.audit). targets and receipts are JSON arrays: they are only ever read
    # back whole, and JSON keeps receipts free to gain fields without a migration.
    """
    CREATE TABLE audit (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          REAL    NOT NULL,
        actor       TEXT    NOT NULL,
        op          TEXT    NOT NULL,
        targets     TEXT    NOT NULL,
        receipts    TEXT    NOT NULL,
        text        TEXT,
        text_sha256 TEXT,
        text_length INTEGER
    );
    CREATE INDEX audit_at ON audit (at);
    CREATE INDEX audit_op ON audit (op, id);
    """,
    # 2: API tokens of `tmuxorch serve` (server.tokens). Only the SHA-256 of each token is kept;
    # a name is unique among tokens that are not revoked, so a revoked name can be reused.
    """
    CREATE TABLE tokens (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        name         TEXT    NOT NULL,
        scope        TEXT    NOT NULL CHECK (scope IN ('read', 'control')),
        token_sha256 TEXT    NOT NULL UNIQUE,
        created      REAL    NOT NULL,
        expires      REAL,
        revoked      REAL,
        last_used    REAL
    );
    CREATE UNIQUE INDEX tokens_live_name ON tokens (name) WHERE revoked IS NULL;
    """,
    # 3: a token's public id (the part of `tmo_<id>.<secret>` before the dot), by which it is
    # found, so that its digest is then compared in constant time. Tokens made before have none
    # and are still found by their digest (server.tokens).
    """
    ALTER TABLE tokens ADD COLUMN public_id TEXT;
    CREATE UNIQUE INDEX tokens_public_id ON tokens (public_id);
    """,
    # 4: notifications claimed (core.store.claims): one row per agent state event notified, so
    # that of several tmuxorch processes watching one tmux server only the first notifies it.
    """
    CREATE TABLE notified (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        server TEXT    NOT NULL,
        pane   TEXT    NOT NULL,
        state  TEXT    NOT NULL,
        since  REAL    NOT NULL,
        at     REAL    NOT NULL,
        pid    INTEGER NOT NULL
    );
    CREATE INDEX notified_key ON notified (server, pane, state, since);
    """,
    # 5: schedules (core.schedules.book): messages to send later, on a timer, a cron line or an
    # agent going idle. targets, trigger, remaining and receipts are JSON, read back whole.
    """
    CREATE TABLE schedules (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        server     TEXT    NOT NULL,
        targets    TEXT    NOT NULL,
        text       TEXT    NOT NULL,
        trigger    TEXT    NOT NULL,
        created    REAL    NOT NULL,
        state      TEXT    NOT NULL
                   CHECK (state IN ('pending', 'done', 'failed', 'cancelled')),
        next_due   REAL,
        fires      INTEGER NOT NULL DEFAULT 0,
        last_fired REAL,
        late       INTEGER NOT NULL DEFAULT 0,
        remaining  TEXT    NOT NULL DEFAULT '[]',
        receipts   TEXT    NOT NULL DEFAULT '[]',
        reason     TEXT    NOT NULL DEFAULT '',
        ended      REAL
    );
    CREATE INDEX schedules_pending ON schedules (server, state, next_due);
    """,
    # 6: the task queue (core.tasks.book): tasks handed to idle agents one at a time, and
    # whether a server's queue is paused. agents and receipts are JSON, read back whole.
    """
    CREATE TABLE tasks (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        server     TEXT    NOT NULL,
        text       TEXT    NOT NULL,
        created    REAL    NOT NULL,
        kind       TEXT,
        session    TEXT,
        agents     TEXT    NOT NULL DEFAULT '[]',
        priority   INTEGER NOT NULL DEFAULT 0,
        state      TEXT    NOT NULL
                   CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
        agent      TEXT,
        dispatched REAL,
        started    REAL,
        finished   REAL,
        receipts   TEXT    NOT NULL DEFAULT '[]',
        reason     TEXT    NOT NULL DEFAULT ''
    );
    CREATE INDEX tasks_open ON tasks (server, state, priority, id);
    CREATE TABLE queues (
        server TEXT PRIMARY KEY,
        paused INTEGER NOT NULL DEFAULT 0
    );
    """,
]
