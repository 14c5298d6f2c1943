"""Items shaped like real Taizhou / Zhejiang 惠企政策, with their truth in the condition language v2.

The plain makers of :mod:`corpus.demo.clauses` write one regular sentence per
item, every condition ANDed. Real policy text (docs/data.md, "What real Taizhou
and Zhejiang policies look like") is less kind, and these makers write what it
does, in the project's own words:

- tiers by title level (国家级“小巨人” / 省级 / 市级专精特新, 分别给予…), by
  first-reached revenue (首次达到…的奖励…；首次达到…的奖励…) and by 亩均 class;
- bracketed thresholds (营业收入…以下的…不低于5%；超过…的…不低于4%);
- support computed from the profile (按设备投资额的X%给予补助，最高不超过Y万元: a
  :class:`~corpus.conditions.Formula` on each tier);
- 或 / 之一 / 满足下列条件之一 (``any`` groups), 优先 / 加分 (``bonus``), 不得 /
  除外 / 不予支持 (``exclude``, on fields and on facts no profile holds);
- policies for becoming something (申报市级企业技术中心…应具备): the title applied
  for is never a condition, what the applicant must already have is;
- the profile fields v2 added: 发明专利, 知识产权, 研发人员占比, 高新技术产品收入占比,
  纳税信用等级, 参保人数.
"""

from __future__ import annotations

import random

from corpus.conditions import Formula
from corpus.demo.clause_parts import (
    ClauseMaker,
    Context,
    alias,
    capped,
    industrial_subject,
    industry_words,
    lead,
    list_markers,
    region_entry,
    undecidable,
)
from corpus.demo.phrasing import Clause, Segment, award, cond, into, money, num, pick, threshold, titled

SAFETY_EXCLUSIONS: tuple[str, ...] = (
    "近三年发生较大及以上安全生产事故",
    "近两年发生重大环境污染事件",
    "存在恶意欠薪行为",
    "存在恶意逃废债行为",
)


def _exclude_fact(r: random.Random) -> list[Segment]:
    """Write a 不得 / 不予支持 sentence on a fact no profile field holds (an ``undecidable`` exclusion)."""
    what = r.choice(SAFETY_EXCLUSIONS)
    tail = r.choice(("的企业，不予支持。", "的，不得享受本条政策。", "的企业不列入支持范围。"))
    return [cond(what, "undecidable", "eq", what, role="exclude"), tail]


def _exclude_grade(r: random.Random) -> list[Segment]:
    """纳税信用等级为C级、D级的企业不得申报 (an exclusion on ``tax_credit_grade``)."""
    grades = r.choice((["C", "D"], ["D"], ["M", "C", "D"]))
    words = "纳税信用等级为" + "、".join(f"{g}级" for g in grades)
    value: object = grades if len(grades) > 1 else grades[0]
    op = "in" if len(grades) > 1 else "eq"
    return [
        cond(words, "tax_credit_grade", op, value, role="exclude"),
        r.choice(("的企业不得申报。", "的，不予支持。")),
    ]


def _grade_required(r: random.Random) -> tuple[str, str, object]:
    """纳税信用等级B级及以上 → ``in [A, B]``; A级 → ``eq A``."""
    if r.random() < 0.7:
        return r.choice(("纳税信用等级为B级及以上", "纳税信用等级在B级以上")), "in", ["A", "B"]
    return "纳税信用等级为A级", "eq", "A"


ZJTX_LEVELS: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("国家级专精特新“小巨人”企业", (50, 100)),  # each level's amounts lie below the level above's
    ("省级专精特新中小企业", (20, 30)),
    ("市级专精特新中小企业", (5, 10)),
)
CITY_ZJTX_ALIASES = ("市级专精特新中小企业", "市级“专精特新”中小企业", "市级专精特新企业")


