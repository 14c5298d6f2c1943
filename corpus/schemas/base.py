"""The vocabulary of records, their problems and errors, and the field readers every door shares."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import mul
from typing import Any

from corpus import reference, validation

# The plan's vocabulary of fulfilment modes (docs/conditions.md §5); 一般申报 is the v1 name of 申报审批.
FULFILMENTS: tuple[str, ...] = (
    "免申即享",
    "即申即享",
    "快申优享",
    "即申快享",
    "申报审批",
    "第三方评审",
    "一般申报",
)
# Modes the v1 ``policies.fulfilment`` column accepts (its CHECK); the others live in the ``facts`` JSON.
LEGACY_FULFILMENTS: tuple[str, ...] = ("免申即享", "即申即享", "一般申报", "第三方评审")
DOC_TYPES: tuple[str, ...] = ("policy", "notice", "qa", "result", "procurement", "news", "other")
# Document facts kept in the stores' ``facts`` column (the v1 columns hold the rest).
FACT_KEYS: tuple[str, ...] = (
    "is_policy",
    "doc_type",
    "valid_from",
    "window_open",
    "window_close",
    "fulfilment",
)
MU_JUN_CLASSES = ("A", "B", "C", "D")

# 万元 amounts that cannot be negative; revenue_growth (%) may be.
MONEY_FIELDS = (
    "revenue",
    "total_assets",
    "rd_expense",
    "tax_paid",
    "output_value",
    "export_value",
    "investment",
)
FLOAT_FIELDS = (*MONEY_FIELDS, "revenue_growth", "rd_ratio")
# Fields the condition language v2 added (docs/conditions.md §4): counts of 件 / persons, and shares in %.
COUNT_FIELDS = ("invention_patents", "ip_count", "insured_employees")
PERCENT_FIELDS = ("rd_staff_ratio", "hightech_income_ratio")
#: Every profile field v2 added, as docs/conditions.md §4 lists them.
V2_PROFILE_FIELDS = (
    "invention_patents",
    "ip_count",
    "rd_staff_ratio",
    "hightech_income_ratio",
    "tax_credit_grade",
    "insured_employees",
)
TAX_CREDIT_GRADES = ("A", "B", "M", "C", "D")
TEXT_FIELDS = ("business_scope", "products", "description")

_CREDIT_ALIASES = {
    "normal": "normal",
    "正常": "normal",
    "守信": "normal",
    "良好": "normal",
    "dishonest": "dishonest",
    "失信": "dishonest",
    "失信被执行人": "dishonest",
    "列入失信名单": "dishonest",
}
_TRUE = {"true", "1", "yes", "y", "是", "有"}
_FALSE = {"false", "0", "no", "n", "否", "无"}

# GB 32100-2015 统一社会信用代码: 31 characters (no I, O, Z, S, V) and the weights of the 17 positions.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SET = frozenset(_USCC_CHARS)
_USCC_VALUES = {c: n for n, c in enumerate(_USCC_CHARS)}


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field of a record."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class RecordError(ValueError):
    """A record with one or more field-level problems; ``problems`` lists them all."""

    kind = "record"

    def __init__(self, problems: Iterable[FieldProblem], record_id: str | None = None) -> None:
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        self.record_id = record_id
        where = f" {record_id!r}" if record_id else ""
        super().__init__(f"invalid {self.kind}{where}: " + "; ".join(str(p) for p in self.problems))

    @property
    def fields(self) -> list[str]:
        """The fields that have a problem, in order."""
        return [p.field for p in self.problems]


class ProfileError(RecordError):
    """An enterprise profile that does not follow enterprise_profile.md."""

    kind = "enterprise profile"


class PolicyError(RecordError):
    """A policy document that does not follow the POST /v1/policies shape."""

    kind = "policy document"


@lru_cache(maxsize=1 << 14)  # pure; a target page's risk notes ask it of every row's code twice
def uscc_problem(code: str) -> str | None:
    """Describe what is wrong with a 统一社会信用代码 (length, characters, GB 32100-2015 check digit), or None."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    bad = sorted(set(code) - _USCC_SET)
    if bad:
        return f"contains characters not allowed in a 统一社会信用代码: {''.join(bad)}"
    expected = uscc_check_digit(code[:17])
    if code[17] != expected:
        return f"check digit is {code[17]!r}, expected {expected!r}"
    return None


