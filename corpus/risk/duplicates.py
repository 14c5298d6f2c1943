"""Legal persons, 就高不重复 groups, duplicate-benefit checks and the checks before a push."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from corpus.ledger import HOLDING, LedgerEntry, benefit_states
from corpus.schemas import uscc_problem

# --- legal persons ----------------------------------------------------------------------------


def legal_person(enterprise_id: str, uscc: str | None) -> str:
    """Return the key every duplicate check groups by: ``uscc:<code>`` for a valid code, else ``id:<record id>``."""
    if uscc and uscc_problem(uscc) is None:
        return f"uscc:{uscc}"
    return f"id:{enterprise_id}"


# --- 就高不重复 groups ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BenefitGroup:
    """Items of which one legal person may hold one benefit only (就高不重复); ``source``: ``admin`` or ``text``."""

    id: str
    items: frozenset[str]
    source: str = "admin"
    label: str = ""
    span: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "items": sorted(self.items),
            "source": self.source,
            "label": self.label,
            "span": self.span,
        }


# The clause shapes that say a document's items exclude each other: 就高(原则)…不(重复)享受, 不重复享受/支持/奖励,
# 不得重复申报/享受, 只能享受其中一项, 不叠加. A reader of the whole text (branch x2) may replace this one.
_NO_REPEAT = re.compile(
    r"[^。；;\n]*(?:就高(?:原则)?[^。；;\n]{0,20}?不(?:再)?(?:重复|叠加)|不(?:得)?重复(?:享受|支持|奖励|补助|申报|资助)"
    r"|不(?:予)?叠加(?:享受)?|(?:只能|仅可|仅能)(?:选择)?享受其中(?:一项|之一)|择(?:优|高)(?:享受|申报))[^。；;\n]*"
)


def read_no_repeat_clauses(policy_id: str, text: str, item_ids: Iterable[str]) -> list[BenefitGroup]:
    """Read the groups a document's own text declares: one per 就高不重复 / 不重复享受 sentence, over all the document's items.

    The sentence is kept as the group's ``span``. "与本市其他同类政策不重复享受" names no
    other document, so the group holds this document's items; an admin group links documents.
    """
    items = frozenset(item_ids)
    if len(items) < 1:
        return []
    out: list[BenefitGroup] = []
    seen: set[str] = set()
    for match in _NO_REPEAT.finditer(text):
        span = match.group(0).strip(" ，,、")
        if span in seen:
            continue
        seen.add(span)
        out.append(BenefitGroup(f"text:{policy_id}:{len(out) + 1}", items, "text", "就高不重复", span))
    return out


def groups_of_items(groups: Iterable[BenefitGroup]) -> dict[str, list[BenefitGroup]]:
    """Map each item id to the groups it belongs to."""
    out: dict[str, list[BenefitGroup]] = defaultdict(list)
    for group in groups:
        for item in group.items:
            out[item].append(group)
    return dict(out)


# --- duplicate-benefit checks -----------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateHit:
    """One legal person holding two benefits it may not hold together.

    ``kind``: ``same_group`` (two items of one 就高不重复 group) or ``same_item`` (one item
    twice: from two departments, or under two records of one legal person). ``key`` is
    what the hit is about (the group id, or the item id).
    """

    kind: str
    person: str
    key: str
    enterprise_ids: tuple[str, ...]
    items: tuple[str, ...]
    departments: tuple[str, ...]
    entry_ids: tuple[int, ...]
    amount: float

    @property
    def ident(self) -> tuple[str, str, str]:
        """What makes two hits the same hit: (kind, person, key)."""
        return (self.kind, self.person, self.key)

    def reason(self) -> str:
        """One sentence a person reads."""
        if self.kind == "same_group":
            return (
                f"就高不重复: 同一法人享受同组 {self.key} 的 {len(self.items)} 项 ({', '.join(self.items)})"
            )
        if len(self.departments) > 1:
            return f"同一法人多部门: {self.key} 由 {', '.join(self.departments)} 分别给予"
        return f"同一法人多记录: {self.key} 由记录 {', '.join(self.enterprise_ids)} 分别享受"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "kind": self.kind,
            "person": self.person,
            "key": self.key,
            "enterprise_ids": list(self.enterprise_ids),
            "items": list(self.items),
            "departments": list(self.departments),
            "entry_ids": list(self.entry_ids),
            "amount": self.amount,
            "reason": self.reason(),
        }


def duplicate_hits(
    entries: Iterable[LedgerEntry],
    persons: Mapping[str, str],
    groups: Iterable[BenefitGroup],
) -> list[DuplicateHit]:
    """Every duplicate benefit held now: benefits whose latest effective row is approved or paid.

    ``persons`` maps a record id to its legal person (:func:`legal_person`); a record it
    does not name is its own legal person.
    """
    held = [e for e in benefit_states(entries).values() if e.status in HOLDING]
    by_person: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in held:
        by_person[persons.get(entry.enterprise_id, f"id:{entry.enterprise_id}")].append(entry)
    item_groups = groups_of_items(groups)
    hits: list[DuplicateHit] = []
    for person, rows in sorted(by_person.items()):
        by_item: dict[str, list[LedgerEntry]] = defaultdict(list)
        for entry in rows:
            by_item[entry.item_id].append(entry)
        for item_id, same in sorted(by_item.items()):
            if len(same) > 1:
                hits.append(_hit("same_item", person, item_id, same))
        by_group: dict[str, list[LedgerEntry]] = defaultdict(list)
        for entry in rows:
            for group in item_groups.get(entry.item_id, ()):
                by_group[group.id].append(entry)
        for group_id, members in sorted(by_group.items()):
            if len({e.item_id for e in members}) > 1:
                hits.append(_hit("same_group", person, group_id, members))
    return hits


def _hit(kind: str, person: str, key: str, rows: Sequence[LedgerEntry]) -> DuplicateHit:
    return DuplicateHit(
        kind,
        person,
        key,
        tuple(sorted({e.enterprise_id for e in rows})),
        tuple(sorted({e.item_id for e in rows})),
        tuple(sorted({e.department for e in rows})),
        tuple(sorted(e.id or 0 for e in rows)),
        round(sum(e.amount for e in rows), 4),
    )


@dataclass(frozen=True)
class PushCheck:
    """What a list must know of one enterprise for one item: already holding it or its group, or a better item of its group."""

    already: tuple[str, ...]  # reasons: the benefits of this item or its group the legal person holds
    higher: str | None  # the item of a group that gives this enterprise more (就高), when there is one


def push_checks(
    item_id: str,
    enterprise_ids: Iterable[str],
    entries: Iterable[LedgerEntry],
    persons: Mapping[str, str],
    groups: Iterable[BenefitGroup],
    expected: Mapping[tuple[str, str], float] | None = None,
) -> dict[str, PushCheck]:
    """For each enterprise about to be pushed ``item_id``: what it already holds of the item or its groups, and 就高.

    ``expected`` maps (enterprise, item) to the amount the enterprise would get; an
    enterprise gets, of each group, only the item with the highest expected amount (ties:
    the smaller item id), so a lower one names the ``higher`` item instead.
    """
    groups = list(groups)
    mine = [g for g in groups if item_id in g.items]
    related = {item_id} | {i for g in mine for i in g.items}
    held: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in benefit_states(entries).values():
        if entry.status in HOLDING and entry.item_id in related:
            held[persons.get(entry.enterprise_id, f"id:{entry.enterprise_id}")].append(entry)
    out: dict[str, PushCheck] = {}
    for enterprise_id in enterprise_ids:
        person = persons.get(enterprise_id, f"id:{enterprise_id}")
        already = tuple(
            f"已享受 {e.item_id} ({e.department}, {e.status} {e.date}, {e.amount:g} 万元)"
            for e in sorted(held.get(person, ()), key=lambda e: (e.item_id, e.id or 0))
        )
        higher = None
        if expected is not None and mine:
            own = expected.get((enterprise_id, item_id))
            best = (own if own is not None else -1.0, _neg(item_id))
            for group in mine:
                for other in group.items:
                    amount = expected.get((enterprise_id, other))
                    if other != item_id and amount is not None and (amount, _neg(other)) > best:
                        best, higher = (amount, _neg(other)), other
        out[enterprise_id] = PushCheck(already, higher)
    return out


def _neg(item_id: str) -> tuple[int, ...]:
    # Order key that prefers the smaller id on equal amounts.
    return tuple(-ord(c) for c in item_id)
