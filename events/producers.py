"""Producers: what writes events to the outbox.

- :class:`FeedProducer` tails the store's change feed (``changes_since``) from a
  cursor kept in the store (``event_cursors``), so a write by any process — the
  HTTP app, the CLI, another server — produces its events once. For a batch of
  changes it computes the events first (target lists, matches: no lock held), then
  writes them and moves the cursor in one transaction; every event carries a
  dedupe key naming the change it came from, so two producers racing on one store
  write it once.
- :class:`DeadlineProducer` writes ``deadline.approaching`` when an item's 申报
  window opens or closes within N working days (each edge and threshold once).

:class:`Announcer` turns "policy P changed" or "enterprises E changed" into the
events: ``policy.published`` / ``policy.changed``, ``targets.ready`` with the
counts per level of each item's target list, and ``enterprise.matches_changed``
with the eligible / near-miss items each enterprise gained since it was last told
(``match_levels`` keeps what was announced).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from corpus.workdays import working_days_between

log = logging.getLogger("policymatch.events")

#: The levels enterprise.matches_changed reports: what an enterprise can act on.
ANNOUNCED_LEVELS: tuple[str, ...] = ("eligible", "near_miss")
#: Levels counted in targets.ready (the target list's default levels).
TARGET_LEVELS: tuple[str, ...] = ("eligible", "need_info", "near_miss")
#: Enterprises per enterprise.matches_changed event (a new policy may concern thousands).
CHANGES_PER_EVENT = 500
#: Failures of one batch in a row before its first change is skipped (logged) so later events flow.
MAX_FAILURES = 5
#: Working days before an edge of the 申报 window when deadline.approaching is sent (the largest first).
DEFAULT_THRESHOLDS: tuple[int, ...] = (5, 1)


@dataclass
class PlannedEvent:
    """An event computed but not yet written."""

    type: str
    payload: dict[str, Any]
    subject: str
    dedupe_key: str


@dataclass
class Plan:
    """Events to write, and the announced levels to replace, in one transaction."""

    events: list[PlannedEvent] = field(default_factory=list)
    levels: list[tuple[dict[tuple[str, str], str], str | None, list[str] | None]] = field(
        default_factory=list
    )

    def write(self, store: Any) -> int:
        """Write everything (inside the caller's transaction); returns how many events were new."""
        written = 0
        for e in self.events:
            written += (
                store.emit_event(e.type, e.payload, subject=e.subject, dedupe_key=e.dedupe_key) is not None
            )
        for levels, enterprise_id, item_ids in self.levels:
            store.replace_match_levels(levels, enterprise_id=enterprise_id, item_ids=item_ids)
        return written


class Announcer:
    """Computes the events of a policy change or of enterprise changes from the store and the matcher."""

    def __init__(self, store: Any, matcher: Any) -> None:
        self.store = store
        self.matcher = matcher

    def policy(self, policy_id: str, tag: str, plan: Plan, *, deleted: bool = False) -> None:
        """Plan policy.published / policy.changed, targets.ready and enterprise.matches_changed for one policy."""
        stored = None if deleted else self.store.get_policy(policy_id)
        seen = self.store.list_events(event_type="policy.published", subject=policy_id, limit=1)
        items = [] if stored is None else list(stored.items)
        item_ids = [i.id for i in items]
        if stored is None:
            plan.events.append(
                PlannedEvent(
                    "policy.changed",
                    {"policy_id": policy_id, "action": "deleted", "version": None, "items": []},
                    policy_id,
                    f"{tag}:policy:{policy_id}",
                )
            )
            # Its items are gone: nothing is announced for them any more.
            plan.levels.append(({}, None, self.store.announced_items(policy_id)))
            return
        doc = stored.document
        kind = "policy.changed" if seen else "policy.published"
        plan.events.append(
            PlannedEvent(
                kind,
                {
                    "policy_id": policy_id,
                    "version": doc.version,
                    "action": "updated" if seen else "published",
                    "title": doc.title,
                    "issued": doc.issued,
                    "region_code": doc.region_code,
                    "department": doc.department,
                    "items": item_ids,
                },
                policy_id,
                # Not the type: a second producer replaying this change sees it published and calls it a change.
                f"{tag}:policy:{policy_id}",
            )
        )
        counts: list[dict[str, Any]] = []
        fresh: dict[tuple[str, str], str] = {}
        columns = self.matcher.columns
        for item in items:
            order = self.matcher.target_order(policy_id, item.id, TARGET_LEVELS, include_excluded=True)
            counts.append(
                {"item_id": item.id, "title": item.title, "counts": order.counts(), "total": len(order)}
            )
            wanted = self.matcher.target_order(policy_id, item.id, ANNOUNCED_LEVELS, include_excluded=False)
            for row, rank in zip(wanted.rows.tolist(), wanted.level.tolist(), strict=True):
                fresh[(columns.ids[row], item.id)] = _level_name(rank)
        totals: dict[str, int] = {}
        for entry in counts:
            for level, n in entry["counts"].items():
                totals[level] = totals.get(level, 0) + n
        plan.events.append(
            PlannedEvent(
                "targets.ready",
                {
                    "policy_id": policy_id,
                    "version": doc.version,
                    "items": counts,
                    "totals": totals,
                    "index": self.matcher.index_version,
                },
                policy_id,
                f"{tag}:targets.ready:{policy_id}",
            )
        )
        gone_items = sorted(set(self.store.announced_items(policy_id)) - set(item_ids))
        before = self.store.match_levels(item_ids=[*item_ids, *gone_items])
        self._changes(
            plan, before, fresh, {"policy_id": policy_id, "version": doc.version}, f"{tag}:{policy_id}"
        )
        plan.levels.append((fresh, None, [*item_ids, *gone_items]))

    def enterprises(self, enterprise_ids: Iterable[str], tag: str, plan: Plan) -> None:
        """Plan enterprise.matches_changed for enterprises whose profile changed (or that were deleted)."""
        n_items = max(1, int(self.matcher.n_items))
        for enterprise_id in sorted(set(enterprise_ids)):
            before = self.store.match_levels(enterprise_id=enterprise_id)
            fresh: dict[tuple[str, str], str] = {}
            if self.store.get_enterprise(enterprise_id) is not None:
                response = self.matcher.match(
                    enterprise_id=enterprise_id,
                    top_k=n_items,
                    levels=ANNOUNCED_LEVELS,
                    include_excluded=False,
                )
                fresh = {(enterprise_id, r.item_id): r.level for r in response.results if not r.excluded}
            self._changes(plan, before, fresh, {"enterprise_id": enterprise_id}, f"{tag}:{enterprise_id}")
            plan.levels.append((fresh, enterprise_id, None))

    @staticmethod
    def _changes(
        plan: Plan,
        before: dict[tuple[str, str], str],
        fresh: dict[tuple[str, str], str],
        cause: dict[str, Any],
        key: str,
    ) -> None:
        """Plan enterprise.matches_changed events for every enterprise that gained (or changed level on) an item."""
        by_enterprise: dict[str, list[dict[str, str]]] = {}
        for (enterprise_id, item_id), level in sorted(fresh.items()):
            if before.get((enterprise_id, item_id)) != level:
                by_enterprise.setdefault(enterprise_id, []).append(
                    {
                        "item_id": item_id,
                        "level": level,
                        "was": before.get((enterprise_id, item_id)) or "none",
                    }
                )
        changes: list[dict[str, Any]] = [
            {"enterprise_id": e, "new": new} for e, new in sorted(by_enterprise.items())
        ]
        for part, start in enumerate(range(0, len(changes), CHANGES_PER_EVENT)):
            chunk = changes[start : start + CHANGES_PER_EVENT]
            plan.events.append(
                PlannedEvent(
                    "enterprise.matches_changed",
                    {
                        "cause": cause,
                        "changes": chunk,
                        "part": part + 1,
                        "parts": -(-len(changes) // CHANGES_PER_EVENT),
                    },
                    str(chunk[0]["enterprise_id"] if len(chunk) == 1 else cause.get("policy_id", "")),
                    f"{key}:enterprise.matches_changed:{part}",
                )
            )


def _level_name(rank: int) -> str:
    from corpus.conditions import LEVELS

    return LEVELS[int(rank)]


class FeedProducer:
    """Derives events from the store's change feed, from a cursor kept in the store.

    On its first run the cursor starts at the end of the feed: history (a demo corpus
    loaded before any subscription existed) is not announced. ``apply`` is called with
    each batch before its events are computed, so the matcher the events read has seen
    the changes: in a serving process it is the process's own feed reader catching up
    (:meth:`api.services.Services.catch_up`, each change applied once); alone
    (``policymatch events dispatch``) it re-reads the changed policies and enterprises.
    """

    name = "feed"

    def __init__(
        self,
        store: Any,
        matcher: Any,
        *,
        cursor_name: str = "events",
        batch: int = 500,
        apply: Callable[[Sequence[Any]], None] | None = None,
    ) -> None:
        self.store = store
        self.announcer = Announcer(store, matcher)
        self.matcher = matcher
        self.cursor_name = cursor_name
        self.batch = batch
        self.apply = apply if apply is not None else self.apply_to_matcher
        self._failures = (-1, 0)  # (cursor, consecutive failures there)
        self._isolate_until = -1  # after repeated failures: one change at a time up to this seq

    def apply_to_matcher(self, changes: Sequence[Any]) -> None:
        """Bring the matcher up to date with these changes (policies re-read, enterprises re-read)."""
        policies = {c.key for c in changes if c.kind == "policy"}
        enterprises = {c.key for c in changes if c.kind == "enterprise"}
        for policy_id in sorted(policies):
            self.matcher.policy_changed(policy_id)
        if enterprises:
            self.matcher.enterprise_changed(sorted(enterprises))

    def run(self) -> int:
        """Read the changes after the cursor, write their events, move the cursor; returns events written."""
        cursor = self.store.event_cursor(self.cursor_name)
        if cursor is None:
            self.store.set_event_cursor(self.cursor_name, self.store.last_change_seq())
            return 0
        changes = self.store.changes_since(cursor, 1 if cursor < self._isolate_until else self.batch)
        if not changes:
            return 0
        try:
            return self._announce(changes)
        except Exception:
            at, n = self._failures
            n = n + 1 if at == cursor else 1
            self._failures = (cursor, n)
            if n < MAX_FAILURES:
                raise
            self._failures = (-1, 0)
            if len(changes) > 1:  # find the change that fails: one at a time through this batch
                self._isolate_until = changes[-1].seq
                raise
            # A change that fails every time must not hold back every later event: skip it, loudly.
            log.error(
                "events: change %d (%s %s) failed %d times; its events are skipped",
                changes[0].seq,
                changes[0].kind,
                changes[0].key,
                n,
                exc_info=True,
            )
            self.store.set_event_cursor(self.cursor_name, changes[0].seq)
            return 0

    def _announce(self, changes: Sequence[Any]) -> int:
        self.apply(changes)
        plan = Plan()
        last = changes[-1].seq
        # The last change of each key wins: a policy ingested then re-ingested in one batch is one announcement.
        policies: dict[str, Any] = {}
        enterprises: dict[str, Any] = {}
        for change in changes:
            if change.kind == "policy":
                policies[change.key] = change
            elif change.kind == "enterprise":  # an honour import also writes one per enterprise it touched
                enterprises[change.key] = change
        for policy_id, change in policies.items():
            self.announcer.policy(policy_id, f"feed:{change.seq}", plan, deleted=change.action == "delete")
        if enterprises:
            self.announcer.enterprises(enterprises, f"feed:{last}", plan)
        with self.store.transaction():
            # Another producer may have moved past this batch meanwhile: never move the cursor back.
            now_at = self.store.event_cursor(self.cursor_name) or 0
            written = plan.write(self.store)
            self.store.set_event_cursor(self.cursor_name, max(now_at, last))
        return written


class DeadlineProducer:
    """Writes deadline.approaching for 申报 windows that open or close within the thresholds (in working days)."""

    name = "deadlines"

    def __init__(
        self,
        store: Any,
        *,
        thresholds: Sequence[int] = DEFAULT_THRESHOLDS,
        today: Callable[[], dt.date] = dt.date.today,
        every_s: float = 300.0,
    ) -> None:
        if not thresholds or any(t < 0 for t in thresholds):
            raise ValueError("thresholds must be working-day counts of at least 0")
        self.store = store
        self.thresholds = tuple(sorted(set(thresholds)))
        self.today = today
        self.every_s = every_s
        self._last = -float("inf")

    def run(self) -> int:
        """Scan at most every ``every_s``; returns the events written."""
        now = time.monotonic()
        if now - self._last < self.every_s:
            return 0
        self._last = now
        return self.scan(self.today())

    def scan(self, today: dt.date) -> int:
        """Write the reminders due on ``today`` (each item, edge, date and threshold once)."""
        written = 0
        for item in self.store.iter_items():
            for edge, value in (("opens", item.window_open), ("closes", item.window_close)):
                if not value:
                    continue
                try:
                    date = dt.date.fromisoformat(str(value)[:10])
                except ValueError:
                    continue
                if date < today:
                    continue
                left = working_days_between(today, date)
                # The smallest threshold reached: a scan after a long stop sends the nearest reminder, once.
                due = [t for t in self.thresholds if left.days <= t]
                if not due:
                    continue
                threshold = due[0]
                payload = {
                    "policy_id": item.policy_id,
                    "item_id": item.id,
                    "title": item.title,
                    "edge": edge,
                    "date": date.isoformat(),
                    "working_days": left.days,
                    "threshold": threshold,
                    "calendar": "mon-fri fallback" if left.fallback else "official",
                }
                key = f"deadline:{item.id}:{edge}:{date.isoformat()}:{threshold}"
                written += (
                    self.store.emit_event("deadline.approaching", payload, subject=item.id, dedupe_key=key)
                    is not None
                )
        return written