def zjtx_tiers(r: random.Random, c: Context) -> Clause:
    """专精特新 梯度奖励: one tier per title level, 分别给予 or one sentence each."""
    levels = list(ZJTX_LEVELS) if r.random() < 0.6 else list(ZJTX_LEVELS[:2])
    amounts = [pick(r, options) for _, options in levels]
    cl = Clause(
        r.choice(("构建优质中小企业梯度培育体系", "支持专精特新企业梯度发展", "专精特新梯度培育奖励")),
        "专精特新",
        "资金奖励",
        "、".join(f"{num(a)}万元" for a in amounts),
    )
    keys = [
        cl.tier(f"t{i}", title, f"奖励{num(a)}万元", a)
        for i, ((title, _), a) in enumerate(zip(levels, amounts, strict=True))
    ]

    def name(title: str) -> str:
        return r.choice(CITY_ZJTX_ALIASES) if title.startswith("市级") else alias(r, title)

    cl.add(*lead(r, c))
    if r.random() < 0.5:  # 对新认定为A、B、C的企业，分别给予…、…、…奖励
        cl.add(r.choice(("新认定为", "首次认定为", "当年新获评")))
        for i, ((title, _), key) in enumerate(zip(levels, keys, strict=True)):
            cl.add("、" if i else "", into(cond(name(title), "qualifications", "has", title), key))
        cl.add("的企业，分别给予", "、".join(money(a, r) for a in amounts), "的一次性奖励。")
    else:  # 获评A的，奖励…；获评B的，奖励…
        for i, ((title, _), key, amount) in enumerate(zip(levels, keys, amounts, strict=True)):
            verb = r.choice(("首次获评", "新认定为", "被认定为"))
            cl.add("；对" if i else "", verb, into(cond(name(title), "qualifications", "has", title), key))
            cl.add(f"的，给予{money(amount, r)}奖励")
        cl.add("。同一企业逐级晋升的，按差额予以补足。")
    if r.random() < 0.15:
        cl.add(*_exclude_fact(r))
    cl.fulfilment = r.choice(("免申即享", "免申即享", "即申即享"))
    return cl


REVENUE_STEPS: tuple[tuple[float, float], ...] = ((10000, 20), (50000, 50), (100000, 100), (500000, 200))


def revenue_tiers(r: random.Random, c: Context) -> Clause:
    """营收上台阶: 首次达到…的奖励…；首次达到…的奖励… (tiers, the highest step first)."""
    start = r.randrange(0, 2)
    steps = list(REVENUE_STEPS[start : start + r.choice((2, 3))])
    cl = Clause(
        r.choice(("支持企业规模跃升", "鼓励产业规模发展", "企业上台阶奖励")),
        "上台阶",
        "资金奖励",
        "、".join(f"{num(a)}万元" for _, a in steps),
    )
    keys = {
        floor: cl.tier(f"t{floor:g}", f"营业收入首次达到{money(floor, r)}", f"奖励{num(a)}万元", a)
        for floor, a in reversed(steps)
    }
    cl.add(*lead(r, c), industry_words(r))
    label = r.choice(("营业收入首次", "主营业务收入首次", "年营业收入首次"))
    for i, (floor, amount) in enumerate(steps):
        step = threshold(r, "revenue", "gte", floor, label=label if i == 0 else "首次")
        cl.add("，" if i == 0 else "；", into(step, keys[floor]), f"的，给予{money(amount, r)}奖励")
    cl.add("。同一企业同一档次只奖励一次。")
    if r.random() < 0.4:
        span, op, value = _grade_required(r)
        cl.add("申报企业须", cond(span, "tax_credit_grade", op, value), "。")
    cl.fulfilment = r.choice(("免申即享", "快申优享"))
    return cl


def jigai_formula(r: random.Random, c: Context) -> Clause:
    """技改: 按设备投资额的X%给予补助，最高不超过Y万元, in brackets of investment (tiers with formulas)."""
    low = pick(r, (200, 300, 500))
    high = pick(r, (1000, 2000, 5000))
    rate_low = pick(r, (6, 8, 10))
    rate_high = rate_low + pick(r, (2, 4))
    cap_low, cap_high = pick(r, (100, 200, 300)), pick(r, (500, 800, 1000))
    cl = titled(
        r,
        ("加大技术改造支持力度", "支持企业技术改造和设备更新", "鼓励企业扩大有效投资"),
        "技改",
        "补助",
        f"按设备投资额{num(rate_low)}%—{num(rate_high)}%补助，最高{num(cap_high)}万元",
    )
    top = cl.tier(
        "high",
        f"设备投资{money(high, r)}以上",
        f"按设备投资额的{num(rate_high)}%补助，最高{num(cap_high)}万元",
        cap_high,
        Formula(rate_high / 100, "investment", cap_high),
    )
    base = cl.tier(
        "low",
        f"设备投资{money(low, r)}以上",
        f"按设备投资额的{num(rate_low)}%补助，最高{num(cap_low)}万元",
        cap_low,
        Formula(rate_low / 100, "investment", cap_low),
    )
    cl.add(*lead(r, c), industrial_subject(r), "实施的技术改造项目，")
    cl.add(
        into(threshold(r, "investment", "gte", low, label=r.choice(("设备投资额", "生产性设备投资"))), base)
    )
    cl.add(f"的，按设备投资额的{num(rate_low)}%给予补助，最高不超过{money(cap_low, r)}；")
    cl.add(
        into(threshold(r, "investment", "gte", high, label=r.choice(("设备投资额", "生产性设备投资"))), top)
    )
    cl.add(f"的，补助比例提高到{num(rate_high)}%，单个项目最高不超过{money(cap_high, r)}。")
    if r.random() < 0.45:
        cl.add(
            r.choice(("同等条件下，", "")),
            cond(
                r.choice(("亩均效益综合评价为A类", "亩均效益评价A类")),
                "mu_jun_class",
                "eq",
                "A",
                role="bonus",
            ),
            r.choice(("的企业优先支持。", "的企业可优先安排。")),
        )
    if r.random() < 0.2:
        cl.add(*_exclude_fact(r))
    cl.fulfilment = r.choice(("第三方评审", "快申优享", "一般申报"))
    return cl


