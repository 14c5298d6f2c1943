"""``policymatch keys``, ``policymatch audit``, ``policymatch feedback export``: the service's housekeeping."""

from __future__ import annotations

import argparse
from typing import Any

from api.commands.store_access import add_listing_options, cli_store, listing_limit, print_records

ROLE_CHOICES = ("admin", "push", "enterprise", "analyst", "finance")


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add ``keys create|list|revoke``, ``audit`` and ``feedback export``."""
    keys = group("keys")
    create = keys.add_parser(
        "create", help="make an API key (the secret is printed once; only its hash is stored)"
    )
    create.add_argument("--role", required=True, choices=ROLE_CHOICES, help="what the key may do")
    create.add_argument(
        "--enterprise", default=None, metavar="ID", help="the enterprise an enterprise key acts for"
    )
    create.add_argument("--label", default="", help="a note saying whose key it is")
    create.set_defaults(func=_keys_create)
    listing = keys.add_parser("list", help="list keys (ids, roles, never secrets)")
    listing.set_defaults(func=_keys_list)
    revoke = keys.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    revoke.set_defaults(func=_keys_revoke)

    audit = sub.add_parser("audit", help="query the audit trail (newest first)")
    audit.add_argument("--actor", default=None, help="key id (open = the keyless demo)")
    audit.add_argument(
        "--action", default=None, help="e.g. match, targets.read, targets.export, conditions.edit"
    )
    audit.add_argument("--target", default=None, help="policy, item or enterprise id")
    audit.add_argument("--since", default=None, help="ISO time, e.g. 2026-01-01")
    add_listing_options(audit)
    audit.set_defaults(func=_audit)

    feedback = group("feedback")
    export = feedback.add_parser(
        "export", help="write feedback as training pairs (JSONL, eval.sets.FeedbackRecord)"
    )
    export.add_argument("out", help="output JSONL file")
    export.add_argument("--since", default=None, help="only feedback after this ISO time")
    export.set_defaults(func=_feedback_export)


def _cli_audit(store: Any, action: str, target: str, **details: Any) -> None:
    from corpus.store import AuditEvent

    store.append_audit(AuditEvent(actor="cli", action=action, target=target, details=details))


def _keys_create(args: argparse.Namespace) -> int:
    if args.role == "enterprise" and not args.enterprise:
        raise ValueError("an enterprise key needs --enterprise ID (the one enterprise it may read and match)")
    if args.role != "enterprise" and args.enterprise:
        raise ValueError("--enterprise is only for --role enterprise")
    with cli_store() as store:
        if args.enterprise and store.get_enterprise(args.enterprise) is None:
            raise LookupError(f"no enterprise with id {args.enterprise!r} in the store")
        key_id, secret = store.create_api_key(args.role, args.enterprise, args.label)
        _cli_audit(
            store, "key.create", key_id, role=args.role, enterprise_id=args.enterprise, label=args.label
        )
    print(f"key id: {key_id}")
    print(f"role:   {args.role}" + (f" (enterprise {args.enterprise})" if args.enterprise else ""))
    print(f"secret: {secret}")
    print("Keep the secret now: only its hash is stored. Send it as 'Authorization: Bearer <secret>'.")
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    with cli_store() as store:
        keys = store.list_api_keys()
    if not keys:
        print("no API keys: the service runs open on loopback only")
    for key in keys:
        state = "active" if key.active else f"revoked {key.revoked_at}"
        bound = f" enterprise={key.enterprise_id}" if key.enterprise_id else ""
        print(f"{key.key_id}  {key.role:<10} {state}  created {key.created_at}{bound}  {key.label}")
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    with cli_store() as store:
        if not store.revoke_api_key(args.key_id):
            raise LookupError(f"no active key with id {args.key_id!r}")
        _cli_audit(store, "key.revoke", args.key_id)
    print(f"revoked {args.key_id}")
    return 0


def _audit(args: argparse.Namespace) -> int:
    limit = listing_limit(args.limit)
    with cli_store() as store:
        events = store.query_audit(
            actor=args.actor, action=args.action, target=args.target, since=args.since, limit=limit
        )
    print_records(events, args.json, _audit_line)
    if not events:
        print("no audit rows match")
    return 0


def _audit_line(event: Any) -> str:
    """One audit row for people: time, actor, action, target, the versions it names, the other details."""
    import json

    details = dict(event.details)
    versions = " ".join(
        f"{label}={details.pop(key)}"
        for key, label in (
            ("policy_version", "policy_v"),
            ("model_version", "model"),
            ("index_version", "index"),
            ("profile_snapshot", "profile"),
        )
        if details.get(key) is not None
    )
    details.pop("role", None)
    rest = json.dumps(details, ensure_ascii=False)
    if len(rest) > 160:
        rest = rest[:157] + "..."
    return f"{event.at}  {event.actor:<16} {event.action:<16} {event.target}  {versions}  {rest}"


def _feedback_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from eval.sets import FeedbackRecord, write_feedback
    from matcher.encoder_text import dense_text, item_text

    out = Path(args.out)
    if out.parent and not out.parent.exists():
        raise FileNotFoundError(f"the folder of {out} does not exist")
    with cli_store() as store:
        records, skipped = [], 0
        for feedback in store.iter_feedback(since=args.since):
            profile = store.get_enterprise(feedback.enterprise_id)
            item = store.get_item(feedback.item_id)
            if profile is None or item is None:
                skipped += 1  # the enterprise or item is gone: no texts to train on
                continue
            records.append(
                FeedbackRecord(
                    enterprise_id=feedback.enterprise_id,
                    item_id=feedback.item_id,
                    label=feedback.kind,
                    query_text=dense_text(profile.to_dict()),
                    item_text=item_text(item.title, item.text),
                    created=feedback.created_at,
                    comment=feedback.comment or "",
                )
            )
        count = write_feedback(records, out)
        _cli_audit(store, "feedback.export", str(out), rows=count, skipped=skipped, since=args.since)
    print(
        f"wrote {count} training pairs to {out}"
        + (f" ({skipped} skipped: enterprise or item gone)" if skipped else "")
    )
    return 0
