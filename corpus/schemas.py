"""The records of the corpus: policy documents, their items, enterprise profiles.

:class:`EnterpriseProfile` has exactly the fields of
``shared/spec/enterprise_profile.md`` (plus the derived ``size_class``);
:func:`validate_profile` is the one way in: it checks types, units and code
formats, canonicalises 资质 aliases and industry codes, derives ``rd_ratio``
and ``size_class``, and reports every problem at once in a :class:`ProfileError`.

:class:`PolicyDocument` is the shape of ``POST /v1/policies``;
:func:`validate_policy` checks it the same way. A :class:`PolicyItem` is one
thing a person applies for (see :mod:`corpus.splitting`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
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


# --- policies ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyDocument:
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

    def facts(self) -> dict[str, Any]:
        """Return the document facts the stores keep in their ``facts`` column."""
        return {key: getattr(self, key) for key in FACT_KEYS}


@dataclass(frozen=True)
class PolicyItem:
    """One item (事项) of a policy: what a person applies for, with its heading path and the document's metadata."""

    id: str
    policy_id: str
    seq: int
    heading_path: tuple[str, ...]
    title: str
    text: str
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

    def facts(self) -> dict[str, Any]:
        """Return the document facts the stores keep in their ``facts`` column."""
        return {key: getattr(self, key) for key in FACT_KEYS}

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