def rd_brackets(r: random.Random, c: Context) -> Clause:
    """研发投入: 营业收入…以下的不低于5%；超过…的不低于4%… (bracketed thresholds, each a tier)."""
    cl, rate, cap = capped(
        r,
        (10, 15, 20),
        (50, 100, 200),
        ("激励企业加大研发投入", "研发投入强度奖励", "鼓励企业研发创新"),
        "研发",
    )
    label = r.choice(("研发费用占营业收入比例", "研发投入强度", "研发费用占销售收入的比例"))
    brackets = (("small", 5000, 5.0), ("mid", 20000, 4.0), ("big", None, 3.0))
    keys = {
        name: cl.tier(name, f"营业收入{name}", f"按增量{num(rate)}%奖励", None) for name, _, _ in brackets
    }
    cl.add(*lead(r, c), r.choice(("企业", "企业研发投入")), "达到以下标准的，")
    cl.add(f"按其研发费用较上年增长部分的{num(rate)}%给予奖励，最高{money(cap, r)}：")
    cl.add(into(threshold(r, "revenue", "lte", 5000, label="营业收入"), keys["small"]), "的，")
    cl.add(into(threshold(r, "rd_ratio", "gte", 5, label=label), keys["small"]), "；")
    cl.add(into(threshold(r, "revenue", "gt", 5000, label="营业收入"), keys["mid"]), "、")
    cl.add(into(threshold(r, "revenue", "lte", 20000, label=""), keys["mid"]), "的，")
    cl.add(into(threshold(r, "rd_ratio", "gte", 4, label=""), keys["mid"]), "；")
    cl.add(into(threshold(r, "revenue", "gt", 20000, label="营业收入"), keys["big"]), "的，")
    cl.add(into(threshold(r, "rd_ratio", "gte", 3, label=""), keys["big"]), "。")
    # Labels of the tiers name their bracket, as people read it.
    cl.slots["small"]["label"] = "营业收入5000万元以下"
    cl.slots["mid"]["label"] = "营业收入5000万元至2亿元"
    cl.slots["big"]["label"] = "营业收入2亿元以上"
    if r.random() < 0.4:
        patents = threshold(r, "invention_patents", "gte", 1)
        cl.add(
            "对", cond(patents[0], "invention_patents", "gte", 1, role="bonus"), "的企业，评审时予以加分。"
        )
    cl.fulfilment = r.choice(("免申即享", "即申快享"))
    return cl


def innovation_any(r: random.Random, c: Context) -> Clause:
    """创新型企业培育: 同时符合… and 满足下列条件之一 (an ``any`` group over the v2 profile fields)."""
    cl, amount = award(
        r, (5, 10, 20), ("培育科技创新型企业", "支持高新技术企业培育入库", "科技企业梯队培育"), "高企"
    )
    markers = list_markers(c, 4)
    cl.add(f"对同时符合下列条件的企业，给予{money(amount, r)}培育奖励：")
    cl.add(markers[0], *region_entry(r, c), "；")
    span, op, value = _grade_required(r)
    cl.add(markers[1], cond(span, "tax_credit_grade", op, value), "；")
    cl.add(markers[2], threshold(r, "insured_employees", "gte", pick(r, (10, 20, 30))), "；")
    group = cl.group("any")
    options: list[Segment] = [
        threshold(r, "invention_patents", "gte", pick(r, (1, 2, 3))),
        threshold(r, "ip_count", "gte", pick(r, (3, 5, 6))),
        threshold(r, "rd_staff_ratio", "gte", pick(r, (10, 15))),
        threshold(r, "hightech_income_ratio", "gte", pick(r, (50, 60))),
    ]
    chosen = r.sample(options, r.choice((2, 3, 4)))
    cl.add(markers[3], r.choice(("满足下列条件之一：", "符合以下任一条件：", "具备下列条件之一：")))
    for i, option in enumerate(chosen):
        joiner = "" if i == 0 else ("，或" if i == len(chosen) - 1 and r.random() < 0.5 else "；")
        cl.add(joiner, into(option, group))  # type: ignore[arg-type]
    cl.add("。")
    if r.random() < 0.5:
        cl.add(*_exclude_grade(r))
    cl.fulfilment = r.choice(("即申即享", "快申优享", "一般申报"))
    return cl


