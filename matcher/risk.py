"""风险监管 served: colours, duplicate hits, the 免申即享 payout list and monitoring, from the store and today's verdicts.

:class:`RiskBoard` reads the ledger, the groups, the profiles and the items from the
store, asks the matcher who is eligible on today's data, and applies the pure rules of
:mod:`corpus.risk`. Nothing is cached between calls: every answer is the data's
answer at that moment (docs/risk.md).

The 免申即享 payout rule (every enterprise on the list meets all of these):

1. the item's fulfilment mode is 免申即享, and every condition is decidable from profile data;
2. the enterprise is ``eligible`` on today's data (every condition met, no exclusion hit);
3. its 统一社会信用代码 is present, valid (GB 32100-2015 check digit) and held by no other record;
4. its profile was received no more than ``max_age_days`` ago (default 400: one annual report cycle);
5. its colour is not red (失信, 重大违法, a benefit revoked for 恶意套取) — excluded whatever the item says;
6. its legal person holds no benefit of this item or of a 就高不重复 group of it, and no item of
   such a group gives it more (就高: the list gives each enterprise the highest of a group).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from corpus.conditions import judge_item, split_tiers
from corpus.ledger import LedgerEntry
from corpus.risk import (
    DEFAULT_MAX_PROFILE_AGE_DAYS,
    BenefitGroup,
    Colour,
    DuplicateHit,
    ItemFacts,
    ItemMonitor,
    ProfileFacts,
    Reason,
    colour_of,
    data_reasons,
    duplicate_hits,
    legal_person,
    monitor,
    push_checks,
    read_no_repeat_clauses,
    satisfaction,
)

FREE_APPLY = "免申即享"
# Groups read from a document's text, per (store, policy, version): a new version is read again.
_TEXT_GROUPS: dict[tuple[int, str, int], list[BenefitGroup]] = {}
_TEXT_GROUPS_LOCK = threading.Lock()


class NotFreeApply(ValueError):
    """A payout list asked of an item whose fulfilment mode is not 免申即享."""


@dataclass(frozen=True)
class PayoutRow:
    """One enterprise on a 免申即享 payout list."""

    enterprise_id: str
    name: str
    uscc: str
    tier: str | None
    expected_amount: float | None
    colour: str
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "enterprise_id": self.enterprise_id,
            "name": self.name,
            "uscc": self.uscc,
            "tier": self.tier,
            "expected_amount": self.expected_amount,
            "colour": self.colour,
            "reasons": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True)
class PayoutList:
    """The enterprises an item may pay without an application, and those left off with why."""

    policy_id: str
    item_id: str
    fulfilment: str | None
    rows: tuple[PayoutRow, ...]
    left_off: tuple[tuple[str, tuple[str, ...]], ...]  # (enterprise, reasons) eligible but not payable
    undecidable: tuple[str, ...] = ()
    max_age_days: int = DEFAULT_MAX_PROFILE_AGE_DAYS
    as_of: str = ""

    @property
    def total_amount(self) -> float:
        """Sum of the expected amounts known (万元)."""
        return round(sum(r.expected_amount or 0.0 for r in self.rows), 4)

    def checksum(self) -> str:
        """SHA-256 of the rows as exported (canonical JSON): what a payer checks the file against."""
        payload = json.dumps([r.to_dict() for r in self.rows], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "policy_id": self.policy_id,
            "item_id": self.item_id,
            "fulfilment": self.fulfilment,
            "as_of": self.as_of,
            "rule": {"max_profile_age_days": self.max_age_days, "excluded_colours": ["red"]},
            "rows": [r.to_dict() for r in self.rows],
            "total": len(self.rows),
            "total_amount": self.total_amount,
            "left_off": [{"enterprise_id": e, "reasons": list(r)} for e, r in self.left_off],
            "undecidable": list(self.undecidable),
            "sha256": self.checksum(),
        }


@dataclass
class RiskSnapshot:
    """Everything one answer reads, read once: entries, persons, groups, hits, colours."""

    entries: list[LedgerEntry]
    persons: dict[str, str]
    groups: list[BenefitGroup]
    hits: list[DuplicateHit]
    facts: dict[str, ProfileFacts]
    code_holders: dict[str, list[str]]
    colours: dict[str, Colour] = field(default_factory=dict)


class RiskBoard:
    """Colours, duplicates, payout lists and monitoring over one store and one matcher."""

    def __init__(self, store: Any, matcher: Any, *, max_age_days: int = DEFAULT_MAX_PROFILE_AGE_DAYS) -> None:  # noqa: D107 - the class docstring says it
        self.store = store
        self.matcher = matcher
        self.max_age_days = max_age_days

    @property
    def today(self) -> dt.date:
        """The matcher's today (so verdicts and colours are judged at one date)."""
        return self.matcher.today if self.matcher is not None else dt.date.today()

    # --- reading ---------------------------------------------------------------------------------

    def groups(self) -> list[BenefitGroup]:
        """Admin-set groups and those each stored document's text declares (the text's read once per policy version)."""
        out = list(self.store.benefit_groups())
        # Ids and versions only (every page's notes ask): the summaries' item counts and facts are not read.
        for policy_id, version in self.store.policy_version_map().items():
            key = (id(self.store), policy_id, version)
            with _TEXT_GROUPS_LOCK:
                cached = _TEXT_GROUPS.get(key)
            if cached is None:
                stored = self.store.get_policy(policy_id)
                items = [] if stored is None else [i.id for i in stored.items]
                cached = (
                    [] if stored is None else read_no_repeat_clauses(policy_id, stored.document.text, items)
                )
                with _TEXT_GROUPS_LOCK:
                    _TEXT_GROUPS[key] = cached
                    while len(_TEXT_GROUPS) > 20_000:
                        _TEXT_GROUPS.pop(next(iter(_TEXT_GROUPS)))
            out.extend(cached)
        return out

    def snapshot(self, enterprise_ids: Sequence[str] | None = None) -> RiskSnapshot:
        """Read the ledger, profiles and groups and compute hits and colours (of these enterprises only, when given).

        With ``enterprise_ids`` only their legal persons' records and rows are read, so a
        page of a target list costs a page's worth of reads, not the whole ledger: its
        profiles, their codes' holders and the ledger rows, one statement each.
        """
        merges = self.store.merges()
        # One read of the page's profiles (their four risk fields), not one profile and one date per row.
        facts = {f.enterprise_id: f for f in self.store.profile_facts(enterprise_ids)}
        persons = {eid: legal_person(eid, f.uscc) for eid, f in facts.items()}
        for eid in enterprise_ids or ():
            persons.setdefault(eid, f"id:{eid}")  # ledger rows may name a record with no stored profile
        holders: dict[str, list[str]] = defaultdict(list)
        if enterprise_ids is None:
            for f in facts.values():
                if f.uscc:
                    holders[f.uscc].append(f.enterprise_id)
        else:
            holders.update(self.store.uscc_holders_of([f.uscc for f in facts.values() if f.uscc]))
            for f in list(facts.values()):
                if f.uscc:
                    for other in holders[f.uscc]:
                        persons.setdefault(other, persons[f.enterprise_id])
        for source, into in merges.items():
            if enterprise_ids is None or into in persons:
                persons[source] = persons.get(into, f"id:{into}")
        if enterprise_ids is None:
            entries = self.store.ledger_entries()
        else:
            entries = self.store.ledger_entries(enterprise_ids=sorted(persons))
        groups = self.groups()
        hits = duplicate_hits(entries, persons, groups)
        snap = RiskSnapshot(entries, persons, groups, hits, facts, dict(holders))
        by_enterprise: dict[str, list[LedgerEntry]] = defaultdict(list)
        for entry in entries:
            by_enterprise[entry.enterprise_id].append(entry)
        for eid, f in facts.items():
            snap.colours[eid] = colour_of(
                f,
                by_enterprise.get(eid, []),
                hits,
                self.today,
                max_age_days=self.max_age_days,
                code_holders=snap.code_holders,
            )
        return snap

    def colour(self, enterprise_id: str, snap: RiskSnapshot | None = None) -> Colour | None:
        """Return one enterprise's colour with its reasons, or None when it is not stored."""
        snap = snap or self.snapshot([enterprise_id])
        return snap.colours.get(enterprise_id)

    # --- 免申即享 -------------------------------------------------------------------------------

    def _eligible(self, policy_id: str, item_id: str) -> list[str]:
        order = self.matcher.target_order(policy_id, item_id, ("eligible",), include_excluded=False)
        ids = self.matcher.columns.ids
        return [ids[int(r)] for r in order.rows]

    def expected_amount(self, item_id: str, enterprise_id: str) -> tuple[str | None, float | None]:
        """Return the tier an enterprise reaches and the amount it gives it (万元), from the item's conditions and tags."""
        profile = self.store.get_enterprise(enterprise_id)
        if profile is None:
            return None, None
        conditions = self.store.item_conditions(item_id)
        verdict = judge_item(conditions, profile.to_dict())
        tier = verdict.tier
        if tier is not None and tier.amount is not None:
            return tier.tier.label, float(tier.amount)
        return (None if tier is None else tier.tier.label), self.item_cap(item_id)

    def item_cap(self, item_id: str) -> float | None:
        """Return the most one enterprise may get of the item (万元): its best tier's fixed amount, else its tagged amount."""
        _, tiers = split_tiers(self.store.item_conditions(item_id))
        amounts = [float(t.amount) for t in tiers if t.amount is not None]
        if amounts:
            return max(amounts)
        tags = self.store.item_tags(item_id) or {}
        value = tags.get("amount") if isinstance(tags, Mapping) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, Mapping) and isinstance(value.get("max"), int | float):
            return float(value["max"])
        return None

    def payout_list(self, policy_id: str, item_id: str, snap: RiskSnapshot | None = None) -> PayoutList:
        """Build the 免申即享 list of one item under the rule in this module's docstring."""
        item = self.store.get_item(item_id)
        if item is None or item.policy_id != policy_id:
            raise LookupError(f"policy {policy_id!r} has no item {item_id!r}")
        if item.fulfilment != FREE_APPLY:
            raise NotFreeApply(
                f"item {item_id} is fulfilled by {item.fulfilment or 'application (no mode stated)'}, not 免申即享: "
                "it has no payout list"
            )
        snap = snap or self.snapshot()
        (entitled,) = self.matcher.entitled(policy_id, item_id)
        if not entitled.decidable:
            blocked = tuple(c.span or c.field for c in entitled.undecidable)
            return PayoutList(
                policy_id,
                item_id,
                item.fulfilment,
                (),
                (),
                blocked,
                self.max_age_days,
                self.today.isoformat(),
            )
        candidates = list(entitled.enterprise_ids)
        amounts: dict[tuple[str, str], float] = {}
        tiers: dict[str, str | None] = {}
        related = {i for g in snap.groups if item_id in g.items for i in g.items} - {item_id}
        for eid in candidates:
            tiers[eid], amount = self.expected_amount(item_id, eid)
            if amount is not None:
                amounts[(eid, item_id)] = amount
            for other in related:
                if self.store.get_item(other) is None:
                    continue
                try:
                    level = self.matcher.explain(other, eid).level
                except LookupError:  # an item the matcher does not hold (yet): nothing to compare with
                    continue
                if level == "eligible":
                    _, other_amount = self.expected_amount(other, eid)
                    if other_amount is not None:
                        amounts[(eid, other)] = other_amount
        checks = push_checks(item_id, candidates, snap.entries, snap.persons, snap.groups, amounts)
        rows: list[PayoutRow] = []
        left: list[tuple[str, tuple[str, ...]]] = []
        for eid in candidates:
            facts = snap.facts.get(eid)
            colour = snap.colours.get(eid)
            if facts is None or colour is None:
                continue
            why: list[str] = []
            if colour.colour == "red":
                why.extend(r.text for r in colour.reasons if r.colour == "red")
            why.extend(
                r.text
                for r in data_reasons(
                    facts, self.today, max_age_days=self.max_age_days, code_holders=snap.code_holders
                )
            )
            check = checks[eid]
            why.extend(check.already)
            if check.higher is not None:
                why.append(f"就高: {check.higher} 给予更高金额")
            if why:
                left.append((eid, tuple(why)))
                continue
            profile = self.store.get_enterprise(eid)
            rows.append(
                PayoutRow(
                    eid,
                    profile.name if profile is not None else "",
                    facts.uscc or "",
                    tiers.get(eid),
                    amounts.get((eid, item_id)),
                    colour.colour,
                    colour.reasons,
                )
            )
        return PayoutList(
            policy_id,
            item_id,
            item.fulfilment,
            tuple(rows),
            tuple(left),
            (),
            self.max_age_days,
            self.today.isoformat(),
        )

    def export_payout(self, policy_id: str, item_id: str, key_id: str) -> tuple[PayoutList, int]:
        """Build the list and record it (rows, checksum, exporting key) with its audit row; returns it and the export id."""
        payout = self.payout_list(policy_id, item_id)
        record = self.store.record_payout_export(
            policy_id, item_id, key_id, payout.checksum(), [r.to_dict() for r in payout.rows]
        )
        return payout, record.id

    # --- target lists ----------------------------------------------------------------------------

    def annotate(
        self, item_id: str, enterprise_ids: Sequence[str], snap: RiskSnapshot | None = None
    ) -> dict[str, dict[str, Any]]:
        """Return what a target row shows of risk: colour with reasons, and what the legal person already holds of the item's groups."""
        snap = snap or self.snapshot(enterprise_ids)
        checks = push_checks(item_id, enterprise_ids, snap.entries, snap.persons, snap.groups)
        out = {}
        for eid in enterprise_ids:
            colour = snap.colours.get(eid)
            out[eid] = {
                "colour": None if colour is None else colour.colour,
                "reasons": [] if colour is None else [r.to_dict() for r in colour.reasons],
                "already": list(checks[eid].already),
            }
        return out

    # --- monitoring ------------------------------------------------------------------------------

    def monitoring(self, snap: RiskSnapshot | None = None) -> dict[str, Any]:
        """多发、错发、漏发, push share and days to push per item and per department (docs/risk.md)."""
        snap = snap or self.snapshot()
        red = frozenset(eid for eid, c in snap.colours.items() if c.colour == "red")
        items: list[ItemFacts] = []
        eligible: dict[str, frozenset[str]] = {}
        pushed: dict[str, dict[str, str]] = defaultdict(dict)
        for entry in snap.entries:
            first = pushed[entry.item_id].get(entry.enterprise_id)
            if first is None or entry.date < first:
                pushed[entry.item_id][entry.enterprise_id] = entry.date
        for export in self.store.payout_exports(with_rows=True):
            for row in export.rows:
                first = pushed[export.item_id].get(row["enterprise_id"])
                day = export.created_at[:10]
                if first is None or day < first:
                    pushed[export.item_id][row["enterprise_id"]] = day
        wanted = {e.item_id for e in snap.entries} | {i for i in pushed}
        for summary in self.store.list_policies():
            for item in self.store.iter_items(summary.id):
                if item.fulfilment != FREE_APPLY and item.id not in wanted:
                    continue
                items.append(
                    ItemFacts(
                        item.id,
                        item.department or summary.department or "(未注明部门)",
                        item.fulfilment,
                        item.issued or summary.issued,
                        self.item_cap(item.id),
                    )
                )
                try:
                    eligible[item.id] = frozenset(self._eligible(item.policy_id, item.id))
                except (LookupError, ValueError):
                    eligible[item.id] = frozenset()
        scores: dict[str, tuple[float, int]] = {}
        ratings_by_item: dict[str, list[dict[str, int]]] = defaultdict(list)
        for rating in self.store.ratings():
            ratings_by_item[rating.item_id].append(
                {"convenience": rating.convenience, "progress": rating.progress, "usage": rating.usage}
            )
        for item_id, rows in ratings_by_item.items():
            overall = satisfaction(rows)
            if overall is not None:
                scores[item_id] = overall
        per_item, per_department = monitor(
            items, snap.entries, snap.hits, eligible, red, pushed, self.today, scores
        )
        counts = {"green": 0, "yellow": 0, "red": 0}
        for colour in snap.colours.values():
            counts[colour.colour] += 1
        return {
            "as_of": self.today.isoformat(),
            "colours": counts,
            "duplicates": len(snap.hits),
            "items": [m.to_dict() for m in per_item],
            "departments": [m.to_dict() for m in per_department],
        }


def monitor_fingerprint(report: Mapping[str, Any]) -> str:
    """SHA-256 of a monitoring report (canonical JSON): equal data gives an equal fingerprint."""
    return hashlib.sha256(json.dumps(report, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


__all__ = [
    "FREE_APPLY",
    "ItemMonitor",
    "NotFreeApply",
    "PayoutList",
    "PayoutRow",
    "RiskBoard",
    "monitor_fingerprint",
]
