"""Deliveries of the push module's events: leased to one dispatcher at a time, attempts logged, replayed on demand."""

from __future__ import annotations

from collections.abc import Sequence

from corpus.store.base import NotFoundError, utc_now
from corpus.store.core import SQLCore
from corpus.store.event_records import (
    DELIVERY_COLUMNS,
    DELIVERY_STATUSES,
    AttemptRecord,
    Delivery,
    DeliveryAttempt,
    delivery_of,
)
from corpus.store.sql_parts import Filters, chunked

#: Deliveries as :func:`delivery_of` reads them.
_DELIVERIES = f"SELECT {DELIVERY_COLUMNS} FROM deliveries d JOIN outbox o ON o.id = d.event_id"


class DeliveryTables(SQLCore):
    """``deliveries`` and ``delivery_attempts``: what each subscription is owed and how each try went."""

    # --- deliveries ----------------------------------------------------------------------------

    def due_deliveries(self, now: str, limit: int = 50) -> list[Delivery]:
        """Pending or retrying deliveries whose time has come, oldest first (not yet leased: see :meth:`claim_delivery`)."""
        rows = self._conn().execute(
            f"""{_DELIVERIES}
                WHERE d.status IN ('pending', 'retrying') AND d.next_attempt_at <= ?
                ORDER BY d.next_attempt_at, d.id LIMIT ?""",
            (now, int(limit)),
        )
        return [delivery_of(r) for r in rows]

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
                f"""{_DELIVERIES}
                    WHERE d.id IN ({marks}) ORDER BY d.created_at, d.id""",
                ids,
            ).fetchall()
        return [delivery_of(r) for r in found]

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
            f"{_DELIVERIES} WHERE d.id = ?",
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
        return delivery_of(row, attempts)

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
        filters = Filters().equal(
            ("d.status", status),
            ("d.subscription_id", subscription_id),
            ("d.event_id", event_id),
            ("o.type", event_type),
            ("s.owner", owner),
        )
        rows = self._conn().execute(
            f"""{_DELIVERIES}
                JOIN subscriptions s ON s.id = d.subscription_id {filters.where}
                ORDER BY d.created_at DESC, d.id DESC LIMIT ?""",
            (*filters.params, int(limit)),
        )
        return [delivery_of(r) for r in rows]

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
        filters = Filters(["status IN ('delivered', 'dead', 'pending', 'retrying')"]).equal(
            ("id", delivery_id),
            ("event_id", event_id),
            ("subscription_id", subscription_id),
            ("status", status),
        )
        now = utc_now()
        with self.transaction():
            done = self._conn().execute(
                f"""UPDATE deliveries SET status = 'pending', next_attempt_at = ?, attempts_at_replay = attempts,
                        dead_at = NULL {filters.where}""",
                (now, *filters.params),
            )
        return int(done.rowcount)

    def delivered_at(self, event_ids: Sequence[str]) -> dict[tuple[str, str], str]:
        """(event id, subscription id) → when it was first acknowledged (2xx), for delivered deliveries."""
        out: dict[tuple[str, str], str] = {}
        conn = self._conn()
        for chunk, marks in chunked(event_ids):
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
        for chunk, marks in chunked(event_ids):
            for r in conn.execute(
                f"SELECT event_id, subscription_id FROM deliveries WHERE event_id IN ({marks}) ORDER BY id",
                chunk,
            ):
                out.setdefault(r[0], []).append(r[1])
        return out
