"""The PostgreSQL dialect of the store: the same tables and the same SQL core, on a server (psycopg 3).

Selected by :func:`corpus.store.open_store` from a ``postgresql://user:pass@host:port/db``
URL. The SQL of every operation is the core's (:mod:`corpus.store.sql`, written in
the subset both databases share); this class supplies only what differs:

- connections: one psycopg connection **per thread** in autocommit mode, so a
  read is its own short transaction and :meth:`PostgresStore.transaction` is
  psycopg's ``conn.transaction()`` (``BEGIN``, nested calls become savepoints);
- placeholders: ``?`` becomes ``%s``; rows read by name and by position, as
  ``sqlite3.Row`` does; psycopg's errors become the store's;
- ids: ``feedback`` and ``audit_log`` take identity columns (``INSERT …
  RETURNING id`` gives ``lastrowid``); enterprise snapshot ids are taken under a
  transaction-scoped advisory lock, where SQLite relies on its single writer;
- schema: :data:`corpus.store.migrations.PG_MIGRATIONS` (versions in step with SQLite's),
  applied under an advisory lock so two processes starting at once migrate once;
- the change feed: an identity ``seq`` is handed out in call order, not commit order, so
  a writer takes an advisory lock before its first change row and holds it to its commit
  (no reader can see seq 11 before seq 10), and ``NOTIFY policymatch_changes`` wakes the
  processes waiting in :meth:`PostgresStore.wait_for_changes` when it commits.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from corpus.store.base import StoreError
from corpus.store.connection import Connection, Result, store_error
from corpus.store.migrations import PG_MIGRATIONS
from corpus.store.sql import SQLStore

# Keys of pg_advisory_xact_lock: schema migration, enterprise snapshot ids, one policy.
MIGRATION_LOCK = 0x706D_0001
SNAPSHOT_LOCK = 0x706D_0002
POLICY_LOCK = 0x706D_0003  # with hashtext(policy id): one policy's re-ingest and its edits
CHANGES_LOCK = 0x706D_0004  # from a transaction's first change row to its commit: seq grows in commit order
#: The channel a committed change is announced on (``LISTEN policymatch_changes``).
CHANGES_CHANNEL = "policymatch_changes"
CONNECT_TIMEOUT_S = 10
_RETURNING_ID = re.compile(r"^\s*INSERT INTO (feedback|audit_log)\b", re.IGNORECASE)


def redact_url(url: str) -> str:
    """Return the URL without its password (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


@lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    """Translate the core's SQL: ``?`` placeholders → ``%s``; identity inserts return their id."""
    translated = sql.replace("%", "%%").replace("?", "%s")
    if _RETURNING_ID.match(translated):
        translated = translated.rstrip().rstrip(";") + " RETURNING id"
    return translated


class _Row:
    """A row readable by column name and by position, and iterable over its values (as ``sqlite3.Row``)."""

    __slots__ = ("_names", "_values")

    def __init__(self, values: Sequence[Any], names: Mapping[str, int]) -> None:
        self._values = values
        self._names = names

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._names[key]]
        return self._values[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        """Column names in order."""
        return list(self._names)


def _row_factory(cursor: Any) -> Any:
    names = {column.name: i for i, column in enumerate(cursor.description or ())}

    def make(values: Sequence[Any]) -> _Row:
        return _Row(values, names)

    return make


class _PostgresConnection:
    """A psycopg connection that speaks the core's SQL, reads every row at once and raises the store's errors."""

    def __init__(self, raw: Any, psycopg: Any) -> None:
        self.raw = raw
        self._psycopg = psycopg

    def error(self, exc: Exception) -> StoreError:
        """Turn a psycopg error into the store's."""
        return store_error(exc, integrity=isinstance(exc, self._psycopg.IntegrityError))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement."""
        translated = _pg_sql(sql)
        try:
            cursor = self.raw.cursor()
            cursor.execute(translated, tuple(params) if params else None)
            rows = cursor.fetchall() if cursor.description is not None else []
        except self._psycopg.Error as exc:
            raise self.error(exc) from exc
        returns_id = translated.endswith(" RETURNING id")
        lastrowid = int(rows[0][0]) if returns_id and rows else None
        return Result(rows, int(cursor.rowcount), lastrowid)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Result:
        """Run one statement for each row of parameters (pipelined by psycopg)."""
        try:
            cursor = self.raw.cursor()
            cursor.executemany(_pg_sql(sql), list(rows))
        except self._psycopg.Error as exc:
            raise self.error(exc) from exc
        return Result([], int(cursor.rowcount), None)

    def execute_script(self, sql: str) -> None:
        """Run a whole script (no parameters, several statements) in one round trip."""
        try:
            self.raw.execute(sql)
        except self._psycopg.Error as exc:
            raise self.error(exc) from exc

    def close(self) -> None:
        """Close the server connection."""
        self.raw.close()


class PostgresStore(SQLStore):
    """:class:`corpus.store.base.Store` on a PostgreSQL server (one connection per thread)."""

    migrations = PG_MIGRATIONS

    def __init__(self, url: str) -> None:  # noqa: D107 - the class docstring says it
        super().__init__()
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - psycopg is a dependency
            raise StoreError('the PostgreSQL store needs psycopg: pip install "psycopg[binary]"') from exc
        self._psycopg = psycopg
        self.url = url
        self.path: str = redact_url(url)
        self._listener: Any = None
        self._listener_lock = threading.Lock()
        self._migrate()

    def _connect(self) -> Connection:
        try:
            raw = self._psycopg.connect(
                self.url, autocommit=True, row_factory=_row_factory, connect_timeout=CONNECT_TIMEOUT_S
            )
        except self._psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"cannot connect to the PostgreSQL store {self.path}: {first}") from exc
        return _PostgresConnection(raw, self._psycopg)

    def _pg_conn(self) -> _PostgresConnection:
        conn = self._conn()
        assert isinstance(conn, _PostgresConnection)  # noqa: S101 - this class opens only these
        return conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all; nested calls become savepoints."""
        conn = self._pg_conn()
        try:
            with conn.raw.transaction():
                yield
        except self._psycopg.Error as exc:  # BEGIN, COMMIT or a savepoint failed
            raise conn.error(exc) from exc

    def schema_version(self) -> int:
        """Return the version in ``policymatch_schema`` (0 for an empty database)."""
        conn = self._conn()
        if not conn.execute("SELECT to_regclass('policymatch_schema') IS NOT NULL").scalar():
            return 0
        row = conn.execute("SELECT version FROM policymatch_schema").fetchone()
        return int(row[0]) if row else 0

    def _set_schema_version(self, conn: Connection, version: int) -> None:
        conn.execute("UPDATE policymatch_schema SET version = ?", (version,))

    def _lock_migrations(self, conn: Connection) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))

    def _lock_policy(self, conn: Connection, policy_id: str) -> None:
        """Hold a transaction-scoped lock on the policy, so an edit saved mid-re-ingest is never lost."""
        conn.execute(
            "SELECT pg_advisory_xact_lock(CAST(? AS integer), hashtext(?))", (POLICY_LOCK, policy_id)
        )

    def _lock_changes(self, conn: Connection) -> None:
        """Hold the change-feed lock to the commit, so change rows commit in ``seq`` order."""
        conn.execute("SELECT pg_advisory_xact_lock(?)", (CHANGES_LOCK,))

    def _notify_changes(self, conn: Connection) -> None:
        """Announce the change when the transaction commits (PostgreSQL folds repeats into one)."""
        conn.execute(f"NOTIFY {CHANGES_CHANNEL}")

    def wait_for_changes(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s on ``LISTEN policymatch_changes``; True when a commit woke it.

        One listening connection per store, opened on first use; a notification that came
        while nobody waited is kept by the connection and wakes the next wait at once.
        A lost connection is reopened on the next call (the caller polls meanwhile).
        """
        with self._listener_lock:
            if self._closed:
                raise StoreError(f"the store {self.path} is closed")
            try:
                if self._listener is None:
                    listener = self._psycopg.connect(
                        self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
                    )
                    listener.execute(f"LISTEN {CHANGES_CHANNEL}")
                    self._listener = listener
                for _ in self._listener.notifies(timeout=max(0.0, timeout), stop_after=1):
                    return True
                return False
            except self._psycopg.Error:
                if self._listener is not None:
                    self._listener.close()
                self._listener = None
                time.sleep(max(0.0, timeout))
                return False

    def close(self) -> None:
        """Close every thread's connection and the listening one."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        super().close()

    def _lock_snapshots(self, conn: Connection) -> None:
        """Hold the snapshot-id lock until the caller's transaction ends (SQLite relies on its one writer)."""
        conn.execute("SELECT pg_advisory_xact_lock(?)", (SNAPSHOT_LOCK,))
