"""Eligibility conditions: the shared language of ``shared/spec/conditions.md``.

A :class:`Condition` is what a policy item requires of an enterprise; it is
data, and so are its semantics: :func:`evaluate_condition` decides one
condition against one profile (``met`` / ``unmet`` / ``unknown``) and
:func:`level_of` turns the verdicts of an item into its level. Both are pure
functions over plain values, shared by the demo generator (which writes the
ground truth) and the matcher (which predicts it), so the two can never drift.

The language is v2 (docs/conditions.md): a leaf may carry a ``role``
(``require`` / ``bonus`` / ``exclude``), leaves may be gathered in an ``any``
group (:class:`Group`, one condition for the level), and an item may have
:class:`Tier` s (its outcomes, best first, each with its own conditions and
support). An item's conditions are one flat tuple of nodes — leaves, groups,
and its tiers after them — so a v1 list is a v2 list with the same meaning.
:func:`judge_item` judges all of it; :class:`ItemVerdict` reports the tier
reached, the gap to the next better one, the bonus verdicts and the expected
amount (:class:`Formula`).

Missing data is never a match and never a failure: it is ``unknown``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Verdict = Literal["met", "unmet", "unknown"]
Level = Literal["eligible", "need_info", "near_miss", "ineligible"]
Source = Literal["extracted", "edited"]
Role = Literal["require", "bonus", "exclude"]
ROLES: tuple[str, ...] = ("require", "bonus", "exclude")

LEVELS: tuple[Level, ...] = ("eligible", "need_info", "near_miss", "ineligible")
NUMERIC_OPS = frozenset({"gte", "gt", "lte", "lt", "eq"})
OPS = frozenset(
    NUMERIC_OPS
    | {
        "has",
        "not_has",
        "in",
        "within_region",
        "industry_in",
        "established_after",
        "established_before",
        "semantic",
    }
)

# Profile fields (shared/spec/enterprise_profile.md) with the unit a gap is spelled in.
NUMERIC_FIELDS: dict[str, str] = {
    "employees": "人",
    "revenue": "万元",
    "revenue_growth": "个百分点",
    "total_assets": "万元",
    "rd_expense": "万元",
    "rd_ratio": "个百分点",
    "tax_paid": "万元",
    "output_value": "万元",
    "export_value": "万元",
    "investment": "万元",
    # Fields added by the condition language v2 (docs/conditions.md §4).
    "invention_patents": "件",
    "ip_count": "件",
    "rd_staff_ratio": "个百分点",
    "hightech_income_ratio": "个百分点",
    "insured_employees": "人",
}
TEXT_FIELDS = frozenset({"business_scope", "products", "description"})
PROFILE_FIELDS = frozenset(
    set(NUMERIC_FIELDS)
    | TEXT_FIELDS
    | {
        "id",
        "name",
        "uscc",
        "region_code",
        "industry_code",
        "established",
        "qualifications",
        "mu_jun_class",
        "size_class",
        "credit_status",
        "major_violation",
        "tax_credit_grade",
    }
)
CONDITION_FIELDS = frozenset(PROFILE_FIELDS | {"undecidable"})

# Fields whose unmet condition is an exclusion (失信, 重大违法): the item is then
# ineligible outright, whatever else is met.
EXCLUSION_FIELDS = frozenset({"credit_status", "major_violation"})

FIELD_LABELS: dict[str, str] = {
    "employees": "从业人员",
    "revenue": "营业收入",
    "revenue_growth": "营业收入增长率",
    "total_assets": "资产总额",
    "rd_expense": "研发费用",
    "rd_ratio": "研发投入占比",
    "tax_paid": "纳税总额",
    "output_value": "工业总产值",
    "export_value": "出口额",
    "investment": "投资额",
    "qualifications": "资质",
    "region_code": "注册地",
    "industry_code": "行业",
    "established": "成立日期",
    "mu_jun_class": "亩均效益评价",
    "size_class": "企业规模",
    "credit_status": "信用状况",
    "major_violation": "重大违法记录",
    "business_scope": "经营范围",
    "products": "主营产品",
    "invention_patents": "有效发明专利",
    "ip_count": "知识产权",
    "rd_staff_ratio": "研发人员占比",
    "hightech_income_ratio": "高新技术产品（服务）收入占比",
    "tax_credit_grade": "纳税信用等级",
    "insured_employees": "参保人数",
    "undecidable": "其他要求",
}
OP_WORDS: dict[str, str] = {
    "gte": "≥", "gt": ">", "lte": "≤", "lt": "<", "eq": "=", "has": "具有", "not_has": "不具有",
    "in": "属于", "within_region": "位于", "industry_in": "属于行业", "established_after": "成立于之后",
    "established_before": "成立于之前", "semantic": "从事",
}

_EPS = 1e-9


class ConditionError(ValueError):
    """A condition that does not speak the language of conditions.md."""


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
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        out = {"field": self.field, "op": self.op, "value": value, "span": self.span, "source": self.source}
        if self.role != "require":
            out["role"] = self.role
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
                raise ConditionError("a group's members carry no role of their own: put the role on the group")

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
        out = f"{FIELD_LABELS.get(self.base, self.base)} × {_fmt(self.rate * 100)}%"
        if self.cap is not None:
            out += f"，最高 {_fmt(self.cap)} 万元"
        if self.floor is not None:
            out += f"，最低 {_fmt(self.floor)} 万元"
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
        """JSON-ready dict in the shape of docs/conditions.md §3."""
        out: dict[str, Any] = {
            "label": self.label,
            "conditions": [c.to_dict() for c in self.conditions],
            "support": self.support,
            "amount": self.amount,
            "span": self.span,
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


def parse_conditions(
    conditions: Any, tiers: Any = None, source: str | None = None
) -> tuple[Entry, ...]:
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


@dataclass(frozen=True)
class ConditionResult:
    """The verdict of one condition (leaf or group) for one profile, with the evidence."""

    condition: Condition | Group
    verdict: Verdict
    actual: Any = None
    gap: str | None = None
    members: tuple[ConditionResult, ...] = ()

    @property
    def role(self) -> str:
        """The condition's role (require, bonus or exclude)."""
        return self.condition.role

    @property
    def satisfied(self) -> bool:
        """True when this result does not hold the item back: require met, exclude unmet, or a bonus."""
        if self.role == "bonus":
            return True
        if self.role == "exclude":
            return self.verdict == "unmet"
        return self.verdict == "met"

    @property
    def is_hit(self) -> bool:
        """True when the result rules the item out: an ``exclude`` met, or a 失信/重大违法 exclusion unmet."""
        if self.role == "exclude":
            return self.verdict == "met"
        return self.verdict == "unmet" and self.condition.is_exclusion

    @property
    def is_failed(self) -> bool:
        """True when the result counts against the level: a requirement unmet or an exclusion hit."""
        if self.role == "bonus":
            return False
        return self.is_hit if self.role == "exclude" else self.verdict == "unmet"

    @property
    def is_open(self) -> bool:
        """True when the result is unknown and counts for the level (bonus never does)."""
        return self.role != "bonus" and self.verdict == "unknown"

    def fields(self) -> list[str]:
        """List the profile fields this result reads (a group's members' fields)."""
        if isinstance(self.condition, Group):
            return sorted({f for m in self.members for f in m.fields()})
        return [self.condition.field]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the condition plus ``verdict`` and ``actual`` (api.md's result.conditions)."""
        if isinstance(self.condition, Group):
            out: dict[str, Any] = {
                self.condition.kind: [m.to_dict() for m in self.members],
                "span": self.condition.span,
                "source": self.condition.source,
                "role": self.condition.role,
                "verdict": self.verdict,
            }
        else:
            out = self.condition.to_dict()
            out["verdict"] = self.verdict
            out["actual"] = list(self.actual) if isinstance(self.actual, tuple) else self.actual
        if self.gap:
            out["gap"] = self.gap
        return out


# A judge for ``semantic`` conditions: returns met/unmet/unknown for (condition, profile).
SemanticJudge = Callable[[Condition, Mapping[str, Any]], Verdict]


def evaluate_condition(
    condition: Condition,
    profile: Mapping[str, Any],
    semantic_judge: SemanticJudge | None = None,
) -> ConditionResult:
    """Decide one leaf against one profile (a Mapping in the shape of enterprise_profile.md).

    The verdict says whether the leaf's statement holds; its role (bonus, exclude)
    is applied by :func:`level_of`. A group is passed on to :func:`evaluate_node`.
    """
    if isinstance(condition, Group):
        return evaluate_node(condition, profile, semantic_judge)
    result = _evaluate_leaf(condition, profile, semantic_judge)
    if condition.role == "exclude":
        gap = None
        if result.verdict == "met":
            gap = f"属于不予支持的情形：{condition.describe()}"
        elif result.verdict == "unknown":
            gap = f"需核实是否属于排除情形：{condition.describe()}（{result.gap or '缺少数据'}）"
        return ConditionResult(condition, result.verdict, result.actual, gap)
    if condition.role == "bonus" and result.verdict != "met":
        return ConditionResult(condition, result.verdict, result.actual, f"加分项：{condition.describe()}")
    return result


def _evaluate_leaf(
    condition: Condition, profile: Mapping[str, Any], semantic_judge: SemanticJudge | None
) -> ConditionResult:
    op, fld, want = condition.op, condition.field, condition.value
    if fld == "undecidable":
        return ConditionResult(condition, "unknown", None, f"{FIELD_LABELS['undecidable']}需人工核实：{condition.span or want}")
    if op == "semantic":
        verdict: Verdict = semantic_judge(condition, profile) if semantic_judge else "unknown"
        gap = None if verdict == "met" else f"需核实经营内容：{want}"
        return ConditionResult(condition, verdict, None, gap)

    actual = _actual_value(fld, profile)
    if actual is None:
        return ConditionResult(condition, "unknown", None, f"缺少{FIELD_LABELS.get(fld, fld)}数据（{fld}）")

    if op in NUMERIC_OPS and _is_number(want):
        if not _is_number(actual):
            return ConditionResult(condition, "unknown", actual, f"{fld} 不是数值：{actual!r}")
        ok = _compare(float(actual), op, float(want))
        return ConditionResult(condition, "met" if ok else "unmet", actual, None if ok else _numeric_gap(fld, op, float(actual), float(want)))
    if op == "eq":
        ok = _same(actual, want)
        return ConditionResult(condition, "met" if ok else "unmet", actual, None if ok else _eq_gap(fld, actual, want))
    if op in ("has", "not_has"):
        titles = _as_titles(actual)
        # A title meets what it implies (国家级“小巨人” meets 专精特新中小企业): the taxonomy's closure.
        present = str(want) in _implied(titles)
        ok = present if op == "has" else not present
        gap = None if ok else (f"缺少资质：{want}" if op == "has" else f"已有{want}，本项要求不具备该资质")
        return ConditionResult(condition, "met" if ok else "unmet", tuple(sorted(titles)), gap)
    if op == "in":
        options = {str(v) for v in want}
        if fld == "qualifications":
            titles = _as_titles(actual)
            ok = bool(_implied(titles) & options)
            gap = None if ok else f"缺少以下资质之一：{'、'.join(sorted(options))}"
            return ConditionResult(condition, "met" if ok else "unmet", tuple(sorted(titles)), gap)
        ok = str(actual) in options
        gap = None if ok else f"{fld}: {actual} 不在 {'、'.join(sorted(options))} 之中"
        return ConditionResult(condition, "met" if ok else "unmet", actual, gap)
    if op == "within_region":
        ok = str(actual).startswith(str(want))
        return ConditionResult(condition, "met" if ok else "unmet", actual, None if ok else f"注册地 {actual} 不在适用区域 {want} 内")
    if op == "industry_in":
        code = _industry_key(str(actual))
        ok = any(code.startswith(_industry_key(str(c))) for c in want)
        gap = None if ok else f"行业 {actual} 不在适用行业 {'、'.join(str(c) for c in want)} 内"
        return ConditionResult(condition, "met" if ok else "unmet", actual, gap)
    if op in ("established_after", "established_before"):
        try:
            have = _parse_date(actual, what="profile.established")
        except ConditionError:
            return ConditionResult(condition, "unknown", actual, f"成立日期无法识别：{actual!r}")
        limit = _parse_date(want, what="condition value")
        # Both bounds are inclusive: "2020年1月1日以后成立" admits 2020-01-01.
        ok = have >= limit if op == "established_after" else have <= limit
        word = "之后" if op == "established_after" else "之前"
        return ConditionResult(condition, "met" if ok else "unmet", actual, None if ok else f"成立日期 {actual} 不在 {want} {word}")
    return ConditionResult(condition, "unknown", actual, f"无法判断 {fld} {op}")


def group_verdict(kind: str, verdicts: Sequence[str]) -> Verdict:
    """Combine member verdicts: ``any`` met when one is met, unmet when all are; ``all`` the other way round."""
    if kind == "any":
        if "met" in verdicts:
            return "met"
        return "unmet" if all(v == "unmet" for v in verdicts) else "unknown"
    if "unmet" in verdicts:
        return "unmet"
    return "met" if all(v == "met" for v in verdicts) else "unknown"


def evaluate_node(
    node: Condition | Group, profile: Mapping[str, Any], semantic_judge: SemanticJudge | None = None
) -> ConditionResult:
    """Decide a leaf or a group (members first, then the group as one condition)."""
    if isinstance(node, Condition):
        return evaluate_condition(node, profile, semantic_judge)
    members = tuple(evaluate_node(m, profile, semantic_judge) for m in node.members)
    verdict = group_verdict(node.kind, [m.verdict for m in members])
    return ConditionResult(node, verdict, None, _group_gap(node, verdict, members), members)


def _group_gap(group: Group, verdict: Verdict, members: Sequence[ConditionResult]) -> str | None:
    if group.role == "exclude":
        if verdict == "met":
            return f"属于不予支持的情形：{group.describe()}"
        return None if verdict == "unmet" else f"需核实是否属于排除情形：{group.describe()}"
    if verdict == "met":
        return None
    if group.kind == "all":
        return "且".join(m.gap or m.condition.describe() for m in members if m.verdict != "met")
    parts = [m.gap or m.condition.describe() for m in members]
    prefix = "加分项（满足其一）：" if group.role == "bonus" else "满足其一即可："
    return prefix + "；或 ".join(parts)


def evaluate_conditions(
    conditions: Iterable[Condition | Group],
    profile: Mapping[str, Any],
    semantic_judge: SemanticJudge | None = None,
) -> list[ConditionResult]:
    """Decide every leaf and group of an item against one profile."""
    return [evaluate_node(c, profile, semantic_judge) for c in conditions if not isinstance(c, Tier)]


def level_of(results: Sequence[ConditionResult]) -> Level:
    """Derive the level from condition verdicts, as conditions.md §6 defines it (groups once, bonus left out)."""
    counted = [r for r in results if r.role != "bonus"]
    if any(r.is_hit for r in counted):
        return "ineligible"
    failed = sum(r.is_failed for r in counted)
    if failed >= 2:
        return "ineligible"
    if failed == 1:
        return "near_miss"
    if any(r.is_open for r in counted):
        return "need_info"
    return "eligible"


def truth_verdict(level: Level) -> Literal["eligible", "ineligible", "unknown"]:
    """Map a level to the 3-way verdict of ``truth.jsonl`` (need_info → unknown; near_miss and ineligible → ineligible)."""
    return {"eligible": "eligible", "need_info": "unknown"}.get(level, "ineligible")  # type: ignore[return-value]


@dataclass(frozen=True)
class TierVerdict:
    """One tier judged for one profile: its level (with the common conditions) and its own conditions' verdicts."""

    index: int
    tier: Tier
    level: Level
    results: tuple[ConditionResult, ...]
    amount: float | None

    @property
    def gaps(self) -> list[str]:
        """What this tier's own conditions lack."""
        return [r.gap for r in self.results if not r.satisfied and r.gap]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: label, level, support, amount (expected for this profile), formula, gaps."""
        return {
            "index": self.index,
            "label": self.tier.label,
            "level": self.level,
            "support": self.tier.support,
            "amount": self.amount,
            "formula": None if self.tier.formula is None else self.tier.formula.text(),
            "gaps": self.gaps,
        }


@dataclass(frozen=True)
class ItemVerdict:
    """All verdicts of one item for one profile: level, results (common + the tier reached), tiers, bonus."""

    level: Level
    results: tuple[ConditionResult, ...] = field(default_factory=tuple)
    tiers: tuple[TierVerdict, ...] = ()
    tier_index: int | None = None

    @property
    def tier(self) -> TierVerdict | None:
        """The tier the item is judged on (the best one reached, else the lowest), or None without tiers."""
        return None if self.tier_index is None else self.tiers[self.tier_index]

    @property
    def next_tier(self) -> TierVerdict | None:
        """The next better tier than the one reached, with what it lacks (None at the top or without tiers)."""
        if self.tier_index is None or self.tier_index == 0:
            return None
        return self.tiers[self.tier_index - 1]

    @property
    def counted(self) -> tuple[ConditionResult, ...]:
        """The results that count for the level (every one but bonus)."""
        return tuple(r for r in self.results if r.role != "bonus")

    @property
    def bonus(self) -> tuple[ConditionResult, ...]:
        """The bonus results (shown and used for ranking, never required)."""
        return tuple(r for r in self.results if r.role == "bonus")

    @property
    def n_satisfied(self) -> int:
        """Counted conditions satisfied (requirements met, exclusions not hit); a group counts once."""
        return sum(r.satisfied for r in self.counted)

    @property
    def n_bonus_met(self) -> int:
        """Bonus conditions met."""
        return sum(r.verdict == "met" for r in self.bonus)

    @property
    def amount(self) -> float | None:
        """The expected amount (万元) for this profile on the tier reached (None without tiers or amounts)."""
        return None if self.tier is None else self.tier.amount

    @property
    def failed_fields(self) -> list[str]:
        """Fields of failed conditions (truth.jsonl's ``failed``): requirements unmet, exclusions hit."""
        return sorted({f for r in self.counted if r.is_failed for f in r.fields()})

    @property
    def unknown_fields(self) -> list[str]:
        """Fields of unknown conditions that count (truth.jsonl's ``unknown``)."""
        return sorted({f for r in self.counted if r.is_open for f in r.fields()})

    @property
    def gaps(self) -> list[str]:
        """Human-readable gaps of every counted condition not satisfied, then the way to the next better tier."""
        out = [r.gap for r in self.counted if not r.satisfied and r.gap]
        better = self.next_tier
        if better is not None and better.gaps:
            out.append(f"更高一档「{better.tier.label}」{_support_note(better.tier)}还需：" + "；".join(better.gaps))
        return out


def _support_note(tier: Tier) -> str:
    if tier.support:
        return f"（{tier.support}）"
    return f"（{_fmt(tier.amount)} 万元）" if tier.amount is not None else ""


def choose_tier(ranks: Sequence[int]) -> int:
    """Pick the tier an item is judged on from each tier's level rank (tiers best first).

    The best level wins. Among tiers at that level: when it can be reached (eligible,
    need_info) the first, best one; when it cannot (near_miss, ineligible) the last,
    lowest one — the nearest door, whose gaps say what it lacks.
    """
    best = min(ranks)
    tied = [n for n, rank in enumerate(ranks) if rank == best]
    return tied[-1] if best >= LEVELS.index("near_miss") else tied[0]


def judge_item(
    conditions: Iterable[Entry],
    profile: Mapping[str, Any],
    semantic_judge: SemanticJudge | None = None,
) -> ItemVerdict:
    """Evaluate an item's entries (v1 list, or v2 with groups, roles and tiers) and derive its level.

    With tiers, each is judged together with the common conditions and :func:`choose_tier`
    picks the one the item is judged on (docs/conditions.md §3).
    """
    common, tiers = split_tiers(conditions)
    results = tuple(evaluate_conditions(common, profile, semantic_judge))
    if not tiers:
        return ItemVerdict(level_of(results), results)
    judged: list[TierVerdict] = []
    for index, tier in enumerate(tiers):
        own = tuple(evaluate_conditions(tier.conditions, profile, semantic_judge))
        judged.append(TierVerdict(index, tier, level_of(results + own), own, tier.expected_amount(profile)))
    chosen = choose_tier([LEVELS.index(t.level) for t in judged])
    return ItemVerdict(judged[chosen].level, results + judged[chosen].results, tuple(judged), chosen)

# --- helpers ---------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(float(value))


def _actual_value(fld: str, profile: Mapping[str, Any]) -> Any:
    value = profile.get(fld)
    if fld == "rd_ratio" and value is None:
        # Derived when absent (enterprise_profile.md): 研发费用 / 营业收入 × 100.
        rd: Any = profile.get("rd_expense")
        revenue: Any = profile.get("revenue")
        if _is_number(rd) and _is_number(revenue) and float(revenue) > 0:
            value = float(rd) / float(revenue) * 100.0
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _compare(actual: float, op: str, want: float) -> bool:
    if op == "gte":
        return actual >= want - _EPS
    if op == "gt":
        return actual > want + _EPS
    if op == "lte":
        return actual <= want + _EPS
    if op == "lt":
        return actual < want - _EPS
    return abs(actual - want) <= _EPS


def _same(actual: Any, want: Any) -> bool:
    if isinstance(want, bool) or isinstance(actual, bool):
        return bool(actual) == bool(want) if isinstance(actual, bool) and isinstance(want, bool) else False
    return str(actual).strip() == str(want).strip()


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _numeric_gap(fld: str, op: str, actual: float, want: float) -> str:
    unit = NUMERIC_FIELDS.get(fld, "")
    if op in ("gte", "gt"):
        sign = "<" if op == "gte" else "≤"
        return f"{fld}: {_fmt(actual)} {sign} {_fmt(want)}（还差 {_fmt(want - actual)} {unit}）"
    if op in ("lte", "lt"):
        sign = ">" if op == "lte" else "≥"
        return f"{fld}: {_fmt(actual)} {sign} {_fmt(want)}（超出 {_fmt(actual - want)} {unit}）"
    return f"{fld}: {_fmt(actual)} ≠ {_fmt(want)}"


def _eq_gap(fld: str, actual: Any, want: Any) -> str:
    if fld == "credit_status":
        return "列入失信名单，本项排除失信主体"
    if fld == "major_violation":
        return "有重大违法记录，本项排除此类企业"
    return f"{fld}: {actual} ≠ {want}"


def _implied(titles: set[str]) -> frozenset[str]:
    from corpus import reference  # late: reference tables load lazily, conditions stay importable alone

    return reference.implied_titles(titles)


def _as_titles(actual: Any) -> set[str]:
    if isinstance(actual, str):
        return {actual}
    if isinstance(actual, Iterable):
        return {str(t) for t in actual}
    return set()


# GB/T 4754-2017: the 门类 letter of each range of 大类 (two-digit) codes.
_SECTION_RANGES: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 5), ("B", 6, 12), ("C", 13, 43), ("D", 44, 46), ("E", 47, 50), ("F", 51, 52),
    ("G", 53, 60), ("H", 61, 62), ("I", 63, 65), ("J", 66, 69), ("K", 70, 70), ("L", 71, 72),
    ("M", 73, 75), ("N", 76, 79), ("O", 80, 82), ("P", 83, 83), ("Q", 84, 85), ("R", 86, 90),
    ("S", 91, 97), ("T", 98, 98),
)


def industry_section(division: str) -> str | None:
    """Return the 门类 letter of a GB/T 4754 大类 code ("36" → "C"), or None."""
    if len(division) < 2 or not division[:2].isdigit():
        return None
    number = int(division[:2])
    return next((letter for letter, low, high in _SECTION_RANGES if low <= number <= high), None)


def _industry_key(code: str) -> str:
    """Normalise a GB/T 4754 code to letter + digits ("3670" → "C3670"; "C" stays "C")."""
    code = code.strip().upper()
    if code.isdigit():
        return (industry_section(code) or "") + code
    return code


def _parse_date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ConditionError(f"{what} must be a date YYYY-MM-DD, got {value!r}") from exc
