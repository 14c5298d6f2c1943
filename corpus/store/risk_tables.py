"""风险监管 tables in the SQL both dialects speak: the ledger, 就高不重复 groups, 免申即享 exports, 闭环评价, merges.

A mixin of the store classes: it uses only ``self._conn()`` (the calling thread's
connection, ``?`` placeholders) and ``self.transaction()``. The money-facing tables are
append-only in the database itself (triggers refuse UPDATE and DELETE, migration 6), and
every ledger write appends its audit row in the same transaction, so a row is never
stored without its trail, nor the trail without its row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import orjson

from corpus.ledger import LedgerEntry
from corpus.risk import BenefitGroup, ProfileFacts
from corpus.store.base import AuditEvent, NotFoundError, StoreError, utc_now
from corpus.store.sql_parts import chunked

_LEDGER_COLUMNS = (
    "id, enterprise_id, item_id, tier, amount, department, date, status, source, reason, corrects, "
    "recorded_at, recorded_by"
)


class LedgerRefused(StoreError):
    """A ledger write that breaks a rule of the ledger (a correction of a row that does not exist, of another benefit)."""


class UsccConflict(StoreError):
    """A profile whose 统一社会信用代码 another record holds."""

    def __init__(self, uscc: str, holders: Sequence[str]) -> None:
        self.uscc = uscc
        self.holders = tuple(holders)
        super().__init__(f"统一社会信用代码 {uscc} is held by enterprise {', '.join(holders) or '?'}")


@dataclass(frozen=True)
class PayoutExport:
    """One recorded 免申即享 export: who exported which rows, with their checksum."""

    id: int
    policy_id: str
    item_id: str
    key_id: str
    created_at: str
    sha256: str
    n_rows: int
    rows: tuple[dict[str, Any], ...] = ()

    def to_dict(self, with_rows: bool = False) -> dict[str, Any]:
        """JSON-ready dict."""
        out: dict[str, Any] = {
            "id": self.id,
            "policy_id": self.policy_id,
            "item_id": self.item_id,
            "key_id": self.key_id,
            "created_at": self.created_at,
            "sha256": self.sha256,
            "n_rows": self.n_rows,
        }
        if with_rows:
            out["rows"] = list(self.rows)
        return out


@dataclass(frozen=True)
class Rating:
    """闭环评价 of one paid benefit: 兑现便捷度, 办理进度, 使用情况 (1–5)."""

    id: int
    enterprise_id: str
    item_id: str
    ledger_id: int
    convenience: int
    progress: int
    usage: int
    comment: str | None
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


def _entry(row: Any) -> LedgerEntry:
    return LedgerEntry(
        enterprise_id=row["enterprise_id"],
        item_id=row["item_id"],
        amount=float(row["amount"]),
        department=row["department"],
        date=row["date"],
        status=row["status"],
        source=row["source"],
        tier=row["tier"],
        reason=row["reason"],
        corrects=None if row["corrects"] is None else int(row["corrects"]),
        id=int(row["id"]),
        recorded_at=row["recorded_at"],
        recorded_by=row["recorded_by"],
    )


def _returned_id(cursor: Any) -> int:
    """Return the id an ``INSERT … RETURNING id`` gave (the PostgreSQL connection reads it into ``lastrowid`` itself)."""
    row = cursor.fetchone()
    return int(row[0]) if row is not None else int(cursor.lastrowid)


class RiskTables:
    """Ledger, groups, exports, ratings and merges; mixed into the SQLite and PostgreSQL stores."""

    if TYPE_CHECKING:  # supplied by the store class

        def _conn(self) -> Any: ...

        def transaction(self) -> AbstractContextManager[None]:  # noqa: D102 - the store class documents it
            ...

        def _record_changes(self, conn: Any, kind: str, action: str, keys: Any) -> None: ...

        def append_audit(self, event: AuditEvent) -> AuditEvent: ...  # noqa: D102 - the store class documents it

    # --- the ledger ----------------------------------------------------------------------------

    def append_ledger(
        self, entries: Sequence[LedgerEntry], actor: str, source: str = ""
    ) -> list[LedgerEntry]:
        """Append rows (all or none) with one audit row; returns them with their ids.

        A row that ``corrects`` another must name an earlier row of the same enterprise and
        item (or one appended before it in this call). ``source`` fills rows that name none.
        """
        conn = self._conn()
        now = utc_now()
        out: list[LedgerEntry] = []
        with self.transaction():
            for n, entry in enumerate(entries):
                if entry.corrects is not None:
                    target = conn.execute(
                        "SELECT enterprise_id, item_id FROM ledger WHERE id = ?", (entry.corrects,)
                    ).fetchone()
                    if target is None:
                        raise LedgerRefused(
                            f"row {n + 1}: corrects {entry.corrects}, which is not a ledger row"
                        )
                    if (target["enterprise_id"], target["item_id"]) != (entry.enterprise_id, entry.item_id):
                        raise LedgerRefused(
                            f"row {n + 1}: corrects row {entry.corrects} of {target['enterprise_id']} / "
                            f"{target['item_id']}, not of {entry.enterprise_id} / {entry.item_id}"
                        )
                row = conn.execute(
                    """INSERT INTO ledger (enterprise_id, item_id, policy_id, tier, amount, department, date, status,
                                           source, reason, corrects, recorded_at, recorded_by)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
                    (
                        entry.enterprise_id,
                        entry.item_id,
                        entry.policy_id,
                        entry.tier,
                        entry.amount,
                        entry.department,
                        entry.date,
                        entry.status,
                        entry.source or source,
                        entry.reason,
                        entry.corrects,
                        now,
                        actor,
                    ),
                )
                out.append(
                    replace(
                        entry,
                        id=_returned_id(row),
                        source=entry.source or source,
                        recorded_at=now,
                        recorded_by=actor,
                    )
                )
            if out:
                self.append_audit(
                    AuditEvent(
                        actor,
                        "ledger.append",
                        out[0].item_id if len({e.item_id for e in out}) == 1 else "",
                        {"ids": [e.id for e in out], "rows": len(out), "source": source},
                        at=now,
                    )
                )
        return out

    def ledger_entries(
        self,
        *,
        enterprise_ids: Sequence[str] | None = None,
        item_id: str | None = None,
        policy_id: str | None = None,
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[LedgerEntry]:
        """Rows in id order matching every filter given (``enterprise_ids``: any of them)."""
        where = ["id > ?"]
        params: list[Any] = [after_id]
        if enterprise_ids is not None:
            if not enterprise_ids:
                return []
            where.append(f"enterprise_id IN ({','.join('?' * len(enterprise_ids))})")
            params.extend(enterprise_ids)
        if item_id is not None:
            where.append("item_id = ?")
            params.append(item_id)
        if policy_id is not None:
            where.append("policy_id = ?")
            params.append(policy_id)
        sql = f"SELECT {_LEDGER_COLUMNS} FROM ledger WHERE {' AND '.join(where)} ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return [_entry(r) for r in self._conn().execute(sql, params).fetchall()]

    def ledger_sources(self, tag: str) -> set[str]:
        """Return the sources of stored rows that name ``tag`` (what a rerun of a file ingest skips)."""
        rows = (
            self._conn().execute("SELECT source FROM ledger WHERE source LIKE ?", (f"%{tag}:L%",)).fetchall()
        )
        return {r[0] for r in rows}

    def count_ledger(self) -> int:
        """Rows in the ledger."""
        return int(self._conn().execute("SELECT count(*) FROM ledger").fetchone()[0])

    # --- 就高不重复 groups set by an admin ------------------------------------------------------

    def set_benefit_group(
        self, group_id: str, item_ids: Sequence[str], label: str, actor: str
    ) -> BenefitGroup:
        """Make ``group_id`` hold exactly these items (an empty list removes it); audited."""
        conn = self._conn()
        now = utc_now()
        with self.transaction():
            before = [
                r[0] for r in conn.execute("SELECT item_id FROM benefit_groups WHERE id = ?", (group_id,))
            ]
            conn.execute("DELETE FROM benefit_groups WHERE id = ?", (group_id,))
            for item_id in sorted(set(item_ids)):
                conn.execute(
                    "INSERT INTO benefit_groups (id, item_id, label, created_at, created_by) VALUES (?, ?, ?, ?, ?)",
                    (group_id, item_id, label, now, actor),
                )
            self.append_audit(
                AuditEvent(
                    actor,
                    "risk.group",
                    group_id,
                    {"before": sorted(before), "after": sorted(set(item_ids)), "label": label},
                    at=now,
                )
            )
        return BenefitGroup(group_id, frozenset(item_ids), "admin", label)

    def benefit_groups(self) -> list[BenefitGroup]:
        """Every admin-set group."""
        members: dict[str, tuple[str, set[str]]] = {}
        for row in self._conn().execute("SELECT id, item_id, label FROM benefit_groups ORDER BY id, item_id"):
            members.setdefault(row[0], (row[2], set()))[1].add(row[1])
        return [
            BenefitGroup(gid, frozenset(items), "admin", label) for gid, (label, items) in members.items()
        ]

    # --- 免申即享 exports ---------------------------------------------------------------------------

    def record_payout_export(
        self, policy_id: str, item_id: str, key_id: str, sha256: str, rows: Sequence[dict[str, Any]]
    ) -> PayoutExport:
        """Keep an export's rows with its checksum and the exporting key, and its audit row, together."""
        conn = self._conn()
        now = utc_now()
        with self.transaction():
            row = conn.execute(
                """INSERT INTO payout_exports (policy_id, item_id, key_id, created_at, sha256, n_rows, rows)
                   VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id""",
                (
                    policy_id,
                    item_id,
                    key_id,
                    now,
                    sha256,
                    len(rows),
                    json.dumps(list(rows), ensure_ascii=False),
                ),
            )
            export_id = _returned_id(row)
            self.append_audit(
                AuditEvent(
                    key_id,
                    "payout.export",
                    item_id,
                    {"export_id": export_id, "sha256": sha256, "rows": len(rows), "policy_id": policy_id},
                    at=now,
                ),
            )
        return PayoutExport(export_id, policy_id, item_id, key_id, now, sha256, len(rows), tuple(rows))

    def payout_exports(self, item_id: str | None = None, with_rows: bool = False) -> list[PayoutExport]:
        """Return recorded exports, oldest first (of one item when given)."""
        columns = "id, policy_id, item_id, key_id, created_at, sha256, n_rows" + (
            ", rows" if with_rows else ""
        )
        sql = f"SELECT {columns} FROM payout_exports"
        params: tuple[Any, ...] = ()
        if item_id is not None:
            sql += " WHERE item_id = ?"
            params = (item_id,)
        out = []
        for r in self._conn().execute(sql + " ORDER BY id", params).fetchall():
            rows = tuple(json.loads(r["rows"])) if with_rows else ()
            out.append(
                PayoutExport(
                    int(r["id"]), r["policy_id"], r["item_id"], r["key_id"], r["created_at"], r["sha256"],
                    int(r["n_rows"]), rows,
                )
            )  # fmt: skip
        return out

    # --- 闭环评价 -------------------------------------------------------------------------------

    def add_rating(
        self,
        enterprise_id: str,
        item_id: str,
        scores: tuple[int, int, int],
        comment: str | None,
        actor: str,
    ) -> Rating:
        """Rate a paid benefit (兑现便捷度, 办理进度, 使用情况); refused when the enterprise holds no paid row of the item."""
        conn = self._conn()
        now = utc_now()
        with self.transaction():
            paid = conn.execute(
                "SELECT max(id) FROM ledger WHERE enterprise_id = ? AND item_id = ? AND status = 'paid'",
                (enterprise_id, item_id),
            ).fetchone()
            if paid is None or paid[0] is None:
                raise NotFoundError(f"{enterprise_id} has no paid benefit of {item_id} to rate")
            ledger_id = int(paid[0])
            row = conn.execute(
                """INSERT INTO ratings (enterprise_id, item_id, ledger_id, convenience, progress, usage, comment,
                                        created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
                (enterprise_id, item_id, ledger_id, *scores, comment, now),
            )
            rating = Rating(_returned_id(row), enterprise_id, item_id, ledger_id, *scores, comment, now)
            self.append_audit(AuditEvent(actor, "rating", item_id, rating.to_dict(), at=now))
        return rating

    def ratings(self, item_id: str | None = None) -> list[Rating]:
        """Ratings in the order they came (of one item when given)."""
        sql = (
            "SELECT id, enterprise_id, item_id, ledger_id, convenience, progress, usage, comment, created_at "
            "FROM ratings"
        )
        params: tuple[Any, ...] = ()
        if item_id is not None:
            sql += " WHERE item_id = ?"
            params = (item_id,)
        return [
            Rating(int(r[0]), r[1], r[2], int(r[3]), int(r[4]), int(r[5]), int(r[6]), r[7], r[8])  # fmt: skip
            for r in self._conn().execute(sql + " ORDER BY id", params).fetchall()
        ]

    # --- one legal person, one record ---------------------------------------------------------------

    def uscc_holders(self, uscc: str) -> list[str]:
        """Ids of the records holding this 统一社会信用代码 (more than one only for records stored before migration 6)."""
        return [
            r[0]
            for r in self._conn().execute("SELECT id FROM enterprises WHERE uscc = ? ORDER BY id", (uscc,))
        ]

    def uscc_holders_of(self, codes: Sequence[str]) -> dict[str, list[str]]:
        """:meth:`uscc_holders` of each code at once (a code no record holds maps to ``[]``), 500 codes a statement."""
        out: dict[str, list[str]] = {code: [] for code in codes}
        conn = self._conn()
        for chunk, marks in chunked(out):
            sql = f"SELECT uscc, id FROM enterprises WHERE uscc IN ({marks}) ORDER BY id"
            for row in conn.execute(sql, chunk):
                out[row[0]].append(row[1])
        return out

    def profile_facts(self, enterprise_ids: Sequence[str] | None = None) -> list[ProfileFacts]:
        """Return what colours read of every stored profile in id order, or of these ids in their order (absent ones left out)."""
        if enterprise_ids is None:
            rows = self._conn().execute("SELECT id, profile, updated_at FROM enterprises ORDER BY id")
            return [_facts(row) for row in rows]
        found: dict[str, ProfileFacts] = {}
        conn = self._conn()
        for chunk, marks in chunked(dict.fromkeys(enterprise_ids)):
            sql = f"SELECT id, profile, updated_at FROM enterprises WHERE id IN ({marks})"
            for row in conn.execute(sql, chunk):
                found[row[0]] = _facts(row)
        return [found[eid] for eid in dict.fromkeys(enterprise_ids) if eid in found]

    def profile_updated_at(self, enterprise_id: str) -> str | None:
        """When the store last received this profile."""
        row = (
            self._conn()
            .execute("SELECT updated_at FROM enterprises WHERE id = ?", (enterprise_id,))
            .fetchone()
        )
        return None if row is None else str(row[0])

    def merges(self) -> dict[str, str]:
        """Map each merged record id to the record it was merged into (followed to the end of a chain)."""
        direct = {
            r[0]: r[1] for r in self._conn().execute("SELECT source_id, into_id FROM enterprise_merges")
        }
        out = {}
        for source in direct:
            target, seen = direct[source], {source}
            while target in direct and target not in seen:
                seen.add(target)
                target = direct[target]
            out[source] = target
        return out

    def merge_enterprises(self, source_id: str, into_id: str, actor: str) -> dict[str, Any]:
        """Merge one record into another: the source record goes (its snapshots and ledger rows stay), audited.

        Both must exist and differ; the merge is kept so ledger rows of the source count
        for the record it went into.
        """
        if source_id == into_id:
            raise StoreError("an enterprise cannot be merged into itself")
        conn = self._conn()
        now = utc_now()
        with self.transaction():
            rows = {
                r[0]: (r[1], r[2])
                for r in conn.execute(
                    "SELECT id, profile, snapshot_id FROM enterprises WHERE id IN (?, ?)",
                    (source_id, into_id),
                )
            }
            for needed in (source_id, into_id):
                if needed not in rows:
                    raise NotFoundError(f"no enterprise with id {needed!r}")
            uscc = json.loads(rows[source_id][0]).get("uscc")
            conn.execute("DELETE FROM enterprises WHERE id = ?", (source_id,))
            # Every serving process drops the merged record from its columns (the change feed).
            self._record_changes(conn, "enterprise", "merge", [source_id, into_id])
            conn.execute(
                "INSERT INTO enterprise_merges (source_id, into_id, uscc, merged_at, merged_by) VALUES (?, ?, ?, ?, ?)",
                (source_id, into_id, uscc, now, actor),
            )
            details = {
                "into": into_id,
                "uscc": uscc,
                "source_snapshot": rows[source_id][1],
                "into_snapshot": rows[into_id][1],
            }
            self.append_audit(AuditEvent(actor, "enterprise.merge", source_id, details, at=now))
        return {"source": source_id, **details, "merged_at": now}


def _facts(row: Any) -> ProfileFacts:
    # (id, profile, updated_at): the four fields a colour reads, without building the whole profile.
    # orjson reads a page's profiles in a third of json's time; json still reads what orjson refuses (NaN).
    try:
        data = orjson.loads(row[1])
    except orjson.JSONDecodeError:
        data = json.loads(row[1])
    return ProfileFacts(
        row[0], data.get("uscc"), data.get("credit_status"), data.get("major_violation"), str(row[2])
    )
