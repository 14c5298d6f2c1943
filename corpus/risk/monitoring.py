"""Monitoring of 多发、错发、漏发 per item and department, and 闭环评价 satisfaction."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from corpus import workdays
from corpus.ledger import LedgerEntry, benefit_states
from corpus.risk.duplicates import DuplicateHit

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
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is before ``start``.

    By the official calendar: holidays and make-up workdays from ``chinesecalendar``, Mon–Fri outside the
    years it knows.
    """
    if end < start:
        return -working_days_between(end, start)
    return workdays.working_days_between(start, end).days


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
