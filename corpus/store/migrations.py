"""Schema migrations of the store, written once for both dialects, applied in order from empty.

:data:`MIGRATIONS` is the history of the schema; SQLite runs it from version 1.
PostgreSQL came later: its first migration creates the schema SQLite reaches at
version 3 (:data:`PG_BASELINE`) and from there it runs the same list, so
``schema_version()`` means the same schema on both. A migration's SQL is written
once, in SQLite's words; :func:`postgres_sql` makes PostgreSQL's from it (every text
column collates as ``"C"``, byte order as SQLite compares, so keyset pagination and
``ORDER BY`` agree whatever the database's locale), and a migration whose
PostgreSQL differs by more than that says so in ``postgres``. Each migration runs
in its own transaction with the version bump, so a failed migration leaves the
store at the previous version. Append new migrations; never edit an applied one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corpus.store.fingerprint import item_fingerprint
from corpus.store.schema_risk_sql import POSTGRES_RISK, RISK_DESCRIPTION, SQLITE_RISK
from corpus.store.schema_sql import (
    CHANGES_SQL,
    CONDITIONS_V2_SQL,
    EVENTS_SQL,
    ID_TYPES,
    INDEXES_V2,
    POSTGRES_AUDIT_GUARD,
    ROLES_V1,
    ROLES_V3,
    SQLITE_AUDIT_GUARD,
    STALE_EDITS_SQL,
    TABLES,
    api_keys,
    api_keys_rebuilt,
)

if TYPE_CHECKING:
    from corpus.store.connection import Connection


@dataclass(frozen=True)
class Migration:
    """One step of the schema: the version it brings the file to, its SQL and an optional data step after it."""

    version: int
    description: str
    sql: str
    # Runs in the migration's transaction, on a connection that speaks the core's SQL (``?`` marks).
    backfill: Callable[[Connection], None] | None = None
    # PostgreSQL's SQL where it differs from ``postgres_sql(sql)``; None: the same.
    postgres: str | None = None


def fingerprint_edited_conditions(conn: Connection) -> None:
    """Give every edited set without a fingerprint the one of the item text it was made for.

    That is the text of the item now under its id; when the item is gone (its policy was
    deleted or re-ingested without it), the text it had in the last policy version stored
    at or before the edit. A set whose text cannot be found keeps NULL (it will go stale
    rather than be applied to whatever clause takes its id).
    """
    sets = conn.execute(
        """SELECT item_id, policy_id, min(created_at) AS edited_at FROM conditions
           WHERE source = 'edited' AND item_sha256 IS NULL GROUP BY item_id, policy_id"""
    ).fetchall()
    for item_id, policy_id, edited_at in sets:
        row = conn.execute("SELECT text FROM items WHERE id = ?", (item_id,)).fetchone()
        text = row[0] if row is not None else None
        if text is None:
            version = conn.execute(
                """SELECT items FROM policy_versions WHERE policy_id = ? AND created_at <= ?
                   ORDER BY version DESC LIMIT 1""",
                (policy_id, edited_at),
            ).fetchone()
            if version is not None:
                text = next((i.get("text") for i in json.loads(version[0]) if i.get("id") == item_id), None)
        if text:
            conn.execute(
                "UPDATE conditions SET item_sha256 = ? WHERE item_id = ? AND source = 'edited'",
                (item_fingerprint(text), item_id),
            )


def postgres_sql(sql: str) -> str:
    """PostgreSQL's words for a migration written in SQLite's: text columns collate in byte order."""
    return sql.replace("TEXT", 'TEXT COLLATE "C"')


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "policies with versions, items, conditions, enterprises with snapshots, feedback, audit log, api keys",
        TABLES.format(**ID_TYPES["sqlite"]) + SQLITE_AUDIT_GUARD + api_keys("api_keys", ROLES_V1),
    ),
    Migration(2, "indexes for 精准推送 filters (region, industry) and feedback export by time", INDEXES_V2),
    Migration(
        3,
        "the analyst role (evaluation and models) for API keys",
        api_keys_rebuilt(3, ROLES_V3),
    ),
    Migration(
        4,
        "edited conditions follow the fingerprint of their item text; stale edits are kept apart",
        STALE_EDITS_SQL,
        fingerprint_edited_conditions,
    ),
    Migration(
        5,
        "conditions v2 (groups, roles, tiers as JSON entries) and document facts (validity, window, mode)",
        CONDITIONS_V2_SQL,
    ),
    Migration(6, RISK_DESCRIPTION, SQLITE_RISK, postgres=postgres_sql(POSTGRES_RISK)),
    Migration(
        7,
        "the change feed (every serving process applies committed writes) and reversible imports",
        CHANGES_SQL.format(serial=ID_TYPES["sqlite"]["serial"]),
        postgres=postgres_sql(CHANGES_SQL.format(serial=ID_TYPES["postgres"]["serial"])),
    ),
    Migration(
        8,
        "events: webhook subscriptions, the outbox, deliveries with attempts, feed cursors, announced matches",
        EVENTS_SQL.format(**ID_TYPES["sqlite"]),
        postgres=postgres_sql(EVENTS_SQL.format(**ID_TYPES["postgres"])),
    ),
    Migration(
        9,
        "an enterprise's BM25 query tokens kept with its profile (cut when written, not on its first match)",
        "ALTER TABLE enterprises ADD COLUMN query_tokens TEXT;\n",
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version

#: PostgreSQL's first migration: the schema SQLite reaches at this version, with the version table.
PG_BASELINE = Migration(
    3,
    "the schema of SQLite version 3, in PostgreSQL types (identity ids, plpgsql guard)",
    postgres_sql(
        """
CREATE TABLE policymatch_schema (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    version  INTEGER NOT NULL
);
"""
        + TABLES.format(**ID_TYPES["postgres"])
        + POSTGRES_AUDIT_GUARD
        + api_keys("api_keys", ROLES_V3)
        + INDEXES_V2
        + "INSERT INTO policymatch_schema (version) VALUES (0);\n"
    ),
)

#: What PostgreSQL runs: the baseline, then every later migration in its PostgreSQL words.
PG_MIGRATIONS: tuple[Migration, ...] = (
    PG_BASELINE,
    *(
        Migration(m.version, m.description, m.postgres or postgres_sql(m.sql), m.backfill)
        for m in MIGRATIONS
        if m.version > PG_BASELINE.version
    ),
)


def statements(sql: str) -> list[str]:
    """Split a migration script into statements (trigger bodies keep their inner semicolons)."""
    import sqlite3  # the splitter only: statements are run by the store's connection

    out: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if statement.rstrip(";").strip():
                out.append(statement)
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer.strip()[:80]!r}")
    return out
