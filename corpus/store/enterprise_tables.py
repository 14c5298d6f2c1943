"""Enterprises with their snapshots, and 闭环反馈, in the SQL both dialects speak."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from corpus.schemas import EnterpriseProfile
from corpus.store.base import (
    FEEDBACK_KINDS,
    EnterpriseSnapshot,
    Feedback,
    ImportRecord,
    ImportRow,
    UpsertCounts,
    utc_now,
)
from corpus.store.connection import Connection, Row
from corpus.store.core import SQLCore
from corpus.store.derived import query_tokens
from corpus.store.records import chunks, profile_of, to_json
from corpus.store.sql_parts import chunked


class EnterpriseTables(SQLCore):
    """The enterprise side of the store: ``enterprises``, ``enterprise_snapshots``, ``feedback``."""

    # --- enterprises ---------------------------------------------------------------------------

    def upsert_enterprises(
        self, profiles: Iterable[EnterpriseProfile], *, action: str = "upsert"
    ) -> UpsertCounts:
        """Insert or replace profiles in one transaction; a changed profile gets a new snapshot.

        Each changed profile appends an ``enterprise`` change with ``action`` (``patch`` for a merge patch).
        """
        counts: list[tuple[int, int, int]] = []  # (inserted, updated, unchanged) of each statement batch
        conn = self._conn()
        now = utc_now()
        with self.transaction():
            for chunk in chunks(profiles, 500):
                payloads: dict[str, tuple[EnterpriseProfile, str]] = {}
                for profile in chunk:
                    if not isinstance(profile, EnterpriseProfile):
                        raise TypeError(
                            f"upsert_enterprises takes EnterpriseProfile (validate_profile), got {type(profile).__name__}"
                        )
                    # The same id twice in a chunk: store the first, then the second.
                    if profile.id in payloads:
                        counts.append(self._upsert_chunk(conn, list(payloads.values()), now, action))
                        payloads = {}
                    payloads[profile.id] = (profile, to_json(profile.to_dict()))
                counts.append(self._upsert_chunk(conn, list(payloads.values()), now, action))
        return UpsertCounts(*(sum(column) for column in zip(*counts, strict=True)))

    def _upsert_chunk(
        self, conn: Connection, chunk: list[tuple[EnterpriseProfile, str]], now: str, action: str = "upsert"
    ) -> tuple[int, int, int]:
        """Upsert distinct ids with a few statements; runs inside the caller's (write-locked) transaction."""
        if not chunk:
            return 0, 0, 0
        self._lock_snapshots(conn)
        ids = [profile.id for profile, _ in chunk]
        marks = ",".join("?" * len(ids))
        rows = conn.execute(
            f"SELECT id, profile, query_tokens FROM enterprises WHERE id IN ({marks})", ids
        ).fetchall()
        current: dict[str, str] = {row["id"]: row["profile"] for row in rows}
        changed = [(profile, payload) for profile, payload in chunk if current.get(profile.id) != payload]
        # Unchanged profiles whose query tokens are missing (rows of before v30), of another tokenizer or of
        # another query text (``query_text`` changed): cut anew, with no snapshot (the profile is the same).
        tokens = {row["id"]: row["query_tokens"] for row in rows}
        derivation = query_tokens()
        refresh = []
        for profile, payload in chunk:
            if derivation is not None and current.get(profile.id) == payload:
                form = derivation.current_form(tokens[profile.id], profile.to_dict())
                if form != tokens[profile.id]:
                    refresh.append((form, profile.id))
        if refresh:
            conn.executemany("UPDATE enterprises SET query_tokens = ? WHERE id = ?", refresh)
        if not changed:
            return 0, 0, len(chunk)
        # The dialect's lock (_lock_snapshots) makes the next snapshot ids ours to take.
        first = int(conn.execute("SELECT coalesce(max(id), 0) FROM enterprise_snapshots").scalar()) + 1
        snapshots = [(first + n, p.id, payload, now) for n, (p, payload) in enumerate(changed)]
        conn.executemany(
            "INSERT INTO enterprise_snapshots (id, enterprise_id, profile, created_at) VALUES (?, ?, ?, ?)",
            snapshots,
        )
        conn.executemany(
            """INSERT INTO enterprises
                   (id, snapshot_id, name, region_code, industry_code, profile, updated_at, query_tokens)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET snapshot_id = excluded.snapshot_id, name = excluded.name,
                   region_code = excluded.region_code, industry_code = excluded.industry_code,
                   profile = excluded.profile, updated_at = excluded.updated_at,
                   query_tokens = excluded.query_tokens""",
            [
                (
                    p.id,
                    first + n,
                    p.name,
                    p.region_code,
                    p.industry_code,
                    payload,
                    now,
                    derivation.stored_form(p.to_dict()) if derivation is not None else None,
                )
                for n, (p, payload) in enumerate(changed)
            ],
        )
        self._record_changes(conn, "enterprise", action, [p.id for p, _ in changed])
        new = sum(1 for p, _ in changed if p.id not in current)
        return new, len(changed) - new, len(chunk) - len(changed)

    def get_enterprise(self, enterprise_id: str) -> EnterpriseProfile | None:
        """Return the current profile, or None."""
        row = (
            self._conn().execute("SELECT profile FROM enterprises WHERE id = ?", (enterprise_id,)).fetchone()
        )
        return profile_of(row["profile"]) if row else None

    def get_enterprise_for_match(self, enterprise_id: str) -> tuple[EnterpriseProfile, str | None] | None:
        """Return the current profile with its stored query tokens (``matcher.query_tokens``), or None."""
        row = (
            self._conn()
            .execute("SELECT profile, query_tokens FROM enterprises WHERE id = ?", (enterprise_id,))
            .fetchone()
        )
        return (profile_of(row["profile"]), row["query_tokens"]) if row else None

    def get_enterprises(self, enterprise_ids: Iterable[str]) -> dict[str, EnterpriseProfile]:
        """Return the current profiles of these ids (absent ones left out), read 500 at a time."""
        found: dict[str, EnterpriseProfile] = {}
        conn = self._conn()
        for chunk, marks in chunked(dict.fromkeys(enterprise_ids)):
            for row in conn.execute(f"SELECT id, profile FROM enterprises WHERE id IN ({marks})", chunk):
                found[row["id"]] = profile_of(row["profile"])
        return found

    def iter_enterprises(self, batch_size: int = 1000) -> Iterator[EnterpriseProfile]:
        """Every current profile in id order, read ``batch_size`` rows at a time (keyset pagination)."""
        last = ""
        while True:
            rows = (
                self._conn()
                .execute(
                    "SELECT id, profile FROM enterprises WHERE id > ? ORDER BY id LIMIT ?", (last, batch_size)
                )
                .fetchall()
            )
            if not rows:
                return
            for row in rows:
                yield profile_of(row["profile"])
            last = rows[-1]["id"]

    def refresh_query_tokens(self, batch_size: int = 500) -> int:
        """Cut anew the stored query tokens that are missing or stale (another tokenizer or dictionary); returns how many.

        A match falls back to cutting the query when its stored tokens are not current, so stale tokens
        cost CPU, never a wrong answer; ``policymatch index build`` calls this after an upgrade. No
        snapshot and no change-feed entry: the profiles are the same.
        """
        derivation = query_tokens()
        if derivation is None:
            return 0  # nothing installed that could cut them (no matcher in this process)
        last, done = "", 0
        while True:
            rows = (
                self._conn()
                .execute(
                    "SELECT id, profile, query_tokens FROM enterprises WHERE id > ? ORDER BY id LIMIT ?",
                    (last, batch_size),
                )
                .fetchall()
            )
            if not rows:
                return done
            stale = []
            for row in rows:
                form = derivation.current_form(row["query_tokens"], profile_of(row["profile"]).to_dict())
                if form != row["query_tokens"]:
                    stale.append((form, row["id"]))
            if stale:
                with self.transaction():
                    self._conn().executemany("UPDATE enterprises SET query_tokens = ? WHERE id = ?", stale)
                done += len(stale)
            last = rows[-1]["id"]

    def count_enterprises(self) -> int:
        """Count enterprises."""
        return int(self._conn().execute("SELECT count(*) FROM enterprises").scalar())

    def enterprise_snapshot_id(self, enterprise_id: str) -> int | None:
        """Id of the current snapshot, or None."""
        row = (
            self._conn()
            .execute("SELECT snapshot_id FROM enterprises WHERE id = ?", (enterprise_id,))
            .fetchone()
        )
        return int(row["snapshot_id"]) if row else None

    def enterprise_history(self, enterprise_id: str) -> list[EnterpriseSnapshot]:
        """Every stored version of a profile, oldest first."""
        rows = self._conn().execute(
            "SELECT id, profile, created_at FROM enterprise_snapshots WHERE enterprise_id = ? ORDER BY id",
            (enterprise_id,),
        )
        return [EnterpriseSnapshot(int(r["id"]), profile_of(r["profile"]), r["created_at"]) for r in rows]

    def delete_enterprise(self, enterprise_id: str) -> bool:
        """Remove an enterprise (its snapshots stay)."""
        conn = self._conn()
        with self.transaction():
            existed = conn.execute("DELETE FROM enterprises WHERE id = ?", (enterprise_id,)).rowcount > 0
            if existed:
                self._record_changes(conn, "enterprise", "delete", [enterprise_id])
            return existed

    # --- reversible imports ------------------------------------------------------------------

    def save_import(self, record: ImportRecord) -> None:
        """Store an import and its rows; appends a ``honours`` change (the profiles' own changes come from their upsert)."""
        conn = self._conn()
        with self.transaction():
            conn.execute(
                "INSERT INTO imports (id, kind, at, actor, source, summary, reversed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.kind,
                    record.at,
                    record.actor,
                    record.source,
                    to_json(dict(record.summary)),
                    record.reversed_at,
                ),
            )
            conn.executemany(
                """INSERT INTO import_rows (import_id, enterprise_id, before_profile, after_profile, detail)
                   VALUES (?, ?, ?, ?, ?)""",
                [
                    (
                        record.id,
                        r.enterprise_id,
                        to_json(dict(r.before)),
                        to_json(dict(r.after)),
                        to_json([dict(g) for g in r.detail]),
                    )
                    for r in record.rows
                ],
            )
            self._record_changes(conn, record.kind, "import", [record.id])

    def get_import(self, import_id: str) -> ImportRecord | None:
        """Return an import with its rows, or None."""
        conn = self._conn()
        row = conn.execute("SELECT * FROM imports WHERE id = ?", (import_id,)).fetchone()
        if row is None:
            return None
        rows = conn.execute(
            "SELECT * FROM import_rows WHERE import_id = ? ORDER BY enterprise_id", (import_id,)
        ).fetchall()
        return _import_of(
            row,
            tuple(
                ImportRow(
                    r["enterprise_id"],
                    json.loads(r["before_profile"]),
                    json.loads(r["after_profile"]),
                    tuple(json.loads(r["detail"])),
                )
                for r in rows
            ),
        )

    def list_imports(self, kind: str | None = None, limit: int = 100) -> list[ImportRecord]:
        """List the imports, newest first (without rows)."""
        where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        rows = self._conn().execute(
            f"SELECT * FROM imports {where} ORDER BY at DESC, id DESC LIMIT ?", (*params, int(limit))
        )
        return [_import_of(r, ()) for r in rows]

    def mark_import_reversed(self, import_id: str, at: str) -> bool:
        """Mark an import reversed and append its ``reverse`` change; False when it was already (or is unknown)."""
        conn = self._conn()
        with self.transaction():
            row = conn.execute(
                "SELECT kind FROM imports WHERE id = ? AND reversed_at IS NULL", (import_id,)
            ).fetchone()
            if row is None:
                return False
            conn.execute("UPDATE imports SET reversed_at = ? WHERE id = ?", (at, import_id))
            self._record_changes(conn, row["kind"], "reverse", [import_id])
            return True

    def import_grants(self, enterprise_id: str, kind: str = "honours") -> list[dict[str, Any]]:
        """Return what imports not reversed granted an enterprise, oldest first (each with its ``import_id``)."""
        rows = self._conn().execute(
            """SELECT r.import_id, r.detail FROM import_rows r JOIN imports i ON i.id = r.import_id
               WHERE r.enterprise_id = ? AND i.kind = ? AND i.reversed_at IS NULL ORDER BY i.at, i.id""",
            (enterprise_id, kind),
        )
        return [{**grant, "import_id": r["import_id"]} for r in rows for grant in json.loads(r["detail"])]

    # --- feedback ------------------------------------------------------------------------------

    def add_feedback(
        self,
        enterprise_id: str,
        item_id: str,
        kind: str,
        rating: int | None = None,
        comment: str | None = None,
    ) -> Feedback:
        """Record one piece of 闭环反馈; ``kind`` is one of useful/not_useful/applied/received."""
        if kind not in FEEDBACK_KINDS:
            raise ValueError(f"feedback kind must be one of {', '.join(FEEDBACK_KINDS)}, got {kind!r}")
        if rating is not None and (
            isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5
        ):
            raise ValueError(f"rating must be an integer 1-5, got {rating!r}")
        now = utc_now()
        with self.transaction():
            cursor = self._conn().execute(
                "INSERT INTO feedback (enterprise_id, item_id, kind, rating, comment, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (enterprise_id, item_id, kind, rating, comment, now),
            )
        return Feedback(int(cursor.lastrowid or 0), enterprise_id, item_id, kind, rating, comment, now)

    def iter_feedback(self, since: str | None = None) -> Iterator[Feedback]:
        """Feedback in the order it came (strictly after ``since`` when given)."""
        rows = (
            self._conn()
            .execute("SELECT * FROM feedback WHERE created_at > ? ORDER BY id", (since or "",))
            .fetchall()
        )
        return (
            Feedback(
                r["id"],
                r["enterprise_id"],
                r["item_id"],
                r["kind"],
                r["rating"],
                r["comment"],
                r["created_at"],
            )
            for r in rows
        )


def _import_of(row: Row, rows: tuple[ImportRow, ...]) -> ImportRecord:
    return ImportRecord(
        row["id"],
        row["kind"],
        row["at"],
        row["actor"],
        row["source"],
        json.loads(row["summary"]),
        row["reversed_at"],
        rows,
    )
