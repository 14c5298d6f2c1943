"""The SQL core of the store: what every table group stands on, and the audit log and API keys.

A dialect (:class:`corpus.store.sqlite.SQLiteStore`, :class:`corpus.store.postgres.PostgresStore`)
supplies only what differs: how a thread connects (a :class:`~corpus.store.connection.Connection`
that raises the store's errors, never the driver's), how a transaction starts and nests,
where the schema version lives, the migrations it runs, and the locks that make
concurrent writers take turns where the database does not already. The operations
are written once, in the SQL both databases speak: here, in
:mod:`corpus.store.policy_tables` and in :mod:`corpus.store.enterprise_tables`,
put together as :class:`corpus.store.sql.SQLStore`.

Every public write runs inside :meth:`SQLCore.transaction`; nesting uses
savepoints, so a caller can wrap a whole batch and an exception anywhere
rolls the batch back and leaves the store as it was. Each thread gets its own
connection; :meth:`SQLCore.close` closes the connections of every thread.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Self

from corpus.store.base import ROLES, ApiKey, AuditEvent, Change, StoreError, utc_now
from corpus.store.connection import Connection
from corpus.store.migrations import Migration
from corpus.store.records import api_key_of, secret_hash, to_json
from corpus.store.sql_parts import Filters


class SQLCore(ABC):
    """Connections, transactions and schema of a SQL store, its audit log and API keys; a dialect fills in the hooks."""

    #: What messages name: the SQLite file, or the PostgreSQL URL without its password.
    path: Path | str
    #: The dialect's migrations, in version order.
    migrations: tuple[Migration, ...]

    def __init__(self) -> None:  # noqa: D107 - the class docstring says it
        self._local = threading.local()
        self._connections: list[Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False

    # --- what a dialect supplies ---------------------------------------------------------------

    @abstractmethod
    def _connect(self) -> Connection:
        """Open the calling thread's connection."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside happen together or not at all; nested calls become savepoints."""

    @abstractmethod
    def schema_version(self) -> int:
        """Return the version of the schema the store is at (0 when empty)."""

    @abstractmethod
    def _set_schema_version(self, conn: Connection, version: int) -> None:
        """Record the version a migration brought the store to (inside its transaction)."""

    def _lock_migrations(self, conn: Connection) -> None:  # noqa: B027 - overridden where needed
        """Make two processes that open the store at once migrate it once (default: the write lock does)."""

    def _lock_policy(self, conn: Connection, policy_id: str) -> None:  # noqa: B027 - overridden where needed
        """Hold off other writers of this policy's items and edits until the transaction ends (default: the write lock does)."""

    def _lock_snapshots(self, conn: Connection) -> None:  # noqa: B027 - overridden where needed
        """Make the next enterprise snapshot ids this transaction's to take (default: the write lock does)."""

    def _lock_changes(self, conn: Connection) -> None:  # noqa: B027 - overridden where needed
        """Make change rows commit in ``seq`` order until the transaction ends (default: the write lock does)."""

    def _notify_changes(self, conn: Connection) -> None:  # noqa: B027 - overridden where needed
        """Wake the listeners of other processes when the transaction commits (default: they poll)."""

    # --- connections and schema ----------------------------------------------------------------

    def _conn(self) -> Connection:
        if self._closed:
            raise StoreError(f"the store {self.path} is closed")
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def forget_connections(self) -> None:
        """Close every thread's connection yet stay usable: the next call opens a fresh one.

        Called before forking workers (``policymatch serve --workers``): a database
        connection must never be shared by two processes.
        """
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def close(self) -> None:
        """Close the connections of every thread; the store opens no new one after."""
        self._closed = True
        self.forget_connections()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        """Apply every migration above the store's version, each in its own transaction with its version bump."""
        latest = self.migrations[-1].version
        current = self.schema_version()
        if current > latest:
            raise StoreError(
                f"the store {self.path} has schema version {current}, newer than this code supports ({latest}); "
                "upgrade policymatch"
            )
        conn = self._conn()
        for migration in self.migrations:
            if migration.version <= current:
                continue
            with self.transaction():
                self._lock_migrations(conn)
                # Read again under the lock: another process may have migrated meanwhile.
                if self.schema_version() >= migration.version:
                    continue
                conn.execute_script(migration.sql)
                if migration.backfill is not None:
                    migration.backfill(conn)
                self._set_schema_version(conn, migration.version)

    # --- change feed ----------------------------------------------------------------------------

    def _record_changes(self, conn: Connection, kind: str, action: str, keys: Iterable[str]) -> None:
        """Append one change row per key; the caller is inside the write's transaction (so are the rows)."""
        now = utc_now()
        rows = [(now, kind, key, action) for key in dict.fromkeys(keys)]
        if not rows:
            return
        self._lock_changes(conn)
        conn.executemany("INSERT INTO changes (at, kind, key, action) VALUES (?, ?, ?, ?)", rows)
        self._notify_changes(conn)

    def last_change_seq(self) -> int:
        """Return the ``seq`` of the newest committed change (0 when there is none)."""
        return int(self._conn().execute("SELECT coalesce(max(seq), 0) FROM changes").scalar())

    def changes_since(self, seq: int, limit: int = 1000) -> list[Change]:
        """Return the committed changes with ``seq`` above the given one, oldest first, at most ``limit``."""
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {limit}")
        rows = self._conn().execute(
            "SELECT seq, at, kind, key, action FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
            (int(seq), int(limit)),
        )
        return [Change(int(r["seq"]), r["at"], r["kind"], r["key"], r["action"]) for r in rows]

    def wait_for_changes(self, timeout: float) -> bool:
        """Sleep ``timeout`` seconds (a dialect with notifications wakes early, returning True)."""
        time.sleep(max(0.0, timeout))
        return False

    # --- audit ---------------------------------------------------------------------------------

    def append_audit(self, event: AuditEvent) -> AuditEvent:
        """Append one event (the log refuses updates and deletes)."""
        at = event.at or utc_now()
        with self.transaction():
            cursor = self._conn().execute(
                "INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
                (at, event.actor, event.action, event.target, to_json(dict(event.details))),
            )
        return AuditEvent(
            event.actor, event.action, event.target, dict(event.details), at, int(cursor.lastrowid or 0)
        )

    def query_audit(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: str | None = None,
        limit: int = 100,
    ) -> list[AuditEvent]:
        """Events matching every given filter, newest first."""
        filters = Filters().equal(("actor", actor), ("action", action), ("target", target))
        if since is not None:
            filters.add("at >= ?", since)
        rows = self._conn().execute(
            f"SELECT * FROM audit_log {filters.where} ORDER BY id DESC LIMIT ?", (*filters.params, int(limit))
        )
        return [
            AuditEvent(r["actor"], r["action"], r["target"], json.loads(r["details"]), r["at"], r["id"])
            for r in rows
        ]

    # --- api keys ------------------------------------------------------------------------------

    def create_api_key(self, role: str, enterprise_id: str | None = None, label: str = "") -> tuple[str, str]:
        """Make a key; returns (key_id, secret). The secret is shown once; only its SHA-256 is kept."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if role == "enterprise" and not enterprise_id:
            raise ValueError("an enterprise key needs the enterprise_id it may act for")
        key_id = "pk_" + secrets.token_hex(6)
        secret = f"{key_id}.{secrets.token_urlsafe(32)}"
        with self.transaction():
            self._conn().execute(
                """INSERT INTO api_keys (key_id, secret_sha256, role, enterprise_id, label, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                (key_id, secret_hash(secret), role, enterprise_id, label, utc_now()),
            )
        return key_id, secret

    def find_api_key(self, secret: str) -> ApiKey | None:
        """Return the active key of this secret, or None; the hash is compared with :func:`hmac.compare_digest`."""
        if not isinstance(secret, str) or not secret:
            return None
        key_id = secret.split(".", 1)[0]
        digest = secret_hash(secret)
        row = self._conn().execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        # Always compare (against a dummy when the id is unknown) so timing does not reveal which ids exist.
        stored = row["secret_sha256"] if row is not None else "0" * 64
        if not hmac.compare_digest(stored, digest) or row is None or row["revoked_at"] is not None:
            return None
        return api_key_of(row)

    def list_api_keys(self) -> list[ApiKey]:
        """Every key, newest first."""
        rows = self._conn().execute("SELECT * FROM api_keys ORDER BY created_at DESC, key_id")
        return [api_key_of(r) for r in rows]

    def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key; True when it was active."""
        with self.transaction():
            cursor = self._conn().execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (utc_now(), key_id),
            )
            return cursor.rowcount > 0
