"""What every demo clause maker stands on: the document context, the named themes, and the shared phrasings."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from corpus.demo.phrasing import (
    Clause,
    Issuer,
    Segment,
    cond,
    honest_record,
    num,
    pick,
    region_phrase,
    titled,
)
from corpus.demo.vocab import QUALIFICATION_ALIASES


@dataclass(frozen=True)
class Context:
    """What a clause needs to know about its document."""

    issuer: Issuer
    dept: str  # how the text names the responsible department: 区经信局
    finance: str  # 区财政局
    issued: dt.date
    list_style: str = "（1）"  # markers of a 申报条件 list inside an item: （1） or ① (when items use （1）)


ClauseMaker = Callable[[random.Random, Context], Clause]

# How enterprises name each kind of item when they ask (noun phrases: "有什么{}?").
THEMES: dict[str, tuple[str, ...]] = {
    "高企": ("高新技术企业认定奖励", "高企奖励", "评上高企的奖励"),
    "科小": ("科技型中小企业奖励", "科小入库补助"),
    "专精特新": ("专精特新奖励", "小巨人企业奖励", "专精特新扶持政策"),
    "技改": ("技改补贴", "技术改造项目补助", "设备更新补助"),
    "研发": ("研发投入奖励", "研发费用补助", "研发后补助"),
    "上台阶": ("营收上台阶奖励", "产值首次突破的奖励", "做大做强奖励"),
    "小升规": ("小升规奖励", "首次上规的奖励"),
    "贴息": ("贷款贴息", "融资贴息政策", "贷款利息补贴"),
    "稳岗": ("招工补贴", "稳岗补贴", "吸纳就业补贴"),
    "人才": ("引进博士的补助", "人才安家补贴", "高层次人才引进奖励"),
    "外贸": ("出口奖励", "外贸扶持政策", "参展补助"),
    "成长": ("高成长企业奖励", "营收增长奖励"),
    "纳税": ("纳税大户表彰", "纳税贡献奖励"),
    "亩均": ("城镇土地使用税减免", "亩均效益评价的优惠", "房产税减免"),
    "新设": ("新办企业开办补助", "新注册企业扶持", "落户奖励"),
    "数字化": ("数字化改造补助", "智能化改造补贴", "上云用数补助"),
    "首台套": ("首台套奖励", "首台套装备认定奖励"),
    "产业专项": ("产业专项扶持", "行业专项补助", "产业链扶持政策"),
    "用地": ("项目用地支持", "工业用地优惠", "重大项目用地保障"),
    "服务业": ("限上企业奖励", "服务业企业扶持", "商贸企业奖励"),
    "质量品牌": ("品字标认证奖励", "标准制定奖励", "质量品牌奖励"),
}

# Semantic requirements: the words a text uses (the condition's value drops a leading 从事), and the
# business lines (vocab.LINES keys) that meet them.
SEMANTIC: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("从事集成电路设计", ("ic_design",), "按其流片费用的{p}%给予补助，每家企业每年最高{m}"),
    ("从事集成电路制造及封装测试", ("ic_manufacturing",), "按设备投资额的{p}%给予补助，最高{m}"),
    ("生产新能源汽车关键零部件", ("nev_parts",), "按项目设备投资额的{p}%给予补助，最高{m}"),
    ("从事工业互联网平台建设和服务", ("industrial_internet",), "按平台服务收入的{p}%给予奖励，最高{m}"),
    ("从事跨境电子商务", ("cross_border_ecommerce",), "按海外仓租赁费用的{p}%给予补助，最高{m}"),
    ("主要生产智能马桶等智能卫浴产品", ("smart_toilet",), "按研发投入的{p}%给予奖励，最高{m}"),
    ("从事高端医疗器械研发生产", ("medical_devices",), "按产品注册检验费用的{p}%给予补助，最高{m}"),
    ("从事光伏、锂电等新能源装备制造", ("pv", "lithium"), "按设备投资额的{p}%给予补助，最高{m}"),
    ("从事工业机器人及智能装备研发制造", ("robots", "machine_tools"), "按首年销售额的{p}%给予奖励，最高{m}"),
    ("从事生物医药研发生产", ("pharma_api", "pharma_formulation"), "按临床试验费用的{p}%给予补助，最高{m}"),
)

UNDECIDABLE: tuple[str, ...] = (
    "近三年未发生较大及以上安全生产事故",
    "项目已竣工投产并通过验收",
    "按规定足额缴纳社会保险费",
    "与高校院所签订产学研合作协议",
    "通过两化融合管理体系贯标评定",
    "近三年未发生重大环境污染事件",
)


# How each theme that pays a rate up to a cap states its support: the kind of support and its wording (the rate,
# then the cap; ``{1}`` alone: the cap only). The clause, its 申报条件 list form and the shapes of real policies
# of a theme all say it alike.
CAPPED_SUPPORT: dict[str, tuple[str, str]] = {
    "技改": ("补助", "按设备投资额{}%补助，最高{}万元"),
    "研发": ("资金奖励", "按增量{}%奖励，最高{}万元"),
    "贴息": ("贴息", "按LPR的{}%贴息，最高{}万元"),
    "数字化": ("补助", "按{}%补助，最高{}万元"),
    "产业专项": ("补助", "最高{1}万元"),
}


def undecidable(text: str) -> Segment:
    """Write a requirement no profile field can decide (truth: undecidable)."""
    return cond(text, "undecidable", "eq", text)


def capped(
    r: random.Random, rates: Sequence[float], caps: Sequence[float], titles: Sequence[str], theme: str
) -> tuple[Clause, float, float]:
    """Make a ``theme`` clause under one of ``titles`` paying one of ``rates`` % up to one of ``caps`` 万元.

    Returns the clause, the rate and the cap; the support is said as :data:`CAPPED_SUPPORT` has it. The
    rate is drawn first, then the cap, then the title, as every such clause drew them, so a seed's
    corpus stays the same.
    """
    rate, cap = pick(r, rates), pick(r, caps)
    kind, support = CAPPED_SUPPORT[theme]
    return titled(r, titles, theme, kind, support.format(num(rate), num(cap))), rate, cap


def alias(r: random.Random, title: str, *, plain: float = 0.6) -> str:
    """Name a qualification by its plain title, or now and then by one of its aliases."""
    aliases = QUALIFICATION_ALIASES[title]
    return aliases[0] if r.random() < plain else r.choice(aliases)


def lead(r: random.Random, c: Context, p: float = 0.6) -> list[Segment]:
    """Return "对" + a region phrase (always for city and county policies), ready for the subject that follows."""
    if c.issuer.level == "province" and r.random() >= p:
        return ["对"]
    segs, glue = region_phrase(r, c.issuer)
    return ["对", *segs, glue]


def founded_before(r: random.Random, year: int) -> Segment:
    """Write a founding-date requirement with a fixed date ("2021年12月31日前注册成立"), never relative to today."""
    day = dt.date(year, 12, 31)
    words = r.choice(("{y}年12月31日前注册成立", "{y}年12月31日（含）以前成立", "于{y}年底前成立"))
    return cond(words.format(y=year), "established", "established_before", day.isoformat())


def holds(r: random.Random, title: str) -> Segment:
    """Require the qualification ``title``, named by its plain title or now and then an alias."""
    return cond(alias(r, title), "qualifications", "has", title)


def guishang(r: random.Random) -> Segment:
    """Require 规上工业企业, written 规上工业企业 or 规模以上工业企业."""
    return cond(r.choice(("规上工业企业", "规模以上工业企业")), "qualifications", "has", "规上工业企业")


def mu_jun(r: random.Random) -> Segment:
    """Require 亩均效益综合评价 class A (or A or B)."""
    classes = ["A", "B"] if r.random() < 0.6 else ["A"]
    span = "亩均效益综合评价为" + "、".join(f"{x}类" for x in classes)
    return cond(span, "mu_jun_class", *(("in", classes) if len(classes) > 1 else ("eq", "A")))


def industrial_subject(r: random.Random) -> Segment:
    """制造业企业 (section C), 工业企业 (B, C, D) or 规上工业企业 (the title)."""
    roll = r.random()
    if roll < 0.4:
        return cond("制造业企业", "industry_code", "industry_in", ["C"])
    if roll < 0.65:
        return cond("工业企业", "industry_code", "industry_in", ["B", "C", "D"])
    return guishang(r)


def industry_words(r: random.Random) -> Segment:
    """制造业企业 (section C) or 工业企业 (B, C, D)."""
    if r.random() < 0.55:
        return cond("制造业企业", "industry_code", "industry_in", ["C"])
    return cond("工业企业", "industry_code", "industry_in", ["B", "C", "D"])


def exclusion(r: random.Random) -> list[Segment]:
    """Write the usual exclusion sentence (dishonest, unsafe, polluting enterprises) with its conditions."""
    from corpus.demo.phrasing import exclusion_sentence

    return exclusion_sentence(r)


def list_markers(c: Context, n: int) -> list[str]:
    """Return ``n`` markers of a 申报条件 list in the document's style."""
    if c.list_style == "①":
        return [chr(ord("①") + i) for i in range(n)]
    return [f"（{i + 1}）" for i in range(n)]


