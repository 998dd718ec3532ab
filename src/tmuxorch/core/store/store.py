"""The SQLite store: one private database file for everything tmuxorch persists.

One file (the audit log, API tokens and notification claims now; schedules later add tables
through new migrations) keeps backup, permissions and "where is my data" simple. The file is
created 0600 before SQLite ever opens it, so there is no window in which another user could
read it, and WAL mode lets the CLI, the TUI and `tmuxorch serve` write to it at the same time
without blocking readers.

The schema is versioned with `PRAGMA user_version`: MIGRATIONS[n] upgrades a database from
version n to n + 1. Migrations are only ever appended, never edited, so any older database can be
brought forward; a database from a newer tmuxorch is refused rather than misread.

Concurrency: each thread gets its own connection (SQLite connections are per thread), so a
thread that waits for another process's write lock holds up nobody else: readers are never
blocked by a writer in WAL mode. `tmuxorch serve` keeps every store call off its event loop
(`run`, `run_write`: two small pools of store threads, so that audit writes waiting out a lock
never hold up a token check), so a database locked by another process delays a token check or an
audit write, never a ping or another client's request.

Identity: the (device, inode) of the file is remembered when it is first opened. A database
deleted or replaced while a long-running program uses it (the connections still point to the old
inode) is noticed by `ensure_same_file`, which every write runs first and the token check calls:
the store then refuses to be used (StoreGoneError), logged loudly once, rather than reading
tokens from, or writing audit rows to, a file nobody can see any more.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType

from tmuxorch.core.errors import TmuxorchError
from tmuxorch.core.store import paths
from tmuxorch.core.store.migrations import MIGRATIONS

TYPE_CHECKING = False  # typing costs every one-shot command ~2.5 ms (core/fields.py)
if TYPE_CHECKING:  # imported by the threads' first call: a one-shot command has none
    import concurrent.futures
    from pathlib import Path
    from typing import Any, ParamSpec, TypeVar

    T = TypeVar("T")
    P = ParamSpec("P")

FILE_MODE = 0o600
DIR_MODE = 0o700

# How long a writer waits for another process's write transaction before giving up (seconds).
BUSY_TIMEOUT = 5.0
STORE_THREADS = 4
"""Threads of each lane (`run`, `run_write`): a few calls may wait out a lock, others go on."""


class StoreError(TmuxorchError):
    """The database cannot be opened, is not a tmuxorch database, or a query on it failed."""

    exit_code = 1


class StoreGoneError(StoreError):
    """The database file was deleted or replaced since this Store opened it."""


def split_statements(script: str) -> list[str]:
    """Split a SQL script into complete statements, using SQLite's own notion of "complete".

    Migrations run statement by statement inside one explicit transaction, because
    `executescript` would commit first and make an upgrade non-atomic. `sqlite3.complete_statement`
    understands string literals and trigger bodies, so a `;` inside them does not split.
    """
    statements: list[str] = []
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip(" \t\r\n;"):
        statements.append(buffer.strip().removesuffix(";"))
    return statements


class Store:
    """A connection (one per thread) to tmuxorch's database, created and migrated on first use.

    `connect()` opens eagerly (so a bad file is reported at startup); otherwise the first query
    connects. Use as a context manager to close it deterministically. With `create=False` a
    missing file is an error instead of a new empty database. With `threads=False` (a one-shot
    process: no event loop to keep free, no asyncio to load) `run`/`run_write` call in place.
    """

    def __init__(
        self, path: Path | str | None = None, *, create: bool = True, threads: bool = True
    ) -> None:
        self._threads = threads
        self._default_location = path is None
        self._path = os.fspath(path if path is not None else paths.database_path())
        """A string (core/store/paths.py says why; `path` gives it as a Path)."""
        self._create = create
        self._local = threading.local()
        self._lock = threading.Lock()  # guards the registry below, never a query
        self._conns: list[sqlite3.Connection] = []
        self._identity: tuple[int, int] | None = None
        self._gone_logged = False
        self._pools: dict[str, concurrent.futures.ThreadPoolExecutor] = {}

    @property
    def path(self) -> Path:
        """The database file."""
        from pathlib import Path

        return Path(self._path)

    @property
    def connected(self) -> bool:
        """Whether this thread's connection is open."""
        return getattr(self._local, "conn", None) is not None

    def connect(self) -> Store:
        """Open (creating and migrating if needed) this thread's connection; a no-op when open."""
        if getattr(self._local, "conn", None) is None:
            conn = self._open()
            with self._lock:
                self._conns.append(conn)
            self._local.conn = conn
        return self

    def close(self) -> None:
        """Close every thread's connection and the store threads, after the calls they are
        running (at most BUSY_TIMEOUT each); the Store may be used again."""
        with self._lock:
            conns, self._conns = self._conns, []
            pools, self._pools = self._pools, {}
        for pool in pools.values():  # a connection is never closed while its thread uses it
            pool.shutdown(wait=True, cancel_futures=True)
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The migration level of the open database (PRAGMA user_version)."""
        rows = self.query("PRAGMA user_version")
        return int(rows[0][0])

    def ensure_same_file(self) -> None:
        """Raise StoreGoneError if the file opened first was deleted or replaced since."""
        if self._identity is None:
            return
        try:
            st = os.stat(self._path)
            same = (st.st_dev, st.st_ino) == self._identity
        except OSError:
            same = False
        if same:
            return
        message = (
            f"{self._path}: the database was deleted or replaced while in use; "
            "restart tmuxorch to use the new one"
        )
        if not self._gone_logged:
            self._gone_logged = True
            import logging  # on this failure only: logging costs a one-shot command ~3 ms

            logging.getLogger("tmuxorch.store").error(
                "%s (refusing to read tokens from or audit into the old one)", message
            )
        raise StoreGoneError(message)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(...)` on a store thread: the event loop never waits for the database. For reads
        and writes that wait briefly (a token check)."""
        return await self._on("read", fn, *args, **kwargs)

    async def run_write(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(...)` on a thread of its own lane, for writes that may wait out another
        process's lock (BUSY_TIMEOUT): however many wait, `run`'s threads stay free."""
        return await self._on("write", fn, *args, **kwargs)

    async def _on(self, lane: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if not self._threads:
            return fn(*args, **kwargs)
        import asyncio

        return await asyncio.wrap_future(self._pool(lane).submit(fn, *args, **kwargs))

    def submit(
        self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> concurrent.futures.Future[T]:
        """`run` from any thread."""
        return self._pool("read").submit(fn, *args, **kwargs)

    def _pool(self, lane: str) -> concurrent.futures.ThreadPoolExecutor:
        import concurrent.futures

        with self._lock:
            pool = self._pools.get(lane)
            if pool is None:
                pool = self._pools[lane] = concurrent.futures.ThreadPoolExecutor(
                    STORE_THREADS, thread_name_prefix=f"tmuxorch-store-{lane}"
                )
            return pool

    @contextlib.contextmanager
    def transaction(self, busy_timeout: float = BUSY_TIMEOUT) -> Iterator[sqlite3.Connection]:
        """Run the body as one write transaction: committed on success, rolled back on error.

        `BEGIN IMMEDIATE` takes the write lock up front, so two processes writing at once wait
        for each other (up to `busy_timeout`) instead of failing halfway with SQLITE_BUSY.
        """
        self.ensure_same_file()
        conn = self._require()
        try:
            if busy_timeout != BUSY_TIMEOUT:
                conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000):d}")
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback(conn)
            raise StoreError(f"{self._path}: database error: {exc}") from exc
        except BaseException:
            self._rollback(conn)
            raise
        finally:
            if busy_timeout != BUSY_TIMEOUT:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000):d}")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run one read statement and return all its rows (columns addressable by name)."""
        conn = self._require()
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{self._path}: database error: {exc}") from exc

    # -- internals -------------------------------------------------------------------------------

    def _require(self) -> sqlite3.Connection:
        self.connect()
        conn: sqlite3.Connection = self._local.conn
        return conn

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")

    def _open(self) -> sqlite3.Connection:
        identity = self._identity
        if identity is not None:
            # Never open (and close) the file ourselves once SQLite has it open: closing any
            # descriptor of a file drops every POSIX lock this process holds on it, so another
            # process would take itself for the last user and delete the WAL under us.
            self.ensure_same_file()
        elif not self._create and not os.path.exists(self._path):
            raise StoreError(f"{self._path}: no database there (nothing was created)")
        else:
            try:
                identity = self._create_private_file()
            except OSError as exc:
                raise StoreError(
                    f"{self._path}: cannot create database: {exc.strerror or exc}"
                ) from exc
        conn: sqlite3.Connection | None = None
        try:
            # isolation_level=None: no implicit transactions; transaction() issues BEGIN itself.
            conn = sqlite3.connect(
                self._path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            # The first statement reads the header: a file that is not SQLite fails right here.
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{self._path}: cannot enable WAL mode (got {mode!r})")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            if self._identity is None:  # the first connection migrates; the others need not
                self._migrate(conn)
                self._identity = identity
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            raise StoreError(
                f"{self._path}: not a usable tmuxorch database ({exc}); "
                "move it aside to start a fresh one"
            ) from exc
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return conn

    def _create_private_file(self) -> tuple[int, int]:
        """Make sure the file exists with mode 0600 before SQLite opens it; its (dev, inode).

        SQLite would create it with the umask's mode (often world-readable); its -wal and -shm
        files copy the main file's mode, so fixing the main file covers them too. The mode is
        checked and fixed through the open descriptor, so a swapped path cannot be chmod-ed.
        """
        parent = os.path.dirname(self._path) or "."
        if not os.path.exists(parent):
            if self._default_location:
                paths.ensure_data_dir()
            else:
                os.makedirs(parent, mode=DIR_MODE, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise StoreError(f"{self._path}: not a regular file")
            if st.st_mode & 0o077:
                os.fchmod(fd, FILE_MODE)
            return st.st_dev, st.st_ino
        finally:
            os.close(fd)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Bring the schema to len(MIGRATIONS) in one transaction.

        The version is read after taking the write lock, so two processes upgrading the same
        database at once do not both apply a migration: the second sees the new version.
        """
        target = len(MIGRATIONS)
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > target:
                raise StoreError(
                    f"{self._path}: database schema version {version} is newer than this "
                    f"tmuxorch supports ({target}); upgrade tmuxorch"
                )
            for script in MIGRATIONS[version:]:
                for statement in split_statements(script):
                    conn.execute(statement)
            if version != target:
                # PRAGMA takes no bound parameters; target is an int we computed.
                conn.execute(f"PRAGMA user_version = {target:d}")
            conn.execute("COMMIT")
        except BaseException:
            self._rollback(conn)
            raise
