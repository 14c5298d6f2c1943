"""风险监管 rules, as pure functions of data: 就高不重复 groups, duplicate-benefit checks, 三色预警, monitoring.

Nothing here reads a clock, a store or a model: every figure is a function of the
ledger rows, the profiles, the groups and the dates it is given, so the same data
gives the same colours and the same monitoring (docs/risk.md states every rule).

A *legal person* is its 统一社会信用代码 when the record carries a valid one, else the
record id: two records with one code are one legal person to every check here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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


# --- 三色预警 ----------------------------------------------------------------------------------

FRAUD_WORDS = re.compile(r"恶意套取|骗取|套取|虚报|虚假|冒领")
DEFAULT_MAX_PROFILE_AGE_DAYS = 400


@dataclass(frozen=True)
class Reason:
    """Why an enterprise has its colour: a code a program reads and a sentence a person reads."""

    code: str
    colour: str
    text: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready dict."""
        return {"code": self.code, "colour": self.colour, "text": self.text}


@dataclass(frozen=True)
class Colour:
    """An enterprise's 三色预警: ``green``, ``yellow`` or ``red``, with every reason found."""

    enterprise_id: str
    colour: str
    reasons: tuple[Reason, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "enterprise_id": self.enterprise_id,
            "colour": self.colour,
            "reasons": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True)
class ProfileFacts:
    """What the colour and the 免申即享 check read of a stored profile."""

    enterprise_id: str
    uscc: str | None
    credit_status: str | None
    major_violation: bool | None
    updated_at: str  # when the store last received this profile (ISO 8601)


def profile_age_days(updated_at: str, today: dt.date) -> int:
    """Whole days since the profile was received (0 on the day)."""
    return (today - dt.date.fromisoformat(updated_at[:10])).days


def data_reasons(
    facts: ProfileFacts,
    today: dt.date,
    *,
    max_age_days: int = DEFAULT_MAX_PROFILE_AGE_DAYS,
    code_holders: Mapping[str, Sequence[str]] | None = None,
) -> list[Reason]:
    """Why the profile's data cannot be paid from as it stands: no / invalid / shared code, too old."""
    out: list[Reason] = []
    if not facts.uscc:
        out.append(Reason("no_uscc", "yellow", "无统一社会信用代码: 法人身份无法核验"))
    elif (problem := uscc_problem(facts.uscc)) is not None:
        out.append(Reason("invalid_uscc", "yellow", f"统一社会信用代码无效: {problem}"))
    elif code_holders is not None:
        others = [e for e in code_holders.get(facts.uscc, ()) if e != facts.enterprise_id]
        if others:
            out.append(
                Reason("shared_uscc", "yellow", f"统一社会信用代码同时由 {', '.join(sorted(others))} 持有")
            )
    age = profile_age_days(facts.updated_at, today)
    if age > max_age_days:
        out.append(Reason("stale_profile", "yellow", f"企业数据已 {age} 天未更新 (上限 {max_age_days} 天)"))
    return out


def colour_of(
    facts: ProfileFacts,
    entries: Sequence[LedgerEntry],
    hits: Sequence[DuplicateHit],
    today: dt.date,
    *,
    max_age_days: int = DEFAULT_MAX_PROFILE_AGE_DAYS,
    code_holders: Mapping[str, Sequence[str]] | None = None,
) -> Colour:
    """Judge the colour of one enterprise from its profile, its ledger rows and the duplicate hits naming it.

    red: 失信 (credit_status dishonest), 重大违法, or a benefit revoked for 恶意套取 / 骗取 / 虚报;
    yellow: a duplicate-benefit hit, no / invalid / shared 统一社会信用代码, profile older than
    ``max_age_days``; green: none of these.
    """
    reasons: list[Reason] = []
    if facts.credit_status == "dishonest":
        reasons.append(Reason("dishonest", "red", "列入失信名单 (失信被执行人)"))
    if facts.major_violation:
        reasons.append(Reason("major_violation", "red", "有重大违法记录"))
    for entry in entries:
        if entry.status == "revoked" and entry.reason and FRAUD_WORDS.search(entry.reason):
            reasons.append(
                Reason("revoked_fraud", "red", f"{entry.item_id} 被撤销: {entry.reason} ({entry.date})")
            )
    for hit in hits:
        if facts.enterprise_id in hit.enterprise_ids:
            reasons.append(Reason(f"duplicate_{hit.kind}", "yellow", hit.reason()))
    reasons.extend(data_reasons(facts, today, max_age_days=max_age_days, code_holders=code_holders))
    colour = "red" if any(r.colour == "red" for r in reasons) else "yellow" if reasons else "green"
    # Red reasons first, then yellow, each in the order found.
    reasons.sort(key=lambda r: r.colour != "red")
    return Colour(facts.enterprise_id, colour, tuple(reasons))


