"""Schema migrations of the SQLite store, applied in order from an empty file.

The schema version is SQLite's ``PRAGMA user_version``. Each migration runs in
its own transaction with the version bump, so a failed migration leaves the
file at the previous version. Append new migrations; never edit an applied one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from corpus.store.base import item_fingerprint


@dataclass(frozen=True)
class Migration:
    """One step of the schema: the version it brings the file to, its SQL and an optional data step after it."""

    version: int
    description: str
    sql: str
    # Runs in the migration's transaction, on a connection that speaks the SQLite store's SQL (``?`` marks).
    backfill: Callable[[Any], None] | None = None


def fingerprint_edited_conditions(conn: Any) -> None:
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


STALE_EDITS_SQL = """
-- Edited rows: SHA-256 of the item text the correction was made for (corpus.store.base.item_fingerprint).
ALTER TABLE conditions ADD COLUMN item_sha256 TEXT;
-- A correction whose text left the policy on a re-ingest: kept (never deleted), not applied, listed.
CREATE TABLE stale_edits (
    policy_id     TEXT NOT NULL,
    item_id       TEXT NOT NULL,      -- the item it applied to last
    item_sha256   TEXT NOT NULL,      -- '' when the text it was made for is unknown
    item_text     TEXT NOT NULL DEFAULT '',
    conditions    TEXT NOT NULL,      -- JSON list of conditions (empty: "no conditions at all")
    edited_at     TEXT NOT NULL,
    stale_since   TEXT NOT NULL,
    stale_version INTEGER NOT NULL,
    PRIMARY KEY (policy_id, item_sha256, item_id, stale_since)
);
"""


# --- 风险监管 (issue 15): the benefits ledger, 就高不重复 groups, 免申即享 exports, 闭环评价, merges, one code one record.
# Money-facing tables (ledger, payout_exports, ratings, enterprise_merges) refuse UPDATE and DELETE, as the audit log does.
_RISK_TABLES = """
CREATE TABLE ledger (
    id            {id},
    enterprise_id TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    policy_id     TEXT NOT NULL,
    tier          TEXT,
    amount        {real} NOT NULL CHECK (amount >= 0),
    department    TEXT NOT NULL,
    date          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('applied', 'approved', 'paid', 'revoked')),
    source        TEXT NOT NULL DEFAULT '',
    reason        TEXT,
    corrects      BIGINT REFERENCES ledger(id),
    recorded_at   TEXT NOT NULL,
    recorded_by   TEXT NOT NULL
);
CREATE INDEX ledger_enterprise ON ledger (enterprise_id, id);
CREATE INDEX ledger_item ON ledger (item_id, id);
CREATE TABLE benefit_groups (
    id         TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    label      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (id, item_id)
);
CREATE TABLE payout_exports (
    id          {id},
    policy_id   TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    n_rows      INTEGER NOT NULL,
    rows        TEXT NOT NULL
);
CREATE INDEX payout_exports_item ON payout_exports (item_id, id);
CREATE TABLE ratings (
    id            {id},
    enterprise_id TEXT NOT NULL,
    item_id       TEXT NOT NULL,
    ledger_id     BIGINT NOT NULL REFERENCES ledger(id),
    convenience   INTEGER NOT NULL CHECK (convenience BETWEEN 1 AND 5),
    progress      INTEGER NOT NULL CHECK (progress BETWEEN 1 AND 5),
    usage         INTEGER NOT NULL CHECK (usage BETWEEN 1 AND 5),
    comment       TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX ratings_item ON ratings (item_id);
CREATE TABLE enterprise_merges (
    source_id  TEXT PRIMARY KEY,
    into_id    TEXT NOT NULL,
    uscc       TEXT,
    merged_at  TEXT NOT NULL,
    merged_by  TEXT NOT NULL
);
"""

_SQLITE_RISK = (
    _RISK_TABLES.format(id="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL")
    + "".join(
        f"""
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: a correction is a new row'); END;
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only: a correction is a new row'); END;
"""
        for table in ("ledger", "payout_exports", "ratings", "enterprise_merges")
    )
    + """
-- One legal person, one record: the code read from the profile, and no second record may take it.
ALTER TABLE enterprises ADD COLUMN uscc TEXT GENERATED ALWAYS AS (json_extract(profile, '$.uscc')) VIRTUAL;
CREATE INDEX enterprises_uscc ON enterprises (uscc);
CREATE TRIGGER enterprises_uscc_insert BEFORE INSERT ON enterprises
WHEN json_extract(NEW.profile, '$.uscc') IS NOT NULL AND EXISTS
    (SELECT 1 FROM enterprises WHERE uscc = json_extract(NEW.profile, '$.uscc') AND id != NEW.id)
BEGIN SELECT RAISE(ABORT, 'uscc_conflict: another enterprise record holds this 统一社会信用代码'); END;
CREATE TRIGGER enterprises_uscc_update BEFORE UPDATE OF profile ON enterprises
WHEN json_extract(NEW.profile, '$.uscc') IS NOT NULL AND EXISTS
    (SELECT 1 FROM enterprises WHERE uscc = json_extract(NEW.profile, '$.uscc') AND id != NEW.id)
BEGIN SELECT RAISE(ABORT, 'uscc_conflict: another enterprise record holds this 统一社会信用代码'); END;
"""
    + """
-- The finance role writes the ledger (docs/risk.md).
CREATE TABLE api_keys_v5 (
    key_id        TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'enterprise', 'push', 'analyst', 'finance')),
    enterprise_id TEXT,
    label         TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    revoked_at    TEXT,
    CHECK (role != 'enterprise' OR enterprise_id IS NOT NULL)
);
INSERT INTO api_keys_v5 (key_id, secret_sha256, role, enterprise_id, label, created_at, revoked_at)
    SELECT key_id, secret_sha256, role, enterprise_id, label, created_at, revoked_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_v5 RENAME TO api_keys;
