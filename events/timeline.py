"""The push timeline: for every published item, when its target list was ready and when each subscriber had it.

The city's plan: push within 5 working days of publication. The clock starts at
the policy's 发布 date (``issued``) when it is known — the plan's reading — or, with
``clock="ingested"`` or when no date is given, at the day the policy entered the
store (its ``policy.published`` event). The deadline is that day plus N working
days (:func:`corpus.workdays.add_working_days`); a subscriber met it when its first
2xx answer to the policy's first ``targets.ready`` came on or before the deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from corpus.workdays import add_working_days, working_days_between

RULE_WORKING_DAYS = 5
Clock = Literal["issued", "ingested"]


@dataclass(frozen=True)
class Acknowledgement:
    """One subscriber's receipt of an item's targets.ready."""

    subscription_id: str
    url: str
    acknowledged_at: str | None
    working_days: int | None  # from the clock's start to the acknowledgement
    on_time: bool | None  # None while unacknowledged and the deadline not passed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "subscription_id": self.subscription_id,
            "url": self.url,
            "acknowledged_at": self.acknowledged_at,
            "working_days": self.working_days,
            "on_time": self.on_time,
        }


@dataclass(frozen=True)
class TimelineRow:
    """One item against the rule."""

    policy_id: str
    item_id: str
    title: str
    clock: str  # what the clock started from: issued or ingested
    published: str  # the day the clock started (YYYY-MM-DD)
    ingested_at: str | None
    deadline: str
    targets_ready_at: str | None
    counts: dict[str, int]
    subscribers: tuple[Acknowledgement, ...]
    status: str  # on_time, late, overdue, pending, no_subscribers, not_ready
    calendar: str  # official, or mon-fri fallback when a day counted lay outside the official calendar

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "policy_id": self.policy_id,
            "item_id": self.item_id,
            "title": self.title,
            "clock": self.clock,
            "published": self.published,
            "ingested_at": self.ingested_at,
            "deadline": self.deadline,
            "targets_ready_at": self.targets_ready_at,
            "counts": self.counts,
            "subscribers": [s.to_dict() for s in self.subscribers],
            "status": self.status,
            "calendar": self.calendar,
        }


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value[:10])


def push_timeline(
    store: Any,
    *,
    clock: Clock = "issued",
    rule_days: int = RULE_WORKING_DAYS,
    today: dt.date | None = None,
    policy_id: str | None = None,
) -> list[TimelineRow]:
    """Every item of every current policy published through events (or of one) against the rule, oldest first.

    A policy stored before events were produced (no ``policy.published``) is not listed.
    """
    if clock not in ("issued", "ingested"):
        raise ValueError(f"clock must be 'issued' or 'ingested', got {clock!r}")
    today = today or dt.date.today()
    subs = {s.id: s for s in store.list_subscriptions(include_deleted=True)}
    policies = [p for p in store.list_policies() if policy_id is None or p.id == policy_id]
    rows: list[TimelineRow] = []
    for summary in policies:
        published_events = store.list_events(event_type="policy.published", subject=summary.id, limit=1)
        ready_events = store.list_events(
            event_type="targets.ready", subject=summary.id, limit=1000, newest_first=False
        )
        if not published_events:
            continue  # stored before events were produced (a demo corpus, history): never published by us
        ingested_at = published_events[0].created_at
        stored = store.get_policy(summary.id)
        if stored is None:
            continue
        issued = stored.document.issued
        if clock == "issued" and issued:
            start, started_by = _day(issued), "issued"
        else:
            start, started_by = _day(ingested_at), "ingested"
        deadline = add_working_days(start, rule_days)
        fanned = store.subscriptions_of_events([e.id for e in ready_events])
        acked = store.delivered_at([e.id for e in ready_events])
        for item in stored.items:
            # The first targets.ready that listed this item is when its list was ready.
            ready = next(
                (
                    e
                    for e in ready_events
                    if any(i.get("item_id") == item.id for i in e.payload.get("items", []))
                ),
                None,
            )
            counts: dict[str, int] = next(
                (
                    i.get("counts", {})
                    for i in (ready.payload.get("items", []) if ready else [])
                    if i.get("item_id") == item.id
                ),
                {},
            )
            fallback = deadline.fallback
            acks: list[Acknowledgement] = []
            if ready is not None:
                for sub_id in fanned.get(ready.id, []):
                    at = acked.get((ready.id, sub_id))
                    days = None
                    on_time: bool | None = None
                    if at is not None:
                        count = working_days_between(start, _day(at))
                        days, fallback = count.days, fallback or count.fallback
                        on_time = _day(at) <= deadline.date
                    elif today > deadline.date:
                        on_time = False
                    sub = subs.get(sub_id)
                    acks.append(Acknowledgement(sub_id, sub.url if sub else "", at, days, on_time))
            rows.append(
                TimelineRow(
                    summary.id,
                    item.id,
                    item.title,
                    started_by,
                    start.isoformat(),
                    ingested_at,
                    deadline.date.isoformat(),
                    ready.created_at if ready else None,
                    dict(counts),
                    tuple(acks),
                    _status(ready is not None, acks, today, deadline.date),
                    "mon-fri fallback" if fallback else "official",
                )
            )
    rows.sort(key=lambda r: (r.published, r.policy_id, r.item_id))
    return rows


def _status(ready: bool, acks: list[Acknowledgement], today: dt.date, deadline: dt.date) -> str:
    if not ready:
        return "overdue" if today > deadline else "not_ready"
    if not acks:
        return "no_subscribers"
    if any(a.on_time is False for a in acks):
        return "late" if all(a.acknowledged_at for a in acks) else "overdue"
    if all(a.on_time for a in acks):
        return "on_time"
    return "pending"


def summarise(rows: list[TimelineRow]) -> dict[str, int]:
    """Items per status."""
    out: dict[str, int] = {}
    for row in rows:
        out[row.status] = out.get(row.status, 0) + 1
    return out
