"""Eligibility conditions: the shared language of ``shared/spec/conditions.md``.

A :class:`Condition` is what a policy item requires of an enterprise; it is
data, and so are its semantics: :func:`evaluate_condition` decides one
condition against one profile (``met`` / ``unmet`` / ``unknown``) and
:func:`level_of` turns the verdicts of an item into its level. Both are pure
functions over plain values, shared by the demo generator (which writes the
ground truth) and the matcher (which predicts it), so the two can never drift.

Missing data is never a match and never a failure: it is ``unknown``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Verdict = Literal["met", "unmet", "unknown"]
Level = Literal["eligible", "need_info", "near_miss", "ineligible"]
Source = Literal["extracted", "edited"]

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
    "undecidable": "其他要求",
}

_EPS = 1e-9


class ConditionError(ValueError):
    """A condition that does not speak the language of conditions.md."""


@dataclass(frozen=True)
class Condition:
    """One requirement of a policy item on an enterprise profile."""

    field: str
    op: str
    value: Any
    span: str = ""
    source: Source = "extracted"

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
        if isinstance(self.value, list):
            object.__setattr__(self, "value", tuple(self.value))

    @property
    def is_exclusion(self) -> bool:
        """True for 失信 / 重大违法 exclusions."""
        return self.field in EXCLUSION_FIELDS

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
        """JSON-ready dict in the shape of conditions.md (plus ``source``)."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"field": self.field, "op": self.op, "value": value, "span": self.span, "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Condition:
        """Build from a conditions.md JSON object; raises :class:`ConditionError` when malformed."""
        missing = [k for k in ("field", "op") if k not in data]
        if missing or ("value" not in data and data.get("op") != "semantic"):
            raise ConditionError(f"condition needs field, op and value; got keys {sorted(data)}")
        return cls(
            field=str(data["field"]),
            op=str(data["op"]),
            value=data.get("value"),
            span=str(data.get("span") or ""),
            source=data.get("source") or "extracted",
        )


@dataclass(frozen=True)
class ConditionResult:
    """The verdict of one condition for one profile, with the evidence."""

    condition: Condition
    verdict: Verdict
    actual: Any = None
    gap: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the condition plus ``verdict`` and ``actual`` (api.md's result.conditions)."""
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
    """Decide one condition against one profile (a Mapping in the shape of enterprise_profile.md)."""
    op, fld, want = condition.op, condition.field, condition.value
    if fld == "undecidable":
        return ConditionResult(
            condition, "unknown", None, f"{FIELD_LABELS['undecidable']}需人工核实：{condition.span or want}"
        )
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
        return ConditionResult(
            condition,
            "met" if ok else "unmet",
            actual,
            None if ok else _numeric_gap(fld, op, float(actual), float(want)),
        )
    if op == "eq":
        ok = _same(actual, want)
        return ConditionResult(
            condition, "met" if ok else "unmet", actual, None if ok else _eq_gap(fld, actual, want)
        )
    if op in ("has", "not_has"):
        titles = _as_titles(actual)
        present = str(want) in titles
        ok = present if op == "has" else not present
        gap = None if ok else (f"缺少资质：{want}" if op == "has" else f"已有{want}，本项要求不具备该资质")
        return ConditionResult(condition, "met" if ok else "unmet", tuple(sorted(titles)), gap)
    if op == "in":
        options = {str(v) for v in want}
        if fld == "qualifications":
            titles = _as_titles(actual)
            ok = bool(titles & options)
            gap = None if ok else f"缺少以下资质之一：{'、'.join(sorted(options))}"
            return ConditionResult(condition, "met" if ok else "unmet", tuple(sorted(titles)), gap)
        ok = str(actual) in options
        gap = None if ok else f"{fld}: {actual} 不在 {'、'.join(sorted(options))} 之中"
        return ConditionResult(condition, "met" if ok else "unmet", actual, gap)
    if op == "within_region":
        ok = str(actual).startswith(str(want))
        return ConditionResult(
            condition,
            "met" if ok else "unmet",
            actual,
            None if ok else f"注册地 {actual} 不在适用区域 {want} 内",
        )
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
        return ConditionResult(
            condition,
            "met" if ok else "unmet",
            actual,
            None if ok else f"成立日期 {actual} 不在 {want} {word}",
        )
    return ConditionResult(condition, "unknown", actual, f"无法判断 {fld} {op}")


def evaluate_conditions(
    conditions: Iterable[Condition],
    profile: Mapping[str, Any],
    semantic_judge: SemanticJudge | None = None,
) -> list[ConditionResult]:
    """Decide every condition of an item against one profile."""
    return [evaluate_condition(c, profile, semantic_judge) for c in conditions]


def level_of(results: Sequence[ConditionResult]) -> Level:
    """Derive the item's level from its condition verdicts, exactly as conditions.md defines it."""
    unmet = [r for r in results if r.verdict == "unmet"]
    if any(r.condition.is_exclusion for r in unmet) or len(unmet) >= 2:
        return "ineligible"
    if len(unmet) == 1:
        return "near_miss"
    if any(r.verdict == "unknown" for r in results):
        return "need_info"
    return "eligible"


def truth_verdict(level: Level) -> Literal["eligible", "ineligible", "unknown"]:
    """Map a level to the 3-way verdict of ``truth.jsonl`` (need_info → unknown; near_miss and ineligible → ineligible)."""
    return {"eligible": "eligible", "need_info": "unknown"}.get(level, "ineligible")  # type: ignore[return-value]


@dataclass(frozen=True)
class ItemVerdict:
    """All verdicts of one item for one profile."""

    level: Level
    results: tuple[ConditionResult, ...] = field(default_factory=tuple)

    @property
    def failed_fields(self) -> list[str]:
        """Fields of unmet conditions (truth.jsonl's ``failed``)."""
        return sorted({r.condition.field for r in self.results if r.verdict == "unmet"})

    @property
    def unknown_fields(self) -> list[str]:
        """Fields of unknown conditions (truth.jsonl's ``unknown``)."""
        return sorted({r.condition.field for r in self.results if r.verdict == "unknown"})

    @property
    def gaps(self) -> list[str]:
        """Human-readable gaps of every condition not met."""
        return [r.gap for r in self.results if r.verdict != "met" and r.gap]


def judge_item(
    conditions: Iterable[Condition],
    profile: Mapping[str, Any],
    semantic_judge: SemanticJudge | None = None,
) -> ItemVerdict:
    """Evaluate an item's conditions and derive its level."""
    results = tuple(evaluate_conditions(conditions, profile, semantic_judge))
    return ItemVerdict(level_of(results), results)


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


def _as_titles(actual: Any) -> set[str]:
    if isinstance(actual, str):
        return {actual}
    if isinstance(actual, Iterable):
        return {str(t) for t in actual}
    return set()


# GB/T 4754-2017: the 门类 letter of each range of 大类 (two-digit) codes.
_SECTION_RANGES: tuple[tuple[str, int, int], ...] = (
    ("A", 1, 5),
    ("B", 6, 12),
    ("C", 13, 43),
    ("D", 44, 46),
    ("E", 47, 50),
    ("F", 51, 52),
    ("G", 53, 60),
    ("H", 61, 62),
    ("I", 63, 65),
    ("J", 66, 69),
    ("K", 70, 70),
    ("L", 71, 72),
    ("M", 73, 75),
    ("N", 76, 79),
    ("O", 80, 82),
    ("P", 83, 83),
    ("Q", 84, 85),
    ("R", 86, 90),
    ("S", 91, 97),
    ("T", 98, 98),
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
