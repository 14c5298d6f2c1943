"""Policy tags of an item: industry, region, qualifications, size, support type, amounts, deadline."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from corpus.conditions import Condition
from matcher.extraction.numbers import NUMBER_PATTERN, normalize_aligned, parse_number, to_wan

# 资金奖励 / 补助 / 贴息 / 减免 / 人才 / 用地 / 荣誉: the support types of issue 4, each with the words that say it.
SUPPORT_TYPES: tuple[tuple[str, str], ...] = (
    ("资金奖励", r"奖励|奖补|以奖代补|一次性奖"),
    ("补助", r"补助|补贴|资助|扶持资金|资金支持"),
    ("贴息", r"贴息"),
    (
        "减免",
        r"减免|免征|减征|减半|免收|返还|退还|缓缴|延期缴纳|先征后|税前扣除|加计扣除|降低[^，。]{0,6}费率",
    ),
    ("人才", r"人才|高层次|引进[^，。]{0,6}(?:专家|博士)"),
    ("用地", r"用地|土地指标|标准厂房|供地"),
    ("荣誉", r"荣誉|称号|授予|表彰|优先推荐"),
)
FULFILMENT_MODES = ("免申即享", "即申即享", "一般申报", "第三方评审")

_AMOUNT_RE = re.compile(rf"(?P<num>{NUMBER_PATTERN})(?P<unit>亿元|万元|千元|元)")
_CAP_RE = re.compile(
    rf"(?:最高|上限为?|不超过|最多|封顶)(?:不超过)?(?P<num>{NUMBER_PATTERN})(?P<unit>亿元|万元|千元|元)"
)
_RATIO_RE = re.compile(rf"(?:按|按照)[^，。；]{{0,30}}?的(?P<num>{NUMBER_PATTERN})(?:%|％)")
_DEADLINE_RE = re.compile(
    r"(?:截止(?:日期|时间)?为?|截至|于|在)?(?P<y>20\d\d)年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:前|之前|止|截止)"
)
_DEPARTMENT_RE = re.compile(r"(?:责任单位|牵头单位|对接部门|主管部门)[:：]\s*([^；;）)。，,]{2,20})")


@dataclass(frozen=True)
class IndustryTag:
    """A GB/T 4754 code with its name."""

    code: str
    name: str


@dataclass(frozen=True)
class PolicyTags:
    """What an item is about and for whom, read from its text and metadata."""

    industries: tuple[IndustryTag, ...] = ()
    regions: tuple[str, ...] = ()
    required_qualifications: tuple[str, ...] = ()
    excluded_qualifications: tuple[str, ...] = ()
    size_classes: tuple[str, ...] = ()
    support_types: tuple[str, ...] = ()
    fulfilment: str | None = None
    amount: float | None = None
    amount_cap: float | None = None
    ratio: float | None = None
    department: str | None = None
    deadline: str | None = None
    keywords: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (tuples become lists)."""
        data = asdict(self)
        data["industries"] = [{"code": t.code, "name": t.name} for t in self.industries]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyTags:
        """Inverse of :meth:`to_dict`."""
        values = dict(data)
        values["industries"] = tuple(
            IndustryTag(str(t["code"]), str(t["name"])) for t in values.get("industries") or ()
        )
        for key in (
            "regions",
            "required_qualifications",
            "excluded_qualifications",
            "size_classes",
            "support_types",
            "keywords",
        ):
            values[key] = tuple(values.get(key) or ())
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


def support_types(text: str) -> tuple[str, ...]:
    """Return the support types an item offers (rule: the words that say each one)."""
    return tuple(name for name, pattern in SUPPORT_TYPES if re.search(pattern, text))


def _money(match: re.Match[str]) -> float | None:
    value = parse_number(match.group("num"))
    return None if value is None else round(to_wan(value, match.group("unit")), 6)


def read_tags(
    text: str,
    conditions: Sequence[Condition],
    *,
    title: str = "",
    region_code: str | None = None,
    department: str | None = None,
) -> PolicyTags:
    """Tags of one item from its text, its extracted conditions and its metadata."""
    from corpus.reference import industry_name

    norm = normalize_aligned(f"{title}\n{text}" if title else text)
    industries: dict[str, IndustryTag] = {}
    regions: list[str] = []
    required: list[str] = []
    excluded: list[str] = []
    sizes: list[str] = []
    condition_spans = set()
    for condition in conditions:
        condition_spans.add(condition.span)
        if condition.op == "industry_in":
            for code in condition.value:
                industries[code] = IndustryTag(code, industry_name(code) or code)
        elif condition.op == "within_region":
            regions.append(str(condition.value))
        elif condition.op == "has":
            required.append(str(condition.value))
        elif condition.op == "in" and condition.field == "qualifications":
            required.extend(str(v) for v in condition.value)
        elif condition.op == "not_has":
            excluded.append(str(condition.value))
        elif condition.field == "size_class":
            sizes.extend(str(v) for v in condition.value)
    if not regions and region_code:
        regions.append(region_code)
    # Amounts that are not a condition's threshold are what the item gives.
    given = [m for m in _AMOUNT_RE.finditer(norm) if not any(m.group(0) in span for span in condition_spans)]
    caps = [v for v in (_money(m) for m in _CAP_RE.finditer(norm)) if v is not None]
    ratio_match = _RATIO_RE.search(norm)
    deadline_match = _DEADLINE_RE.search(norm)
    department_match = _DEPARTMENT_RE.search(norm)
    fulfilment = next((mode for mode in FULFILMENT_MODES if mode in norm), None)
    amounts = [v for v in (_money(m) for m in given) if v is not None]
    return PolicyTags(
        industries=tuple(industries.values()),
        regions=tuple(dict.fromkeys(regions)),
        required_qualifications=tuple(dict.fromkeys(required)),
        excluded_qualifications=tuple(dict.fromkeys(excluded)),
        size_classes=tuple(c for c in ("大", "中", "小", "微") if c in sizes),
        support_types=support_types(norm),
        fulfilment=fulfilment,
        amount=max(amounts) if amounts else None,
        amount_cap=max(caps) if caps else None,
        ratio=parse_number(ratio_match.group("num")) if ratio_match else None,
        department=department or (department_match.group(1).split("、")[0] if department_match else None),
        deadline=(
            f"{deadline_match.group('y')}-{int(deadline_match.group('m')):02d}-{int(deadline_match.group('d')):02d}"
            if deadline_match
            else None
        ),
    )
