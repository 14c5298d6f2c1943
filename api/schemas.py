"""Pydantic models at the HTTP edge, named by role (``...Create``, ``...Public``).

They check shapes, types and length caps (:mod:`api.limits`) and document the
API at ``/docs``; the domain checks (region and industry codes, 资质 aliases,
dates, units) stay in :func:`corpus.schemas.validate_profile` /
:func:`corpus.schemas.validate_policy`, which the routes call next, so the HTTP
API and the CLI accept exactly the same records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api import limits
from corpus import validation

Level = Literal["eligible", "need_info", "near_miss", "ineligible"]
FeedbackKind = Literal["useful", "not_useful", "applied", "received"]
DEFAULT_LEVELS: tuple[Level, ...] = ("eligible", "need_info", "near_miss")
# Ids: corpus.validation.ID_RULE (no ".", "..", paths, whitespace, #, ?, % or control characters).
ID_PATTERN = validation.ID_PATTERN

IdStr = Field(min_length=1, max_length=limits.MAX_ID_CHARS, pattern=ID_PATTERN)


class _In(BaseModel):
    """Requests: unknown fields are an error (a typo must not silently mean 'unknown')."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # NUL is refused in every field, nested values and keys included (corpus.validation).
        problem = validation.nested_text_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class _Out(BaseModel):
    """Responses: extra keys from the service layer pass through."""

    model_config = ConfigDict(extra="allow")


# --- policies ----------------------------------------------------------------------------------


class PolicyCreate(_In):
    """``POST /v1/policies``: one policy document."""

    id: str = IdStr
    title: str = Field(min_length=1, max_length=limits.MAX_TITLE_CHARS)
    text: str = Field(min_length=1, max_length=limits.MAX_POLICY_TEXT_CHARS)
    region_code: str | None = Field(
        default=None, max_length=12, description="统计用区划代码 of the issuing region"
    )
    department: str | None = Field(default=None, max_length=limits.MAX_TITLE_CHARS)
    issued: dt.date | None = None
    valid_until: dt.date | None = None
    url: str | None = Field(default=None, max_length=2_000)
    fulfilment: (
        Literal["免申即享", "即申即享", "快申优享", "即申快享", "申报审批", "第三方评审", "一般申报"] | None
    ) = None
    # Document facts (docs/conditions.md §5); given here they win over what is read from the text.
    is_policy: bool | None = Field(
        default=None,
        description="false for 公示 / 名单 / 采购公告: stored, never matched (unstated: a policy)",
    )
    doc_type: Literal["policy", "notice", "qa", "result", "procurement", "news", "other"] | None = None
    valid_from: dt.date | None = None
    window: list[dt.date] | None = Field(
        default=None, min_length=2, max_length=2, description="[open, close] of 申报时间"
    )


class ConditionIn(_In):
    """One condition as a person writes it (``shared/spec/conditions.md``)."""

    field: str = Field(min_length=1, max_length=64)
    op: str = Field(min_length=1, max_length=32)
    value: Any = None
    span: str = Field(default="", max_length=limits.MAX_SPAN_CHARS)
    role: Literal["require", "bonus", "exclude"] = "require"


class ConditionsUpdate(_In):
    """``PUT /v1/policies/{id}/items/{item_id}/conditions``: the corrected list (replaces the item's conditions).

    Entries speak docs/conditions.md (v2): leaves (``ConditionIn`` plus ``role``),
    ``{"any": [...], "span", "role"}`` groups; ``tiers`` beside them.
    """

    conditions: list[dict[str, Any]] = Field(max_length=limits.MAX_CONDITIONS_PER_ITEM)
    tiers: list[dict[str, Any]] | None = Field(default=None, max_length=limits.MAX_CONDITIONS_PER_ITEM)
    note: str | None = Field(
        default=None, max_length=limits.MAX_COMMENT_CHARS, description="why, for the audit trail"
    )


class ConditionPublic(_Out):
    """A stored condition (a leaf, with its ``role`` when not ``require``) with its ``source``."""

    field: str
    op: str
    value: Any = None
    span: str = ""
    source: str = "extracted"


class GroupPublic(_Out):
    """An ``any`` group of conditions (docs/conditions.md §2): one condition for the level."""

    any: list[dict[str, Any]]
    span: str = ""
    source: str = "extracted"


class ItemPublic(_Out):
    """One item (事项) of a policy with its tags and conditions."""

    id: str
    policy_id: str
    seq: int
    heading_path: list[str] = []
    title: str
    text: str
    fulfilment: str | None = None
    support: str | None = None
    tags: dict[str, Any] = {}
    conditions: list[ConditionPublic | GroupPublic] = []
    tiers: list[dict[str, Any]] = Field(
        default=[], description="the item's tiers, best first (conditions v2)"
    )


class StaleEditPublic(_Out):
    """A person's correction whose item text is no longer in the policy: kept, not applied."""

    item_id: str = Field(description="the item it applied to last")
    item_sha256: str = Field(description="fingerprint of the text it was made for ('' when unknown)")
    item_text: str = ""
    conditions: list[ConditionPublic | GroupPublic | dict[str, Any]] = []
    edited_at: str
    stale_since: str
    stale_version: int = Field(description="the first policy version without that text")