"""
)

_PG_APPEND_ONLY = "".join(
    f"""
CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION risk_append_only();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION risk_append_only();
"""
    for table in ("ledger", "payout_exports", "ratings", "enterprise_merges")
)

POSTGRES_RISK = (
    _RISK_TABLES.format(id="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", real="DOUBLE PRECISION")
    + """
CREATE FUNCTION risk_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: a correction is a new row', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
"""
    + _PG_APPEND_ONLY
    + """
ALTER TABLE enterprises ADD COLUMN uscc TEXT GENERATED ALWAYS AS (CAST(profile AS jsonb) ->> 'uscc') STORED;
CREATE INDEX enterprises_uscc ON enterprises (uscc);
CREATE FUNCTION enterprises_uscc_unique() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (CAST(NEW.profile AS jsonb) ->> 'uscc') IS NOT NULL AND EXISTS (
        SELECT 1 FROM enterprises WHERE uscc = (CAST(NEW.profile AS jsonb) ->> 'uscc') AND id <> NEW.id
    ) THEN
        RAISE EXCEPTION 'uscc_conflict: another enterprise record holds this 统一社会信用代码'
            USING ERRCODE = 'unique_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER enterprises_uscc_unique BEFORE INSERT OR UPDATE OF profile ON enterprises
    FOR EACH ROW EXECUTE FUNCTION enterprises_uscc_unique();
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
    CHECK (role IN ('admin', 'enterprise', 'push', 'analyst', 'finance'));
