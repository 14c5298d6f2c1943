"""Webhooks for the push module: subscriptions, the event outbox, the delivery log and replay, the push timeline.

Push and admin keys. A push key sees and changes only the subscriptions it made
(and their deliveries); an admin key sees all of them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import PushDep, ServicesDep
from api.errors import ApiError
from api.security import Principal
from api.services import Services, record_audit
from corpus.store.event_records import DELIVERY_STATUSES
from events.signing import MIN_SECRET_CHARS
from events.types import EVENT_TYPES, check_event_types

router = APIRouter(prefix="/v1", tags=["events"])

LimitQuery = Annotated[int, Query(ge=1, le=1000, description="rows to return")]


class SubscriptionCreate(BaseModel):
    """``POST /v1/subscriptions``: where to send which events, and the key that signs them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(max_length=2000, description="http(s) URL that receives a POST per event")
    events: list[str] = Field(min_length=1, max_length=20, description="event types, or ['*'] for all")
    secret: str | None = Field(
        default=None,
        max_length=500,
        description=f"HMAC-SHA256 key, at least {MIN_SECRET_CHARS} characters (omitted: one is made and shown once)",
    )
    label: str = Field(default="", max_length=200)


class ReplayRequest(BaseModel):
    """``POST /v1/deliveries/replay``: send again every delivery matching the filters."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["dead", "delivered", "retrying", "pending"] | None = None
    subscription_id: str | None = Field(default=None, max_length=100)
    event_id: str | None = Field(default=None, max_length=100)


def _wake(services: Services) -> None:
    dispatcher = getattr(services, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.wake()


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(
            422,
            "invalid_request",
            f"Field 'url' must be an http:// or https:// URL with a host, got {url!r}.",
            {"field": "url"},
        )
    return url


def _own_subscription(services: Services, principal: Principal, subscription_id: str) -> Any:
    sub = services.store.get_subscription(subscription_id)
    if (
        sub is None
        or sub.deleted_at is not None
        or (principal.role != "admin" and sub.owner != principal.key_id)
    ):
        raise ApiError(
            404, "not_found", f"No subscription with id {subscription_id!r}.", {"id": subscription_id}
        )
    return sub


def _owner_filter(principal: Principal) -> str | None:
    return None if principal.role == "admin" else principal.key_id


@router.post("/subscriptions", status_code=201)
def create_subscription(body: SubscriptionCreate, principal: PushDep, services: ServicesDep) -> JSONResponse:
    """Subscribe a URL to event types; every delivery is signed with the secret (X-Policymatch-Signature)."""
    url = _check_url(body.url)
    try:
        events = check_event_types(body.events)
    except ValueError as exc:
        raise ApiError(422, "invalid_request", f"Field 'events': {exc}.", {"field": "events"}) from None
    made = body.secret is None
    secret = body.secret if body.secret is not None else secrets.token_urlsafe(32)
    if len(secret) < MIN_SECRET_CHARS:
        raise ApiError(
            422,
            "invalid_request",
            f"Field 'secret' must be at least {MIN_SECRET_CHARS} characters (a short key can be guessed).",
            {"field": "secret"},
        )
    sub = services.store.create_subscription(url, events, secret, owner=principal.key_id, label=body.label)
    record_audit(services, principal, "subscription.create", sub.id, url=url, events=list(events))
    out = sub.to_dict()
    if made:
        out["secret"] = secret  # shown once: it is what the receiver verifies signatures with
    return JSONResponse(out, status_code=201)


@router.get("/subscriptions")
def list_subscriptions(principal: PushDep, services: ServicesDep) -> dict[str, Any]:
    """Active subscriptions (a push key: its own), without secrets."""
    subs = services.store.list_subscriptions(owner=_owner_filter(principal))
    return {"data": [s.to_dict() for s in subs], "total": len(subs), "event_types": EVENT_TYPES}


@router.get("/subscriptions/{subscription_id}")
def get_subscription(subscription_id: str, principal: PushDep, services: ServicesDep) -> dict[str, Any]:
    """One subscription, with its deliveries counted per status."""
    sub = _own_subscription(services, principal, subscription_id)
    counts: dict[str, int] = {}
    for d in services.store.list_deliveries(subscription_id=sub.id, limit=100_000):
        counts[d.status] = counts.get(d.status, 0) + 1
    return {**sub.to_dict(), "deliveries": counts}


@router.delete("/subscriptions/{subscription_id}")
def delete_subscription(subscription_id: str, principal: PushDep, services: ServicesDep) -> dict[str, Any]:
    """Stop a subscription; its undelivered deliveries are cancelled (the log keeps them)."""
    _own_subscription(services, principal, subscription_id)
    cancelled = services.store.delete_subscription(subscription_id)
    record_audit(services, principal, "subscription.delete", subscription_id, cancelled=cancelled)
    return {"id": subscription_id, "deleted": True, "cancelled_deliveries": cancelled or 0}


@router.post("/subscriptions/{subscription_id}/ping", status_code=202)
def ping_subscription(subscription_id: str, principal: PushDep, services: ServicesDep) -> dict[str, Any]:
    """Send a signed ``ping`` event to this subscription only (to test the receiver)."""
    sub = _own_subscription(services, principal, subscription_id)
    event = services.store.emit_event(
        "ping",
        {"subscription_id": sub.id, "requested_by": principal.key_id},
        subject=sub.id,
        subscription_id=sub.id,
    )
    _wake(services)
    return {"event": event.to_dict() if event else None}


@router.get("/events")
def list_events(
    principal: PushDep,
    services: ServicesDep,
    type: Annotated[str | None, Query(max_length=50, description="one event type")] = None,  # noqa: A002
    subject: Annotated[str | None, Query(max_length=200, description="policy, item or enterprise id")] = None,
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    """List the outbox: events, newest first."""
    if type is not None and type not in EVENT_TYPES:
        raise ApiError(422, "invalid_request", f"Unknown event type {type!r}.", {"field": "type"})
    events = services.store.list_events(event_type=type, subject=subject, limit=limit)
    return {"data": [e.to_dict() for e in events]}


@router.get("/events/{event_id}")
def get_event(event_id: str, principal: PushDep, services: ServicesDep) -> dict[str, Any]:
    """One event as receivers get it."""
    event = services.store.get_event(event_id)
    if event is None:
        raise ApiError(404, "not_found", f"No event with id {event_id!r}.", {"id": event_id})
    return event.to_dict()


@router.post("/events/{event_id}/replay", status_code=202)
def replay_event(event_id: str, principal: PushDep, services: ServicesDep) -> dict[str, Any]:
    """Send an event again to every subscription it went to (a push key: to its own)."""
    if services.store.get_event(event_id) is None:
        raise ApiError(404, "not_found", f"No event with id {event_id!r}.", {"id": event_id})
    n = _replay(services, principal, event_id=event_id)
    return {"event_id": event_id, "replayed": n}


@router.get("/deliveries")
def list_deliveries(
    principal: PushDep,
    services: ServicesDep,
    status: Annotated[str | None, Query(description=f"one of {', '.join(DELIVERY_STATUSES)}")] = None,
    subscription_id: Annotated[str | None, Query(max_length=100)] = None,
    event_id: Annotated[str | None, Query(max_length=100)] = None,
    type: Annotated[str | None, Query(max_length=50, description="event type")] = None,  # noqa: A002
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    """List the delivery log, newest first: status, attempts, the last answer, when the next try is due."""
    if status is not None and status not in DELIVERY_STATUSES:
        raise ApiError(
            422,
            "invalid_request",
            f"Field 'status' must be one of {', '.join(DELIVERY_STATUSES)}, got {status!r}.",
            {"field": "status"},
        )
    rows = services.store.list_deliveries(
        status=status,
        subscription_id=subscription_id,
        event_id=event_id,
        event_type=type,
        owner=_owner_filter(principal),
        limit=limit,
    )
    return {"data": [d.to_dict() for d in rows], "counts": services.store.count_deliveries()}


@router.get("/deliveries/{delivery_id}")
def get_delivery(delivery_id: str, principal: PushDep, services: ServicesDep) -> dict[str, Any]:
    """One delivery with every attempt (time, HTTP status or error, duration)."""
    delivery = services.store.get_delivery(delivery_id)
    if delivery is None:
        raise ApiError(404, "not_found", f"No delivery with id {delivery_id!r}.", {"id": delivery_id})
    _own_subscription_or_cancelled(services, principal, delivery.subscription_id)
    return delivery.to_dict()


def _own_subscription_or_cancelled(services: Services, principal: Principal, subscription_id: str) -> None:
    sub = services.store.get_subscription(subscription_id)
    if sub is None or (principal.role != "admin" and sub.owner != principal.key_id):
        raise ApiError(404, "not_found", "No such delivery.", {})


@router.post("/deliveries/{delivery_id}/replay", status_code=202)
def replay_delivery(delivery_id: str, principal: PushDep, services: ServicesDep) -> dict[str, Any]:
    """Send one delivery again now, with a fresh retry budget (dead or delivered alike)."""
    delivery = services.store.get_delivery(delivery_id, history=False)
    if delivery is None:
        raise ApiError(404, "not_found", f"No delivery with id {delivery_id!r}.", {"id": delivery_id})
    _own_subscription_or_cancelled(services, principal, delivery.subscription_id)
    if delivery.status == "cancelled":
        raise ApiError(
            409,
            "conflict",
            "The delivery's subscription was deleted; it cannot be replayed.",
            {"id": delivery_id},
        )
    n = _replay(services, principal, delivery_id=delivery_id)
    return {"delivery_id": delivery_id, "replayed": n}


@router.post("/deliveries/replay", status_code=202)
def replay_many(body: ReplayRequest, principal: PushDep, services: ServicesDep) -> dict[str, Any]:
    """Send again every delivery matching the filters (e.g. ``{"status": "dead"}``: the dead-letter queue)."""
    if body.status is None and body.subscription_id is None and body.event_id is None:
        raise ApiError(
            422,
            "invalid_request",
            "Name what to replay: status, subscription_id or event_id.",
            {"field": "status"},
        )
    if body.subscription_id is not None:
        _own_subscription(services, principal, body.subscription_id)
    n = _replay(
        services, principal, status=body.status, subscription_id=body.subscription_id, event_id=body.event_id
    )
    return {"replayed": n}


def _replay(services: Services, principal: Principal, **filters: Any) -> int:
    store = services.store
    if principal.role == "admin" or filters.get("subscription_id") is not None:
        n = store.replay_deliveries(**filters)
    else:  # a push key replays only deliveries of its own subscriptions
        n = sum(
            store.replay_deliveries(**{**filters, "subscription_id": sub.id})
            for sub in store.list_subscriptions(owner=principal.key_id, include_deleted=True)
        )
    record_audit(
        services, principal, "deliveries.replay", "", replayed=n, **{k: v for k, v in filters.items() if v}
    )
    _wake(services)
    return n


@router.get("/push/timeline")
def push_timeline(
    principal: PushDep,
    services: ServicesDep,
    policy_id: Annotated[str | None, Query(max_length=200)] = None,
    clock: Annotated[
        Literal["issued", "ingested"],
        Query(description="start the rule at the 发布 date (issued) or at ingestion"),
    ] = "issued",
    days: Annotated[int, Query(ge=1, le=60, description="working days the rule allows")] = 5,
    as_of: Annotated[dt.date | None, Query(description="judge overdue at this date (default today)")] = None,
) -> dict[str, Any]:
    """For every published item: when its target list was ready and when each subscriber acknowledged it."""
    from events.timeline import push_timeline as timeline
    from events.timeline import summarise

    rows = timeline(services.store, clock=clock, rule_days=days, today=as_of, policy_id=policy_id)
    return {
        "rule_working_days": days,
        "clock": clock,
        "summary": summarise(rows),
        "data": [r.to_dict() for r in rows],
    }
