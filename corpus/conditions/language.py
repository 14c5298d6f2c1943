"""The vocabulary of conditions (verdicts, levels, roles, fields, operators) and how profile values are read."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
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
    "gte": "≥",
    "gt": ">",
    "lte": "≤",
    "lt": "<",
    "eq": "=",
    "has": "具有",
    "not_has": "不具有",
    "in": "属于",
    "within_region": "位于",
    "industry_in": "属于行业",
    "established_after": "成立于之后",
    "established_before": "成立于之前",
    "semantic": "从事",
}

_EPS = 1e-9


class ConditionError(ValueError):
    """A condition that does not speak the language of conditions.md."""


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
