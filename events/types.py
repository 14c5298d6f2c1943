"""The event types a subscription may ask for, and the check of a requested list."""

from __future__ import annotations

from collections.abc import Iterable

#: Every event type, with what its ``data`` holds (docs/service.md has examples).
EVENT_TYPES: dict[str, str] = {
    "policy.published": "a policy entered the store for the first time: policy_id, version, title, issued, items",
    "policy.changed": "a stored policy was re-ingested, edited or deleted: policy_id, version, action, items",
    "targets.ready": "a policy's target lists are computed: policy_id, version, per item the counts per level",
    "enterprise.matches_changed": "enterprises gained eligible or near-miss items: cause, changes[enterprise_id, new]",
    "deadline.approaching": "an item's 申报 window opens or closes in N working days: item_id, edge, date, working_days",
    "ping": "a test event sent to one subscription on request",
}


def check_event_types(requested: Iterable[str]) -> tuple[str, ...]:
    """Return the requested types (``*`` for all) without duplicates; ValueError naming the unknown ones."""
    wanted = tuple(dict.fromkeys(t.strip() for t in requested if t.strip()))
    if not wanted:
        raise ValueError(f"name at least one event type: {', '.join(EVENT_TYPES)}, or * for all")
    unknown = [t for t in wanted if t != "*" and t not in EVENT_TYPES]
    if unknown:
        raise ValueError(
            f"unknown event type {', '.join(map(repr, unknown))}; known: {', '.join(EVENT_TYPES)}, or * for all"
        )
    return ("*",) if "*" in wanted else wanted
