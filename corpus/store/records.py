"""Rows → records, and the small encodings the store writes (JSON columns, secret hashes)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import fields
from itertools import islice
from typing import Any, TypeVar

from corpus.conditions import Condition, Entry, node_from_dict
from corpus.schemas import (
    FACT_KEYS,
    FULFILMENTS,
    LEGACY_FULFILMENTS,
    PROFILE_FIELD_NAMES,
    EnterpriseProfile,
    PolicyDocument,
    PolicyItem,
)
from corpus.store.base import ApiKey
from corpus.store.connection import Row

T = TypeVar("T")


def to_json(value: Any) -> str:
    """Compact, key-sorted JSON: equal values give equal text (a profile compares by its payload)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def secret_hash(secret: str) -> str:
    """SHA-256 of an API key's secret, the only form the store keeps."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def chunks(values: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` values (the one batching loop: store writes, ingests, exports, benches)."""
    iterator = iter(values)
    while chunk := list(islice(iterator, size)):
        yield chunk


def tags_dict(tags: Any) -> dict[str, Any]:
    """Return an extraction's tags as a dict (a Mapping, or an object with ``to_dict()``)."""
    if tags is None:
        return {}
    if isinstance(tags, Mapping):
        return dict(tags)
    to_dict = getattr(tags, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    raise TypeError(f"tags must be a Mapping or have to_dict(), got {type(tags).__name__}")


def document_of(row: Row) -> PolicyDocument:
    """Read a ``policies`` row (its v1 columns are the document's fields; the other facts are in ``facts``)."""
    columns = {f.name: row[f.name] for f in fields(PolicyDocument) if f.name not in FACT_KEYS}
    return PolicyDocument(**columns, **{"fulfilment": row["fulfilment"], **facts_of(row)})


def item_of(row: Row) -> PolicyItem:
    """Read an ``items`` row (its columns are the item's fields; the heading path is JSON; facts as above)."""
    values = {f.name: row[f.name] for f in fields(PolicyItem) if f.name not in FACT_KEYS}
    values |= {"heading_path": tuple(json.loads(row["heading_path"])), "fulfilment": row["fulfilment"]}
    return PolicyItem(**values | facts_of(row))


def condition_of(row: Row) -> Entry:
    """Read a ``conditions`` row (a v2 entry when the row keeps one in ``node``)."""
    if row["node"]:
        return node_from_dict(json.loads(row["node"]), row["source"])
    return Condition(row["field"], row["op"], json.loads(row["value"]), row["span"], row["source"])


def condition_dict(row: Row) -> dict[str, Any]:
    """Read a ``conditions`` row as the dict a stale edit keeps."""
    if row["node"]:
        return dict(json.loads(row["node"]))
    return {"field": row["field"], "op": row["op"], "value": json.loads(row["value"]), "span": row["span"]}


def legacy_fulfilment(mode: str | None) -> str | None:
    """Return what the v1 ``fulfilment`` column (with its CHECK) holds; the mode itself is in ``facts``."""
    if mode == "申报审批":
        return "一般申报"
    if mode in FULFILMENTS and mode not in LEGACY_FULFILMENTS:
        return None  # 快申优享 / 即申快享: the mode is in facts
    return mode  # a v1 mode, or one that is no mode at all: the column's CHECK refuses it


def facts_of(row: Row) -> dict[str, Any]:
    """Document facts of a policy or item row (the ``facts`` JSON wins over the v1 column; absent before v5)."""
    try:
        raw = row["facts"]
    except (IndexError, KeyError):
        return {}
    if not raw:
        return {}
    data = json.loads(raw)
    out = {k: data[k] for k in FACT_KEYS if k in data and k != "fulfilment"}
    if data.get("fulfilment"):
        out["fulfilment"] = data["fulfilment"]
    return out


def profile_of(payload: str) -> EnterpriseProfile:
    """Read a stored profile payload."""
    data = json.loads(payload)
    values = {k: data.get(k) for k in PROFILE_FIELD_NAMES if k in data}
    titles = values.get("qualifications")
    # null stays None (unknown); [] stays () (known to hold none).
    values["qualifications"] = None if titles is None else tuple(titles)
    return EnterpriseProfile(**values)


def api_key_of(row: Row) -> ApiKey:
    """Read an ``api_keys`` row (never its secret hash)."""
    return ApiKey(
        row["key_id"], row["role"], row["enterprise_id"], row["label"], row["created_at"], row["revoked_at"]
    )
