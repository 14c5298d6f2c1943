"""The SQLite dialect of the store: one file under the data directory, WAL, foreign keys on.

Thread model: **one connection per thread**. Each thread that touches the
store gets its own ``sqlite3`` connection (WAL mode lets readers run beside
the one writer; ``busy_timeout`` makes a second writer wait instead of
failing). Writes start with ``BEGIN IMMEDIATE`` so two writers never deadlock
on a lock upgrade, and so SQLite's single writer is the lock every operation
needs (a policy's re-ingest and its edits, snapshot ids, migrations). The schema
version is ``PRAGMA user_version``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from corpus.store.base import StoreError
from corpus.store.connection import Connection, Result, store_error
from corpus.store.migrations import MIGRATIONS, statements
from corpus.store.sql import SQLStore

BUSY_TIMEOUT_MS = 15_000


def _store_error(exc: sqlite3.Error) -> StoreError:
    return store_error(exc, integrity=isinstance(exc, sqlite3.IntegrityError))


class _SQLiteConnection:
    """A ``sqlite3`` connection that reads every row at once and raises the store's errors."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        # The store's close() closes every thread's connection from the closing thread. sqlite3 frees a
        # connection's statements on close, so closing one while its own thread is inside a statement
        # crashes the process (a change feed polling while its service shuts down). The owner holds this
        # lock for each statement, close() takes it: a late statement then fails as a closed store, cleanly.
        self._in_use = threading.Lock()
        self._closing = False

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement."""
        self._open_or_raise()
        try:
            with self._in_use:
                cursor = self.raw.execute(sql, params)
                return Result(cursor.fetchall(), cursor.rowcount, cursor.lastrowid)
        except sqlite3.Error as exc:
            raise _store_error(exc) from exc

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Result:
        """Run one statement for each row of parameters."""
        self._open_or_raise()
        try:
            with self._in_use:
                cursor = self.raw.executemany(sql, rows)
                return Result([], cursor.rowcount, None)
        except sqlite3.Error as exc:
            raise _store_error(exc) from exc

    def execute_script(self, sql: str) -> None:
        """Run a script statement by statement, inside the caller's transaction (``executescript`` would commit)."""
        for statement in statements(sql):
            self.execute(statement)

    def _open_or_raise(self) -> None:
        # Checked before the lock, so a thread running statement after statement cannot keep close() waiting.
        if self._closing:
            raise StoreError("the store's connection is closed")

    def close(self) -> None:
        """Close the file, once no statement of its thread is running."""
        self._closing = True
        with self._in_use:
            self.raw.close()


class SQLiteStore(SQLStore):
    """:class:`corpus.store.base.Store` on one SQLite file (one connection per thread)."""

    migrations = MIGRATIONS

    def __init__(self, path: str | Path) -> None:  # noqa: D107 - the class docstring says it
        super().__init__()
        self.path: Path = Path(path)
        if str(path) == ":memory:" or str(path).startswith("file::memory:"):
            raise StoreError(
                "the SQLite store needs a file (each thread opens its own connection); use a temporary file"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._migrate()
        except StoreError as exc:
            if not isinstance(exc.__cause__, sqlite3.DatabaseError):
                raise
            # A damaged file (flipped header, truncation) must be refused by name, not as a bare traceback.
            self.close()
            raise StoreError(
                f"{self.path}: the SQLite store is damaged ({exc}); restore it with `policymatch restore`"
            ) from exc

    def _connect(self) -> Connection:
        # check_same_thread=False only so close() may close every thread's connection; each
        # connection is otherwise used by the one thread that opened it.
        raw = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        raw.row_factory = sqlite3.Row
        conn = _SQLiteConnection(raw)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
        except StoreError:
            raw.close()
            raise
        self._local.depth = 0
        return conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all; nested calls become savepoints."""
        conn = self._conn()
        depth = self._local.depth
        savepoint = f"sp_{depth}"
        conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
        self._local.depth = depth + 1
        try:
            yield
        except BaseException:
            self._local.depth = depth
            if depth == 0:
                conn.execute("ROLLBACK")
            else:
                conn.execute(f"ROLLBACK TO {savepoint}")
                conn.execute(f"RELEASE {savepoint}")
            raise
        self._local.depth = depth
        conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")

    def schema_version(self) -> int:
        """``PRAGMA user_version`` of the file."""
        return int(self._conn().execute("PRAGMA user_version").scalar())

    def _set_schema_version(self, conn: Connection, version: int) -> None:
        conn.execute(f"PRAGMA user_version = {int(version)}")
