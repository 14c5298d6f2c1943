"""Store and matcher records turned into the JSON the contract promises (no business logic here)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from pydantic import BaseModel

from api.errors import ApiError, not_found
from corpus.conditions import LEVELS, ConditionError, Entry, Tier, node_from_dict
from corpus.schemas import EnterpriseProfile
from matcher.item_catalog import support_text


def policy_view(store: Any, stored: Any) -> dict[str, Any]:
    """Render a stored policy with its items (tags, conditions with ``source``) and its stale edits."""
    doc = stored.document
    out = doc.to_dict()
    out["items"] = [item_view(store, item) for item in stored.items]
    out["stale_edits"] = [edit.to_dict() for edit in store.stale_edits(doc.id)]
    out["created_at"] = stored.created_at
    out["updated_at"] = stored.updated_at
    return out


def item_view(store: Any, item: Any) -> dict[str, Any]:
    """One item with its tags, conditions and 支持内容 (from the tags when extraction found it)."""
    out = item.to_dict()
    tags = store.item_tags(item.id) or {}
    out["tags"] = tags
    out["support"] = support_text(item.text, tags)
    entries = store.item_conditions(item.id)
    out["conditions"] = [c.to_dict() for c in entries if not isinstance(c, Tier)]
    out["tiers"] = [c.to_dict() for c in entries if isinstance(c, Tier)]
    out["conditions_source"] = store.item_condition_source(item.id)
    return out


def require_policy(store: Any, policy_id: str) -> Any:
    """Return the stored policy, or 404."""
    return _found(store.get_policy(policy_id), "policy", policy_id)


def require_item(store: Any, policy_id: str, item_id: str) -> Any:
    """Return an item of this policy, or 404."""
    item = store.get_item(item_id)
    if item is None or item.policy_id != policy_id:
        raise ApiError(
            404,
            "item_not_found",
            f"Policy {policy_id!r} has no item {item_id!r}.",
            {"policy_id": policy_id, "item_id": item_id},
        )
    return item


def require_enterprise(store: Any, enterprise_id: str) -> EnterpriseProfile:
    """Return the stored profile, or 404."""
    return _found(store.get_enterprise(enterprise_id), "enterprise", enterprise_id)


def _found(record: Any, kind: str, record_id: str) -> Any:
    """``record`` unless the store found none (None): then the 404 of ``kind``."""
    if record is None:
        raise not_found(kind, record_id)
    return record


def conditions_from(
    raw: Sequence[Mapping[str, Any]],
    source: str = "edited",
    tiers: Sequence[Mapping[str, Any]] | None = None,
) -> list[Entry]:
    """Build an item's entries (v2: leaves, groups, tiers) from a person's input; 422 naming the first bad one."""
    built: list[Entry] = []
    for kind, entries in (("Condition", raw), ("Tier", tiers or [])):
        for position, data in enumerate(entries):
            try:
                entry = node_from_dict(data, source)
            except ConditionError as exc:
                name = (
                    data.get("label")
                    if kind == "Tier"
                    else " ".join(str(data.get(k)) for k in ("field", "op") if data.get(k) is not None)
                    or ("any" if isinstance(data, Mapping) and "any" in data else "?")
                )
                raise ApiError(
                    422,
                    "invalid_condition",
                    f"{kind} {position} ({name}): {exc}.",
                    {
                        "index": position,
                        "kind": kind.lower(),
                        "field": data.get("field"),
                        "op": data.get("op"),
                    },
                ) from None
            if kind == "Tier" and not isinstance(entry, Tier):
                raise ApiError(
                    422,
                    "invalid_condition",
                    f"Tier {position}: a tier needs label and conditions.",
                    {"index": position, "kind": "tier"},
                )
            built.append(entry)
    common = [e for e in built if not isinstance(e, Tier)]
    return common + [e for e in built if isinstance(e, Tier)]


def parse_levels(raw: Iterable[str] | None, default: Sequence[str]) -> tuple[str, ...]:
    """Levels from ``?levels=a,b`` or repeated ``?levels=``; 422 naming the valid ones."""
    levels: list[str] = []
    for chunk in raw or ():
        levels.extend(part.strip() for part in chunk.split(",") if part.strip())
    if not levels:
        return tuple(default)
    bad = [level for level in levels if level not in LEVELS]
    if bad:
        raise ApiError(
            422,
            "invalid_request",
            f"Field 'levels' must be made of {', '.join(LEVELS)}; got {bad[0]!r}.",
            {"field": "levels", "valid": list(LEVELS)},
        )
    return tuple(dict.fromkeys(levels))


def profile_fingerprint(profile: EnterpriseProfile) -> str:
    """Hash an ad-hoc profile (its audit snapshot when it is not stored)."""
    text = json.dumps(profile.to_dict(), ensure_ascii=False, sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def as_dict(value: Any) -> dict[str, Any]:
    """``to_dict()`` of a service-layer result (already a dict passes through)."""
    if isinstance(value, Mapping):
        return dict(value)
    return value.to_dict()


def published_json(out: Mapping[str, Any], typed: bool, schema: type[BaseModel]) -> bytes:
    """Write what ``schema.model_validate(out).model_dump_json()`` writes, by orjson when ``out`` is ``typed``.

    ``typed``: ``out`` is laid out in the schema's key order and every typed value is as the schema
    dumps it (:mod:`matcher.answer`); then orjson writes the same bytes (compact, UTF-8, NaN and
    infinities as null) without validating. An integer past 64 bits or a key not a string: the schema decides.
    """
    if typed:
        try:
            return orjson.dumps(out)
        except orjson.JSONEncodeError:
            pass
    return schema.model_validate(out).model_dump_json().encode()