def tech_center_application(r: random.Random, c: Context) -> Clause:
    """申报市级企业技术中心: the title applied for is no condition; what the applicant must have is."""
    cl, amount = award(
        r,
        (10, 20, 30),
        ("支持企业建设研发机构", "鼓励企业创建技术中心", "企业技术中心认定"),
        "研发",
        "资金奖励",
        "认定后奖励{}万元",
    )
    markers = list_markers(c, 4)
    cl.add(
        r.choice(
            ("申报市级企业技术中心的企业，应当具备以下条件：", "企业申请认定市级企业技术中心，须同时满足：")
        )
    )
    cl.add(markers[0], r.choice(("属于", "为")), industrial_subject(r), "；")
    cl.add(
        markers[1],
        threshold(
            r,
            "rd_expense",
            "gte",
            pick(r, (200, 300, 500)),
            label=r.choice(("年度研发经费支出", "上年度研发费用")),
        ),
        "；",
    )
    cl.add(markers[2], threshold(r, "rd_staff_ratio", "gte", pick(r, (5, 8, 10))), "；")
    cl.add(markers[3], threshold(r, "invention_patents", "gte", pick(r, (1, 2, 3))), "。")
    cl.add(f"经认定的市级企业技术中心，给予{money(amount, r)}一次性奖励。")
    cl.add(
        cond(
            r.choice(("已认定为省级企业技术中心", "已获省级企业技术中心认定")),
            "qualifications",
            "has",
            "省级企业技术中心",
            role="exclude",
        ),
        r.choice(("的企业不再重复申报。", "的除外。")),
    )
    cl.fulfilment = r.choice(("一般申报", "第三方评审"))
    return cl


def upscale_tiers(r: random.Random, c: Context) -> Clause:
    """小升规: a base reward, more for those insuring more staff (two tiers), 纳税信用 exclusion."""
    base, extra = pick(r, (5, 8, 10)), pick(r, (2, 3, 5))
    floor = pick(r, (20, 30, 50))
    cl = titled(
        r,
        ("推动小微企业上规升级", "实施小升规培育", "鼓励企业入规"),
        "小升规",
        "资金奖励",
        f"奖励{num(base)}万元起",
    )
    more = cl.tier("more", f"参保人数{floor}人以上", f"奖励{num(base + extra)}万元", base + extra)
    plain = cl.tier("base", "首次上规", f"奖励{num(base)}万元", base)
    del plain  # the base tier has no conditions of its own: every 上规 enterprise reaches it
    cl.add(*lead(r, c), r.choice(("当年首次纳入", "新纳入")))
    cl.add(cond(r.choice(("规模以上工业企业", "规上工业企业")), "qualifications", "has", "规上工业企业"))
    cl.add(f"统计的企业，给予{money(base, r)}奖励；其中")
    cl.add(into(threshold(r, "insured_employees", "gte", floor), more), f"的，再增加{money(extra, r)}。")
    if r.random() < 0.6:
        cl.add(*_exclude_grade(r))
    cl.fulfilment = r.choice(("免申即享", "即申即享"))
    return cl


def headquarters(r: random.Random, c: Context) -> Clause:
    """总部经济: 营业收入或纳税额 之一 (an ``any`` group), with sectors 除外."""
    revenue_floor = pick(r, (50000, 100000))
    tax_floor = pick(r, (2000, 3000, 5000))
    cl, amount = award(
        r, (100, 200, 300), ("大力发展总部经济", "支持总部企业落户", "总部企业培育奖励"), "新设"
    )
    group = cl.group("any")
    # Being a newly settled headquarters is a requirement no profile field holds (docs/labelling.md §0: a stated
    # requirement is never left out; it is undecidable), not the action supported.
    cl.add(*lead(r, c), undecidable(r.choice(("新引进或新认定的总部企业", "新落户的企业总部"))), "，")
    cl.add(
        into(
            threshold(r, "revenue", "gte", revenue_floor, label=r.choice(("年营业收入", "上年度营业收入"))),
            group,
        )
    )
    cl.add(r.choice(("或", "，或者")))
    cl.add(
        into(
            threshold(
                r,
                "tax_paid",
                "gte",
                tax_floor,
                label=r.choice(("年纳税总额", "地方财政贡献", "年度实缴税金")),
            ),
            group,
        )
    )
    cl.add(f"的，给予{money(amount, r)}落户奖励，分三年兑现。")
    sector = r.choice(
        (("房地产开发企业", ["K"]), ("房地产业和金融业企业", ["K", "J"]), ("金融类企业", ["J"]))
    )
    cl.add(
        cond(sector[0], "industry_code", "industry_in", sector[1], role="exclude"),
        r.choice(("除外。", "不适用本条。")),
    )
    cl.fulfilment = r.choice(("一般申报", "快申优享"))
    return cl


