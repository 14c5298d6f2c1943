"""Demo enterprises: profiles whose name, industry, scope, products, region, size and figures agree.

Generated column-wise with numpy in chunks of :data:`CHUNK` rows, each chunk
seeded from (seed, chunk number): a million profiles take seconds, and the
first N profiles are the same whatever the total. How a profile hangs together:

- a business line (vocab.LINES, weighted by county: 玉环 valves, 温岭 pumps, 黄岩 molds…)
  fixes the GB/T 4754 code, the name words, 经营范围 and products;
- a size class (大/中/小/微) is drawn first, then employees, revenue and total
  assets are drawn inside that class's band of the 2017 划分办法 for the line's
  industry (``corpus.reference.size_group``), revenue following employees ×
  the line's revenue per head;
- 研发费用 follows the line's R&D intensity, raised to the 高企 / 科技型中小企业
  threshold for firms holding those titles; 规上工业企业 is exactly 工业 with
  revenue ≥ 2000 万元; 专精特新 / 小巨人 / 隐形冠军 are nested;
- a few are 失信 or have a 重大违法 record; fields go missing (None = unknown)
  at realistic rates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corpus import reference
from corpus.demo.identity import _uscc, brand, enterprise_id
from corpus.demo.vocab import COUNTIES, COUNTY_WEIGHTS, LINES, OTHER_ZHEJIANG, STREETS
from corpus.schemas import MONEY_FIELDS

CHUNK = 10_000
AS_OF = dt.date(2025, 6, 30)  # the profiles describe enterprises as of this day
SIZE_CLASSES = ("大", "中", "小", "微")
SIZE_SHARES = (0.05, 0.17, 0.40, 0.38)
TITLES = (
    "国家高新技术企业",
    "科技型中小企业",
    "省级专精特新中小企业",
    "国家级专精特新“小巨人”企业",
    "规上工业企业",
    "省隐形冠军企业",
    "省级企业技术中心",
    "技术先进型服务企业",
)
# Share of profiles where a field is unknown (absent).
MISSING_RATES: dict[str, float] = {
    "uscc": 0.03,
    "industry_code": 0.01,
    "established": 0.02,
    "employees": 0.03,
    "revenue": 0.05,
    "revenue_growth": 0.18,
    "total_assets": 0.12,
    "rd_expense": 0.22,
    "tax_paid": 0.15,
    "output_value": 0.20,
    "export_value": 0.30,
    "qualifications": 0.06,
    "mu_jun_class": 0.25,
    "business_scope": 0.04,
    "products": 0.08,
    "description": 0.35,
}
# The fields the condition language v2 added (docs/conditions.md §4), drawn from a stream of their own
# so that every field of the first generator keeps its value.
V2_MISSING_RATES: dict[str, float] = {
    "invention_patents": 0.30,
    "ip_count": 0.35,
    "rd_staff_ratio": 0.40,
    "hightech_income_ratio": 0.50,
    "tax_credit_grade": 0.20,
    "insured_employees": 0.15,
}
TAX_GRADES = ("A", "B", "M", "C", "D")
CITY_ZJTX = "市级专精特新中小企业"

_REGION_CODES = list(COUNTY_WEIGHTS) + list(OTHER_ZHEJIANG)
_TAIZHOU = len(COUNTY_WEIGHTS)
# The chunk's amount columns, in the order a profile lists them: revenue, its growth, the other 万元 fields.
_AMOUNTS = (MONEY_FIELDS[0], "revenue_growth", *MONEY_FIELDS[1:])


@dataclass(frozen=True)
class EnterpriseChunk:
    """A chunk of demo enterprises as columns; ``nan`` / -1 mark unknown values."""

    start: int
    index: np.ndarray  # global enterprise number
    line: np.ndarray  # index into vocab.LINES
    size: np.ndarray  # index into SIZE_CLASSES
    region: np.ndarray  # index into _REGION_CODES
    street: np.ndarray  # index into STREETS[county], -1 = county code only
    established: np.ndarray  # days before AS_OF
    employees: np.ndarray
    revenue: np.ndarray
    revenue_growth: np.ndarray
    total_assets: np.ndarray
    rd_expense: np.ndarray
    tax_paid: np.ndarray
    output_value: np.ndarray
    export_value: np.ndarray
    investment: np.ndarray
    titles: np.ndarray  # bit i = TITLES[i]
    mu_jun: np.ndarray  # 0..3 = A..D, -1 unknown
    credit: np.ndarray  # 1 dishonest, 0 normal, -1 unknown
    violation: np.ndarray  # 1 yes, 0 no, -1 unknown
    missing: dict[str, np.ndarray]  # field → bool mask of unknown
    pick: np.ndarray  # per-row random integers that choose wording
    v2: dict[str, np.ndarray] = field(default_factory=dict)  # the v2 fields (nan / -1 = not drawn)

    def __len__(self) -> int:
        return len(self.index)


def _bounds(line_index: int) -> dict[str, tuple[float, float, float]]:
    group = reference.size_group(LINES[line_index].industry_code)
    if group is None:
        raise LookupError(f"no size group for {LINES[line_index].industry_code}")
    return {name: tuple(float(b) for b in bounds) for name, bounds in group.bounds}  # type: ignore[misc]


_LINE_BOUNDS = [_bounds(i) for i in range(len(LINES))]


def _band(
    rng: np.random.Generator, size: np.ndarray, bounds: tuple[float, float, float], floor: float
) -> np.ndarray:
    """Log-uniform values inside each row's size band [low, high)."""
    big, mid, small = bounds
    low = np.choose(size, [big, mid, small, max(floor, small / 15)])
    high = np.choose(size, [big * 6, big, mid, small])
    return np.exp(rng.uniform(np.log(low), np.log(high)))