class _PolicyHead(_Out):
    """What every view of a policy starts with."""

    id: str
    title: str
    version: int
    region_code: str | None = None
    department: str | None = None


class PolicyPublic(_PolicyHead):
    """A policy, its items, tags and conditions."""

    issued: str | None = None
    valid_until: str | None = None
    url: str | None = None
    fulfilment: str | None = None
    items: list[ItemPublic] = []
    stale_edits: list[StaleEditPublic] = Field(
        default=[], description="corrections whose clause left the policy on a re-ingest (not applied)"
    )


class PolicySummary(_PolicyHead):
    """A line of the policy list."""

    fulfilment: str | None = None
    n_items: int | None = None


class PolicyList(_Out):
    """``GET /v1/policies``."""

    data: list[PolicySummary]
    total: int


# --- enterprises -------------------------------------------------------------------------------


_RANGES = validation.NUMBER_RANGES


def _number(name: str) -> Any:
    """Declare a profile number at the JSON door: a JSON number (no string, no boolean), finite, in its range."""
    low, high = _RANGES[name]
    return Field(default=None, strict=True, allow_inf_nan=False, ge=low, le=high)


class EnterpriseProfileIn(_In):
    """An enterprise profile (``shared/spec/enterprise_profile.md``); absent or null means unknown."""

    id: str | None = Field(default=None, min_length=1, max_length=limits.MAX_ID_CHARS, pattern=ID_PATTERN)
    name: str | None = Field(default=None, max_length=limits.MAX_TITLE_CHARS)
    uscc: str | None = Field(default=None, max_length=18)
    region_code: str | None = Field(default=None, max_length=12)
    industry_code: str | None = Field(default=None, max_length=8)
    established: str | None = Field(default=None, max_length=16)
    employees: int | None = Field(default=None, strict=True, ge=0, le=int(_RANGES["employees"][1]))
    revenue: float | None = _number("revenue")
    revenue_growth: float | None = _number("revenue_growth")
    total_assets: float | None = _number("total_assets")
    rd_expense: float | None = _number("rd_expense")
    rd_ratio: float | None = _number("rd_ratio")
    tax_paid: float | None = _number("tax_paid")
    output_value: float | None = _number("output_value")
    export_value: float | None = _number("export_value")
    investment: float | None = _number("investment")
    qualifications: list[str] = Field(default_factory=list, max_length=100)
    mu_jun_class: str | None = Field(default=None, max_length=4)
    credit_status: str | None = Field(default=None, max_length=16)
    major_violation: bool | None = Field(default=None, strict=True)
    business_scope: str | None = Field(default=None, max_length=limits.MAX_PROFILE_TEXT_CHARS)
    products: str | None = Field(default=None, max_length=limits.MAX_PROFILE_TEXT_CHARS)
    description: str | None = Field(default=None, max_length=limits.MAX_PROFILE_TEXT_CHARS)
    size_class: str | None = Field(default=None, max_length=2, description="derived; ignored on input")
    # docs/conditions.md §4: what real clauses ask; absent means unknown.
    invention_patents: int | None = Field(default=None, ge=0, description="有效发明专利 (件)")
    ip_count: int | None = Field(default=None, ge=0, description="知识产权 I 类 + II 类 (件)")
    rd_staff_ratio: float | None = Field(default=None, ge=0, le=100, description="研发人员占职工总数 (%)")
    hightech_income_ratio: float | None = Field(
        default=None, ge=0, le=100, description="高新技术产品（服务）收入占比 (%)"
    )
    tax_credit_grade: str | None = Field(default=None, max_length=4, description="纳税信用等级 A B M C D")
    insured_employees: int | None = Field(default=None, ge=0, description="参保职工 (persons)")

    def record(self) -> dict[str, Any]:
        """Return the profile as a plain mapping for :func:`corpus.schemas.validate_profile`."""
        data = self.model_dump(exclude_none=True)
        data.pop("size_class", None)
        return data


class EnterpriseCreate(EnterpriseProfileIn):
    """``POST /v1/enterprises``: a profile with its id and name."""

    id: str = IdStr
    name: str = Field(min_length=1, max_length=limits.MAX_TITLE_CHARS)


class EnterpriseSummary(_Out):
    """A line of the enterprise search."""

    id: str
    name: str
    region_code: str | None = None
    industry_code: str | None = None


class EnterpriseList(_Out):
    """``GET /v1/enterprises``."""

    data: list[EnterpriseSummary]
    total: int


class EnterpriseUpserted(_Out):
    """What an upsert did."""

    id: str
    created: bool
    profile: dict[str, Any]


# --- matching ----------------------------------------------------------------------------------


class MatchRequest(_In):
    """``POST /v1/match``: an enterprise id or an ad-hoc profile."""

    enterprise_id: str | None = Field(
        default=None, min_length=1, max_length=limits.MAX_ID_CHARS, pattern=ID_PATTERN
    )
    profile: EnterpriseProfileIn | None = None
    top_k: int = Field(default=limits.Limits().default_top_k, strict=True, ge=1, le=limits.Limits().max_top_k)
    levels: list[Level] = Field(default_factory=lambda: list(DEFAULT_LEVELS), min_length=1, max_length=4)
    as_of: dt.date | None = Field(
        default=None, description="judge validity and windows at this date (default today)"
    )