def uscc_check_digit(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a 统一社会信用代码."""
    if len(first17) != len(_USCC_WEIGHTS):
        raise ValueError(f"a 统一社会信用代码 has 17 characters before its check digit, got {len(first17)}")
    try:
        # A dict lookup per character: a page's risk notes check every row's code (twice).
        total = sum(map(mul, map(_USCC_VALUES.__getitem__, first17.upper()), _USCC_WEIGHTS))
    except KeyError as error:
        raise ValueError(f"{error.args[0]!r} is not a character of a 统一社会信用代码") from None
    return _USCC_CHARS[(31 - total % 31) % 31]


# --- helpers -----------------------------------------------------------------------------------


def _strict_problems(data: Mapping[str, Any], record_id: str | None) -> list[FieldProblem]:
    """Return the problems every door checks alike (corpus.validation): the id's characters, NUL in any text."""
    problems = []
    if record_id is not None:
        reason = validation.id_problem(record_id)
        if reason:
            problems.append(FieldProblem("id", reason))
    for name, value in data.items():
        reason = validation.nested_text_problem(value)
        if reason and isinstance(name, str) and name != "id":
            problems.append(FieldProblem(name, reason))
    return problems


def _raw_count(raw: Any, parsed: float | None) -> int | float | None:
    # The exact integer when one was given (a float has lost digits beyond 2^53).
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    return parsed


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def _optional_text(value: Any, name: str, problems: list[FieldProblem]) -> str | None:
    if value is None or isinstance(value, str):
        return _str_or_none(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _str_or_none(value if not isinstance(value, float) or not value.is_integer() else int(value))
    problems.append(FieldProblem(name, f"must be a string, got {type(value).__name__}"))
    return None


def _number(value: Any, name: str, problems: list[FieldProblem]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        problems.append(FieldProblem(name, f"must be a number, got {value!r}"))
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an int beyond float range (JSON allows any length)
            problems.append(
                FieldProblem(
                    name, f"must be a finite number, got an integer of {int(value).bit_length()} bits"
                )
            )
            return None
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            problems.append(FieldProblem(name, f"must be a number, got {value!r}"))
            return None
    else:
        problems.append(FieldProblem(name, f"must be a number, got {type(value).__name__}"))
        return None
    if not math.isfinite(number):  # NaN included: "not a number" is no unknown, it is a broken value
        problems.append(FieldProblem(name, f"must be a finite number, got {value!r}"))
        return None
    return number


def _boolean(value: Any, name: str, problems: list[FieldProblem]) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(FieldProblem(name, f"must be true or false, got {value!r}"))
    return None


def _date(
    value: Any,
    name: str,
    problems: list[FieldProblem],
    *,
    today: dt.date | None = None,
    allow_future: bool = False,
) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        parsed = value
    else:
        text = str(value).strip()
        if not text:
            return None
        match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
        try:
            if not match:
                raise ValueError(text)
            parsed = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            problems.append(FieldProblem(name, f"must be a date YYYY-MM-DD, got {value!r}"))
            return None
    if not allow_future and parsed > (today or dt.date.today()):
        problems.append(FieldProblem(name, f"{parsed.isoformat()} is in the future"))
        return None
    return parsed.isoformat()


def _qualifications(value: Any, problems: list[FieldProblem]) -> tuple[str, ...] | None:
    # Absent, null or an empty cell is unknown (never "holds none"); only an explicit [] says "none".
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        items: list[Any] = [t for t in re.split(r"[、,，;；|/\n]+", value) if t.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        problems.append(
            FieldProblem("qualifications", f"must be a list of titles, got {type(value).__name__}")
        )
        return None
    titles: list[str] = []
    for position, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            problems.append(
                FieldProblem("qualifications", f"item {position} must be a non-empty string, got {item!r}")
            )
            continue
        # Unknown titles stay as written: new honours appear every year and must not reject a profile.
        title = reference.canonical_qualification(item) or item.strip()
        if title not in titles:
            titles.append(title)
    return tuple(titles)