def _clip_band(
    values: np.ndarray, size: np.ndarray, bounds: tuple[float, float, float], floor: float
) -> np.ndarray:
    big, mid, small = bounds
    low = np.choose(size, [big, mid, small, max(floor, small / 15)])
    high = np.choose(size, [big * 6, big, mid, small]) * 0.995
    return np.clip(values, low, high)


def generate_chunk(seed: int, chunk: int) -> EnterpriseChunk:
    """Generate the ``chunk``-th block of :data:`CHUNK` demo enterprises (deterministic)."""
    rng = np.random.default_rng([seed, 7, chunk])
    m = CHUNK
    index = np.arange(chunk * CHUNK, (chunk + 1) * CHUNK, dtype=np.int64)

    county_w = np.array([COUNTY_WEIGHTS[c] for c in COUNTY_WEIGHTS], dtype=float)
    region_p = np.concatenate(
        [county_w / county_w.sum() * 0.95, np.full(len(OTHER_ZHEJIANG), 0.05 / len(OTHER_ZHEJIANG))]
    )
    region = rng.choice(len(_REGION_CODES), size=m, p=region_p)

    # Lines cluster by county: a line's home counties weigh four times more.
    weights = np.array(
        [[line.weight * (4.0 if code in line.home else 1.0) for line in LINES] for code in _REGION_CODES]
    )
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(m)
    line = np.minimum((u[:, None] > cum[region]).sum(axis=1), len(LINES) - 1)

    size = rng.choice(4, size=m, p=SIZE_SHARES)
    productivity = np.array([x.productivity for x in LINES])[line]
    employees = np.zeros(m)
    revenue = np.zeros(m)
    total_assets = np.zeros(m)
    for li in np.unique(line):
        rows = np.flatnonzero(line == li)
        bounds = _LINE_BOUNDS[li]
        s = size[rows]
        prod = productivity[rows] * np.exp(rng.normal(0, 0.35, len(rows)))
        if "employees" in bounds:
            emp = np.floor(_band(rng, s, bounds["employees"], 1.0))
            emp = np.floor(_clip_band(emp, s, bounds["employees"], 1.0))
            rev = emp * prod
            if "revenue" in bounds:
                rev = _clip_band(rev, s, bounds["revenue"], 5.0)
        else:
            rev = _band(rng, s, bounds["revenue"], 5.0)
            emp = np.maximum(1.0, np.round(rev / prod))
        assets = rev * LINES[li].asset_ratio * np.exp(rng.normal(0, 0.3, len(rows)))
        if "total_assets" in bounds:
            assets = _clip_band(assets, s, bounds["total_assets"], 5.0)
        employees[rows], revenue[rows], total_assets[rows] = emp, rev, assets

    age_low = np.choose(size, [10.0, 6.0, 2.0, 0.3])
    age_high = np.choose(size, [35.0, 30.0, 25.0, 15.0])
    established = np.round(rng.uniform(age_low, age_high) * 365.25).astype(np.int64)

    tech = np.array([x.tech for x in LINES])[line]
    rd_base = np.array([x.rd_intensity for x in LINES])[line]
    rd_ratio = rd_base * np.exp(rng.normal(0, 0.5, m))
    is_industry = np.array([x.industry_code[0] in "BCD" for x in LINES])[line]
    is_software = np.array([x.industry_code.startswith("I65") for x in LINES])[line]

    titles = np.zeros(m, dtype=np.int64)
    gaoqi_p = tech * np.choose(size, [0.6, 0.5, 0.25, 0.04])
    gaoqi = (rng.random(m) < gaoqi_p) & (established > 365)
    kexiao_ok = (employees <= 500) & (revenue <= 20000) & (total_assets <= 20000)
    kexiao = kexiao_ok & (rng.random(m) < tech * 0.45)
    required = np.where(revenue < 5000, 5.0, np.where(revenue < 20000, 4.0, 3.0))
    qualified = gaoqi | kexiao
    rd_ratio = np.where(qualified, np.maximum(rd_ratio, required * rng.uniform(1.05, 1.6, m)), rd_ratio)
    guishang = is_industry & (revenue >= 2000)
    zjtx = is_industry & np.isin(size, (1, 2)) & qualified & (rng.random(m) < 0.35)
    xiaojuren = zjtx & (revenue >= 1000) & (rng.random(m) < 0.25)
    champion = xiaojuren & (rng.random(m) < 0.35)
    tech_center = is_industry & (size <= 1) & (rng.random(m) < 0.4 * tech)
    advanced_service = is_software & (size <= 2) & (rng.random(m) < 0.15)
    for bit, mask in enumerate(
        (gaoqi, kexiao, zjtx, xiaojuren, guishang, champion, tech_center, advanced_service)
    ):
        titles |= mask.astype(np.int64) << bit

    rd_expense = np.where(rd_base > 0, revenue * rd_ratio / 100.0, 0.0)
    growth = np.clip(rng.normal(6 + 6 * tech, 15, m), -50, 120)
    tax_paid = revenue * rng.uniform(0.012, 0.06, m)
    output_value = np.where(is_industry, revenue * rng.uniform(0.92, 1.12, m), np.nan)
    export_share = np.array([x.export for x in LINES])[line] * np.where(size == 3, 0.6, 1.0)
    exporter = rng.random(m) < export_share
    export_value = np.where(exporter, revenue * rng.uniform(0.1, 0.8, m), 0.0)
    has_project = rng.random(m) < 0.35
    investment = np.where(has_project, revenue * np.exp(rng.normal(np.log(0.15), 0.7, m)), np.nan)

    # 亩均效益评价 (工业 only): better revenue per head and titles push towards A.
    score = (
        np.log(revenue / np.maximum(employees, 1) / productivity) + 0.4 * qualified + rng.normal(0, 0.5, m)
    )
    mu_jun = np.where(score > 0.45, 0, np.where(score > -0.05, 1, np.where(score > -0.6, 2, 3)))
    mu_jun = np.where(is_industry, mu_jun, -1)

    u_credit = rng.random(m)
    credit = np.where(u_credit < 0.025, 1, np.where(u_credit < 0.92, 0, -1))
    u_violation = rng.random(m)
    violation_p = np.where(credit == 1, 0.25, 0.01)
    violation = np.where(u_violation < violation_p, 1, np.where(u_violation < 0.9, 0, -1))

    street_counts = np.array([len(STREETS.get(code, ())) for code in _REGION_CODES])[region]
    street = np.where(
        (rng.random(m) < 0.85) & (street_counts > 0),
        np.floor(rng.random(m) * np.maximum(street_counts, 1)).astype(np.int64),
        -1,
    )
    missing = {name: rng.random(m) < rate for name, rate in MISSING_RATES.items()}
    v2, v2_missing = _v2_fields(
        seed, chunk, tech, rd_base, titles, size, employees, credit, established, is_industry
    )
    missing.update(v2_missing)
    return EnterpriseChunk(
        start=chunk * CHUNK,
        index=index,
        line=line,
        size=size,
        region=region,
        street=street,
        established=established,
        employees=employees,
        revenue=revenue,
        revenue_growth=growth,
        total_assets=total_assets,
        rd_expense=rd_expense,
        tax_paid=tax_paid,
        output_value=output_value,
        export_value=export_value,
        investment=investment,
        titles=titles,
        mu_jun=mu_jun,
        credit=credit,
        violation=violation,
        missing=missing,
        pick=rng.integers(0, 1 << 30, size=(m, 4)),
        v2=v2,
    )