# --- monitoring of 多发、错发、漏发 ---------------------------------------------------------------

PUSH_TARGET_WORKING_DAYS = 5  # the plan: 政策发布后5个工作日内推送
DEFAULT_PROMISED_DAYS = 30  # 免申即享 items whose text names no 兑现时限


@dataclass(frozen=True)
class ItemFacts:
    """What monitoring reads of one item."""

    item_id: str
    department: str
    fulfilment: str | None
    published: str | None  # YYYY-MM-DD
    cap: float | None  # the most one enterprise may receive (万元), from the item's tiers; None: no cap known
    promised_days: int = DEFAULT_PROMISED_DAYS


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Mon–Fri days after ``start`` up to and including ``end`` (no holiday calendar); negative when end < start."""
    if end < start:
        return -working_days_between(end, start)
    days = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        days += day.weekday() < 5
    return days


@dataclass
class ItemMonitor:
    """Monitoring figures of one item (or, summed, one department)."""

    key: str
    department: str
    rows: int = 0
    paid_enterprises: int = 0
    paid_amount: float = 0.0
    over_paid_duplicates: int = 0  # 多发: duplicate hits touching the item
    over_cap: int = 0  # 多发: benefits paid above the cap
    wrong_ineligible: int = 0  # 错发: paid, and not eligible on today's data
    wrong_flagged: int = 0  # 错发: paid to a red enterprise
    missed: int = 0  # 漏发: eligible 免申即享 enterprises unpaid past the promised days
    eligible: int = 0
    pushed: int = 0
    days_to_push: int | None = None  # working days, publication → first push
    satisfaction: float | None = None
    ratings: int = 0
    details: dict[str, list[str]] = field(default_factory=dict)

    @property
    def push_share(self) -> float | None:
        """Share of eligible enterprises pushed."""
        return None if self.eligible == 0 else round(self.pushed / self.eligible, 4)

    @property
    def push_on_time(self) -> bool | None:
        """Pushed within the plan's 5 working days of publication."""
        return None if self.days_to_push is None else self.days_to_push <= PUSH_TARGET_WORKING_DAYS

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "key": self.key,
            "department": self.department,
            "rows": self.rows,
            "paid_enterprises": self.paid_enterprises,
            "paid_amount": round(self.paid_amount, 4),
            "multi_paid": {"duplicates": self.over_paid_duplicates, "over_cap": self.over_cap},
            "wrong_paid": {"ineligible": self.wrong_ineligible, "flagged": self.wrong_flagged},
            "missed": self.missed,
            "eligible": self.eligible,
            "pushed": self.pushed,
            "push_share": self.push_share,
            "days_to_push": self.days_to_push,
            "push_on_time": self.push_on_time,
            "satisfaction": self.satisfaction,
            "ratings": self.ratings,
            "details": {k: sorted(v) for k, v in self.details.items()},
        }