def mujun_tiers(r: random.Random, c: Context) -> Clause:
    """亩均效益 A/B 类 差别化减免: a tier per class."""
    tax = r.choice(("城镇土地使用税", "房产税"))
    share_b = r.choice((50, 30))
    cl = titled(r, ("实施亩均效益差别化政策", "亩均论英雄激励"), "亩均", "减免", f"{tax}减免")
    a = cl.tier("A", "A类", f"{tax}100%减免")
    b = cl.tier("B", "B类", f"{tax}{share_b}%减免")
    cl.add(*lead(r, c), industry_words(r), "中，")
    cl.add(
        into(cond(r.choice(("亩均效益综合评价为A类", "亩均效益评价结果为A类")), "mu_jun_class", "eq", "A"), a)
    )
    cl.add(f"的，{tax}按100%予以减免；")
    cl.add(into(cond(r.choice(("评价为B类", "亩均效益综合评价为B类")), "mu_jun_class", "eq", "B"), b))
    cl.add(f"的，按{share_b}%予以减免。")
    if r.random() < 0.15:
        cl.add(*_exclude_fact(r))
    cl.fulfilment = "免申即享"
    return cl


def loan_bonus(r: random.Random, c: Context) -> Clause:
    """贷款贴息 with 优先 (a ``bonus``) and 不予支持 (an exclusion): the bonus never required."""
    cl, rate, cap = capped(r, (30, 50), (10, 20, 50), ("加大融资支持", "降低小微企业融资成本"), "贴息")
    cl.add(*lead(r, c), cond("小微企业", "size_class", "in", ["小", "微"]))
    cl.add(f"新增的流动资金贷款，按贷款市场报价利率的{num(rate)}%给予贴息，单户年度最高{money(cap, r)}。")
    cl.add(
        r.choice(("资金不足时，", "")),
        cond(r.choice(("纳税信用等级为A级", "纳税信用A级")), "tax_credit_grade", "eq", "A", role="bonus"),
        r.choice(("的企业优先安排。", "的企业予以优先支持。")),
    )
    if r.random() < 0.35:
        cl.add(*_exclude_fact(r))
    cl.fulfilment = r.choice(("即申即享", "即申快享"))
    return cl


def jobs_insured(r: random.Random, c: Context) -> Clause:
    """稳岗: 参保人数 thresholds (v2 field) and an any group over two ways of qualifying."""
    per = pick(r, (1000, 1500, 2000))
    cl = titled(r, ("支持企业稳定就业岗位", "鼓励企业扩大就业"), "稳岗", "补助", f"每人{int(per)}元")
    group = cl.group("any")
    cl.add(*lead(r, c), cond("中小微企业", "size_class", "in", ["中", "小", "微"]))
    cl.add("，", into(threshold(r, "insured_employees", "gte", pick(r, (10, 20))), group))
    cl.add("或", into(threshold(r, "revenue_growth", "gte", pick(r, (10, 15))), group))
    cl.add(f"的，新招用高校毕业生并签订1年以上劳动合同的，按每人{int(per)}元给予一次性扩岗补助。")
    cl.fulfilment = r.choice(("即申即享", "即申快享"))
    return cl


# Kind → the realistic makers of that kind (a kind of corpus.demo.clauses.MAKERS).
SHAPES: dict[str, tuple[ClauseMaker, ...]] = {
    "专精特新": (zjtx_tiers,),
    "上台阶": (revenue_tiers,),
    "技改": (jigai_formula,),
    "研发": (rd_brackets, tech_center_application),
    "高企": (innovation_any,),
    "小升规": (upscale_tiers,),
    "新设": (headquarters,),
    "亩均": (mujun_tiers,),
    "贴息": (loan_bonus,),
    "稳岗": (jobs_insured,),
}