def _v2_fields(
    seed: int,
    chunk: int,
    tech: np.ndarray,
    rd_base: np.ndarray,
    titles: np.ndarray,
    size: np.ndarray,
    employees: np.ndarray,
    credit: np.ndarray,
    established: np.ndarray,
    is_industry: np.ndarray,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Draw 发明专利, 知识产权, 研发人员占比, 高新收入占比, 纳税信用等级, 参保人数 and 市级专精特新 to fit the rest."""
    rng = np.random.default_rng([seed, 8, chunk])
    m = len(tech)
    gaoqi = (titles & 1).astype(bool)
    qualified = (titles & 0b1111).astype(bool)
    zjtx = (titles & 0b1100).astype(bool)
    patents = rng.poisson(0.3 + 2.5 * tech + 2.0 * gaoqi + 1.5 * zjtx + np.choose(size, [3.0, 1.0, 0.3, 0.0]))
    ip_count = patents + rng.poisson(1.0 + 5.0 * tech + 3.0 * qualified)
    ip_count = np.where(gaoqi, np.maximum(ip_count, 1), ip_count)  # 高企 need at least one I 类 right
    staff = np.clip(rng.normal(2.0 + 12.0 * tech + 4.0 * qualified, 4.0), 0.0, 60.0)
    staff = np.where(gaoqi, np.maximum(staff, rng.uniform(10.0, 18.0, m)), staff)  # 高企: ≥ 10 %
    staff = np.where(rd_base > 0, staff, 0.0)
    hightech = np.where(gaoqi, rng.uniform(60.0, 95.0, m), np.clip(rng.normal(35.0 * tech, 15.0), 0.0, 90.0))
    grade = rng.choice(len(TAX_GRADES), size=m, p=(0.42, 0.38, 0.12, 0.06, 0.02))
    grade = np.where(established < 365, 2, grade)  # new taxpayers are graded M
    grade = np.where(credit == 1, np.where(rng.random(m) < 0.5, 3, 4), grade)  # 失信: C or D
    insured = np.floor(employees * rng.uniform(0.55, 1.0, m))
    city_zjtx = is_industry & np.isin(size, (1, 2, 3)) & ~zjtx & (rng.random(m) < 0.06)
    values = {
        "invention_patents": patents.astype(np.int64),
        "ip_count": ip_count.astype(np.int64),
        "rd_staff_ratio": np.round(staff, 1),
        "hightech_income_ratio": np.round(hightech, 1),
        "tax_credit_grade": grade.astype(np.int64),
        "insured_employees": insured.astype(np.int64),
        "city_zjtx": city_zjtx,
    }
    missing = {name: rng.random(m) < rate for name, rate in V2_MISSING_RATES.items()}
    return values, missing


def _money(value: float) -> float:
    return round(float(value), 1) if value >= 100 else round(float(value), 2)


def iter_chunk_profiles(chunk: EnterpriseChunk, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Yield the chunk's rows as profile dicts in the shape of enterprise_profile.md (unknown fields left out)."""
    n = len(chunk) if limit is None else min(limit, len(chunk))
    region_codes = [_REGION_CODES[r] for r in chunk.region[:n].tolist()]
    usccs = _uscc(region_codes, chunk.index[:n])
    miss = {name: mask[:n].tolist() for name, mask in chunk.missing.items()}
    never = [False] * n
    for name in ("investment",):  # a project's investment is unknown only when there is no project (nan)
        miss.setdefault(name, never)
    cols = {
        name: getattr(chunk, name)[:n].tolist()
        for name in (
            "index",
            "line",
            "size",
            "region",
            "street",
            "established",
            "employees",
            *_AMOUNTS,
            "titles",
            "mu_jun",
            "credit",
            "violation",
        )
    }
    picks = chunk.pick[:n].tolist()
    v2 = {name: values[:n].tolist() for name, values in chunk.v2.items()}
    for j in range(n):
        number = cols["index"][j]
        line = LINES[cols["line"][j]]
        size = cols["size"][j]
        code = region_codes[j]
        street_index = cols["street"][j]
        county_name = COUNTIES[code][0] if code in COUNTIES else OTHER_ZHEJIANG[code]
        streets = STREETS.get(code, ())
        street_code, street_name = streets[street_index] if street_index >= 0 else (code, "")
        pick = picks[j]
        words = line.name_words[pick[0] % len(line.name_words)]
        if size <= 1 and pick[1] % 2 == 0:
            prefix = "浙江"
        elif code in COUNTIES:
            prefix = (
                "台州"
                if pick[1] % 3 == 0
                else (county_name if county_name.endswith(("市", "县")) else f"台州市{county_name[:2]}")
            )
        else:
            prefix = county_name[:2]
        form = "股份有限公司" if size == 0 and pick[2] % 2 == 0 else "有限公司"
        name = f"{prefix}{brand(number)}{words}{form}"
        n_products = 2 + pick[3] % 2
        start = pick[2] % len(line.products)
        products = "、".join(
            line.products[(start + k) % len(line.products)]
            for k in range(min(n_products, len(line.products)))
        )
        titles_bits = cols["titles"][j]
        titles = [t for bit, t in enumerate(TITLES) if titles_bits >> bit & 1]
        if v2["city_zjtx"][j]:
            titles.append(CITY_ZJTX)
        established = (AS_OF - dt.timedelta(days=cols["established"][j])).isoformat()

        profile: dict[str, Any] = {"id": enterprise_id(number), "name": name}
        if not miss["uscc"][j]:
            profile["uscc"] = usccs[j]
        profile["region_code"] = street_code
        if not miss["industry_code"][j]:
            profile["industry_code"] = line.industry_code
        if not miss["established"][j]:
            profile["established"] = established
        employees = int(cols["employees"][j])
        if not miss["employees"][j]:
            profile["employees"] = employees
        for name_ in _AMOUNTS:
            value = cols[name_][j]
            if value != value or miss[name_][j]:  # nan = not applicable / no project
                continue
            profile[name_] = round(float(value), 1) if name_ == "revenue_growth" else _money(value)
        if not miss["qualifications"][j]:
            profile["qualifications"] = titles
        mu_jun = cols["mu_jun"][j]
        if mu_jun >= 0 and not miss["mu_jun_class"][j]:
            profile["mu_jun_class"] = "ABCD"[mu_jun]
        if cols["credit"][j] >= 0:
            profile["credit_status"] = "dishonest" if cols["credit"][j] else "normal"
        if cols["violation"][j] >= 0:
            profile["major_violation"] = bool(cols["violation"][j])
        for name_ in V2_MISSING_RATES:
            if name_ in v2 and not miss[name_][j]:
                value = v2[name_][j]
                profile[name_] = TAX_GRADES[value] if name_ == "tax_credit_grade" else value
        if not miss["business_scope"][j]:
            scope = list(line.scope)
            if cols["export_value"][j] > 0:
                scope += [x for x in ("货物进出口", "技术进出口") if x not in scope]
            profile["business_scope"] = (
                f"一般项目：{'；'.join(scope)}（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）。"
            )
        if not miss["products"][j]:
            profile["products"] = products
        if not miss["description"][j]:
            where = f"{county_name}{street_name}"
            verb = "研发、生产和销售" if line.industry_code[0] in "BCD" else "经营"
            text = f"{name}成立于{established[:4]}年，位于{where}，主要从事{products}的{verb}，现有员工{employees}人"
            if cols["export_value"][j] > 0:
                text += "，产品远销欧美、东南亚等地区"
            if titles:
                text += f"，是{titles[0]}"
            profile["description"] = text + "。"
        yield profile


def iter_profiles(seed: int, n: int) -> Iterator[dict[str, Any]]:
    """Yield the first ``n`` demo enterprise profiles of corpus ``seed``, in order, chunk by chunk."""
    for chunk_number in range((n + CHUNK - 1) // CHUNK):
        chunk = generate_chunk(seed, chunk_number)
        yield from iter_chunk_profiles(chunk, limit=n - chunk_number * CHUNK)


def line_of(seed: int, number: int) -> str:
    """Return the business line (vocab.LINES key) of enterprise ``number``: the generator's knowledge of what it does."""
    chunk = generate_chunk(seed, number // CHUNK)
    return LINES[int(chunk.line[number % CHUNK])].key