def monitor(
    items: Sequence[ItemFacts],
    entries: Sequence[LedgerEntry],
    hits: Sequence[DuplicateHit],
    eligible: Mapping[str, frozenset[str]],
    red: frozenset[str],
    pushed: Mapping[str, Mapping[str, str]],
    today: dt.date,
    satisfaction: Mapping[str, tuple[float, int]] | None = None,
) -> tuple[list[ItemMonitor], list[ItemMonitor]]:
    """Per item and per department: 多发, 错发, 漏发, push share and days to push; all from the data given.

    ``eligible``: item → enterprises eligible on today's data; ``red``: enterprises whose
    colour is red; ``pushed``: item → {enterprise: first push date}; ``satisfaction``: item →
    (mean rating, ratings).
    """
    states = benefit_states(entries)
    rows_per_item: dict[str, int] = defaultdict(int)
    for entry in entries:
        rows_per_item[entry.item_id] += 1
    paid: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (enterprise_id, item_id, _), state in states.items():
        if state.status == "paid":
            paid[item_id][enterprise_id] += state.amount
    out: list[ItemMonitor] = []
    for facts in items:
        m = ItemMonitor(facts.item_id, facts.department, rows=rows_per_item.get(facts.item_id, 0))
        details: dict[str, list[str]] = defaultdict(list)
        item_paid = paid.get(facts.item_id, {})
        m.paid_enterprises = len(item_paid)
        m.paid_amount = sum(item_paid.values())
        for hit in hits:
            if facts.item_id in hit.items:
                m.over_paid_duplicates += 1
                details["duplicates"].append(f"{hit.person} {hit.kind} {hit.key}")
        ok = eligible.get(facts.item_id, frozenset())
        for enterprise_id, amount in item_paid.items():
            if facts.cap is not None and amount > facts.cap + 1e-9:
                m.over_cap += 1
                details["over_cap"].append(enterprise_id)
            if enterprise_id not in ok:
                m.wrong_ineligible += 1
                details["ineligible"].append(enterprise_id)
            if enterprise_id in red:
                m.wrong_flagged += 1
                details["flagged"].append(enterprise_id)
        m.eligible = len(ok)
        item_pushed = pushed.get(facts.item_id, {})
        m.pushed = len(ok & set(item_pushed))
        published = _date(facts.published)
        if facts.fulfilment == "免申即享" and published is not None:
            due = published + dt.timedelta(days=facts.promised_days)
            if today > due:
                for enterprise_id in sorted(ok - set(item_paid) - red):
                    m.missed += 1
                    details["missed"].append(enterprise_id)
        if item_pushed and published is not None:
            first = min(dt.date.fromisoformat(d[:10]) for d in item_pushed.values())
            m.days_to_push = working_days_between(published, first)
        if satisfaction and facts.item_id in satisfaction:
            m.satisfaction, m.ratings = satisfaction[facts.item_id]
        m.details = dict(details)
        out.append(m)
    return out, _by_department(out)


def _by_department(items: Sequence[ItemMonitor]) -> list[ItemMonitor]:
    departments: dict[str, ItemMonitor] = {}
    for m in items:
        d = departments.setdefault(m.department, ItemMonitor(m.department, m.department))
        d.rows += m.rows
        d.paid_enterprises += m.paid_enterprises
        d.paid_amount += m.paid_amount
        d.over_paid_duplicates += m.over_paid_duplicates
        d.over_cap += m.over_cap
        d.wrong_ineligible += m.wrong_ineligible
        d.wrong_flagged += m.wrong_flagged
        d.missed += m.missed
        d.eligible += m.eligible
        d.pushed += m.pushed
        if m.days_to_push is not None:
            d.days_to_push = max(d.days_to_push or 0, m.days_to_push)
        d.ratings += m.ratings
    return [departments[k] for k in sorted(departments)]


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


# --- 闭环评价 ----------------------------------------------------------------------------------

RATING_DIMENSIONS: tuple[str, ...] = ("convenience", "progress", "usage")  # 兑现便捷度, 办理进度, 使用情况


def satisfaction(ratings: Iterable[Mapping[str, int]]) -> tuple[float, int] | None:
    """Overall satisfaction of an item: the mean of its three dimensions' means (1–5), and how many ratings."""
    rows = list(ratings)
    if not rows:
        return None
    means = [sum(int(r[d]) for r in rows) / len(rows) for d in RATING_DIMENSIONS]
    return round(sum(means) / len(means), 3), len(rows)