# --- enterprises -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseProfile:
    """An enterprise profile, exactly the fields of enterprise_profile.md (None = unknown) plus ``size_class``."""

    id: str
    name: str
    uscc: str | None = None
    region_code: str | None = None
    industry_code: str | None = None
    established: str | None = None
    employees: int | None = None
    revenue: float | None = None
    revenue_growth: float | None = None
    total_assets: float | None = None
    rd_expense: float | None = None
    rd_ratio: float | None = None
    tax_paid: float | None = None
    output_value: float | None = None
    export_value: float | None = None
    investment: float | None = None
    qualifications: tuple[str, ...] | None = None  # None = unknown; () = known to hold none
    mu_jun_class: str | None = None
    credit_status: str | None = None
    major_violation: bool | None = None
    business_scope: str | None = None
    products: str | None = None
    description: str | None = None
    size_class: str | None = None
    # Added for what real clauses ask (docs/conditions.md §4); each optional, missing = unknown.
    invention_patents: int | None = None
    ip_count: int | None = None
    rd_staff_ratio: float | None = None
    hightech_income_ratio: float | None = None
    tax_credit_grade: str | None = None
    insured_employees: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the shape of enterprise_profile.md (unknown fields are null)."""
        # Field by field rather than dataclasses.asdict: this runs once per profile on every store write.
        out = {name: getattr(self, name) for name in _PROFILE_FIELDS}
        out["qualifications"] = None if self.qualifications is None else list(self.qualifications)
        return out

    def get(self, key: str, default: Any = None) -> Any:
        """Mapping-style access, so a profile can be judged directly by ``corpus.conditions``."""
        value = getattr(self, key, default)
        return default if value is None else value


PROFILE_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(EnterpriseProfile))
_PROFILE_FIELDS = PROFILE_FIELD_NAMES


def validate_profile(data: Mapping[str, Any], *, today: dt.date | None = None) -> EnterpriseProfile:
    """Check a profile against enterprise_profile.md and build it; raises :class:`ProfileError` listing every problem.

    Absent, null and empty values mean unknown. Numbers may come as strings (CSV).
    Fills ``rd_ratio`` from ``rd_expense / revenue`` when absent, and ``size_class``
    from the 2017 划分办法; canonicalises 资质 aliases and industry codes (``3670`` → ``C3670``).
    Keys that are not profile fields are ignored.
    """
    if not isinstance(data, Mapping):
        raise ProfileError([FieldProblem("(record)", f"must be a JSON object, got {type(data).__name__}")])
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}

    for name in ("id", "name"):
        value = _str_or_none(data.get(name))
        if value is None:
            problems.append(FieldProblem(name, "is required and must be a non-empty string"))
        values[name] = value

    uscc = _optional_text(data.get("uscc"), "uscc", problems)
    if uscc is not None:
        uscc = uscc.upper()
        reason = uscc_problem(uscc)
        if reason:
            problems.append(FieldProblem("uscc", reason))
    values["uscc"] = uscc

    region_code = _optional_text(data.get("region_code"), "region_code", problems)
    if region_code is not None and not reference.is_known_region(region_code):
        if not region_code.isdigit() or len(region_code) not in (6, 9, 12):
            problems.append(
                FieldProblem(
                    "region_code", f"{region_code!r} must be a 6-digit county or 9/12-digit street code"
                )
            )
        else:
            problems.append(FieldProblem("region_code", f"{region_code!r} is not a known 统计用区划代码"))
    values["region_code"] = region_code

    industry_code = _optional_text(data.get("industry_code"), "industry_code", problems)
    if industry_code is not None:
        canonical = reference.canonical_industry_code(industry_code)
        if canonical is None:
            problems.append(
                FieldProblem(
                    "industry_code", f"{industry_code!r} is not a GB/T 4754-2017 code (e.g. C3670 or 3670)"
                )
            )
        else:
            industry_code = canonical
    values["industry_code"] = industry_code

    values["established"] = _date(data.get("established"), "established", problems, today=today)

    employees = _number(data.get("employees"), "employees", problems)
    employees_range = employees is not None and validation.range_problem(
        "employees", _raw_count(data.get("employees"), employees)
    )
    if employees_range:  # before rounding: 2^63-1 persons must not be stored as 9.2e18
        problems.append(FieldProblem("employees", employees_range))
        employees = None
    if employees is not None:
        if employees < 0:
            problems.append(FieldProblem("employees", f"must not be negative, got {employees:g}"))
        elif not float(employees).is_integer():
            problems.append(
                FieldProblem("employees", f"must be a whole number of persons, got {employees:g}")
            )
        else:
            employees = int(employees)
    values["employees"] = employees

    for name in FLOAT_FIELDS:
        number = _number(data.get(name), name, problems)
        if number is not None and name in MONEY_FIELDS and number < 0:
            problems.append(FieldProblem(name, f"must not be negative (万元), got {number:g}"))
        if number is not None and name == "rd_ratio" and number < 0:
            problems.append(FieldProblem(name, f"must not be negative (%), got {number:g}"))
        negative = number is not None and number < 0 and name in (*MONEY_FIELDS, "rd_ratio")
        if number is not None and not negative and (reason := validation.range_problem(name, number)):
            problems.append(FieldProblem(name, reason))
        values[name] = number

    values["qualifications"] = _qualifications(data.get("qualifications"), problems)

    mu_jun = _optional_text(data.get("mu_jun_class"), "mu_jun_class", problems)
    if mu_jun is not None:
        mu_jun = mu_jun.upper().removesuffix("类")
        if mu_jun not in MU_JUN_CLASSES:
            problems.append(FieldProblem("mu_jun_class", f"{mu_jun!r} is not one of A, B, C, D"))
    values["mu_jun_class"] = mu_jun

    credit = _optional_text(data.get("credit_status"), "credit_status", problems)
    if credit is not None:
        canonical_credit = _CREDIT_ALIASES.get(credit.lower())
        if canonical_credit is None:
            problems.append(FieldProblem("credit_status", f"{credit!r} is not 'normal' or 'dishonest'"))
        credit = canonical_credit or credit
    values["credit_status"] = credit

    values["major_violation"] = _boolean(data.get("major_violation"), "major_violation", problems)
    for name in COUNT_FIELDS:
        count = _number(data.get(name), name, problems)
        if count is not None:
            if count < 0 or not float(count).is_integer():
                problems.append(FieldProblem(name, f"must be a whole, non-negative number, got {count:g}"))
                count = None
            else:
                count = int(count)
        values[name] = count
    for name in PERCENT_FIELDS:
        share = _number(data.get(name), name, problems)
        if share is not None and not 0 <= share <= 100:
            problems.append(FieldProblem(name, f"must be a percentage between 0 and 100, got {share:g}"))
        values[name] = share
    grade = _optional_text(data.get("tax_credit_grade"), "tax_credit_grade", problems)
    if grade is not None:
        grade = grade.upper().removesuffix("级")
        if grade not in TAX_CREDIT_GRADES:
            problems.append(
                FieldProblem("tax_credit_grade", f"{grade!r} is not one of {', '.join(TAX_CREDIT_GRADES)}")
            )
    values["tax_credit_grade"] = grade
    for name in TEXT_FIELDS:
        values[name] = _optional_text(data.get(name), name, problems)

    problems.extend(_strict_problems(data, values.get("id")))
    if problems:
        raise ProfileError(problems, values.get("id"))

    if values["rd_ratio"] is None and values["rd_expense"] is not None and values["revenue"]:
        ratio = values["rd_expense"] / values["revenue"] * 100.0
        # Derived before any write: 1e10 / 1e-300 overflows to inf, which no JSON answer can carry.
        reason = validation.range_problem("rd_ratio", ratio)
        if reason:
            raise ProfileError(
                [
                    FieldProblem(
                        "rd_ratio",
                        f"rd_expense / revenue gives an R&D ratio out of range ({reason})",
                    )
                ],
                values.get("id"),
            )
        values["rd_ratio"] = round(ratio, 4)
    values["size_class"] = reference.size_class(
        values["industry_code"], values["employees"], values["revenue"], values["total_assets"]
    )
    return EnterpriseProfile(**values)


def uscc_problem(code: str) -> str | None:
    """Describe what is wrong with a 统一社会信用代码 (length, characters, GB 32100-2015 check digit), or None."""
    if len(code) != 18:
        return f"must be 18 characters, got {len(code)}"
    bad = sorted({c for c in code if c not in _USCC_CHARS})
    if bad:
        return f"contains characters not allowed in a 统一社会信用代码: {''.join(bad)}"
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    expected = _USCC_CHARS[(31 - total % 31) % 31]
    if code[17] != expected:
        return f"check digit is {code[17]!r}, expected {expected!r}"
    return None


def uscc_check_digit(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a 统一社会信用代码."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17.upper(), _USCC_WEIGHTS, strict=True))
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
