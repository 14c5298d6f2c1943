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

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from corpus.store.base import NotFoundError, utc_now
from corpus.store.connection import Row
from corpus.store.core import SQLCore
from corpus.store.records import to_json

#: What a delivery can be: waiting for its first try, waiting for a retry, done, given up, or its subscription gone.
DELIVERY_STATUSES: tuple[str, ...] = ("pending", "retrying", "delivered", "dead", "cancelled")


@dataclass(frozen=True)
class Subscription:
    """A webhook: the URL, the event types it wants (``*``: all) and the key its deliveries are signed with."""

    id: str
    url: str
    events: tuple[str, ...]
    secret: str
    owner: str
    label: str
    created_at: str
    deleted_at: str | None = None

    def wants(self, event_type: str) -> bool:
        """Tell whether deliveries of this type go to this subscription."""
        return "*" in self.events or event_type in self.events

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, without the secret."""
        return {
            "id": self.id,
            "url": self.url,
            "events": list(self.events),
            "owner": self.owner,
            "label": self.label,
            "created_at": self.created_at,
            "deleted_at": self.deleted_at,
        }


@dataclass(frozen=True)
class OutboxEvent:
    """One event as kept in the outbox; ``id`` is what receivers dedupe on."""

    seq: int
    id: str
    type: str
    subject: str
    payload: Mapping[str, Any]
    created_at: str
    dedupe_key: str | None = None

    def envelope(self) -> dict[str, Any]:
        """Return the body every subscriber receives (the same bytes on every attempt)."""
        return {
            "id": self.id,
            "type": self.type,
            "subject": self.subject,
            "created_at": self.created_at,
            "data": dict(self.payload),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the envelope with the outbox order)."""
        return {"seq": self.seq, **self.envelope()}


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST of a delivery: when, what the receiver answered (or why nothing came), how long it took."""

    attempt: int
    at: str
    status_code: int | None
    error: str
    duration_ms: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "attempt": self.attempt,
            "at": self.at,
            "status_code": self.status_code,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 1),
        }


@dataclass(frozen=True)
class Delivery:
    """One event to one subscription: status, attempts so far, when the next is due."""

    id: str
    event_id: str
    subscription_id: str
    status: str
    attempts: int
    attempts_at_replay: int
    next_attempt_at: str | None
    last_status: int | None
    last_error: str
    created_at: str
    delivered_at: str | None
    dead_at: str | None
    event_type: str = ""
    history: tuple[DeliveryAttempt, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``history`` only when read with it)."""
        out: dict[str, Any] = {
            "id": self.id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "subscription_id": self.subscription_id,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at if self.status in ("pending", "retrying") else None,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "created_at": self.created_at,
            "delivered_at": self.delivered_at,
            "dead_at": self.dead_at,
        }
        if self.history:
            out["history"] = [a.to_dict() for a in self.history]
        return out


def _subscription_of(row: Row) -> Subscription:
    return Subscription(
        row["id"],
        row["url"],
        tuple(json.loads(row["events"])),
        row["secret"],
        row["owner"],
        row["label"],
        row["created_at"],
        row["deleted_at"],
    )


def _event_of(row: Row) -> OutboxEvent:
    return OutboxEvent(
        int(row["seq"]),
        row["id"],
        row["type"],
        row["subject"],
        json.loads(row["payload"]),
        row["created_at"],
        row["dedupe_key"],
    )


def _delivery_of(row: Row, history: Sequence[DeliveryAttempt] = ()) -> Delivery:
    return Delivery(
        row["id"],
        row["event_id"],
        row["subscription_id"],
        row["status"],
        int(row["attempts"]),
        int(row["attempts_at_replay"]),
        row["next_attempt_at"],
        row["last_status"],
        row["last_error"],
        row["created_at"],
        row["delivered_at"],
        row["dead_at"],
        row["type"],
        tuple(history),
    )


