"""Enterprise profiles: exactly the fields of ``enterprise_profile.md``, and :func:`validate_profile`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from corpus import reference, validation
from corpus.schemas.base import (
    _CREDIT_ALIASES,
    COUNT_FIELDS,
    FLOAT_FIELDS,
    MONEY_FIELDS,
    MU_JUN_CLASSES,
    PERCENT_FIELDS,
    TAX_CREDIT_GRADES,
    TEXT_FIELDS,
    FieldProblem,
    ProfileError,
    _boolean,
    _date,
    _number,
    _optional_text,
    _qualifications,
    _raw_count,
    _str_or_none,
    _strict_problems,
    uscc_problem,
)


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