"""
)
RISK_DESCRIPTION = (
    "风险监管: benefits ledger, 就高不重复 groups, 免申即享 exports and 闭环评价 (append-only), "
    "enterprise merges, one 统一社会信用代码 per record, the finance role"
)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "policies with versions, items, conditions, enterprises with snapshots, feedback, audit log, api keys",
        """
        CREATE TABLE policies (
            id          TEXT PRIMARY KEY,
            version     INTEGER NOT NULL CHECK (version >= 1),
            title       TEXT NOT NULL,
            text        TEXT NOT NULL,
            region_code TEXT,
            department  TEXT,
            issued      TEXT,
            valid_until TEXT,
            url         TEXT,
            fulfilment  TEXT CHECK (fulfilment IS NULL OR fulfilment IN ('免申即享', '即申即享', '一般申报', '第三方评审')),
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE TABLE policy_versions (
            policy_id   TEXT NOT NULL,
            version     INTEGER NOT NULL,
            document    TEXT NOT NULL,   -- JSON of the PolicyDocument
            items       TEXT NOT NULL,   -- JSON list of the PolicyItems of that version
            created_at  TEXT NOT NULL,
            PRIMARY KEY (policy_id, version)
        );
        CREATE TABLE items (
            id           TEXT PRIMARY KEY,
            policy_id    TEXT NOT NULL REFERENCES policies(id) ON DELETE CASCADE,
            seq          INTEGER NOT NULL CHECK (seq >= 1),
            heading_path TEXT NOT NULL,  -- JSON list
            title        TEXT NOT NULL,
            text         TEXT NOT NULL CHECK (length(text) > 0),
            region_code  TEXT,
            department   TEXT,
            fulfilment   TEXT,
            issued       TEXT,
            valid_until  TEXT,
            tags         TEXT,           -- JSON object
            UNIQUE (policy_id, seq)
        );
        -- No foreign key to items: a person's edited conditions outlive a re-extraction that drops the item.
        CREATE TABLE conditions (
            item_id    TEXT NOT NULL,
            policy_id  TEXT NOT NULL,
            source     TEXT NOT NULL CHECK (source IN ('extracted', 'edited')),
            position   INTEGER NOT NULL,
            field      TEXT NOT NULL,
            op         TEXT NOT NULL,
            value      TEXT,             -- JSON
            span       TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            PRIMARY KEY (item_id, source, position)
        );
        CREATE INDEX conditions_policy ON conditions (policy_id, source);
        CREATE TABLE enterprises (
            id            TEXT PRIMARY KEY,
            snapshot_id   INTEGER NOT NULL,
            name          TEXT NOT NULL,
            region_code   TEXT,
            industry_code TEXT,
            profile       TEXT NOT NULL,  -- JSON in the shape of enterprise_profile.md
            updated_at    TEXT NOT NULL
        );
        CREATE TABLE enterprise_snapshots (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            enterprise_id TEXT NOT NULL,
            profile       TEXT NOT NULL,
            created_at    TEXT NOT NULL
        );
        CREATE INDEX enterprise_snapshots_enterprise ON enterprise_snapshots (enterprise_id, id);
        CREATE TABLE feedback (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            enterprise_id TEXT NOT NULL,
            item_id       TEXT NOT NULL,
            kind          TEXT NOT NULL CHECK (kind IN ('useful', 'not_useful', 'applied', 'received')),
            rating        INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
            comment       TEXT,
            created_at    TEXT NOT NULL
        );
        CREATE TABLE audit_log (
            id      INTEGER PRIMARY KEY AUTOINCREMENT,
            at      TEXT NOT NULL,
            actor   TEXT NOT NULL,
            action  TEXT NOT NULL,
            target  TEXT NOT NULL DEFAULT '',
            details TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX audit_log_at ON audit_log (at);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TABLE api_keys (
            key_id        TEXT PRIMARY KEY,
            secret_sha256 TEXT NOT NULL UNIQUE,
            role          TEXT NOT NULL CHECK (role IN ('admin', 'enterprise', 'push')),
            enterprise_id TEXT,
            label         TEXT NOT NULL DEFAULT '',
            created_at    TEXT NOT NULL,
            revoked_at    TEXT,
            CHECK (role != 'enterprise' OR enterprise_id IS NOT NULL)
        );
        """,
    ),
    Migration(
        2,
        "indexes for 精准推送 filters (region, industry) and feedback export by time",
        """
        CREATE INDEX enterprises_region ON enterprises (region_code);
        CREATE INDEX enterprises_industry ON enterprises (industry_code);
        CREATE INDEX feedback_created ON feedback (created_at);
        CREATE INDEX items_policy ON items (policy_id, seq);
        """,
    ),
    Migration(
        3,
        "the analyst role (evaluation and models) for API keys",
        """
        CREATE TABLE api_keys_v3 (
            key_id        TEXT PRIMARY KEY,
            secret_sha256 TEXT NOT NULL UNIQUE,
            role          TEXT NOT NULL CHECK (role IN ('admin', 'enterprise', 'push', 'analyst')),
            enterprise_id TEXT,
            label         TEXT NOT NULL DEFAULT '',
            created_at    TEXT NOT NULL,
            revoked_at    TEXT,
            CHECK (role != 'enterprise' OR enterprise_id IS NOT NULL)
        );
        INSERT INTO api_keys_v3 (key_id, secret_sha256, role, enterprise_id, label, created_at, revoked_at)
            SELECT key_id, secret_sha256, role, enterprise_id, label, created_at, revoked_at FROM api_keys;
        DROP TABLE api_keys;
        ALTER TABLE api_keys_v3 RENAME TO api_keys;
        """,
    ),
    Migration(
        4,
        "edited conditions follow the fingerprint of their item text; stale edits are kept apart",
        STALE_EDITS_SQL,
        fingerprint_edited_conditions,
    ),
    Migration(5, RISK_DESCRIPTION, _SQLITE_RISK),
)

LATEST_VERSION = MIGRATIONS[-1].version


def statements(sql: str) -> list[str]:
    """Split a migration script into statements (trigger bodies keep their inner semicolons)."""
    import sqlite3

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