def listed(
    r: random.Random, c: Context, cl: Clause, intro: list[Segment], entries: list[list[Segment]]
) -> Clause:
    """Write ``intro`` (the support, ending in "：" or "。"), then the conditions as a numbered list."""
    cl.add(*intro)
    if not str(intro[-1]).endswith("："):
        cl.add(
            r.choice(("申报企业应同时符合下列条件：", "享受本条政策须同时满足以下条件：", "申报条件如下："))
        )
    for position, (marker, entry) in enumerate(zip(list_markers(c, len(entries)), entries, strict=True)):
        cl.add(marker, *entry, "；" if position < len(entries) - 1 else "。")
    return cl


def region_entry(r: random.Random, c: Context) -> list[Segment]:
    """Write the list entry that limits applicants to the issuer's region."""
    name = c.issuer.region_name
    words = r.choice((f"在{name}注册登记", f"注册地在{name}", f"工商注册和税务登记均在{name}"))
    return [
        cond(words, "region_code", "within_region", c.issuer.region_code),
        r.choice(("", "，具有独立法人资格")),
    ]


def exclusion_entry(r: random.Random) -> list[Segment]:
    """Write the list entry that excludes dishonest enterprises."""
    return ["信用状况良好，未", *honest_record(r)]


def optional_entries(r: random.Random) -> list[list[Segment]]:
    """Draw the optional list entries (good credit, no major accident, ...), each with its condition."""
    out: list[list[Segment]] = []
    if r.random() < 0.3:
        out.append([undecidable("近三年未发生较大及以上安全生产事故")])
    if r.random() < 0.5:
        out.append(exclusion_entry(r))
    return out
