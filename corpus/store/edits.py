"""Edited conditions across a re-ingest: they follow the text they were made for, or are kept as stale.

Functions over one :class:`~corpus.store.connection.Connection`, run inside the
caller's transaction; the SQL is the core's, valid on every dialect.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from corpus.conditions import Condition, Entry, node_from_dict
from corpus.schemas import PolicyItem
from corpus.store.base import AuditEvent, ExtractionLike
from corpus.store.connection import Connection, Row
from corpus.store.fingerprint import item_fingerprint
from corpus.store.records import condition_dict, to_json


def reattach_edits(
    conn: Connection, policy_id: str, items: Sequence[PolicyItem], version: int, now: str
) -> list[AuditEvent]:
    """Move each edited set to the new item with its text's fingerprint; park the rest as stale.

    Runs before the old items are replaced. A set goes to the same occurrence of its text
    (the k-th item with that fingerprint stays the k-th), else to the item keeping its id,
    else to the first unclaimed item with that text; sets attached now go before stale
    ones, and one item takes at most one set. Returns the moves, for the audit log.
    """
    edited = conn.execute(
        """SELECT item_id, position, field, op, value, span, created_at, item_sha256, node FROM conditions
           WHERE policy_id = ? AND source = 'edited' ORDER BY item_id, position""",
        (policy_id,),
    ).fetchall()
    stale = conn.execute(
        "SELECT * FROM stale_edits WHERE policy_id = ? ORDER BY stale_since, item_id", (policy_id,)
    ).fetchall()
    if not edited and not stale:
        return []
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
        free = [i for i in new_by_fingerprint.get(fingerprint, []) if i not in claimed] if fingerprint else []
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
                                               created_at, item_sha256, node)
                       VALUES (?, ?, 'edited', ?, ?, ?, ?, ?, ?, ?, ?)""",
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
                        r["node"],
                    ),
                )
            if target != edit.item_id:
                events.append(
                    _edit_event("conditions.follow", policy_id, version, edit.item_id, target, edit.sha256)
                )
            continue
        conditions = [condition_dict(r) for r in edit.rows if r["field"] != ""]
        conn.execute(
            """INSERT INTO stale_edits (policy_id, item_id, item_sha256, item_text, conditions, edited_at,
                                        stale_since, stale_version)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                policy_id,
                edit.item_id,
                edit.sha256,
                edit.text,
                to_json(conditions),
                min(r["created_at"] for r in edit.rows),
                now,
                version,
            ),
        )
        events.append(_edit_event("conditions.stale", policy_id, version, edit.item_id, None, edit.sha256))
    for r, target in revived:
        if target is None:
            continue
        revived_set = [node_from_dict(c, "edited") for c in json.loads(r["conditions"])]
        insert_conditions(conn, target, policy_id, "edited", revived_set, r["edited_at"], r["item_sha256"])
        conn.execute(
            """DELETE FROM stale_edits
               WHERE policy_id = ? AND item_sha256 = ? AND item_id = ? AND stale_since = ?""",
            (policy_id, r["item_sha256"], r["item_id"], r["stale_since"]),
        )
        events.append(
            _edit_event("conditions.reattach", policy_id, version, r["item_id"], target, r["item_sha256"])
        )
    return events


def extractions_by_item(
    items: Sequence[PolicyItem],
    extractions: Sequence[ExtractionLike | None] | Mapping[str, ExtractionLike] | None,
) -> dict[str, ExtractionLike]:
    """Item id → its extraction, from a list parallel to the items or a dict by item id."""
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


def insert_conditions(
    conn: Connection,
    item_id: str,
    policy_id: str,
    source: str,
    conditions: Iterable[Entry],
    now: str,
    item_sha256: str | None = None,
) -> None:
    """Insert the set; an empty edited set is kept as a marker row (a person said: no conditions)."""
    conditions = list(conditions)
    for position, condition in enumerate(conditions):
        data = condition.to_dict()
        # A plain v1 leaf stays a plain row; a group, a role or a tier keeps its whole entry in ``node``.
        plain = isinstance(condition, Condition) and condition.role == "require"
        conn.execute(
            """INSERT INTO conditions (item_id, policy_id, source, position, field, op, value, span, created_at,
                                       item_sha256, node)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                item_id,
                policy_id,
                source,
                position,
                condition.field,
                condition.op,
                to_json(data.get("value")) if isinstance(condition, Condition) else "null",
                data.get("span") or "",
                now,
                item_sha256,
                None if plain else to_json(data),
            ),
        )
    if not conditions and source == "edited":
        conn.execute(
            """INSERT INTO conditions (item_id, policy_id, source, position, field, op, value, span, created_at,
                                       item_sha256)
               VALUES (?, ?, 'edited', -1, '', '', 'null', '', ?, ?)""",
            (item_id, policy_id, now, item_sha256),
        )


@dataclass
class _EditedSet:
    """The edited rows of one item while a re-ingest places them."""

    item_id: str
    sha256: str
    text: str
    rows: list[Row] = field(default_factory=list)


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