class ConditionVerdictPublic(_Out):
    """A condition with its verdict for one enterprise and the value it was judged on."""

    field: str
    op: str
    value: Any = None
    span: str = ""
    verdict: Literal["met", "unmet", "unknown"]
    actual: Any = None


class GroupVerdictPublic(_Out):
    """An ``any`` group with its members' verdicts and its own (one condition for the level)."""

    any: list[dict[str, Any]]
    verdict: Literal["met", "unmet", "unknown"]
    span: str = ""


class ResultPublic(_Out):
    """One policy item for one enterprise."""

    policy_id: str
    item_id: str
    title: str
    level: str
    score: float
    score_breakdown: dict[str, float] = {}
    conditions: list[ConditionVerdictPublic | GroupVerdictPublic] = []
    gaps: list[str] = []
    fulfilment: str | None = None
    support: str | None = None


class MatchResponse(_Out):
    """``POST /v1/match``'s answer."""

    results: list[ResultPublic]
    model: str
    index: str


class TargetPublic(_Out):
    """One enterprise for one policy item."""

    enterprise_id: str
    name: str
    item_id: str | None = None
    level: str
    score: float
    score_breakdown: dict[str, float] = {}
    conditions: list[ConditionVerdictPublic | GroupVerdictPublic] = []
    gaps: list[str] = []
    fulfilment: str | None = None
    support: str | None = None
    risk: dict[str, Any] | None = (
        None  # 三色预警: colour, reasons, what the legal person already holds (docs/risk.md)
    )


class TargetPage(_Out):
    """``GET /v1/policies/{id}/targets``."""

    data: list[TargetPublic]
    next_cursor: str | None
    total: int
    model: str
    index: str


# --- feedback, audit, service ------------------------------------------------------------------


class FeedbackCreate(_In):
    """``POST /v1/feedback``: 闭环反馈 on one result."""

    enterprise_id: str = Field(min_length=1, max_length=limits.MAX_ID_CHARS, pattern=ID_PATTERN)
    item_id: str = Field(min_length=1, max_length=limits.MAX_ID_CHARS + 8)
    kind: FeedbackKind
    rating: int | None = Field(default=None, strict=True, ge=1, le=5)
    comment: str | None = Field(default=None, max_length=limits.MAX_COMMENT_CHARS)


class FeedbackPublic(_Out):
    """Stored feedback, with the result it refers to as the service judged it then."""

    id: Any
    enterprise_id: str
    item_id: str
    kind: str
    rating: int | None = None
    comment: str | None = None
    result: dict[str, Any] | None = None
    created_at: str | None = None


class RebuildPublic(_Out):
    """``POST /v1/index/rebuild``."""

    index: str
    previous_index: str | None = None
    model: str


class Readiness(_Out):
    """``GET /readyz``."""

    ready: bool
    checks: dict[str, bool]
    model: str | None = None
    index: str | None = None
    feed: dict[str, Any] | None = Field(
        default=None,
        description="the change feed: applied_seq, applied, errors, running (writes made elsewhere)",
    )
    events: dict[str, Any] | None = Field(
        default=None,
        description=(
            "the webhook dispatcher: running, rounds, errors, last_error (null when none runs for this server);"
            " from a pre-forked worker, the events process's: with its pid and age_s, the seconds since it last said"
        ),
    )


# --- honour lists ------------------------------------------------------------------------------

MAX_HONOUR_ROWS = 50_000


class HonourRowIn(_In):
    """One row of an honour list: the enterprise (USCC and/or exact name) and what it was granted."""

    uscc: str | None = Field(default=None, max_length=18)
    name: str | None = Field(default=None, max_length=limits.MAX_TITLE_CHARS)
    title: str | None = Field(default=None, max_length=limits.MAX_TITLE_CHARS)
    level: str | None = Field(default=None, max_length=20)
    year: int | str | None = None
    issuer: str | None = Field(default=None, max_length=limits.MAX_TITLE_CHARS)
    expires: str | None = Field(default=None, max_length=16)


class HonourImportIn(_In):
    """``POST /v1/honours/imports``: a list; its title/level/year/issuer/expires fill what rows leave out."""

    source: str = Field(
        default="api", max_length=limits.MAX_TITLE_CHARS, description="where the list came from"
    )
    title: str | None = Field(default=None, max_length=limits.MAX_TITLE_CHARS)
    level: str | None = Field(default=None, max_length=20)
    year: int | str | None = None
    issuer: str | None = Field(default=None, max_length=limits.MAX_TITLE_CHARS)
    expires: str | None = Field(default=None, max_length=16)
    rows: list[HonourRowIn] = Field(min_length=1, max_length=MAX_HONOUR_ROWS)
    dry_run: bool = False


class HonourReverseIn(_In):
    """``POST /v1/honours/imports/{id}/reverse``."""

    force: bool = Field(default=False, description="reverse even profiles changed after the import")
