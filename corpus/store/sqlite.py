"""The SQLite store: one file under the data directory, WAL, foreign keys on, migrations from empty.

Thread model: **one connection per thread**. Each thread that touches the
store gets its own ``sqlite3`` connection (WAL mode lets readers run beside
the one writer; ``busy_timeout`` makes a second writer wait instead of
failing). Writes start with ``BEGIN IMMEDIATE`` so two writers never deadlock
on a lock upgrade. :meth:`SQLiteStore.close` closes the connections of every
thread.

Every public write runs inside :meth:`SQLiteStore.transaction`; nesting uses
savepoints, so a caller can wrap a whole batch and an exception anywhere
rolls the batch back and leaves the file as it was.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corpus.conditions import Condition
from corpus.schemas import PROFILE_FIELD_NAMES, EnterpriseProfile, PolicyDocument, PolicyItem
from corpus.store.base import (
    FEEDBACK_KINDS,
    ROLES,
    ApiKey,
    AuditEvent,
    EnterpriseSnapshot,
    ExtractionLike,
    Feedback,
    NotFoundError,
    PolicySummary,
    StaleEdit,
    StoredPolicy,
    StoreError,
    UpsertCounts,
    item_fingerprint,
    utc_now,
)
from corpus.store.migrations import LATEST_VERSION, MIGRATIONS, statements
from corpus.store.risk_tables import RiskTables

BUSY_TIMEOUT_MS = 15_000


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class SQLiteStore(RiskTables):
    """:class:`corpus.store.base.Store` on one SQLite file (one connection per thread)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) == ":memory:" or str(path).startswith("file::memory:"):
            raise StoreError(
                "the SQLite store needs a file (each thread opens its own connection); use a temporary file"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        try:
            self._migrate()
        except sqlite3.DatabaseError as exc:
            # A damaged file (flipped header, truncation) must be refused by name, not as a bare traceback.
            self.close()
            raise StoreError(
                f"{self.path}: the SQLite store is damaged ({exc}); restore it with `policymatch restore`"
            ) from exc

    # --- connections and transactions ----------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError(f"the store {self.path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # check_same_thread=False only so close() may close every thread's connection; each
            # connection is otherwise used by the one thread that opened it.
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            self._local.depth = 0
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all; nested calls become savepoints."""
        conn = self._conn()
        depth = self._local.depth
        savepoint = f"sp_{depth}"
        if depth == 0:
            conn.execute("BEGIN IMMEDIATE")
        else:
            conn.execute(f"SAVEPOINT {savepoint}")
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
        if depth == 0:
            conn.execute("COMMIT")
        else:
            conn.execute(f"RELEASE {savepoint}")

    def close(self) -> None:
        """Close the connections of every thread."""
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._closed = True
        self._local = threading.local()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        """``PRAGMA user_version`` of the file."""
        return int(self._conn().execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        conn = self._conn()
        current = self.schema_version()
        if current > LATEST_VERSION:
            raise StoreError(
                f"the store {self.path} has schema version {current}, newer than this code supports ({LATEST_VERSION}); "
                "upgrade policymatch"
            )
        for migration in MIGRATIONS:
            if migration.version <= current:
                continue
            with self.transaction():
                # Re-read inside the write lock: another process may have migrated meanwhile.
                if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= migration.version:
                    continue
                for statement in statements(migration.sql):
                    conn.execute(statement)
                if migration.backfill is not None:
                    migration.backfill(conn)
                conn.execute(f"PRAGMA user_version = {migration.version}")

    # --- policies ------------------------------------------------------------------------------

    def upsert_policy(
        self,
        document: PolicyDocument,
        items: Sequence[PolicyItem],
        extractions: Sequence[ExtractionLike | None] | Mapping[str, ExtractionLike] | None = None,
    ) -> PolicyDocument:
        """Store a new version of the policy, replacing its items, tags and extracted conditions."""
        for item in items:
            if item.policy_id != document.id:
                raise ValueError(
                    f"item {item.id!r} belongs to policy {item.policy_id!r}, not {document.id!r}"
                )
        by_item = self._extractions_by_item(items, extractions)
        now = utc_now()
        conn = self._conn()
        with self.transaction():
            self._lock_policy(conn, document.id)
            row = conn.execute(
                "SELECT version, created_at FROM policies WHERE id = ?", (document.id,)
            ).fetchone()
            if row is not None:
                version = row["version"] + 1
            else:  # a deleted policy's versions stay: a re-ingest continues after them
                last = conn.execute(
                    "SELECT max(version) FROM policy_versions WHERE policy_id = ?", (document.id,)
                ).fetchone()[0]
                version = int(last or 0) + 1
            created_at = row["created_at"] if row else now
            stored = PolicyDocument(**{**asdict(document), "version": version})
            self._reattach_edits(conn, document.id, items, version, now)
            conn.execute("DELETE FROM items WHERE policy_id = ?", (document.id,))
            conn.execute(
                "DELETE FROM conditions WHERE policy_id = ? AND source = 'extracted'", (document.id,)
            )
            conn.execute(
                """INSERT INTO policies (id, version, title, text, region_code, department, issued, valid_until, url,
                                         fulfilment, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET version = excluded.version, title = excluded.title,
                       text = excluded.text, region_code = excluded.region_code, department = excluded.department,
                       issued = excluded.issued, valid_until = excluded.valid_until, url = excluded.url,
                       fulfilment = excluded.fulfilment, updated_at = excluded.updated_at""",
                (
                    stored.id,
                    version,
                    stored.title,
                    stored.text,
                    stored.region_code,
                    stored.department,
                    stored.issued,
                    stored.valid_until,
                    stored.url,
                    stored.fulfilment,
                    created_at,
                    now,
                ),
            )
            for item in items:
                extraction = by_item.get(item.id)
                conn.execute(
                    """INSERT INTO items (id, policy_id, seq, heading_path, title, text, region_code, department,
                                          fulfilment, issued, valid_until, tags)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        item.id,
                        item.policy_id,
                        item.seq,
                        _json(list(item.heading_path)),
                        item.title,
                        item.text,
                        item.region_code,
                        item.department,
                        item.fulfilment,
                        item.issued,
                        item.valid_until,
                        _json(_tags_dict(extraction.tags)) if extraction is not None else None,
                    ),
                )
                if extraction is not None:
                    self._insert_conditions(
                        conn, item.id, document.id, "extracted", extraction.conditions, now
                    )
            conn.execute(
                "INSERT INTO policy_versions (policy_id, version, document, items, created_at) VALUES (?, ?, ?, ?, ?)",
                (stored.id, version, _json(stored.to_dict()), _json([i.to_dict() for i in items]), now),
            )
        return stored

    def _lock_policy(self, conn: sqlite3.Connection, policy_id: str) -> None:
        """Hold off other writers of this policy's items and edits until the transaction ends.

        Nothing to do here: ``BEGIN IMMEDIATE`` already makes SQLite's writers take turns.
        """

    def _reattach_edits(
        self, conn: sqlite3.Connection, policy_id: str, items: Sequence[PolicyItem], version: int, now: str
    ) -> None:
        """Move each edited set to the new item with its text's fingerprint; park the rest as stale.

        Runs before the old items are replaced. A set goes to the same occurrence of its text
        (the k-th item with that fingerprint stays the k-th), else to the item keeping its id,
        else to the first unclaimed item with that text; sets attached now go before stale
        ones, and one item takes at most one set. Every move is written to the audit log.
        """
        edited = conn.execute(
            """SELECT item_id, position, field, op, value, span, created_at, item_sha256 FROM conditions
               WHERE policy_id = ? AND source = 'edited' ORDER BY item_id, position""",
            (policy_id,),
        ).fetchall()
        stale = conn.execute(
            "SELECT * FROM stale_edits WHERE policy_id = ? ORDER BY stale_since, item_id", (policy_id,)
        ).fetchall()
        if not edited and not stale:
            return
        old_items = [
            (r["id"], r["text"])
            for r in conn.execute("SELECT id, text FROM items WHERE policy_id = ? ORDER BY seq", (policy_id,))
        ]
        old_text = dict(old_items)
        old_rank = _occurrence_ranks([(item_id, item_fingerprint(text)) for item_id, text in old_items])
        new_by_fingerprint: dict[str, list[str]] = {}
        for item in items:
            new_by_fingerprint.setdefault(item_fingerprint(item.text), []).append(item.id)

        sets: dict[str, _EditedSet] = {}
        for r in edited:
            edit = sets.get(r["item_id"])
            if edit is None:
                text = old_text.get(r["item_id"], "")
                current = item_fingerprint(text) if text else ""
                known = r["item_sha256"] or current
                # The old item's text (and its rank) speak for the edit only when it was made for that text.
                edit = sets[r["item_id"]] = _EditedSet(r["item_id"], known, text if known == current else "")
            edit.rows.append(r)
        claimed: set[str] = set()

        def place(item_id: str, fingerprint: str, rank: int | None) -> str | None:
            free = (
                [i for i in new_by_fingerprint.get(fingerprint, []) if i not in claimed]
                if fingerprint
                else []
            )
            if not free:
                return None
            ranked = new_by_fingerprint[fingerprint]
            if rank is not None and rank < len(ranked) and ranked[rank] in free:
                target = ranked[rank]
            else:
                target = item_id if item_id in free else free[0]
            claimed.add(target)
            return target

        old_seq = {item_id: n for n, (item_id, _) in enumerate(old_items)}
        order = sorted(sets.values(), key=lambda e: (old_seq.get(e.item_id, len(old_seq)), e.item_id))
        placed = [(edit, place(edit.item_id, edit.sha256, _rank_of(old_rank, edit))) for edit in order]
        revived = [(r, place(r["item_id"], r["item_sha256"], None)) for r in stale]

        conn.execute("DELETE FROM conditions WHERE policy_id = ? AND source = 'edited'", (policy_id,))
        events: list[AuditEvent] = []
        for edit, target in placed:
            if target is not None:
                for r in edit.rows:
                    conn.execute(
                        """INSERT INTO conditions (item_id, policy_id, source, position, field, op, value, span,
                                                   created_at, item_sha256)
                           VALUES (?, ?, 'edited', ?, ?, ?, ?, ?, ?, ?)""",
                        (
                            target,
                            policy_id,
                            r["position"],
                            r["field"],
                            r["op"],
                            r["value"],
                            r["span"],
                            r["created_at"],
                            edit.sha256,
                        ),
                    )
                if target != edit.item_id:
                    events.append(
                        _edit_event(
                            "conditions.follow", policy_id, version, edit.item_id, target, edit.sha256
                        )
                    )
                continue
            conditions = [_condition_dict(r) for r in edit.rows if r["field"] != ""]
            conn.execute(
                """INSERT INTO stale_edits (policy_id, item_id, item_sha256, item_text, conditions, edited_at,
                                            stale_since, stale_version)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    policy_id,
                    edit.item_id,
                    edit.sha256,
                    edit.text,
                    _json(conditions),
                    min(r["created_at"] for r in edit.rows),
                    now,
                    version,
                ),
            )
            events.append(
                _edit_event("conditions.stale", policy_id, version, edit.item_id, None, edit.sha256)
            )
        for r, target in revived:
            if target is None:
                continue
            revived_set = [
                Condition.from_dict({**c, "source": "edited"}) for c in json.loads(r["conditions"])
            ]
            self._insert_conditions(
                conn, target, policy_id, "edited", revived_set, r["edited_at"], r["item_sha256"]
            )
            conn.execute(
                """DELETE FROM stale_edits
                   WHERE policy_id = ? AND item_sha256 = ? AND item_id = ? AND stale_since = ?""",
                (policy_id, r["item_sha256"], r["item_id"], r["stale_since"]),
            )
            events.append(
                _edit_event("conditions.reattach", policy_id, version, r["item_id"], target, r["item_sha256"])
            )
        for event in events:
            self.append_audit(event)

    @staticmethod
    def _extractions_by_item(
        items: Sequence[PolicyItem],
        extractions: Sequence[ExtractionLike | None] | Mapping[str, ExtractionLike] | None,
    ) -> dict[str, ExtractionLike]:
        if extractions is None:
            return {}
        if isinstance(extractions, Mapping):
            unknown = set(extractions) - {i.id for i in items}
            if unknown:
                raise ValueError(f"extractions name items that are not in the policy: {sorted(unknown)[:3]}")
            return dict(extractions)
        if len(extractions) != len(items):
            raise ValueError(
                f"{len(extractions)} extractions for {len(items)} items; pass one per item (or a dict by item id)"
            )
        return {item.id: e for item, e in zip(items, extractions, strict=True) if e is not None}

    @staticmethod
    def _insert_conditions(
        conn: sqlite3.Connection,
        item_id: str,
        policy_id: str,
        source: str,
        conditions: Iterable[Condition],
        now: str,
        item_sha256: str | None = None,
    ) -> None:
        """Insert the set; an empty edited set is kept as a marker row (a person said: no conditions)."""
        conditions = list(conditions)
        for position, condition in enumerate(conditions):
            data = condition.to_dict()
            conn.execute(
                """INSERT INTO conditions (item_id, policy_id, source, position, field, op, value, span, created_at,
                                           item_sha256)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    item_id,
                    policy_id,
                    source,
                    position,
                    data["field"],
                    data["op"],
                    _json(data["value"]),
                    data["span"],
                    now,
                    item_sha256,
                ),
            )
        if not conditions and source == "edited":
            conn.execute(
                """INSERT INTO conditions (item_id, policy_id, source, position, field, op, value, span, created_at,
                                           item_sha256)
                   VALUES (?, ?, 'edited', -1, '', '', 'null', '', ?, ?)""",
                (item_id, policy_id, now, item_sha256),
            )

    def get_policy(self, policy_id: str) -> StoredPolicy | None:
        """Return the current version of a policy with its items, or None."""
        conn = self._conn()
        row = conn.execute("SELECT * FROM policies WHERE id = ?", (policy_id,)).fetchone()
        if row is None:
            return None
        return StoredPolicy(
            _document(row), tuple(self.iter_items(policy_id)), row["created_at"], row["updated_at"]
        )

    def list_policies(self) -> list[PolicySummary]:
        """Every policy with its item count, most recently updated first."""
        rows = self._conn().execute(
            """SELECT p.*, (SELECT count(*) FROM items i WHERE i.policy_id = p.id) AS n_items
               FROM policies p ORDER BY p.updated_at DESC, p.id"""
        )
        return [
            PolicySummary(
                r["id"],
                r["title"],
                r["version"],
                r["n_items"],
                r["region_code"],
                r["department"],
                r["issued"],
                r["fulfilment"],
                r["updated_at"],
            )
            for r in rows
        ]

    def policy_versions(self, policy_id: str) -> list[PolicyDocument]:
        """Every stored version of a policy's document, oldest first."""
        rows = self._conn().execute(
            "SELECT document FROM policy_versions WHERE policy_id = ? ORDER BY version", (policy_id,)
        )
        return [PolicyDocument(**json.loads(r["document"])) for r in rows]

    def delete_policy(self, policy_id: str) -> bool:
        """Remove a policy, its items and extracted conditions; edited conditions and versions stay."""
        conn = self._conn()
        with self.transaction():
            conn.execute("DELETE FROM conditions WHERE policy_id = ? AND source = 'extracted'", (policy_id,))
            return conn.execute("DELETE FROM policies WHERE id = ?", (policy_id,)).rowcount > 0

    def get_item(self, item_id: str) -> PolicyItem | None:
        """One current item, or None."""
        row = self._conn().execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        return _item(row) if row else None

    def iter_items(self, policy_id: str | None = None) -> Iterator[PolicyItem]:
        """Every current item (of one policy when given), in policy then seq order."""
        if policy_id is None:
            rows = self._conn().execute("SELECT * FROM items ORDER BY policy_id, seq").fetchall()
        else:
            rows = (
                self._conn()
                .execute("SELECT * FROM items WHERE policy_id = ? ORDER BY seq", (policy_id,))
                .fetchall()
            )
        return (_item(r) for r in rows)

    def count_items(self) -> int:
        """Count current items."""
        return int(self._conn().execute("SELECT count(*) FROM items").fetchone()[0])

    def set_item_conditions(
        self, item_id: str, conditions: Iterable[Condition], source: str = "edited"
    ) -> None:
        """Replace the item's conditions of that source; an edited set wins over the extracted one."""
        if source not in ("extracted", "edited"):
            raise ValueError(f"source must be 'extracted' or 'edited', got {source!r}")
        conn = self._conn()
        conditions = [
            c if c.source == source else Condition(c.field, c.op, c.value, c.span, source)  # type: ignore[arg-type]
            for c in conditions
        ]
        with self.transaction():
            row = conn.execute("SELECT policy_id FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is not None:
                self._lock_policy(conn, row["policy_id"])
                # Read again under the lock: a re-ingest may have renumbered the policy meanwhile.
                row = conn.execute("SELECT policy_id, text FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no item {item_id!r} in the store")
            conn.execute("DELETE FROM conditions WHERE item_id = ? AND source = ?", (item_id, source))
            # An edit remembers the text it was made for, so a re-ingest that renumbers items can move it.
            fingerprint = item_fingerprint(row["text"]) if source == "edited" else None
            self._insert_conditions(
                conn, item_id, row["policy_id"], source, conditions, utc_now(), fingerprint
            )

    def item_conditions(self, item_id: str) -> list[Condition]:
        """Return the edited set when one exists (even an empty correction), else the extracted one."""
        source = self.item_condition_source(item_id)
        if source is None:
            return []
        rows = self._conn().execute(
            "SELECT * FROM conditions WHERE item_id = ? AND source = ? AND field != '' ORDER BY position",
            (item_id, source),
        )
        return [_condition(r) for r in rows]

    def item_condition_source(self, item_id: str) -> str | None:
        """``edited`` when a person corrected the item, ``extracted`` when only extraction did, else None."""
        row = (
            self._conn()
            .execute(
                """SELECT source FROM conditions WHERE item_id = ?
               ORDER BY CASE source WHEN 'edited' THEN 0 ELSE 1 END LIMIT 1""",
                (item_id,),
            )
            .fetchone()
        )
        if row is not None:
            return str(row["source"])
        marker = (
            self._conn()
            .execute("SELECT 1 FROM items WHERE id = ? AND tags IS NOT NULL", (item_id,))
            .fetchone()
        )
        return "extracted" if marker else None

    def clear_edited_conditions(self, item_id: str) -> bool:
        """Drop a person's correction; True when there was one."""
        with self.transaction():
            cursor = self._conn().execute(
                "DELETE FROM conditions WHERE item_id = ? AND source = 'edited'", (item_id,)
            )
            return cursor.rowcount > 0

    def stale_edits(self, policy_id: str | None = None) -> list[StaleEdit]:
        """Corrections whose item text left the policy on a re-ingest (kept, not applied), oldest first."""
        where, params = ("WHERE policy_id = ?", (policy_id,)) if policy_id is not None else ("", ())
        rows = self._conn().execute(
            f"SELECT * FROM stale_edits {where} ORDER BY stale_since, policy_id, item_id", params
        )
        return [
            StaleEdit(
                r["policy_id"],
                r["item_id"],
                r["item_sha256"],
                r["item_text"],
                tuple(Condition.from_dict({**c, "source": "edited"}) for c in json.loads(r["conditions"])),
                r["edited_at"],
                r["stale_since"],
                int(r["stale_version"]),
            )
            for r in rows
        ]

    def item_tags(self, item_id: str) -> dict[str, Any] | None:
        """Return the item's tags as stored, or None."""
        row = self._conn().execute("SELECT tags FROM items WHERE id = ?", (item_id,)).fetchone()
        if row is None or row["tags"] is None:
            return None
        return dict(json.loads(row["tags"]))

    # --- enterprises ---------------------------------------------------------------------------

    def upsert_enterprises(self, profiles: Iterable[EnterpriseProfile]) -> UpsertCounts:
        """Insert or replace profiles in one transaction; a changed profile gets a new snapshot."""
        inserted = updated = unchanged = 0
        conn = self._conn()
        now = utc_now()
        with self.transaction():
            for chunk in _chunks(profiles, 500):
                payloads: dict[str, tuple[EnterpriseProfile, str]] = {}
                for profile in chunk:
                    if not isinstance(profile, EnterpriseProfile):
                        raise TypeError(
                            f"upsert_enterprises takes EnterpriseProfile (validate_profile), got {type(profile).__name__}"
                        )
                    if (
                        profile.id in payloads
                    ):  # the same id twice in a chunk: store the first, then the second
                        counts = self._upsert_chunk(conn, list(payloads.values()), now)
                        inserted, updated, unchanged = (
                            inserted + counts[0],
                            updated + counts[1],
                            unchanged + counts[2],
                        )
                        payloads = {}
                    payloads[profile.id] = (profile, _json(profile.to_dict()))
                counts = self._upsert_chunk(conn, list(payloads.values()), now)
                inserted, updated, unchanged = (
                    inserted + counts[0],
                    updated + counts[1],
                    unchanged + counts[2],
                )
        return UpsertCounts(inserted, updated, unchanged)

    @staticmethod
    def _upsert_chunk(
        conn: sqlite3.Connection, chunk: list[tuple[EnterpriseProfile, str]], now: str
    ) -> tuple[int, int, int]:
        """Upsert distinct ids with a few statements; runs inside the caller's (write-locked) transaction."""
        if not chunk:
            return 0, 0, 0
        ids = [profile.id for profile, _ in chunk]
        marks = ",".join("?" * len(ids))
        current = dict(
            conn.execute(f"SELECT id, profile FROM enterprises WHERE id IN ({marks})", ids).fetchall()
        )
        changed = [(profile, payload) for profile, payload in chunk if current.get(profile.id) != payload]
        if not changed:
            return 0, 0, len(chunk)
        # The transaction holds the write lock (BEGIN IMMEDIATE), so the next snapshot ids are ours to take.
        first = int(conn.execute("SELECT coalesce(max(id), 0) FROM enterprise_snapshots").fetchone()[0]) + 1
        snapshots = [(first + n, p.id, payload, now) for n, (p, payload) in enumerate(changed)]
        conn.executemany(
            "INSERT INTO enterprise_snapshots (id, enterprise_id, profile, created_at) VALUES (?, ?, ?, ?)",
            snapshots,
        )
        conn.executemany(
            """INSERT INTO enterprises (id, snapshot_id, name, region_code, industry_code, profile, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET snapshot_id = excluded.snapshot_id, name = excluded.name,
                   region_code = excluded.region_code, industry_code = excluded.industry_code,
                   profile = excluded.profile, updated_at = excluded.updated_at""",
            [
                (p.id, first + n, p.name, p.region_code, p.industry_code, payload, now)
                for n, (p, payload) in enumerate(changed)
            ],
        )
        new = sum(1 for p, _ in changed if p.id not in current)
        return new, len(changed) - new, len(chunk) - len(changed)

    def get_enterprise(self, enterprise_id: str) -> EnterpriseProfile | None:
        """Return the current profile, or None."""
        row = (
            self._conn().execute("SELECT profile FROM enterprises WHERE id = ?", (enterprise_id,)).fetchone()
        )
        return _profile(row["profile"]) if row else None

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
                yield _profile(row["profile"])
            last = rows[-1]["id"]

    def count_enterprises(self) -> int:
        """Count enterprises."""
        return int(self._conn().execute("SELECT count(*) FROM enterprises").fetchone()[0])

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
        return [EnterpriseSnapshot(int(r["id"]), _profile(r["profile"]), r["created_at"]) for r in rows]

    def delete_enterprise(self, enterprise_id: str) -> bool:
        """Remove an enterprise (its snapshots stay)."""
        with self.transaction():
            return self._conn().execute("DELETE FROM enterprises WHERE id = ?", (enterprise_id,)).rowcount > 0

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

    # --- audit ---------------------------------------------------------------------------------

    def append_audit(self, event: AuditEvent) -> AuditEvent:
        """Append one event (the log refuses updates and deletes)."""
        at = event.at or utc_now()
        with self.transaction():
            cursor = self._conn().execute(
                "INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
                (at, event.actor, event.action, event.target, _json(dict(event.details))),
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
        clauses, params = [], []
        for column, value in (("actor", actor), ("action", action), ("target", target)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            clauses.append("at >= ?")
            params.append(since)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._conn().execute(
            f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ?", (*params, int(limit))
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
                (key_id, _secret_hash(secret), role, enterprise_id, label, utc_now()),
            )
        return key_id, secret

    def find_api_key(self, secret: str) -> ApiKey | None:
        """Return the active key of this secret, or None; the hash is compared with :func:`hmac.compare_digest`."""
        if not isinstance(secret, str) or not secret:
            return None
        key_id = secret.split(".", 1)[0]
        digest = _secret_hash(secret)
        row = self._conn().execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        # Always compare (against a dummy when the id is unknown) so timing does not reveal which ids exist.
        stored = row["secret_sha256"] if row is not None else "0" * 64
        if not hmac.compare_digest(stored, digest) or row is None or row["revoked_at"] is not None:
            return None
        return _api_key(row)

    def list_api_keys(self) -> list[ApiKey]:
        """Every key, newest first."""
        rows = self._conn().execute("SELECT * FROM api_keys ORDER BY created_at DESC, key_id")
        return [_api_key(r) for r in rows]

    def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key; True when it was active."""
        with self.transaction():
            cursor = self._conn().execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (utc_now(), key_id),
            )
            return cursor.rowcount > 0


@dataclass
class _EditedSet:
    """The edited rows of one item while a re-ingest places them."""

    item_id: str
    sha256: str
    text: str
    rows: list[Any] = field(default_factory=list)


def _occurrence_ranks(items: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Item id → how many earlier items of the policy share its fingerprint."""
    seen: dict[str, int] = {}
    ranks: dict[str, int] = {}
    for item_id, fingerprint in items:
        ranks[item_id] = seen.get(fingerprint, 0)
        seen[fingerprint] = ranks[item_id] + 1
    return ranks


def _rank_of(old_rank: Mapping[str, int], edit: _EditedSet) -> int | None:
    # A rank means something only when the edit was made for the old item's text (a legacy row may not be).
    return old_rank.get(edit.item_id) if edit.text else None


def _condition_dict(row: Any) -> dict[str, Any]:
    return {"field": row["field"], "op": row["op"], "value": json.loads(row["value"]), "span": row["span"]}


def _edit_event(
    action: str, policy_id: str, version: int, item_id: str, target: str | None, sha256: str
) -> AuditEvent:
    details: dict[str, Any] = {"policy_id": policy_id, "policy_version": version, "item_sha256": sha256}
    if target is None:
        details["item_id"] = item_id
        details["reason"] = "the item text it was made for is no longer in the policy; kept, not applied"
    else:
        details.update({"from_item": item_id, "to_item": target})
    return AuditEvent("store", action, target or item_id, details)


def _chunks(values: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- row → record ------------------------------------------------------------------------------


def _tags_dict(tags: Any) -> dict[str, Any]:
    if tags is None:
        return {}
    if isinstance(tags, Mapping):
        return dict(tags)
    to_dict = getattr(tags, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    raise TypeError(f"tags must be a Mapping or have to_dict(), got {type(tags).__name__}")


def _document(row: sqlite3.Row) -> PolicyDocument:
    return PolicyDocument(
        id=row["id"],
        title=row["title"],
        text=row["text"],
        region_code=row["region_code"],
        department=row["department"],
        issued=row["issued"],
        valid_until=row["valid_until"],
        url=row["url"],
        fulfilment=row["fulfilment"],
        version=row["version"],
    )


def _item(row: sqlite3.Row) -> PolicyItem:
    return PolicyItem(
        id=row["id"],
        policy_id=row["policy_id"],
        seq=row["seq"],
        heading_path=tuple(json.loads(row["heading_path"])),
        title=row["title"],
        text=row["text"],
        region_code=row["region_code"],
        department=row["department"],
        fulfilment=row["fulfilment"],
        issued=row["issued"],
        valid_until=row["valid_until"],
    )


def _condition(row: sqlite3.Row) -> Condition:
    return Condition(row["field"], row["op"], json.loads(row["value"]), row["span"], row["source"])


def _profile(payload: str) -> EnterpriseProfile:
    data = json.loads(payload)
    values = {k: data.get(k) for k in PROFILE_FIELD_NAMES if k in data}
    titles = values.get("qualifications")
    # null stays None (unknown); [] stays () (known to hold none).
    values["qualifications"] = None if titles is None else tuple(titles)
    return EnterpriseProfile(**values)


def _api_key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(
        row["key_id"], row["role"], row["enterprise_id"], row["label"], row["created_at"], row["revoked_at"]
    )