_DELIVERY_COLUMNS = "d.*, o.type"


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt to record: its number, the answer, and what follows (delivered, retry at, or dead)."""

    delivery_id: str
    attempt: int
    status_code: int | None
    error: str
    duration_ms: float
    delivered: bool
    retry_at: str | None  # None and not delivered: dead-lettered
    at: str | None = None  # when the attempt began (None: when it is recorded)


class EventTables(SQLCore):
    """``subscriptions``, ``outbox``, ``deliveries``, ``delivery_attempts``, ``event_cursors``, ``match_levels``."""

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
        return _subscription_of(row) if row is not None else None

    def list_subscriptions(
        self, *, owner: str | None = None, include_deleted: bool = False
    ) -> list[Subscription]:
        """Subscriptions, oldest first (of one owner when given)."""
        clauses, params = [], []
        if owner is not None:
            clauses.append("owner = ?")
            params.append(owner)
        if not include_deleted:
            clauses.append("deleted_at IS NULL")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._conn().execute(f"SELECT * FROM subscriptions {where} ORDER BY created_at, id", params)
        return [_subscription_of(r) for r in rows]

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
        return _event_of(row)

    def get_event(self, event_id: str) -> OutboxEvent | None:
        """One event by id, or None."""
        row = self._conn().execute("SELECT * FROM outbox WHERE id = ?", (event_id,)).fetchone()
        return _event_of(row) if row is not None else None

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
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("type", event_type), ("subject", subject)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if after_seq is not None:
            clauses.append("seq > ?")
            params.append(int(after_seq))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "DESC" if newest_first else "ASC"
        rows = self._conn().execute(
            f"SELECT * FROM outbox {where} ORDER BY seq {order} LIMIT ?", (*params, int(limit))
        )
        return [_event_of(r) for r in rows]

    # --- deliveries ----------------------------------------------------------------------------

    def due_deliveries(self, now: str, limit: int = 50) -> list[Delivery]:
        """Pending or retrying deliveries whose time has come, oldest first (not yet leased: see :meth:`claim_delivery`)."""
        rows = self._conn().execute(
            f"""SELECT {_DELIVERY_COLUMNS} FROM deliveries d JOIN outbox o ON o.id = d.event_id
                WHERE d.status IN ('pending', 'retrying') AND d.next_attempt_at <= ?
                ORDER BY d.next_attempt_at, d.id LIMIT ?""",
            (now, int(limit)),
        )
        return [_delivery_of(r) for r in rows]

    def claim_delivery(self, delivery: Delivery, lease_until: str) -> bool:
        """Lease a due delivery until ``lease_until``; False when another dispatcher took or finished it first."""
        with self.transaction():
            done = self._conn().execute(
                """UPDATE deliveries SET next_attempt_at = ?
                   WHERE id = ? AND status IN ('pending', 'retrying') AND next_attempt_at = ?""",
                (lease_until, delivery.id, delivery.next_attempt_at),
            )
        return done.rowcount == 1

    def claim_due(self, now: str, lease_until: str, limit: int = 64) -> list[Delivery]:
        """Lease up to ``limit`` due deliveries until ``lease_until`` in one statement; returns them, oldest first.

        The outer conditions repeat the inner ones: on PostgreSQL a row another dispatcher
        leased meanwhile is re-checked against them after its lock and skipped. (``AS claimed``:
        the PostgreSQL connection reads a statement ending in ``RETURNING id`` as an integer id.)
        """
        conn = self._conn()
        with self.transaction():
            rows = conn.execute(
                """UPDATE deliveries SET next_attempt_at = ?
                   WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ? AND id IN (
                       SELECT id FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?
                       ORDER BY next_attempt_at, id LIMIT ?)
                   RETURNING id AS claimed""",
                (lease_until, now, now, int(limit)),
            ).fetchall()
            ids = [r[0] for r in rows]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            found = conn.execute(
                f"""SELECT {_DELIVERY_COLUMNS} FROM deliveries d JOIN outbox o ON o.id = d.event_id
                    WHERE d.id IN ({marks}) ORDER BY d.created_at, d.id""",
                ids,
            ).fetchall()
        return [_delivery_of(r) for r in found]

    def events_by_id(self, event_ids: Iterable[str]) -> dict[str, OutboxEvent]:
        """Events by id (the ones found)."""
        ids = list(dict.fromkeys(event_ids))
        out: dict[str, OutboxEvent] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._conn().execute(f"SELECT * FROM outbox WHERE id IN ({marks})", chunk):
                out[r["id"]] = _event_of(r)
        return out

    def finish_attempts(self, attempts: Sequence[AttemptRecord]) -> None:
        """Log attempts and move their deliveries on, all in one transaction (see :meth:`finish_attempt`)."""
        if not attempts:
            return
        now = utc_now()
        conn = self._conn()
        with self.transaction():
            conn.executemany(
                """INSERT INTO delivery_attempts (delivery_id, attempt, at, status_code, error, duration_ms)
                   VALUES (?, ?, ?, ?, ?, ?)""",
                [
                    (
                        a.delivery_id,
                        a.attempt,
                        a.at or now,
                        a.status_code,
                        a.error[:500],
                        float(a.duration_ms),
                    )
                    for a in attempts
                ],
            )
            # A delivery cancelled mid-send (its subscription deleted) only counts the attempt.
            live = "status NOT IN ('cancelled')"
            done = [a for a in attempts if a.delivered]
            retry = [a for a in attempts if not a.delivered and a.retry_at is not None]
            dead = [a for a in attempts if not a.delivered and a.retry_at is None]
            conn.executemany(
                f"""UPDATE deliveries SET status = 'delivered', attempts = ?, delivered_at = ?, next_attempt_at = NULL,
                        last_status = ?, last_error = '' WHERE id = ? AND {live}""",
                [(a.attempt, now, a.status_code, a.delivery_id) for a in done],
            )
            conn.executemany(
                f"""UPDATE deliveries SET status = 'retrying', attempts = ?, next_attempt_at = ?, last_status = ?,
                        last_error = ? WHERE id = ? AND {live}""",
                [(a.attempt, a.retry_at, a.status_code, a.error[:500], a.delivery_id) for a in retry],
            )
            conn.executemany(
                f"""UPDATE deliveries SET status = 'dead', attempts = ?, next_attempt_at = NULL, dead_at = ?,
                        last_status = ?, last_error = ? WHERE id = ? AND {live}""",
                [(a.attempt, now, a.status_code, a.error[:500], a.delivery_id) for a in dead],
            )
            conn.executemany(
                "UPDATE deliveries SET attempts = ? WHERE id = ? AND status = 'cancelled'",
                [(a.attempt, a.delivery_id) for a in attempts],
            )

    def finish_attempt(
        self,
        delivery_id: str,
        *,
        status_code: int | None,
        error: str,
        duration_ms: float,
        delivered: bool,
        retry_at: str | None,
    ) -> Delivery:
        """Log one attempt and move the delivery on: delivered, retrying at ``retry_at``, or dead (``retry_at`` None)."""
        with self.transaction():
            row = (
                self._conn()
                .execute("SELECT attempts FROM deliveries WHERE id = ?", (delivery_id,))
                .fetchone()
            )
            if row is None:
                raise NotFoundError(f"no delivery with id {delivery_id!r}")
            record = AttemptRecord(
                delivery_id, int(row["attempts"]) + 1, status_code, error, duration_ms, delivered, retry_at
            )
            self.finish_attempts([record])
        found = self.get_delivery(delivery_id, history=False)
        assert found is not None  # noqa: S101 - read just above
        return found

    def get_delivery(self, delivery_id: str, *, history: bool = True) -> Delivery | None:
        """One delivery by id with its attempts (oldest first), or None."""
        conn = self._conn()
        row = conn.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries d JOIN outbox o ON o.id = d.event_id WHERE d.id = ?",
            (delivery_id,),
        ).fetchone()
        if row is None:
            return None
        attempts: list[DeliveryAttempt] = []
        if history:
            attempts = [
                DeliveryAttempt(
                    int(a["attempt"]), a["at"], a["status_code"], a["error"], float(a["duration_ms"])
                )
                for a in conn.execute(
                    "SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt", (delivery_id,)
                )
            ]
        return _delivery_of(row, attempts)

    def list_deliveries(
        self,
        *,
        status: str | None = None,
        subscription_id: str | None = None,
        event_id: str | None = None,
        event_type: str | None = None,
        owner: str | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """List the delivery log: deliveries matching every given filter (``owner``: of its subscriptions), newest first."""
        if status is not None and status not in DELIVERY_STATUSES:
            raise ValueError(f"status must be one of {', '.join(DELIVERY_STATUSES)}, got {status!r}")
        clauses, params = [], []
        for column, value in (
            ("d.status", status),
            ("d.subscription_id", subscription_id),
            ("d.event_id", event_id),
            ("o.type", event_type),
            ("s.owner", owner),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._conn().execute(
            f"""SELECT {_DELIVERY_COLUMNS} FROM deliveries d JOIN outbox o ON o.id = d.event_id
                JOIN subscriptions s ON s.id = d.subscription_id {where}
                ORDER BY d.created_at DESC, d.id DESC LIMIT ?""",
            (*params, int(limit)),
        )
        return [_delivery_of(r) for r in rows]

    def count_deliveries(self) -> dict[str, int]:
        """Deliveries per status."""
        rows = self._conn().execute("SELECT status, count(*) FROM deliveries GROUP BY status")
        return {r[0]: int(r[1]) for r in rows}

    def replay_deliveries(
        self,
        *,
        delivery_id: str | None = None,
        event_id: str | None = None,
        subscription_id: str | None = None,
        status: str | None = None,
    ) -> int:
        """Send deliveries again, now, with a fresh retry budget; returns how many were queued.

        Delivered and dead deliveries may be replayed (receivers dedupe on the event id);
        cancelled ones (their subscription is deleted) are not. At least one filter is needed.
        """
        if delivery_id is None and event_id is None and subscription_id is None and status is None:
            raise ValueError("name what to replay: a delivery, an event, a subscription or a status")
        clauses, params = ["status IN ('delivered', 'dead', 'pending', 'retrying')"], []
        for column, value in (
            ("id", delivery_id),
            ("event_id", event_id),
            ("subscription_id", subscription_id),
            ("status", status),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        now = utc_now()
        with self.transaction():
            done = self._conn().execute(
                f"""UPDATE deliveries SET status = 'pending', next_attempt_at = ?, attempts_at_replay = attempts,
                        dead_at = NULL WHERE {" AND ".join(clauses)}""",
                (now, *params),
            )
        return int(done.rowcount)

    def delivered_at(self, event_ids: Sequence[str]) -> dict[tuple[str, str], str]:
        """(event id, subscription id) → when it was first acknowledged (2xx), for delivered deliveries."""
        out: dict[tuple[str, str], str] = {}
        conn = self._conn()
        for start in range(0, len(event_ids), 500):
            chunk = list(event_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                f"""SELECT d.event_id, d.subscription_id, min(a.at) FROM deliveries d
                    JOIN delivery_attempts a ON a.delivery_id = d.id
                    WHERE d.event_id IN ({marks}) AND a.status_code >= 200 AND a.status_code < 300
                    GROUP BY d.event_id, d.subscription_id""",
                chunk,
            )
            out.update({(r[0], r[1]): r[2] for r in rows})
        return out

    def subscriptions_of_events(self, event_ids: Sequence[str]) -> dict[str, list[str]]:
        """Event id → the subscriptions it was fanned out to."""
        out: dict[str, list[str]] = {}
        conn = self._conn()
        for start in range(0, len(event_ids), 500):
            chunk = list(event_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for r in conn.execute(
                f"SELECT event_id, subscription_id FROM deliveries WHERE event_id IN ({marks}) ORDER BY id",
                chunk,
            ):
                out.setdefault(r[0], []).append(r[1])
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
        ids = list(item_ids or ())
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
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
            ids = list(item_ids or ())
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                conn.execute(f"DELETE FROM match_levels WHERE item_id IN ({marks})", chunk)
            if levels:
                conn.executemany(
                    "INSERT INTO match_levels (enterprise_id, item_id, level, updated_at) VALUES (?, ?, ?, ?)",
                    [(e, i, level, now) for (e, i), level in levels.items()],
                )
