"""``policymatch subscriptions …`` and ``policymatch events …``: webhooks, the outbox, deliveries, the push timeline."""

from __future__ import annotations

import argparse
import json
from typing import Any

from api.commands import flag
from api.commands.admin import _cli_audit
from api.commands.store_access import (
    add_listing_options,
    cli_store,
    found,
    listing_limit,
    open_cli_store,
    print_records,
    say,
)


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add ``subscriptions add|list|delete|ping`` and ``events list|deliveries|show|replay|dispatch|timeline``."""
    subs = group("subscriptions")
    add = subs.add_parser(
        "add", help="subscribe a URL to event types (deliveries are signed with the secret)"
    )
    add.add_argument("url", help="http(s) URL that receives a POST per event")
    add.add_argument("--events", required=True, help="comma-separated event types, or * for all")
    add.add_argument(
        "--secret", default=None, help="HMAC key, 16+ characters (default: one is made and printed)"
    )
    add.add_argument("--label", default="", help="whose receiver it is")
    add.set_defaults(func=_subs_add)
    listing = subs.add_parser("list", help="list subscriptions (never secrets)")
    flag(listing, "--all", "deleted ones too")
    add_listing_options(listing, limit=None)
    listing.set_defaults(func=_subs_list)
    delete = subs.add_parser("delete", help="stop a subscription (undelivered deliveries are cancelled)")
    delete.add_argument("subscription_id")
    delete.set_defaults(func=_subs_delete)
    ping = subs.add_parser("ping", help="queue a signed ping event to one subscription")
    ping.add_argument("subscription_id")
    ping.set_defaults(func=_subs_ping)

    events = group("events")
    elist = events.add_parser("list", help="events in the outbox, newest first")
    elist.add_argument("--type", default=None, help="one event type")
    elist.add_argument("--subject", default=None, help="policy, item or enterprise id")
    add_listing_options(elist)
    elist.set_defaults(func=_events_list)
    log = events.add_parser("deliveries", help="the delivery log, newest first")
    log.add_argument("--status", default=None, help="pending, retrying, delivered, dead or cancelled")
    log.add_argument("--subscription", default=None, metavar="ID")
    log.add_argument("--event", default=None, metavar="ID")
    add_listing_options(log)
    log.set_defaults(func=_deliveries)
    show = events.add_parser("show", help="one delivery with every attempt")
    show.add_argument("delivery_id")
    show.set_defaults(func=_show)
    replay = events.add_parser("replay", help="send deliveries again now, with a fresh retry budget")
    replay.add_argument("--delivery", default=None, metavar="ID", help="one delivery")
    replay.add_argument("--event", default=None, metavar="ID", help="every delivery of one event")
    replay.add_argument("--subscription", default=None, metavar="ID", help="deliveries of one subscription")
    flag(replay, "--dead", "dead-lettered deliveries only")
    replay.set_defaults(func=_replay)
    dispatch = events.add_parser(
        "dispatch", help="derive events from the store's changes and deliver them (until Ctrl-C, or --once)"
    )
    flag(dispatch, "--once", "one pass: produce, deliver what is due, exit")
    flag(dispatch, "--deliver-only", "send what is in the outbox; produce nothing (no model loaded)")
    dispatch.set_defaults(func=_dispatch)
    timeline = events.add_parser(
        "timeline", help="push timeline: targets ready and acknowledged, against the rule"
    )
    timeline.add_argument("--policy", default=None, metavar="ID")
    timeline.add_argument(
        "--clock",
        choices=("issued", "ingested"),
        default="issued",
        help="start the rule at the 发布 date or at ingestion",
    )
    timeline.add_argument("--days", type=int, default=5, help="working days the rule allows (default 5)")
    add_listing_options(timeline, limit=None)
    timeline.set_defaults(func=_timeline)


def _subs_add(args: argparse.Namespace) -> int:
    import secrets
    from urllib.parse import urlsplit

    from events.signing import MIN_SECRET_CHARS
    from events.types import check_event_types

    parts = urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the URL must be http:// or https:// with a host, got {args.url!r}")
    types = check_event_types(args.events.split(","))
    made = args.secret is None
    secret = args.secret if args.secret is not None else secrets.token_urlsafe(32)
    if len(secret) < MIN_SECRET_CHARS:
        raise ValueError(f"--secret must be at least {MIN_SECRET_CHARS} characters")
    with cli_store() as store:
        sub = store.create_subscription(args.url, types, secret, owner="cli", label=args.label)
        _cli_audit(store, "subscription.create", sub.id, url=args.url, events=list(types))
    print(f"subscription: {sub.id}")
    print(f"url:          {sub.url}")
    print(f"events:       {', '.join(sub.events)}")
    if made:
        print(f"secret:       {secret}")
        print("Keep the secret now: the receiver checks X-Policymatch-Signature with it.")
    return 0


def _subs_list(args: argparse.Namespace) -> int:
    with cli_store() as store:
        subs = store.list_subscriptions(include_deleted=args.all)
    print_records(
        subs,
        args.json,
        lambda s: (
            f"{s.id}  {f'deleted {s.deleted_at}' if s.deleted_at else 'active'}  {s.url}  "
            f"events={','.join(s.events)}  owner={s.owner}  {s.label}"
        ),
        empty="no subscriptions",
    )
    return 0


def _subs_delete(args: argparse.Namespace) -> int:
    with cli_store() as store:
        cancelled = found(
            store.delete_subscription(args.subscription_id),
            f"no active subscription with id {args.subscription_id!r}",
        )
        _cli_audit(store, "subscription.delete", args.subscription_id, cancelled=cancelled)
    print(f"deleted {args.subscription_id} ({cancelled} undelivered deliveries cancelled)")
    return 0


def _subs_ping(args: argparse.Namespace) -> int:
    with cli_store() as store:
        event = store.emit_event(
            "ping",
            {"subscription_id": args.subscription_id, "requested_by": "cli"},
            subject=args.subscription_id,
            subscription_id=args.subscription_id,
        )
    assert event is not None
    print(f"queued {event.id}; a running server (or `policymatch events dispatch --once`) sends it")
    return 0


def _events_list(args: argparse.Namespace) -> int:
    limit = listing_limit(args.limit)
    with cli_store() as store:
        events = store.list_events(event_type=args.type, subject=args.subject, limit=limit)
    print_records(
        events, args.json, lambda e: f"{e.seq:>6}  {e.created_at}  {e.id}  {e.type:<27} {e.subject}"
    )
    return 0


def _deliveries(args: argparse.Namespace) -> int:
    limit = listing_limit(args.limit)
    with cli_store() as store:
        rows = store.list_deliveries(
            status=args.status, subscription_id=args.subscription, event_id=args.event, limit=limit
        )
        counts = store.count_deliveries()
    print_records(
        rows,
        args.json,
        lambda d: (
            f"{d.id}  {d.status:<9} attempts={d.attempts}  {d.event_type:<27} {d.subscription_id}  "
            + f"last={d.last_status or '-'} {d.last_error[:60]}".rstrip()
        ),
    )
    if not args.json:
        print("totals: " + (", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "no deliveries"))
    return 0


def _show(args: argparse.Namespace) -> int:
    with cli_store() as store:
        delivery = found(store.get_delivery(args.delivery_id), f"no delivery with id {args.delivery_id!r}")
    print(json.dumps(delivery.to_dict(), ensure_ascii=False, indent=2))
    return 0


def _replay(args: argparse.Namespace) -> int:
    if not (args.delivery or args.event or args.subscription or args.dead):
        raise ValueError("name what to replay: --delivery ID, --event ID, --subscription ID or --dead")
    with cli_store() as store:
        n = store.replay_deliveries(
            delivery_id=args.delivery,
            event_id=args.event,
            subscription_id=args.subscription,
            status="dead" if args.dead else None,
        )
        _cli_audit(
            store,
            "deliveries.replay",
            args.delivery or args.event or args.subscription or "",
            replayed=n,
            dead_only=args.dead,
        )
    print(f"queued {n} deliveries again")
    return 0


def _dispatch(args: argparse.Namespace) -> int:
    import time

    from api.settings import get_settings
    from events.runtime import dispatcher_for_services, make_dispatcher

    settings = get_settings()

    services = None
    if args.deliver_only:
        store = open_cli_store()
        dispatcher = make_dispatcher(store, None, settings, produce=False)
    else:
        from api.services import open_services

        services = open_services(settings, prepare=False, say=say)
        store = services.store
        dispatcher = dispatcher_for_services(services)
    try:
        if args.once:
            done = dispatcher.drain(timeout_s=600)
            print(
                f"produced {done.produced} events; sent {done.sent} deliveries: {done.delivered} delivered, "
                f"{done.failed} to retry, {done.dead} dead-lettered"
            )
            return 0
        say("dispatching events until Ctrl-C")
        dispatcher.start()
        while dispatcher.running:
            time.sleep(1)
    finally:
        dispatcher.stop()
        if services is not None:
            services.close()
        else:
            store.close()
    return 0


def _timeline(args: argparse.Namespace) -> int:
    from events.timeline import push_timeline, summarise

    if args.days < 1:
        raise ValueError("--days must be at least 1")
    with cli_store() as store:
        rows = push_timeline(store, clock=args.clock, rule_days=args.days, policy_id=args.policy)
    for r in rows:
        if args.json:
            print(json.dumps(r.to_dict(), ensure_ascii=False))
            continue
        acks = "; ".join(
            f"{a.subscription_id}: {a.acknowledged_at or 'not yet'}"
            + (f" ({a.working_days} wd)" if a.working_days is not None else "")
            for a in r.subscribers
        )
        print(
            f"{r.item_id:<28} {r.status:<14} from {r.published} ({r.clock}) due {r.deadline}  "
            f"ready {r.targets_ready_at or '-'}  {acks or 'no subscribers'}"
        )
    if not args.json:
        summary = summarise(rows)
        print(
            "summary: " + (", ".join(f"{k}={v}" for k, v in sorted(summary.items())) or "no published items")
        )
    return 0
