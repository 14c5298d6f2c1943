"""The PostgreSQL store: the same tables and the same SQL as the SQLite store, on a server (psycopg 3).

Selected by :func:`corpus.store.open_store` from a ``postgresql://user:pass@host:port/db``
URL. The SQL of every operation is the SQLite store's (it is written in the subset
both databases share); this class changes only what differs:

- connections: one psycopg connection **per thread** in autocommit mode, so a
  read is its own short transaction and :meth:`PostgresStore.transaction` is
  psycopg's ``conn.transaction()`` (``BEGIN``, nested calls become savepoints);
- placeholders: ``?`` becomes ``%s``; rows read by name and by position, as
  ``sqlite3.Row`` does;
- ids: ``feedback`` and ``audit_log`` take identity columns (``INSERT …
  RETURNING id`` gives ``lastrowid``); enterprise snapshot ids are taken under a
  transaction-scoped advisory lock, where SQLite relies on its single writer;
- schema: :mod:`corpus.store.pg_migrations` (versions in step with SQLite's), applied
  under an advisory lock so two processes starting at once migrate once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from corpus.schemas import EnterpriseProfile
from corpus.store.base import StoreError
from corpus.store.pg_migrations import PG_LATEST_VERSION, PG_MIGRATIONS
from corpus.store.sqlite import SQLiteStore

# Keys of pg_advisory_xact_lock: schema migration, enterprise snapshot ids, one policy.
MIGRATION_LOCK = 0x706D_0001
SNAPSHOT_LOCK = 0x706D_0002
POLICY_LOCK = 0x706D_0003  # with hashtext(policy id): one policy's re-ingest and its edits
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
    """Translate the SQLite store's SQL: ``?`` placeholders → ``%s``; identity inserts return their id."""
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


class _Result:
    """What one statement returns: the rows, ``rowcount`` and ``lastrowid`` (the id an insert returned)."""

    def __init__(self, cursor: Any, returns_id: bool) -> None:
        self._cursor = cursor
        self.rowcount = int(cursor.rowcount)
        self.lastrowid: int | None = None
        if returns_id:
            row = cursor.fetchone()
            self.lastrowid = int(row[0]) if row is not None else None

    def fetchone(self) -> Any:
        """Next row or None."""
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        """Every remaining row."""
        return list(self._cursor.fetchall())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor)


class _Connection:
    """A psycopg connection that speaks the SQLite store's dialect (``execute``/``executemany``/``close``)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Result:
        """Run one statement."""
        translated = _pg_sql(sql)
        cursor = self.raw.cursor()
        cursor.execute(translated, tuple(params) if params else None)
        return _Result(cursor, translated.endswith(" RETURNING id"))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> _Result:
        """Run one statement for each row of parameters (pipelined by psycopg)."""
        cursor = self.raw.cursor()
        cursor.executemany(_pg_sql(sql), list(rows))
        return _Result(cursor, False)

    def close(self) -> None:
        """Close the server connection."""
        self.raw.close()


class PostgresStore(SQLiteStore):
    """:class:`corpus.store.base.Store` on a PostgreSQL server (one connection per thread)."""

    def __init__(self, url: str) -> None:  # noqa: D107 - the class docstring says it
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - psycopg is a dependency
            raise StoreError('the PostgreSQL store needs psycopg: pip install "psycopg[binary]"') from exc
        self._psycopg = psycopg
        self.url = url
        self.path = redact_url(url)  # type: ignore[assignment] # what messages name, as SQLite names its file
        self._local = threading.local()
        self._connections: list[Any] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        self._migrate()

    # --- connections and transactions ----------------------------------------------------------

    def _conn(self) -> _Connection:  # type: ignore[override]
        if self._closed:
            raise StoreError(f"the store {self.path} is closed")
        conn: _Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            try:
                raw = self._psycopg.connect(
                    self.url, autocommit=True, row_factory=_row_factory, connect_timeout=CONNECT_TIMEOUT_S
                )
            except self._psycopg.OperationalError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise StoreError(f"cannot connect to the PostgreSQL store {self.path}: {first}") from exc
            conn = _Connection(raw)
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all; nested calls become savepoints."""
        with self._conn().raw.transaction():
            yield

    def __enter__(self) -> PostgresStore:
        return self

    def schema_version(self) -> int:
        """Return the version in ``policymatch_schema`` (0 for an empty database)."""
        conn = self._conn()
        exists = conn.execute("SELECT to_regclass('policymatch_schema') IS NOT NULL").fetchone()[0]
        if not exists:
            return 0
        row = conn.execute("SELECT version FROM policymatch_schema").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        current = self.schema_version()
        if current > PG_LATEST_VERSION:
            raise StoreError(
                f"the store {self.path} has schema version {current}, newer than this code supports "
                f"({PG_LATEST_VERSION}); upgrade policymatch"
            )
        conn = self._conn()
        for migration in PG_MIGRATIONS:
            if migration.version <= current:
                continue
            with self.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
                if self.schema_version() >= migration.version:  # another process migrated meanwhile
                    continue
                conn.raw.execute(migration.sql)  # a whole script: no parameters, several statements
                if migration.backfill is not None:
                    migration.backfill(conn)
                conn.execute("UPDATE policymatch_schema SET version = ?", (migration.version,))

    # --- policies: a re-ingest and an edit of the same policy take turns ------------------------

    def _lock_policy(self, conn: _Connection, policy_id: str) -> None:  # type: ignore[override]
        """Hold a transaction-scoped lock on the policy, so an edit saved mid-re-ingest is never lost."""
        conn.execute(
            "SELECT pg_advisory_xact_lock(CAST(? AS integer), hashtext(?))", (POLICY_LOCK, policy_id)
        )

    # --- enterprises: snapshot ids under a lock ------------------------------------------------

    @staticmethod
    def _upsert_chunk(  # type: ignore[override]
        conn: _Connection, chunk: list[tuple[EnterpriseProfile, str]], now: str
    ) -> tuple[int, int, int]:
        """Upsert a chunk holding the snapshot lock until the caller's transaction ends."""
        if chunk:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (SNAPSHOT_LOCK,))
        return SQLiteStore._upsert_chunk(conn, chunk, now)  # type: ignore[arg-type]
