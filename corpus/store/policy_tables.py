"""Policies, their versions, items and conditions (edited ones follow their text), in the SQL both dialects speak."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from corpus.conditions import Entry, node_from_dict, with_source
from corpus.schemas import PolicyDocument, PolicyItem
from corpus.store.base import (
    ExtractionLike,
    NotFoundError,
    PolicySummary,
    StaleEdit,
    StoredPolicy,
    utc_now,
)
from corpus.store.core import SQLCore
from corpus.store.edits import extractions_by_item, insert_conditions, reattach_edits
from corpus.store.fingerprint import item_fingerprint
from corpus.store.records import (
    condition_of,
    document_of,
    facts_of,
    item_of,
    legacy_fulfilment,
    tags_dict,
    to_json,
)


class PolicyTables(SQLCore):
    """The policy side of the store: ``policies``, ``policy_versions``, ``items``, ``conditions``, ``stale_edits``."""

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
        by_item = extractions_by_item(items, extractions)
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
                ).scalar()
                version = int(last or 0) + 1
            created_at = row["created_at"] if row else now
            stored = PolicyDocument(**{**asdict(document), "version": version})
            for event in reattach_edits(conn, document.id, items, version, now):
                self.append_audit(event)
            conn.execute("DELETE FROM items WHERE policy_id = ?", (document.id,))
            conn.execute(
                "DELETE FROM conditions WHERE policy_id = ? AND source = 'extracted'", (document.id,)
            )
            conn.execute(
                """INSERT INTO policies (id, version, title, text, region_code, department, issued, valid_until, url,
                                         fulfilment, created_at, updated_at, facts)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET version = excluded.version, title = excluded.title,
                       text = excluded.text, region_code = excluded.region_code, department = excluded.department,
                       issued = excluded.issued, valid_until = excluded.valid_until, url = excluded.url,
                       fulfilment = excluded.fulfilment, updated_at = excluded.updated_at, facts = excluded.facts""",
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
                    legacy_fulfilment(stored.fulfilment),
                    created_at,
                    now,
                    to_json(stored.facts()),
                ),
            )
            for item in items:
                extraction = by_item.get(item.id)
                conn.execute(
                    """INSERT INTO items (id, policy_id, seq, heading_path, title, text, region_code, department,
                                          fulfilment, issued, valid_until, tags, facts)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        item.id,
                        item.policy_id,
                        item.seq,
                        to_json(list(item.heading_path)),
                        item.title,
                        item.text,
                        item.region_code,
                        item.department,
                        legacy_fulfilment(item.fulfilment),
                        item.issued,
                        item.valid_until,
                        to_json(tags_dict(extraction.tags)) if extraction is not None else None,
                        to_json(item.facts()),
                    ),
                )
                if extraction is not None:
                    insert_conditions(
                        conn, item.id, document.id, "extracted", extracted_entries(extraction), now
                    )
            conn.execute(
                "INSERT INTO policy_versions (policy_id, version, document, items, created_at) VALUES (?, ?, ?, ?, ?)",
                (stored.id, version, to_json(stored.to_dict()), to_json([i.to_dict() for i in items]), now),
            )
            self._record_changes(conn, "policy", "upsert", [stored.id])
        return stored

    def get_policy(self, policy_id: str) -> StoredPolicy | None:
        """Return the current version of a policy with its items, or None."""
        conn = self._conn()
        row = conn.execute("SELECT * FROM policies WHERE id = ?", (policy_id,)).fetchone()
        if row is None:
            return None
        return StoredPolicy(
            document_of(row), tuple(self.iter_items(policy_id)), row["created_at"], row["updated_at"]
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
                facts_of(r).get("fulfilment", r["fulfilment"]),
                r["updated_at"],
            )
            for r in rows
        ]

    def policy_version_map(self) -> dict[str, int]:
        """Policy id → current version in :meth:`list_policies`' order, in one light query (no item counts, no summaries)."""
        rows = self._conn().execute("SELECT id, version FROM policies ORDER BY updated_at DESC, id")
        return {r["id"]: r["version"] for r in rows}

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
            existed = conn.execute("DELETE FROM policies WHERE id = ?", (policy_id,)).rowcount > 0
            if existed:
                self._record_changes(conn, "policy", "delete", [policy_id])
            return existed

    def get_item(self, item_id: str) -> PolicyItem | None:
        """One current item, or None."""
        row = self._conn().execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        return item_of(row) if row else None

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
        return (item_of(r) for r in rows)

    def count_items(self) -> int:
        """Count current items."""
        return int(self._conn().execute("SELECT count(*) FROM items").scalar())

    def set_item_conditions(self, item_id: str, conditions: Iterable[Entry], source: str = "edited") -> None:
        """Replace the item's conditions of that source; an edited set wins over the extracted one."""
        if source not in ("extracted", "edited"):
            raise ValueError(f"source must be 'extracted' or 'edited', got {source!r}")
        conn = self._conn()
        conditions = [with_source(c, source) for c in conditions]
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
            insert_conditions(conn, item_id, row["policy_id"], source, conditions, utc_now(), fingerprint)
            self._record_changes(conn, "policy", "conditions", [row["policy_id"]])

    def item_conditions(self, item_id: str) -> list[Entry]:
        """Return the edited set when one exists (even an empty correction), else the extracted one (v2 entries)."""
        source = self.item_condition_source(item_id)
        if source is None:
            return []
        rows = self._conn().execute(
            "SELECT * FROM conditions WHERE item_id = ? AND source = ? AND field != '' ORDER BY position",
            (item_id, source),
        )
        return [condition_of(r) for r in rows]

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
        conn = self._conn()
        with self.transaction():
            owners = [
                r["policy_id"]
                for r in conn.execute(
                    "SELECT DISTINCT policy_id FROM conditions WHERE item_id = ? AND source = 'edited'",
                    (item_id,),
                )
            ]
            cursor = conn.execute(
                "DELETE FROM conditions WHERE item_id = ? AND source = 'edited'", (item_id,)
            )
            if cursor.rowcount > 0:
                self._record_changes(conn, "policy", "conditions", owners)
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
                tuple(node_from_dict(c, "edited") for c in json.loads(r["conditions"])),
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


# Whether the extractor's v2 reading (``Extraction.entries``) is what gets stored and served. On since
# it serves the generated demo as well as the v1 conditions did (demo eligibility set, seed 20241,
# 60,000 pairs, extracted path: docs/benchmarks.md section demo-v2-served); off, the v1 leaves are
# stored (every requirement ANDed, no any groups, bonuses, exclusions or tiers). Entries given
# explicitly (the API, the admin editor, a labelled set) are always stored as they are.
STORE_EXTRACTED_ENTRIES = True


def extracted_entries(extraction: Any) -> Sequence[Entry]:
    """Return what an extraction says an item requires: its v2 ``entries`` once switched on, else ``conditions``.

    Entries that are empty are what the v2 reading says — nothing, where the v1 leaves may hold what it
    drops on purpose (the title an item is for becoming, a lead-in to a list) — so they are stored as
    they are; only an extraction with no ``entries`` at all (an older reader) falls back to its leaves.
    """
    entries = getattr(extraction, "entries", None) if STORE_EXTRACTED_ENTRIES else None
    return tuple(extraction.conditions) if entries is None else tuple(entries)
