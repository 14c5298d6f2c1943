"""Events for the push module in the SQL both dialects speak: subscriptions, the outbox, deliveries, cursors.

An event is written once to ``outbox`` together with one ``deliveries`` row per
subscription that wants its type, in one transaction: whatever crashes after the
commit, the event and the promise to deliver it are on disk (at-least-once; the
receiver dedupes on the event id). A dispatcher (:mod:`events.dispatch`) takes
due deliveries, leasing each by moving its ``next_attempt_at`` forward, so two
dispatchers (two servers, a server and ``policymatch events dispatch``) never
send the same delivery at the same time, and one killed mid-send only delays it
by the lease.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from corpus.store.base import NotFoundError, utc_now
from corpus.store.core import SQLCore
from corpus.store.event_records import OutboxEvent, Subscription, event_of, subscription_of
from corpus.store.records import to_json
from corpus.store.sql_parts import Filters, chunked


class EventTables(SQLCore):
    """``subscriptions``, ``outbox``, ``event_cursors``, ``match_levels`` (deliveries: :mod:`corpus.store.delivery_tables`)."""

    # --- subscriptions -------------------------------------------------------------------------

    def create_subscription(
        self, url: str, events: Iterable[str], secret: str, *, owner: str = "", label: str = ""
    ) -> Subscription:
        """Store a webhook (the caller has validated URL, types and secret); returns it with its id."""
        wanted = tuple(dict.fromkeys(events))
        if not wanted:
            raise ValueError("a subscription needs at least one event type")
        sub = Subscription("sub_" + secrets.token_hex(8), url, wanted, secret, owner, label, utc_now(), None)
        with self.transaction():
            self._conn().execute(
                """INSERT INTO subscriptions (id, url, events, secret, owner, label, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (sub.id, sub.url, to_json(list(sub.events)), sub.secret, owner, label, sub.created_at),
            )
        return sub

    def get_subscription(self, subscription_id: str) -> Subscription | None:
        """One subscription (deleted ones too), or None."""
        row = self._conn().execute("SELECT * FROM subscriptions WHERE id = ?", (subscription_id,)).fetchone()
        return subscription_of(row) if row is not None else None

    def list_subscriptions(
        self, *, owner: str | None = None, include_deleted: bool = False
    ) -> list[Subscription]:
        """Subscriptions, oldest first (of one owner when given)."""
        filters = Filters().equal(("owner", owner))
        if not include_deleted:
            filters.add("deleted_at IS NULL")
        rows = self._conn().execute(
            f"SELECT * FROM subscriptions {filters.where} ORDER BY created_at, id", filters.params
        )
        return [subscription_of(r) for r in rows]

    def delete_subscription(self, subscription_id: str) -> int | None:
        """Stop a subscription (kept, marked deleted) and cancel its undelivered deliveries.

        Returns how many deliveries were cancelled, or None when there was no active subscription.
        """
        now = utc_now()
        conn = self._conn()
        with self.transaction():
            done = conn.execute(
                "UPDATE subscriptions SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                (now, subscription_id),
            )
            if done.rowcount == 0:
                return None
            cancelled = conn.execute(
                """UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL
                   WHERE subscription_id = ? AND status IN ('pending', 'retrying')""",
                (subscription_id,),
            )
        return int(cancelled.rowcount)

    # --- the outbox ----------------------------------------------------------------------------

    def emit_event(
        self,
        event_type: str,
        payload: Mapping[str, Any],
        *,
        subject: str = "",
        dedupe_key: str | None = None,
        subscription_id: str | None = None,
    ) -> OutboxEvent | None:
        """Write an event and a pending delivery for every subscription that wants it, in one transaction.

        ``dedupe_key``: an event already written under this key is not written again (None is
        returned). ``subscription_id``: deliver to that subscription only (a ``ping``).
        """
        now = utc_now()
        event_id = "evt_" + secrets.token_hex(12)
        conn = self._conn()
        with self.transaction():
            # ON CONFLICT, not a read first: two producers racing on PostgreSQL must not abort a transaction.
            written = conn.execute(
                """INSERT INTO outbox (id, type, subject, dedupe_key, payload, created_at)
                   VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING""",
                (event_id, event_type, subject, dedupe_key, to_json(dict(payload)), now),
            )
            if written.rowcount == 0:
                return None
            if subscription_id is not None:
                target = self.get_subscription(subscription_id)
                if target is None or target.deleted_at is not None:
                    raise NotFoundError(f"no active subscription with id {subscription_id!r}")
                subs = [target]
            else:
                subs = [s for s in self.list_subscriptions() if s.wants(event_type)]
            if subs:
                conn.executemany(
                    """INSERT INTO deliveries (id, event_id, subscription_id, status, next_attempt_at, created_at)
                       VALUES (?, ?, ?, 'pending', ?, ?)""",
                    [("dlv_" + secrets.token_hex(12), event_id, s.id, now, now) for s in subs],
                )
            row = conn.execute("SELECT * FROM outbox WHERE id = ?", (event_id,)).fetchone()
        assert row is not None  # noqa: S101 - written just above, in this transaction
        return event_of(row)

    def get_event(self, event_id: str) -> OutboxEvent | None:
        """One event by id, or None."""
        row = self._conn().execute("SELECT * FROM outbox WHERE id = ?", (event_id,)).fetchone()
        return event_of(row) if row is not None else None

    def list_events(
        self,
        *,
        event_type: str | None = None,
        subject: str | None = None,
        after_seq: int | None = None,
        limit: int = 100,
        newest_first: bool = True,
    ) -> list[OutboxEvent]:
        """Events matching every given filter, newest first (or oldest first after ``after_seq``)."""
        filters = Filters().equal(("type", event_type), ("subject", subject))
        if after_seq is not None:
            filters.add("seq > ?", int(after_seq))
        order = "DESC" if newest_first else "ASC"
        rows = self._conn().execute(
            f"SELECT * FROM outbox {filters.where} ORDER BY seq {order} LIMIT ?",
            (*filters.params, int(limit)),
        )
        return [event_of(r) for r in rows]

    def events_by_id(self, event_ids: Iterable[str]) -> dict[str, OutboxEvent]:
        """Events by id (the ones found)."""
        out: dict[str, OutboxEvent] = {}
        for chunk, marks in chunked(dict.fromkeys(event_ids)):
            for r in self._conn().execute(f"SELECT * FROM outbox WHERE id IN ({marks})", chunk):
                out[r["id"]] = event_of(r)
        return out

    # --- producers' state ----------------------------------------------------------------------

    def event_cursor(self, name: str) -> int | None:
        """How far producer ``name`` has read the change feed, or None before its first run."""
        row = self._conn().execute("SELECT seq FROM event_cursors WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row is not None else None

    def set_event_cursor(self, name: str, seq: int) -> None:
        """Move producer ``name``'s cursor (call inside the transaction that writes its events)."""
        with self.transaction():
            self._conn().execute(
                """INSERT INTO event_cursors (name, seq, updated_at) VALUES (?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at""",
                (name, int(seq), utc_now()),
            )

    def match_levels(
        self, *, enterprise_id: str | None = None, item_ids: Sequence[str] | None = None
    ) -> dict[tuple[str, str], str]:
        """(enterprise id, item id) → level last announced, for one enterprise or some items."""
        conn = self._conn()
        out: dict[tuple[str, str], str] = {}
        if enterprise_id is not None:
            rows = conn.execute("SELECT * FROM match_levels WHERE enterprise_id = ?", (enterprise_id,))
            return {(r["enterprise_id"], r["item_id"]): r["level"] for r in rows}
        for chunk, marks in chunked(item_ids or ()):
            for r in conn.execute(f"SELECT * FROM match_levels WHERE item_id IN ({marks})", chunk):
                out[(r["enterprise_id"], r["item_id"])] = r["level"]
        return out

    def announced_items(self, policy_id: str) -> list[str]:
        """Item ids of one policy (``policy#seq``) that have announced levels, sorted."""
        pattern = policy_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "#%"
        rows = self._conn().execute(
            "SELECT DISTINCT item_id FROM match_levels WHERE item_id LIKE ? ESCAPE '\\'", (pattern,)
        )
        return sorted(r[0] for r in rows if r[0].rsplit("#", 1)[0] == policy_id)

    def replace_match_levels(
        self,
        levels: Mapping[tuple[str, str], str],
        *,
        enterprise_id: str | None = None,
        item_ids: Sequence[str] | None = None,
    ) -> None:
        """Replace what is announced for one enterprise (or for some items) by ``levels``."""
        conn = self._conn()
        now = utc_now()
        with self.transaction():
            if enterprise_id is not None:
                conn.execute("DELETE FROM match_levels WHERE enterprise_id = ?", (enterprise_id,))
            for chunk, marks in chunked(item_ids or ()):
                conn.execute(f"DELETE FROM match_levels WHERE item_id IN ({marks})", chunk)
            if levels:
                conn.executemany(
                    "INSERT INTO match_levels (enterprise_id, item_id, level, updated_at) VALUES (?, ?, ?, ?)",
                    [(e, i, level, now) for (e, i), level in levels.items()],
                )
