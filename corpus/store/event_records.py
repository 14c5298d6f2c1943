"""The push module's records: subscriptions, outbox events, deliveries and their attempts, and how rows become them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from corpus.store.connection import Row

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


def subscription_of(row: Row) -> Subscription:
    """Read a ``subscriptions`` row as a :class:`Subscription`."""
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


def event_of(row: Row) -> OutboxEvent:
    """Read an ``outbox`` row as an :class:`OutboxEvent`."""
    return OutboxEvent(
        int(row["seq"]),
        row["id"],
        row["type"],
        row["subject"],
        json.loads(row["payload"]),
        row["created_at"],
        row["dedupe_key"],
    )


def delivery_of(row: Row, history: Sequence[DeliveryAttempt] = ()) -> Delivery:
    """Read a ``deliveries`` row (joined to its event's type) as a :class:`Delivery`."""
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


#: The columns :func:`delivery_of` reads: a delivery and its event's type.
DELIVERY_COLUMNS = "d.*, o.type"


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
