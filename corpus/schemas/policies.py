"""Policy documents (the shape of ``POST /v1/policies``), their items and document facts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from corpus import reference
from corpus.schemas.base import (
    DOC_TYPES,
    FACT_KEYS,
    FULFILMENTS,
    FieldProblem,
    PolicyError,
    _boolean,
    _date,
    _optional_text,
    _str_or_none,
    _strict_problems,
)


class _DocumentFacts:
    """What a document and each of its items carry of the document facts (docs/conditions.md §5)."""

    def facts(self) -> dict[str, Any]:
        """Return the document facts the stores keep in their ``facts`` column."""
        return {key: getattr(self, key) for key in FACT_KEYS}


@dataclass(frozen=True)
class PolicyDocument(_DocumentFacts):
    """A policy document (惠企政策) as posted: the whole text and its metadata."""

    id: str
    title: str
    text: str
    region_code: str | None = None
    department: str | None = None
    issued: str | None = None
    valid_until: str | None = None
    url: str | None = None
    fulfilment: str | None = None
    version: int = 1
    # Document facts (docs/conditions.md §5): a non-policy is stored, never matched; outside
    # [valid_from, valid_until] nothing is offered; before window_open items are upcoming.
    is_policy: bool | None = None  # None: not stated (treated as a policy)
    doc_type: str | None = None
    valid_from: str | None = None
    window_open: str | None = None
    window_close: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the POST /v1/policies shape plus ``version``)."""
        return asdict(self)


@dataclass(frozen=True)
class ItemText:
    """What every form of a policy item starts with: its id, its policy, its place in the document, title and text."""

    id: str
    policy_id: str
    seq: int
    heading_path: tuple[str, ...]
    title: str
    text: str


@dataclass(frozen=True)
class PolicyItem(ItemText, _DocumentFacts):
    """One item (事项) of a policy: what a person applies for, with its heading path and the document's metadata."""

    region_code: str | None = None
    department: str | None = None
    fulfilment: str | None = None
    issued: str | None = None
    valid_until: str | None = None
    is_policy: bool | None = None  # None: not stated (treated as a policy)
    doc_type: str | None = None
    valid_from: str | None = None
    window_open: str | None = None
    window_close: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = asdict(self)
        out["heading_path"] = list(self.heading_path)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyItem:
        """Rebuild from :meth:`to_dict`'s output."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["heading_path"] = tuple(values.get("heading_path") or ())
        return cls(**values)


# Facts a document's text may state (docs/conditions.md §5), in the order the extractor reads them.
READ_FACT_KEYS: tuple[str, ...] = (
    "is_policy",
    "doc_type",
    "region_code",
    "department",
    "issued",
    "valid_from",
    "valid_until",
    "window_open",
    "window_close",
    "fulfilment",
)


def merge_document_facts(document: PolicyDocument, read: Mapping[str, Any]) -> PolicyDocument:
    """Fill what the document's metadata leaves unstated from what was read from its text.

    Metadata given explicitly (API, JSONL, front matter) always wins; ``read`` (the
    extractor's reading, e.g. ``{"valid_until": "2024-12-31", "region_code": "331002"}``)
    only fills fields that are None. The result is checked by :func:`validate_policy`.
    """
    updates = {
        key: read[key]
        for key in READ_FACT_KEYS
        if read.get(key) is not None and getattr(document, key) is None
    }
    if not updates:
        return document
    return validate_policy({**document.to_dict(), **updates}, version=document.version)


def item_id(policy_id: str, seq: int) -> str:
    """Return the id of the ``seq``-th item of a policy (``tz-2024-05#4``)."""
    return f"{policy_id}#{seq}"


def validate_policy(data: Mapping[str, Any], *, version: int = 1) -> PolicyDocument:
    """Check a POST /v1/policies record and build its :class:`PolicyDocument`; raises :class:`PolicyError`."""
    problems: list[FieldProblem] = []
    if not isinstance(data, Mapping):
        raise PolicyError([FieldProblem("(record)", f"must be a JSON object, got {type(data).__name__}")])
    values: dict[str, Any] = {}
    for name in ("id", "title", "text"):
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            problems.append(FieldProblem(name, "is required and must be a non-empty string"))
        else:
            values[name] = value.strip() if name != "text" else value
    for name in ("department", "url"):
        values[name] = _optional_text(data.get(name), name, problems)
    region_code = _optional_text(data.get("region_code"), "region_code", problems)
    if (
        region_code is not None
        and reference.region(region_code) is None
        and not reference.is_known_region(region_code)
    ):
        problems.append(FieldProblem("region_code", f"{region_code!r} is not a known 统计用区划代码"))
    values["region_code"] = region_code
    for name in ("issued", "valid_until", "valid_from", "window_open", "window_close"):
        values[name] = _date(data.get(name), name, problems, allow_future=True)
    window = data.get("window")
    if window is not None:
        # docs/conditions.md §5 writes the window as [open, close].
        if not isinstance(window, list | tuple) or len(window) != 2:
            problems.append(FieldProblem("window", f"must be [open, close], got {window!r}"))
        else:
            values["window_open"] = values["window_open"] or _date(
                window[0], "window", problems, allow_future=True
            )
            values["window_close"] = values["window_close"] or _date(
                window[1], "window", problems, allow_future=True
            )
    if values.get("issued") and values.get("valid_until") and values["valid_until"] < values["issued"]:
        problems.append(
            FieldProblem("valid_until", f"{values['valid_until']} is before issued {values['issued']}")
        )
    if (
        values.get("valid_from")
        and values.get("valid_until")
        and values["valid_until"] < values["valid_from"]
    ):
        problems.append(
            FieldProblem(
                "valid_until", f"{values['valid_until']} is before valid_from {values['valid_from']}"
            )
        )
    if (
        values.get("window_open")
        and values.get("window_close")
        and values["window_close"] < values["window_open"]
    ):
        problems.append(
            FieldProblem(
                "window_close", f"{values['window_close']} is before window_open {values['window_open']}"
            )
        )
    values["is_policy"] = _boolean(data.get("is_policy"), "is_policy", problems)
    doc_type = _optional_text(data.get("doc_type"), "doc_type", problems)
    if doc_type is not None and doc_type not in DOC_TYPES:
        problems.append(FieldProblem("doc_type", f"{doc_type!r} is not one of {', '.join(DOC_TYPES)}"))
    values["doc_type"] = doc_type
    raw_mode = data.get("fulfilment") if data.get("fulfilment") is not None else data.get("fulfilment_mode")
    fulfilment = _optional_text(raw_mode, "fulfilment", problems)
    if fulfilment is not None and fulfilment not in FULFILMENTS:
        problems.append(FieldProblem("fulfilment", f"{fulfilment!r} is not one of {', '.join(FULFILMENTS)}"))
    values["fulfilment"] = fulfilment
    problems.extend(_strict_problems(data, values.get("id")))
    if problems:
        raise PolicyError(problems, values.get("id") or _str_or_none(data.get("id")))
    return PolicyDocument(version=version, **values)
