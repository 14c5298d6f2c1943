"""The kinds of item a demo policy offers (技改补助, 高企奖励, 贷款贴息, ...), each written with its true conditions.

One function per kind: it draws the amounts, the thresholds and the wording
from ``r`` and returns a :class:`~corpus.demo.phrasing.Clause` whose condition
segments are exactly what the text requires. ``THEMES`` names each kind the way
an enterprise would ask about it (the retrieval set's questions use these).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from corpus.demo.phrasing import Clause, Issuer, Segment, cond, money, num, pick, region_phrase, threshold
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


def _undecidable(text: str) -> Segment:
    return cond(text, "undecidable", "eq", text)


def _alias(r: random.Random, title: str, *, plain: float = 0.6) -> str:
    aliases = QUALIFICATION_ALIASES[title]
    return aliases[0] if r.random() < plain else r.choice(aliases)


def _lead(r: random.Random, c: Context, p: float = 0.6) -> list[Segment]:
    """Return "对" + a region phrase (always for city and county policies), ready for the subject that follows."""
    if c.issuer.level == "province" and r.random() >= p:
        return ["对"]
    segs, glue = region_phrase(r, c.issuer)
    return ["对", *segs, glue]


def _founded_before(r: random.Random, year: int) -> Segment:
    """Write a founding-date requirement with a fixed date ("2021年12月31日前注册成立"), never relative to today."""
    day = dt.date(year, 12, 31)
    words = r.choice(("{y}年12月31日前注册成立", "{y}年12月31日（含）以前成立", "于{y}年底前成立"))
    return cond(words.format(y=year), "established", "established_before", day.isoformat())


def gaoqi(r: random.Random, c: Context) -> Clause:
    """高新技术企业认定奖励."""
    amount = pick(r, (10, 15, 20, 30, 50))
    cl = Clause(
        r.choice(("鼓励创建高新技术企业", "支持高新技术企业发展", "高新技术企业认定奖励")),
        "高企",
        "资金奖励",
        f"奖励{num(amount)}万元",
    )
    cl.add(*_lead(r, c), r.choice(("首次认定的", "当年新认定的", "新认定（含重新认定）的", "")))
    cl.add(cond(_alias(r, "国家高新技术企业"), "qualifications", "has", "国家高新技术企业"))
    cl.add(f"，给予一次性奖励{money(amount, r)}")
    if r.random() < 0.4:
        cl.add(f"；重新认定的，给予{money(amount / 2, r)}奖励")
    cl.add("。")
    cl.fulfilment = r.choice(("免申即享", "免申即享", "一般申报"))
    return cl


def keji_xiao(r: random.Random, c: Context) -> Clause:
    """科技型中小企业入库奖励 (not yet 高企)."""
    amount = pick(r, (1, 2, 3, 5))
    cl = Clause(
        r.choice(("培育科技型中小企业", "科技型中小企业奖励")), "科小", "资金奖励", f"奖励{num(amount)}万元"
    )
    cl.add(
        *_lead(r, c),
        "首次评价入库的",
        cond(_alias(r, "科技型中小企业"), "qualifications", "has", "科技型中小企业"),
    )
    cl.add(
        "，且",
        cond(
            r.choice(("尚未认定为高新技术企业", "未被认定为国家高新技术企业")),
            "qualifications",
            "not_has",
            "国家高新技术企业",
        ),
    )
    cl.add(f"的，给予{money(amount, r)}奖励。")
    cl.fulfilment = r.choice(("免申即享", "即申即享"))
    return cl


def zhuanjingtexin(r: random.Random, c: Context) -> Clause:
    """专精特新 / 小巨人 / 隐形冠军 奖励."""
    roll = r.random()
    if roll < 0.35:
        title, amount = "国家级专精特新“小巨人”企业", pick(r, (50, 100, 150))
    elif roll < 0.7:
        title, amount = "省级专精特新中小企业", pick(r, (10, 20, 30))
    elif roll < 0.85:
        title, amount = "省隐形冠军企业", pick(r, (30, 50, 80))
    else:
        title, amount = "", pick(r, (50, 100))
    cl = Clause(
        r.choice(("支持专精特新发展", "实施专精特新培育工程", "鼓励企业走专精特新之路")),
        "专精特新",
        "资金奖励",
        f"奖励{num(amount)}万元",
    )
    cl.add(*_lead(r, c), "新认定的")
    if title:
        cl.add(cond(_alias(r, title), "qualifications", "has", title), f"，一次性奖励{money(amount, r)}。")
    else:
        both = ("国家级专精特新“小巨人”企业", "省级专精特新中小企业")
        span = f"{_alias(r, both[0])}、{_alias(r, both[1])}"
        cl.add(
            cond(span, "qualifications", "in", list(both)),
            f"，分别给予{money(amount, r)}、{money(amount / 5, r)}奖励。",
        )
    cl.fulfilment = r.choice(("免申即享", "免申即享", "一般申报"))
    return cl


def jigai(r: random.Random, c: Context) -> Clause:
    """技术改造项目补助."""
    floor = pick(r, (200, 300, 500, 1000, 2000))
    rate, cap = pick(r, (8, 10, 12, 15)), pick(r, (200, 300, 500, 1000))
    cl = Clause(
        r.choice(("支持企业技术改造", "加大技改投入支持", "鼓励设备更新和技术改造")),
        "技改",
        "补助",
        f"按设备投资额{num(rate)}%补助，最高{num(cap)}万元",
    )
    cl.add(*_lead(r, c), _industrial_subject(r), r.choice(("实施的", "")))
    cl.add(
        "技术改造项目，",
        threshold(
            r,
            "investment",
            r.choice(("gte", "gte", "gt")),
            floor,
            label=r.choice(("设备投资额", "生产性设备投资", "技改投资额")),
        ),
    )
    cl.add(f"的，按设备投资额的{num(rate)}%给予补助，单个项目最高不超过{money(cap, r)}。")
    if r.random() < 0.35:
        classes = ["A", "B"] if r.random() < 0.6 else ["A"]
        span = "亩均效益综合评价为" + "、".join(f"{x}类" for x in classes)
        cl.add(
            "申报企业",
            cond(span, "mu_jun_class", *(("in", classes) if len(classes) > 1 else ("eq", "A"))),
            "。",
        )
    if r.random() < 0.2:
        cl.add("项目须", _undecidable("已竣工投产并通过验收"), "。")
    cl.fulfilment = r.choice(("一般申报", "第三方评审", "第三方评审"))
    return cl


def _industrial_subject(r: random.Random) -> Segment:
    """制造业企业 (section C), 工业企业 (B, C, D) or 规上工业企业 (the title)."""
    roll = r.random()
    if roll < 0.4:
        return cond("制造业企业", "industry_code", "industry_in", ["C"])
    if roll < 0.65:
        return cond("工业企业", "industry_code", "industry_in", ["B", "C", "D"])
    return cond(r.choice(("规上工业企业", "规模以上工业企业")), "qualifications", "has", "规上工业企业")


def _industry_words(r: random.Random) -> Segment:
    """制造业企业 (section C) or 工业企业 (B, C, D)."""
    if r.random() < 0.55:
        return cond("制造业企业", "industry_code", "industry_in", ["C"])
    return cond("工业企业", "industry_code", "industry_in", ["B", "C", "D"])


def yanfa(r: random.Random, c: Context) -> Clause:
    """研发投入奖励."""
    rd_floor = pick(r, (100, 200, 300, 500, 1000))
    ratio = pick(r, (3, 3.5, 4, 5))
    rate, cap = pick(r, (5, 10, 15, 20)), pick(r, (50, 100, 200, 300))
    cl = Clause(
        r.choice(("鼓励企业加大研发投入", "支持企业研发创新", "研发投入后补助")),
        "研发",
        "资金奖励",
        f"按增量{num(rate)}%奖励，最高{num(cap)}万元",
    )
    cl.add(*_lead(r, c))
    roll = r.random()
    if roll < 0.4:
        cl.add(
            threshold(r, "rd_expense", "gte", rd_floor),
            "且",
            threshold(r, "rd_ratio", r.choice(("gte", "gte", "gt")), ratio),
            "的企业",
        )
    elif roll < 0.7:
        cl.add(
            threshold(r, "rd_ratio", "gte", ratio),
            "的",
            cond(_alias(r, "国家高新技术企业"), "qualifications", "has", "国家高新技术企业"),
        )
    else:
        cl.add(
            cond(r.choice(("规上工业企业", "规模以上工业企业")), "qualifications", "has", "规上工业企业"),
            "中",
            threshold(r, "rd_expense", "gte", rd_floor),
            "的",
        )
    cl.add(f"，按其研发费用较上年增长部分的{num(rate)}%给予奖励，最高不超过{money(cap, r)}。")
    cl.fulfilment = r.choice(("免申即享", "一般申报"))
    return cl


def shangtaijie(r: random.Random, c: Context) -> Clause:
    """营收 / 产值上台阶奖励."""
    cl = Clause(
        r.choice(("鼓励企业做大做强", "支持企业上台阶", "实施企业梯度培育")), "上台阶", "资金奖励", ""
    )
    cl.add(*_lead(r, c))
    tiers = (5000, 10000, 50000, 100000, 500000)
    floor = pick(r, tiers)
    amount = {5000: 10, 10000: 20, 50000: 50, 100000: 100, 500000: 200}[int(floor)]
    if r.random() < 0.6:
        cl.add(
            threshold(
                r,
                "revenue",
                r.choice(("gte", "gt")),
                floor,
                label=r.choice(("营业收入首次", "年营业收入首次", "主营业务收入首次")),
            )
        )
    else:
        cl.add(
            threshold(
                r,
                "output_value",
                r.choice(("gte", "gt")),
                floor,
                label=r.choice(("工业总产值首次", "年产值首次")),
            )
        )
    cl.add("的", _industry_words(r))
    cl.add(f"，给予一次性奖励{money(amount, r)}。")
    cl.support = f"奖励{num(amount)}万元"
    cl.fulfilment = r.choice(("免申即享", "免申即享", "一般申报"))
    return cl


def xiaoshenggui(r: random.Random, c: Context) -> Clause:
    """小升规奖励."""
    amount = pick(r, (3, 5, 8, 10))
    cl = Clause(r.choice(("推动企业上规升级", "鼓励小升规")), "小升规", "资金奖励", f"奖励{num(amount)}万元")
    cl.add(
        *_lead(r, c),
        "当年首次纳入",
        cond(r.choice(("规模以上工业企业", "规上工业企业")), "qualifications", "has", "规上工业企业"),
        "统计、",
    )
    cl.add(
        threshold(
            r,
            "employees",
            r.choice(("lt", "lte")),
            pick(r, (100, 300)),
            label=r.choice(("从业人员", "职工人数")),
        )
    )
    cl.add(f"的企业，给予一次性奖励{money(amount, r)}。")
    if r.random() < 0.5:
        cl.add("上规后次年退出规上企业统计的，收回奖励资金。")
    cl.fulfilment = r.choice(("免申即享", "一般申报"))
    return cl


def tiexi(r: random.Random, c: Context) -> Clause:
    """小微企业贷款贴息."""
    rate, cap = pick(r, (30, 50, 100)), pick(r, (10, 20, 30, 50))
    cl = Clause(
        r.choice(("缓解企业融资难题", "实施贷款贴息", "降低企业融资成本")),
        "贴息",
        "贴息",
        f"按LPR的{num(rate)}%贴息，最高{num(cap)}万元",
    )
    cl.add(*_lead(r, c))
    cl.add(threshold(r, "revenue", r.choice(("lte", "lt")), pick(r, (500, 1000, 2000, 5000))), "的")
    cl.add(cond("小微企业", "size_class", "in", ["小", "微"]))
    if r.random() < 0.4:
        cl.add("（", threshold(r, "total_assets", "lte", pick(r, (2000, 5000, 10000))), "）")
    cl.add(
        f"新增的流动资金贷款，按贷款市场报价利率（LPR）的{num(rate)}%给予贴息，单户年度贴息最高{money(cap, r)}。"
    )
    cl.fulfilment = r.choice(("即申即享", "一般申报"))
    return cl


def wengang(r: random.Random, c: Context) -> Clause:
    """稳岗 / 吸纳就业补贴."""
    per = pick(r, (500, 1000, 1500, 2000))
    cl = Clause(
        r.choice(("支持企业稳岗扩岗", "鼓励吸纳就业", "实施稳岗返还")), "稳岗", "补助", f"每人{int(per)}元"
    )
    cl.add(*_lead(r, c))
    if r.random() < 0.5:
        cl.add(
            threshold(
                r, "employees", "lte", pick(r, (30, 50, 100)), label=r.choice(("参保职工", "职工人数"))
            ),
            "的",
            cond("中小微企业", "size_class", "in", ["中", "小", "微"]),
        )
        cl.add(f"，新招用高校毕业生并签订1年以上劳动合同的，按每人{int(per)}元给予一次性扩岗补助。")
    else:
        cl.add(
            f"新招用登记失业半年以上人员并签订1年以上劳动合同的企业，按每人{int(per)}元给予一次性吸纳就业补贴。"
        )
        cl.add("享受补贴的企业须", _undecidable("按规定足额缴纳社会保险费"), "。")
    cl.fulfilment = r.choice(("即申即享", "即申即享", "一般申报"))
    return cl


def rencai(r: random.Random, c: Context) -> Clause:
    """人才引进补助."""
    amount = pick(r, (5, 10, 20, 30))
    cl = Clause(
        r.choice(("支持企业引进高层次人才", "加强企业人才引育", "人才安家补助")),
        "人才",
        "人才",
        f"每人{num(amount)}万元安家补助",
    )
    cl.add(*_lead(r, c))
    if r.random() < 0.5:
        # "A和B" offers the item to either title: one `in` condition over the whole phrase.
        span = f"{_alias(r, '国家高新技术企业')}和{_alias(r, '省级专精特新中小企业')}"
        cl.add(cond(span, "qualifications", "in", ["国家高新技术企业", "省级专精特新中小企业"]))
    else:
        cl.add(_industry_words(r))
    # Hiring the doctor is the action supported, not a status the enterprise must already have: no condition.
    talent = r.choice(("全职博士研究生", "全职硕士研究生及以上人才"))
    cl.add(f"新引进{talent}并签订3年以上劳动合同的，给予每人{money(amount, r)}安家补助，分三年发放。")
    cl.fulfilment = "一般申报"
    return cl


def waimao(r: random.Random, c: Context) -> Clause:
    """出口奖励."""
    floor = pick(r, (1000, 3000, 5000, 10000))
    amount = pick(r, (5, 10, 20, 30))
    cl = Clause(
        r.choice(("鼓励企业开拓国际市场", "支持外贸稳规模", "出口实绩奖励")),
        "外贸",
        "资金奖励",
        f"奖励{num(amount)}万元",
    )
    cl.add(*_lead(r, c), threshold(r, "export_value", r.choice(("gte", "gt")), floor))
    if r.random() < 0.4:
        cl.add("且", threshold(r, "revenue_growth", "gte", pick(r, (5, 10, 15))))
    cl.add(f"的企业，给予{money(amount, r)}奖励；参加境外展会的，按展位费的50%给予补助。")
    cl.fulfilment = r.choice(("一般申报", "免申即享"))
    return cl


def chengzhang(r: random.Random, c: Context) -> Clause:
    """高成长企业奖励."""
    growth = pick(r, (15, 20, 30))
    floor = pick(r, (2000, 5000, 10000))
    amount = pick(r, (10, 20, 30))
    cl = Clause(
        r.choice(("奖励高成长企业", "支持企业加快成长", "培育雏鹰企业")),
        "成长",
        "资金奖励",
        f"奖励{num(amount)}万元",
    )
    cl.add(
        *_lead(r, c),
        threshold(r, "revenue_growth", r.choice(("gte", "gt")), growth),
        "、",
        threshold(r, "revenue", "gte", floor),
    )
    if r.random() < 0.5:
        cl.add(
            "的",
            cond(r.choice(("规上工业企业", "规模以上工业企业")), "qualifications", "has", "规上工业企业"),
        )
    else:
        cl.add("的企业")
    if r.random() < 0.4:
        cl.add(
            "（",
            _founded_before(r, c.issued.year - 3),
            "）",
        )
    cl.add(f"，给予{money(amount, r)}奖励。")
    cl.fulfilment = r.choice(("免申即享", "一般申报"))
    return cl


def nashui(r: random.Random, c: Context) -> Clause:
    """纳税贡献表彰 (荣誉)."""
    floor = pick(r, (500, 1000, 3000, 5000, 10000))
    cl = Clause(r.choice(("表彰纳税贡献企业", "开展优秀企业评选")), "纳税", "荣誉", "授予称号")
    region = c.issuer.region_name
    cl.add(
        *_lead(r, c),
        "上年度",
        threshold(r, "tax_paid", r.choice(("gte", "gt")), floor, label=r.choice(("纳税总额", "实缴税金"))),
    )
    if r.random() < 0.5:
        cl.add(f"的企业，授予“{region}纳税突出贡献企业”称号，给予通报表扬和要素保障支持。")
    else:
        amount = pick(r, (10, 20, 50))
        cl.add(f"的企业，授予“{region}纳税突出贡献企业”称号，并给予一次性奖励{money(amount, r)}。")
        cl.support = f"授予称号并奖励{num(amount)}万元"
    if r.random() < 0.6:
        cl.add(*_exclusion(r))
    cl.fulfilment = "免申即享"
    return cl


def _exclusion(r: random.Random) -> list[Segment]:
    from corpus.demo.phrasing import exclusion_sentence

    return exclusion_sentence(r)


def mujun(r: random.Random, c: Context) -> Clause:
    """亩均效益 A/B 类企业的减免."""
    tax = r.choice(("城镇土地使用税", "房产税"))
    cl = Clause(
        r.choice(("深化亩均论英雄改革", "实施亩均效益差别化政策", "亩均效益评价激励")),
        "亩均",
        "减免",
        f"{tax}减免",
    )
    cl.add(*_lead(r, c))
    if r.random() < 0.5:
        cl.add(cond("亩均效益综合评价为A类", "mu_jun_class", "eq", "A"), "的", _industry_words(r))
        cl.add(f"，{tax}按100%予以减免。")
    else:
        cl.add(cond("亩均效益综合评价为A类、B类", "mu_jun_class", "in", ["A", "B"]), "的", _industry_words(r))
        cl.add(f"，{tax}分别按100%、50%予以减免。")
    cl.fulfilment = "免申即享"
    return cl


def xinshe(r: random.Random, c: Context) -> Clause:
    """新设立企业开办补助."""
    since = dt.date(c.issued.year - r.choice((0, 1, 2)), 1, 1)
    amount = pick(r, (10, 20, 30, 50))
    sector = r.choice(
        (
            ("软件和信息技术服务业", ["I65"]),
            ("科学研究和技术服务业", ["M"]),
            ("高端装备制造业", ["C34", "C35"]),
            ("医药制造业", ["C27"]),
            ("电气机械和器材制造业", ["C38"]),
        )
    )
    cl = Clause(
        r.choice(("支持新落户企业", "鼓励新设企业", "招大引强落户奖励")),
        "新设",
        "补助",
        f"开办补助{num(amount)}万元",
    )
    since_text = f"{since.year}年{since.month}月{since.day}日{r.choice(('以后', '后', '起'))}"
    cl.add("对", cond(since_text, "established", "established_after", since.isoformat()))
    segs, glue = region_phrase(r, c.issuer)
    cl.add(
        *segs,
        glue if glue else "",
        "新注册成立的",
        cond(sector[0], "industry_code", "industry_in", sector[1]),
        "企业，",
    )
    cl.add(
        threshold(r, "employees", "gte", pick(r, (10, 20, 30, 50)), label=r.choice(("从业人员", "参保职工")))
    )
    cl.add(f"的，给予{money(amount, r)}开办补助。")
    cl.fulfilment = r.choice(("一般申报", "即申即享"))
    return cl


def shuzihua(r: random.Random, c: Context) -> Clause:
    """数字化 / 智能化改造补助."""
    floor = pick(r, (100, 200, 300, 500))
    rate, cap = pick(r, (10, 15, 20)), pick(r, (100, 200, 300))
    cl = Clause(
        r.choice(("推进制造业数字化改造", "支持智能化改造", "鼓励企业上云用数赋智")),
        "数字化",
        "补助",
        f"按{num(rate)}%补助，最高{num(cap)}万元",
    )
    cl.add(
        *_lead(r, c),
        "实施数字化改造的",
        cond(r.choice(("规上工业企业", "规模以上工业企业")), "qualifications", "has", "规上工业企业"),
        "，",
    )
    cl.add(
        threshold(
            r,
            "investment",
            "gte",
            floor,
            label=r.choice(("项目软硬件投资额", "数字化改造投资额", "项目投资额")),
        )
    )
    cl.add(f"的，按软硬件投资额的{num(rate)}%给予补助，最高{money(cap, r)}。")
    if r.random() < 0.35:
        cl.add("申报企业须", _undecidable("通过两化融合管理体系贯标评定"), "。")
    cl.fulfilment = r.choice(("第三方评审", "一般申报"))
    return cl


def shoutaitao(r: random.Random, c: Context) -> Clause:
    """首台（套）装备奖励."""
    amount = pick(r, (50, 100, 200))
    level = r.choice(("省级", "国内"))
    cl = Clause(
        r.choice(("支持首台（套）装备推广应用", "首台（套）产品奖励")),
        "首台套",
        "资金奖励",
        f"奖励{num(amount)}万元",
    )
    cl.add(
        *_lead(r, c),
        "研制产品",
        _undecidable(f"获得{level}首台（套）装备认定"),
        f"的企业，给予{money(amount, r)}奖励。",
    )
    if r.random() < 0.5:
        cl.add(*_exclusion(r))
    cl.fulfilment = r.choice(("一般申报", "免申即享"))
    return cl


def chanye(r: random.Random, c: Context) -> Clause:
    """产业专项 with a ``semantic`` requirement on what the enterprise does."""
    words, lines, offer = r.choice(SEMANTIC)
    rate, cap = pick(r, (10, 20, 30)), pick(r, (50, 100, 200, 500))
    cl = Clause(
        r.choice(("培育重点产业链", "支持战略性新兴产业发展", "产业链专项扶持")),
        "产业专项",
        "补助",
        f"最高{num(cap)}万元",
    )
    # The value is the requirement without its verb 从事 ("集成电路设计"), as extraction writes it.
    value = words.removeprefix("从事")
    cl.add(*_lead(r, c), cond(words, "business_scope", "semantic", value), "的企业")
    if r.random() < 0.5:
        cl.add(
            "，",
            threshold(r, r.choice(("revenue", "investment")), "gte", pick(r, (500, 1000, 2000, 5000))),
            "的",
        )
    cl.add("，", offer.format(p=num(rate), m=money(cap, r)), "。")
    cl.semantic_lines[value] = lines
    cl.fulfilment = r.choice(("第三方评审", "一般申报"))
    return cl


def yongdi(r: random.Random, c: Context) -> Clause:
    """重大制造业项目用地保障."""
    floor = pick(r, (10000, 20000, 50000, 100000))
    cl = Clause(r.choice(("保障重大项目用地", "强化要素保障")), "用地", "用地", "优先保障用地")
    cl.add(
        *_lead(r, c),
        threshold(
            r,
            "investment",
            r.choice(("gte", "gt")),
            floor,
            label=r.choice(("总投资", "项目总投资", "固定资产投资")),
        ),
    )
    cl.add("的", cond(r.choice(("制造业项目", "先进制造业项目")), "industry_code", "industry_in", ["C"]))
    cl.add("，优先保障用地指标，工业用地出让起价可按所在地土地等别对应最低价标准的70%确定。")
    if r.random() < 0.3:
        cl.add("项目", _undecidable("近三年未发生重大环境污染事件"), "的企业方可申报。")
    cl.fulfilment = "一般申报"
    return cl


def fuwuye(r: random.Random, c: Context) -> Clause:
    """服务业 / 商贸企业奖励."""
    sector = r.choice(
        (
            ("批发零售企业", ["F"], (20000, 50000, 100000)),
            ("住宿餐饮企业", ["H"], (1000, 2000, 5000)),
            ("交通运输和仓储企业", ["G"], (2000, 5000, 10000)),
            ("软件和信息技术服务业企业", ["I65"], (1000, 2000, 5000)),
        )
    )
    amount = pick(r, (5, 10, 20))
    cl = Clause(
        r.choice(("支持服务业企业升级", "鼓励商贸企业做大", "限上企业培育奖励")),
        "服务业",
        "资金奖励",
        f"奖励{num(amount)}万元",
    )
    cl.add(
        *_lead(r, c),
        threshold(r, "revenue", r.choice(("gte", "gt")), pick(r, sector[2])),
        "的",
        cond(sector[0], "industry_code", "industry_in", sector[1]),
    )
    cl.add(f"，给予{money(amount, r)}奖励。")
    if r.random() < 0.4:
        cl.add(*_exclusion(r))
    cl.fulfilment = r.choice(("免申即享", "一般申报"))
    return cl


def zhiliang(r: random.Random, c: Context) -> Clause:
    """质量品牌 / 标准制定奖励."""
    amount = pick(r, (10, 20, 30, 50))
    what = r.choice(("获得“品字标浙江制造”认证", "主导制定国际标准或国家标准", "获得省政府质量奖"))
    cl = Clause(
        r.choice(("实施质量强市战略", "鼓励标准制定和品牌建设", "质量品牌奖励")),
        "质量品牌",
        "资金奖励",
        f"奖励{num(amount)}万元",
    )
    cl.add(*_lead(r, c), "当年", _undecidable(what), "的")
    cl.add(_industry_words(r) if r.random() < 0.5 else "企业")
    cl.add(f"，给予{money(amount, r)}奖励。")
    if r.random() < 0.5:
        cl.add(*_exclusion(r))
    cl.fulfilment = r.choice(("一般申报", "第三方评审"))
    return cl


# --- 申报条件 lists: the support first, then the conditions as a numbered list ----------------------


def _list_markers(c: Context, n: int) -> list[str]:
    if c.list_style == "①":
        return [chr(ord("①") + i) for i in range(n)]
    return [f"（{i + 1}）" for i in range(n)]


def _listed(
    r: random.Random, c: Context, cl: Clause, intro: list[Segment], entries: list[list[Segment]]
) -> Clause:
    """Write ``intro`` (the support, ending in "：" or "。"), then the conditions as a numbered list."""
    cl.add(*intro)
    if not str(intro[-1]).endswith("："):
        cl.add(
            r.choice(("申报企业应同时符合下列条件：", "享受本条政策须同时满足以下条件：", "申报条件如下："))
        )
    for position, (marker, entry) in enumerate(zip(_list_markers(c, len(entries)), entries, strict=True)):
        cl.add(marker, *entry, "；" if position < len(entries) - 1 else "。")
    return cl


def _region_entry(r: random.Random, c: Context) -> list[Segment]:
    name = c.issuer.region_name
    words = r.choice((f"在{name}注册登记", f"注册地在{name}", f"工商注册和税务登记均在{name}"))
    return [
        cond(words, "region_code", "within_region", c.issuer.region_code),
        r.choice(("", "，具有独立法人资格")),
    ]


def _exclusion_entry(r: random.Random) -> list[Segment]:
    return [
        "信用状况良好，未",
        cond(r.choice(("被列入严重失信主体名单", "被列入失信被执行人名单")), "credit_status", "eq", "normal"),
        "，且",
        cond(
            r.choice(("近三年无重大违法违规记录", "近三年内未发生重大违法行为")),
            "major_violation",
            "eq",
            False,
        ),
    ]


def _optional_entries(r: random.Random) -> list[list[Segment]]:
    out: list[list[Segment]] = []
    if r.random() < 0.3:
        out.append([_undecidable("近三年未发生较大及以上安全生产事故")])
    if r.random() < 0.5:
        out.append(_exclusion_entry(r))
    return out


def jigai_listed(r: random.Random, c: Context) -> Clause:
    """技术改造项目补助, its conditions as a 申报条件 list."""
    floor = pick(r, (200, 300, 500, 1000, 2000))
    rate, cap = pick(r, (8, 10, 12, 15)), pick(r, (200, 300, 500, 1000))
    cl = Clause(
        r.choice(("支持企业技术改造", "技术改造项目补助")),
        "技改",
        "补助",
        f"按设备投资额{num(rate)}%补助，最高{num(cap)}万元",
    )
    entries = [_region_entry(r, c), ["属于", _industrial_subject(r)]]
    entries.append(
        [
            threshold(
                r,
                "investment",
                r.choice(("gte", "gt")),
                floor,
                label=r.choice(("项目设备投资额", "技改投资额")),
            )
        ]
    )
    if r.random() < 0.5:
        classes = ["A", "B"] if r.random() < 0.6 else ["A"]
        span = "亩均效益综合评价为" + "、".join(f"{x}类" for x in classes)
        entries.append([cond(span, "mu_jun_class", *(("in", classes) if len(classes) > 1 else ("eq", "A")))])
    entries += _optional_entries(r)
    intro: list[Segment] = [
        f"对企业实施的技术改造项目，按设备投资额的{num(rate)}%给予补助，单个项目最高不超过{money(cap, r)}。"
    ]
    cl.fulfilment = r.choice(("一般申报", "第三方评审"))
    return _listed(r, c, cl, intro, entries)


def yanfa_listed(r: random.Random, c: Context) -> Clause:
    """研发投入奖励, its conditions as a 申报条件 list."""
    rate, cap = pick(r, (5, 10, 15, 20)), pick(r, (50, 100, 200, 300))
    cl = Clause(
        r.choice(("研发投入奖励", "鼓励企业加大研发投入")),
        "研发",
        "资金奖励",
        f"按增量{num(rate)}%奖励，最高{num(cap)}万元",
    )
    entries = [_region_entry(r, c)]
    if r.random() < 0.5:
        entries.append(
            ["为", cond(_alias(r, "国家高新技术企业"), "qualifications", "has", "国家高新技术企业")]
        )
    else:
        entries.append(
            [
                "为",
                cond(r.choice(("规上工业企业", "规模以上工业企业")), "qualifications", "has", "规上工业企业"),
            ]
        )
    entries.append([threshold(r, "rd_expense", "gte", pick(r, (100, 200, 300, 500, 1000)))])
    entries.append([threshold(r, "rd_ratio", r.choice(("gte", "gt")), pick(r, (3, 3.5, 4, 5)))])
    entries += _optional_entries(r)
    intro: list[Segment] = [
        f"按企业研发费用较上年增长部分的{num(rate)}%给予奖励，最高不超过{money(cap, r)}。"
    ]
    cl.fulfilment = r.choice(("免申即享", "一般申报"))
    return _listed(r, c, cl, intro, entries)


def chengzhang_listed(r: random.Random, c: Context) -> Clause:
    """高成长企业奖励, the conditions listed after "对同时符合下列条件的企业，给予…奖励："."""
    amount = pick(r, (10, 20, 30))
    cl = Clause(r.choice(("奖励高成长企业", "培育雏鹰企业")), "成长", "资金奖励", f"奖励{num(amount)}万元")
    entries = [_region_entry(r, c)]
    entries.append([threshold(r, "revenue_growth", r.choice(("gte", "gt")), pick(r, (15, 20, 30)))])
    entries.append([threshold(r, "revenue", "gte", pick(r, (2000, 5000, 10000)))])
    if r.random() < 0.5:
        entries.append([_founded_before(r, c.issued.year - 3)])
    entries += _optional_entries(r)
    intro: list[Segment] = [f"对同时符合下列条件的企业，给予{money(amount, r)}奖励："]
    cl.fulfilment = r.choice(("免申即享", "一般申报"))
    return _listed(r, c, cl, intro, entries)


def waimao_listed(r: random.Random, c: Context) -> Clause:
    """出口奖励, the conditions listed after "对符合以下条件的外贸企业，给予…奖励："."""
    amount = pick(r, (5, 10, 20, 30))
    cl = Clause(r.choice(("出口实绩奖励", "支持外贸稳规模")), "外贸", "资金奖励", f"奖励{num(amount)}万元")
    entries = [_region_entry(r, c)]
    entries.append(
        [threshold(r, "export_value", r.choice(("gte", "gt")), pick(r, (1000, 3000, 5000, 10000)))]
    )
    if r.random() < 0.6:
        entries.append([threshold(r, "revenue_growth", "gte", pick(r, (5, 10, 15)))])
    entries += _optional_entries(r)
    intro: list[Segment] = [f"对符合以下条件的外贸企业，给予{money(amount, r)}奖励："]
    cl.fulfilment = r.choice(("一般申报", "免申即享"))
    return _listed(r, c, cl, intro, entries)


def _either(inline: ClauseMaker, listed: ClauseMaker, p_listed: float = 0.35) -> ClauseMaker:
    """Return a maker that writes the conditions inline, or (with ``p_listed``) as a 申报条件 list."""

    def make(r: random.Random, c: Context) -> Clause:
        return listed(r, c) if r.random() < p_listed else inline(r, c)

    make.__doc__ = inline.__doc__
    return make


MAKERS: dict[str, ClauseMaker] = {
    "高企": gaoqi,
    "科小": keji_xiao,
    "专精特新": zhuanjingtexin,
    "技改": _either(jigai, jigai_listed),
    "研发": _either(yanfa, yanfa_listed),
    "上台阶": shangtaijie,
    "小升规": xiaoshenggui,
    "贴息": tiexi,
    "稳岗": wengang,
    "人才": rencai,
    "外贸": _either(waimao, waimao_listed),
    "成长": _either(chengzhang, chengzhang_listed),
    "纳税": nashui,
    "亩均": mujun,
    "新设": xinshe,
    "数字化": shuzihua,
    "首台套": shoutaitao,
    "产业专项": chanye,
    "用地": yongdi,
    "服务业": fuwuye,
    "质量品牌": zhiliang,
}

# Policy topics: a title phrase, the department that issues it, and the kinds of item it offers.
TOPICS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "推动制造业高质量发展",
        "经信局",
        ("技改", "数字化", "上台阶", "小升规", "专精特新", "用地", "亩均", "成长", "首台套"),
    ),
    ("加快科技创新", "科技局", ("高企", "科小", "研发", "人才", "新设", "产业专项", "首台套")),
    ("促进数字经济发展", "经信局", ("数字化", "产业专项", "新设", "研发", "服务业")),
    ("稳外贸促发展", "商务局", ("外贸", "产业专项", "服务业", "成长")),
    ("支持中小微企业纾困发展", "财政局", ("贴息", "稳岗", "小升规", "科小", "亩均")),
    ("加强人才引育和稳岗就业", "人力社保局", ("人才", "稳岗", "新设")),
    ("促进服务业提质增效", "商务局", ("服务业", "纳税", "成长", "新设")),
    ("深化亩均论英雄改革", "经信局", ("亩均", "技改", "用地", "纳税")),
    ("实施质量强区战略", "市场监管局", ("质量品牌", "专精特新", "研发")),
    ("培育壮大战略性新兴产业", "发改局", ("产业专项", "用地", "技改", "研发", "高企")),
)
