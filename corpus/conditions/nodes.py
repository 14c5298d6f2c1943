"""The nodes of the language — leaves, ``any`` groups, tiers, formulas — and how they are read and written."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from corpus.conditions.language import (
    CONDITION_FIELDS,
    EXCLUSION_FIELDS,
    FIELD_LABELS,
    NUMERIC_FIELDS,
    NUMERIC_OPS,
    OP_WORDS,
    OPS,
    ROLES,
    ConditionError,
    Role,
    Source,
    _actual_value,
    _fmt,
    _is_number,
    _parse_date,
)


@dataclass(frozen=True)
class Condition:
    """One requirement of a policy item on an enterprise profile (a *leaf* of the language)."""

    field: str
    op: str
    value: Any
    span: str = ""
    source: Source = "extracted"
    role: Role = "require"

    def __post_init__(self) -> None:
        if self.field not in CONDITION_FIELDS:
            raise ConditionError(f"unknown condition field {self.field!r}")
        if self.op not in OPS:
            raise ConditionError(f"unknown condition op {self.op!r}; valid ops: {', '.join(sorted(OPS))}")
        if self.op in NUMERIC_OPS - {"eq"} and not _is_number(self.value):
            raise ConditionError(f"op {self.op!r} needs a number, got {self.value!r}")
        if self.op in {"in", "industry_in"} and not isinstance(self.value, list | tuple):
            raise ConditionError(f"op {self.op!r} needs a list, got {self.value!r}")
        if self.op in {"established_after", "established_before"}:
            _parse_date(self.value, what="condition value")
        if self.source not in ("extracted", "edited"):
            raise ConditionError(f"source must be 'extracted' or 'edited', got {self.source!r}")
        if self.role not in ROLES:
            raise ConditionError(f"role must be one of {', '.join(ROLES)}, got {self.role!r}")
        if isinstance(self.value, list):
            object.__setattr__(self, "value", tuple(self.value))

    @property
    def is_exclusion(self) -> bool:
        """True for the base spec's 失信 / 重大违法 exclusions (an *unmet* verdict is the hit)."""
        return self.field in EXCLUSION_FIELDS and self.role == "require"

    @property
    def key(self) -> tuple[str, str, Any]:
        """(field, op, value) with lists normalised: what extraction is scored on."""
        value = self.value
        if isinstance(value, tuple):
            value = tuple(sorted(str(v) for v in value))
        elif _is_number(value):
            value = round(float(value), 6)
        return (self.field, self.op, value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the shape of conditions.md (plus ``source``; ``role`` when not ``require``)."""
        # A condition is immutable: its dict is laid out once and copied (a first 智能匹配 answer writes
        # ~80 of them); a list value is a new list in every copy, as before.
        template = self.__dict__.get("_dict_template")
        if template is None:
            template = {
                "field": self.field,
                "op": self.op,
                "value": None,
                "span": self.span,
                "source": self.source,
            }
            if self.role != "require":
                template["role"] = self.role
            object.__setattr__(self, "_dict_template", template)
        out = template.copy()
        out["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
        return out

    def describe(self) -> str:
        """Say the condition in a few words (its span when it has one)."""
        if self.span:
            return self.span
        value = "、".join(str(v) for v in self.value) if isinstance(self.value, tuple) else self.value
        return f"{FIELD_LABELS.get(self.field, self.field)}{OP_WORDS.get(self.op, self.op)}{value}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Condition:
        """Build from a conditions.md JSON object; raises :class:`ConditionError` when malformed."""
        if not isinstance(data, Mapping):
            raise ConditionError(f"a condition must be a JSON object, got {type(data).__name__}")
        missing = [k for k in ("field", "op") if k not in data]
        if missing or ("value" not in data and data.get("op") != "semantic"):
            raise ConditionError(f"condition needs field, op and value; got keys {sorted(data)}")
        return cls(
            field=str(data["field"]),
            op=str(data["op"]),
            value=data.get("value"),
            span=str(data.get("span") or ""),
            source=data.get("source") or "extracted",
            role=data.get("role") or "require",
        )


@dataclass(frozen=True)
class Group:
    """An ``any`` group (met when one member is met; one condition for the level), or an ``all`` member of one."""

    kind: Literal["any", "all"]
    members: tuple[Condition | Group, ...]
    span: str = ""
    role: Role = "require"
    source: Source = "extracted"

    def __post_init__(self) -> None:
        if self.kind not in ("any", "all"):
            raise ConditionError(f"a group is 'any' or 'all', got {self.kind!r}")
        if not self.members:
            raise ConditionError(f"an {self.kind!r} group needs at least one member")
        if self.role not in ROLES:
            raise ConditionError(f"role must be one of {', '.join(ROLES)}, got {self.role!r}")
        for member in self.members:
            if isinstance(member, Group) and (self.kind != "any" or member.kind != "all"):
                raise ConditionError("groups nest one level only: an 'all' inside an 'any'")
            if isinstance(member, Group) and any(isinstance(m, Group) for m in member.members):
                raise ConditionError("groups nest one level only: an 'all' holds leaves")
            if not isinstance(member, Condition | Group):
                raise ConditionError(f"a group member must be a condition, got {type(member).__name__}")
            if member.role != "require":
                raise ConditionError(
                    "a group's members carry no role of their own: put the role on the group"
                )

    # The attributes of a leaf, so code that looks at ``field`` / ``op`` of every node passes a group by.
    @property
    def field(self) -> str:
        """``any`` / ``all``: never a profile field."""
        return self.kind

    @property
    def op(self) -> str:
        """``any`` / ``all``."""
        return self.kind

    @property
    def value(self) -> None:
        """Groups have no value."""
        return None

    @property
    def is_exclusion(self) -> bool:
        """Groups are never base-spec exclusions."""
        return False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``{"any": [member...], "span", "role", "source"}``."""
        out: dict[str, Any] = {self.kind: [m.to_dict() for m in self.members], "span": self.span}
        if self.role != "require":
            out["role"] = self.role
        out["source"] = self.source
        return out

    def describe(self) -> str:
        """Say the group in a few words."""
        joiner = "或" if self.kind == "any" else "且"
        return joiner.join(m.describe() for m in self.members)


@dataclass(frozen=True)
class Formula:
    """How the support is computed from the profile: ``rate`` × the ``base`` field, capped at ``cap`` (万元)."""

    rate: float
    base: str
    cap: float | None = None
    floor: float | None = None

    def __post_init__(self) -> None:
        if not _is_number(self.rate) or self.rate <= 0:
            raise ConditionError(f"formula rate must be a positive number, got {self.rate!r}")
        if self.base not in NUMERIC_FIELDS:
            raise ConditionError(f"formula base must be a numeric profile field, got {self.base!r}")
        for name in ("cap", "floor"):
            value = getattr(self, name)
            if value is not None and (not _is_number(value) or value < 0):
                raise ConditionError(f"formula {name} must be a non-negative number, got {value!r}")

    def amount(self, profile: Mapping[str, Any]) -> float | None:
        """Compute the expected amount (万元) for this profile; None when the base is unknown."""
        base = _actual_value(self.base, profile)
        if not _is_number(base):
            return None
        value = max(0.0, float(base)) * float(self.rate)
        if self.cap is not None:
            value = min(value, float(self.cap))
        if self.floor is not None:
            value = max(value, float(self.floor))
        return round(value, 4)

    def text(self) -> str:
        """Write the formula as people read it (``投资额 × 8%，最高 200 万元``)."""
        # A formula is immutable: its text is written once (a match's answer writes it for every tier shown).
        out: str | None = self.__dict__.get("_text")
        if out is None:
            out = f"{FIELD_LABELS.get(self.base, self.base)} × {_fmt(self.rate * 100)}%"
            if self.cap is not None:
                out += f"，最高 {_fmt(self.cap)} 万元"
            if self.floor is not None:
                out += f"，最低 {_fmt(self.floor)} 万元"
            object.__setattr__(self, "_text", out)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out: dict[str, Any] = {"rate": self.rate, "base": self.base}
        if self.cap is not None:
            out["cap"] = self.cap
        if self.floor is not None:
            out["floor"] = self.floor
        return out

    @classmethod
    def from_dict(cls, data: Any) -> Formula | None:
        """Build from ``{"rate", "base", "cap"?, "floor"?}``; None for null."""
        if data is None:
            return None
        if not isinstance(data, Mapping) or "rate" not in data or "base" not in data:
            raise ConditionError(f"a formula needs rate and base, got {data!r}")
        return cls(
            float(data["rate"]),
            str(data["base"]),
            None if data.get("cap") is None else float(data["cap"]),
            None if data.get("floor") is None else float(data["floor"]),
        )


Node = Condition | Group


@dataclass(frozen=True)
class Tier:
    """One outcome of an item: its own conditions (on top of the common ones) and its support."""

    label: str
    conditions: tuple[Node, ...]
    support: str = ""
    amount: float | None = None
    formula: Formula | None = None
    span: str = ""
    source: Source = "extracted"

    def __post_init__(self) -> None:
        for node in self.conditions:
            if not isinstance(node, Condition | Group):
                raise ConditionError("a tier's conditions are leaves and groups (tiers do not nest)")
        if self.amount is not None and not _is_number(self.amount):
            raise ConditionError(f"tier amount must be a number (万元), got {self.amount!r}")

    # Leaf-like attributes, so code that looks at ``field`` / ``op`` of every node passes a tier by.
    field = "tier"
    op = "tier"
    value = None
    role = "require"
    is_exclusion = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the shape of docs/conditions.md §3 (plus ``source``, as leaves and groups carry it)."""
        out: dict[str, Any] = {
            "label": self.label,
            "conditions": [c.to_dict() for c in self.conditions],
            "support": self.support,
            "amount": self.amount,
            "span": self.span,
            "source": self.source,
        }
        if self.formula is not None:
            out["formula"] = self.formula.to_dict()
        return out

    def expected_amount(self, profile: Mapping[str, Any]) -> float | None:
        """Return the amount this tier gives this profile: by its formula when the base is known, else fixed."""
        if self.formula is not None:
            computed = self.formula.amount(profile)
            if computed is not None:
                return computed
        return None if self.amount is None else float(self.amount)


Entry = Condition | Group | Tier


def node_from_dict(data: Any, source: Source | str | None = None, *, allow_tier: bool = True) -> Entry:
    """Build a leaf, a group (``{"any": [...]}``) or a tier (``{"label", "conditions"}``) from JSON."""
    if not isinstance(data, Mapping):
        raise ConditionError(f"a condition must be a JSON object, got {type(data).__name__}")
    src: Source = source or data.get("source") or "extracted"  # type: ignore[assignment]
    for kind in ("any", "all"):
        if kind in data:
            members = data[kind]
            if not isinstance(members, list | tuple):
                raise ConditionError(f"{kind!r} needs a list of conditions")
            return Group(
                kind,
                tuple(_member_from_dict(m, src) for m in members),
                span=str(data.get("span") or ""),
                role=data.get("role") or "require",
                source=src,
            )
    if "conditions" in data and "field" not in data:
        if not allow_tier:
            raise ConditionError("tiers do not nest: a tier's conditions are leaves and groups")
        raw = data.get("conditions") or []
        if not isinstance(raw, list | tuple):
            raise ConditionError("a tier's conditions must be a list")
        amount = data.get("amount")
        return Tier(
            label=str(data.get("label") or ""),
            conditions=tuple(_member_from_dict(c, src) for c in raw),
            support=str(data.get("support") or ""),
            amount=None if amount is None else _number_or_error(amount, "tier amount"),
            formula=Formula.from_dict(data.get("formula")),
            span=str(data.get("span") or ""),
            source=src,
        )
    return Condition.from_dict({**data, "source": src})


def _member_from_dict(data: Any, source: str) -> Condition | Group:
    node = node_from_dict(data, source, allow_tier=False)
    assert not isinstance(node, Tier)
    return node


def _number_or_error(value: Any, what: str) -> float:
    if _is_number(value):
        return float(value)
    raise ConditionError(f"{what} must be a number, got {value!r}")


def parse_conditions(conditions: Any, tiers: Any = None, source: str | None = None) -> tuple[Entry, ...]:
    """Parse an item's conditions in any form v2 allows into one flat tuple (common nodes, then tiers).

    ``conditions`` is a v1/v2 list, or an object ``{"conditions": [...], "tiers": [...]}``;
    ``tiers`` a list of tiers given beside it. Raises :class:`ConditionError` naming the position.
    """
    if isinstance(conditions, Mapping):
        if tiers is None:
            tiers = conditions.get("tiers")
        conditions = conditions.get("conditions") or []
    if conditions is None:
        conditions = []
    if not isinstance(conditions, list | tuple):
        raise ConditionError("conditions must be a list")
    out: list[Entry] = []
    for position, raw in enumerate(conditions):
        if isinstance(raw, Condition | Group | Tier):
            out.append(raw)
            continue
        try:
            out.append(node_from_dict(raw, source))
        except ConditionError as exc:
            raise ConditionError(f"condition {position}: {exc}") from exc
    for position, raw in enumerate(tiers or []):
        if isinstance(raw, Tier):
            out.append(raw)
            continue
        try:
            node = node_from_dict(raw, source)
        except ConditionError as exc:
            raise ConditionError(f"tier {position}: {exc}") from exc
        if not isinstance(node, Tier):
            raise ConditionError(f"tier {position}: a tier needs label and conditions")
        out.append(node)
    common = [e for e in out if not isinstance(e, Tier)]
    return (*common, *(e for e in out if isinstance(e, Tier)))


def split_tiers(entries: Iterable[Entry]) -> tuple[tuple[Node, ...], tuple[Tier, ...]]:
    """Separate an item's entries into its common nodes and its tiers (best first)."""
    common: list[Node] = []
    tiers: list[Tier] = []
    for entry in entries:
        (tiers if isinstance(entry, Tier) else common).append(entry)  # type: ignore[arg-type]
    return tuple(common), tuple(tiers)


def conditions_json(entries: Iterable[Entry]) -> dict[str, list[dict[str, Any]]]:
    """``{"conditions": [...], "tiers": [...]}`` of an item's entries (the JSON docs/conditions.md §3 shows)."""
    common, tiers = split_tiers(entries)
    return {"conditions": [c.to_dict() for c in common], "tiers": [t.to_dict() for t in tiers]}


def leaves(entries: Iterable[Entry]) -> Iterator[Condition]:
    """Every leaf of an item's entries: common ones, group members, and the tiers' conditions."""
    for entry in entries:
        if isinstance(entry, Condition):
            yield entry
        elif isinstance(entry, Group):
            yield from leaves(entry.members)
        elif isinstance(entry, Tier):
            yield from leaves(entry.conditions)


def fields_read(entries: Iterable[Entry]) -> set[str]:
    """Every profile field the entries read: their leaves' fields and their tiers' formula bases."""
    entries = list(entries)
    out = {leaf.field for leaf in leaves(entries)}
    out |= {e.formula.base for e in entries if isinstance(e, Tier) and e.formula is not None}
    return out


def with_source(entry: Entry, source: str) -> Entry:
    """Return the entry with ``source`` set on it and everything inside it."""
    if isinstance(entry, Condition):
        return entry if entry.source == source else replace(entry, source=source)  # type: ignore[arg-type]
    if isinstance(entry, Group):
        members = tuple(with_source(m, source) for m in entry.members)
        return replace(entry, members=members, source=source)  # type: ignore[arg-type]
    inner = tuple(with_source(c, source) for c in entry.conditions)
    return replace(entry, conditions=inner, source=source)  # type: ignore[arg-type]


def is_v1(entries: Sequence[Entry]) -> bool:
    """Tell whether the entries are a plain v1 list (leaves with the default role only)."""
    return all(isinstance(e, Condition) and e.role == "require" for e in entries)
