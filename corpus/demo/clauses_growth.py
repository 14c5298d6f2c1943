"""Demo clause makers for titles, innovation and growth (高企, 科小, 专精特新, 技改, 研发, 上台阶, 小升规, 贴息, 稳岗, 人才, 外贸, 成长).

Each draws its amounts, thresholds and wording from ``r`` and returns a
:class:`~corpus.demo.phrasing.Clause` whose condition segments are exactly what
the text requires; the ``*_listed`` variants write the conditions as a 申报条件 list.
"""

from __future__ import annotations

import random

from corpus.demo.clause_parts import (
    Context,
    alias,
    capped,
    founded_before,
    guishang,
    holds,
    industrial_subject,
    industry_words,
    lead,
    listed,
    mu_jun,
    optional_entries,
    region_entry,
    undecidable,
)
from corpus.demo.phrasing import Clause, Segment, award, cond, money, num, pick, threshold, titled

# The terms of the themes written both as a clause and as a 申报条件 list (``*_listed``): one table each,
# so both forms of a theme offer the same amounts and thresholds and say the same support.
_JIGAI_FLOORS = (200, 300, 500, 1000, 2000)  # 设备投资额, 万元
_JIGAI_RATES, _JIGAI_CAPS = (8, 10, 12, 15), (200, 300, 500, 1000)  # % of the investment; 万元
_RD_FLOORS = (100, 200, 300, 500, 1000)  # 研发费用, 万元
_RD_RATIOS = (3, 3.5, 4, 5)  # 研发费用 as a share of revenue, %
_RD_RATES, _RD_CAPS = (5, 10, 15, 20), (50, 100, 200, 300)  # % of the increase; 万元
_EXPORT_FLOORS, _EXPORT_AWARDS = (1000, 3000, 5000, 10000), (5, 10, 20, 30)  # 出口额, the award (万元)
_EXPORT_GROWTH = (5, 10, 15)  # 营业收入增长 (%)
_GROWTH_RATES, _GROWTH_FLOORS, _GROWTH_AWARDS = (15, 20, 30), (2000, 5000, 10000), (10, 20, 30)


def gaoqi(r: random.Random, c: Context) -> Clause:
    """高新技术企业认定奖励."""
    cl, amount = award(
        r,
        (10, 15, 20, 30, 50),
        ("鼓励创建高新技术企业", "支持高新技术企业发展", "高新技术企业认定奖励"),
        "高企",
    )
    cl.add(*lead(r, c), r.choice(("首次认定的", "当年新认定的", "新认定（含重新认定）的", "")))
    cl.add(holds(r, "国家高新技术企业"))
    cl.add(f"，给予一次性奖励{money(amount, r)}")
    if r.random() < 0.4:
        cl.add(f"；重新认定的，给予{money(amount / 2, r)}奖励")
    cl.add("。")
    cl.fulfilment = r.choice(("免申即享", "免申即享", "一般申报"))
    return cl


def keji_xiao(r: random.Random, c: Context) -> Clause:
    """科技型中小企业入库奖励 (not yet 高企)."""
    cl, amount = award(r, (1, 2, 3, 5), ("培育科技型中小企业", "科技型中小企业奖励"), "科小")
    cl.add(
        *lead(r, c),
        "首次评价入库的",
        holds(r, "科技型中小企业"),
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
    cl = titled(
        r,
        ("支持专精特新发展", "实施专精特新培育工程", "鼓励企业走专精特新之路"),
        "专精特新",
        "资金奖励",
        f"奖励{num(amount)}万元",
    )
    cl.add(*lead(r, c), "新认定的")
    if title:
        cl.add(holds(r, title), f"，一次性奖励{money(amount, r)}。")
    else:
        both = ("国家级专精特新“小巨人”企业", "省级专精特新中小企业")
        span = f"{alias(r, both[0])}、{alias(r, both[1])}"
        cl.add(
            cond(span, "qualifications", "in", list(both)),
            f"，分别给予{money(amount, r)}、{money(amount / 5, r)}奖励。",
        )
    cl.fulfilment = r.choice(("免申即享", "免申即享", "一般申报"))
    return cl


def jigai(r: random.Random, c: Context) -> Clause:
    """技术改造项目补助."""
    floor = pick(r, _JIGAI_FLOORS)
    cl, rate, cap = capped(
        r,
        _JIGAI_RATES,
        _JIGAI_CAPS,
        ("支持企业技术改造", "加大技改投入支持", "鼓励设备更新和技术改造"),
        "技改",
    )
    cl.add(*lead(r, c), industrial_subject(r), r.choice(("实施的", "")))
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
        cl.add("申报企业", mu_jun(r), "。")
    if r.random() < 0.2:
        cl.add("项目须", undecidable("已竣工投产并通过验收"), "。")
    cl.fulfilment = r.choice(("一般申报", "第三方评审", "第三方评审"))
    return cl


def yanfa(r: random.Random, c: Context) -> Clause:
    """研发投入奖励."""
    rd_floor = pick(r, _RD_FLOORS)
    ratio = pick(r, _RD_RATIOS)
    cl, rate, cap = capped(
        r, _RD_RATES, _RD_CAPS, ("鼓励企业加大研发投入", "支持企业研发创新", "研发投入后补助"), "研发"
    )
    cl.add(*lead(r, c))
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
            holds(r, "国家高新技术企业"),
        )
    else:
        cl.add(
            guishang(r),
            "中",
            threshold(r, "rd_expense", "gte", rd_floor),
            "的",
        )
    cl.add(f"，按其研发费用较上年增长部分的{num(rate)}%给予奖励，最高不超过{money(cap, r)}。")
    cl.fulfilment = r.choice(("免申即享", "一般申报"))
    return cl


def shangtaijie(r: random.Random, c: Context) -> Clause:
    """营收 / 产值上台阶奖励."""
    cl = titled(r, ("鼓励企业做大做强", "支持企业上台阶", "实施企业梯度培育"), "上台阶", "资金奖励", "")
    cl.add(*lead(r, c))
    tiers = (5000, 10000, 50000, 100000, 500000)
    floor = pick(r, tiers)
    amount = {5000: 10, 10000: 20, 50000: 50, 100000: 100, 500000: 200}[int(floor)]
    labels: tuple[str, ...]
    if r.random() < 0.6:
        measure, labels = "revenue", ("营业收入首次", "年营业收入首次", "主营业务收入首次")
    else:
        measure, labels = "output_value", ("工业总产值首次", "年产值首次")
    cl.add(threshold(r, measure, r.choice(("gte", "gt")), floor, label=r.choice(labels)))
    cl.add("的", industry_words(r))
    cl.add(f"，给予一次性奖励{money(amount, r)}。")
    cl.support = f"奖励{num(amount)}万元"
    cl.fulfilment = r.choice(("免申即享", "免申即享", "一般申报"))
    return cl


def xiaoshenggui(r: random.Random, c: Context) -> Clause:
    """小升规奖励."""
    cl, amount = award(r, (3, 5, 8, 10), ("推动企业上规升级", "鼓励小升规"), "小升规")
    cl.add(
        *lead(r, c),
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
    cl, rate, cap = capped(
        r, (30, 50, 100), (10, 20, 30, 50), ("缓解企业融资难题", "实施贷款贴息", "降低企业融资成本"), "贴息"
    )
    cl.add(*lead(r, c))
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
    cl = titled(r, ("支持企业稳岗扩岗", "鼓励吸纳就业", "实施稳岗返还"), "稳岗", "补助", f"每人{int(per)}元")
    cl.add(*lead(r, c))
    if r.random() < 0.5:
        cl.add(
            threshold(
                r, "employees", "lte", pick(r, (30, 50, 100)), label=r.choice(("在职职工", "职工人数"))
            ),
            "的",
            cond("中小微企业", "size_class", "in", ["中", "小", "微"]),
        )
        cl.add(f"，新招用高校毕业生并签订1年以上劳动合同的，按每人{int(per)}元给予一次性扩岗补助。")
    else:
        cl.add(
            f"新招用登记失业半年以上人员并签订1年以上劳动合同的企业，按每人{int(per)}元给予一次性吸纳就业补贴。"
        )
        cl.add("享受补贴的企业须", undecidable("按规定足额缴纳社会保险费"), "。")
    cl.fulfilment = r.choice(("即申即享", "即申即享", "一般申报"))
    return cl


def rencai(r: random.Random, c: Context) -> Clause:
    """人才引进补助."""
    cl, amount = award(
        r,
        (5, 10, 20, 30),
        ("支持企业引进高层次人才", "加强企业人才引育", "人才安家补助"),
        "人才",
        "人才",
        "每人{}万元安家补助",
    )
    cl.add(*lead(r, c))
    if r.random() < 0.5:
        # "A和B" offers the item to either title: one `in` condition over the whole phrase.
        span = f"{alias(r, '国家高新技术企业')}和{alias(r, '省级专精特新中小企业')}"
        cl.add(cond(span, "qualifications", "in", ["国家高新技术企业", "省级专精特新中小企业"]))
    else:
        cl.add(industry_words(r))
    # Hiring the doctor is the action supported, not a status the enterprise must already have: no condition.
    talent = r.choice(("全职博士研究生", "全职硕士研究生及以上人才"))
    cl.add(f"新引进{talent}并签订3年以上劳动合同的，给予每人{money(amount, r)}安家补助，分三年发放。")
    cl.fulfilment = "一般申报"
    return cl


def waimao(r: random.Random, c: Context) -> Clause:
    """出口奖励."""
    floor = pick(r, _EXPORT_FLOORS)
    cl, amount = award(r, _EXPORT_AWARDS, ("鼓励企业开拓国际市场", "支持外贸稳规模", "出口实绩奖励"), "外贸")
    cl.add(*lead(r, c), threshold(r, "export_value", r.choice(("gte", "gt")), floor))
    if r.random() < 0.4:
        cl.add("且", threshold(r, "revenue_growth", "gte", pick(r, _EXPORT_GROWTH)))
    cl.add(f"的企业，给予{money(amount, r)}奖励；参加境外展会的，按展位费的50%给予补助。")
    cl.fulfilment = r.choice(("一般申报", "免申即享"))
    return cl


def chengzhang(r: random.Random, c: Context) -> Clause:
    """高成长企业奖励."""
    growth = pick(r, _GROWTH_RATES)
    floor = pick(r, _GROWTH_FLOORS)
    cl, amount = award(r, _GROWTH_AWARDS, ("奖励高成长企业", "支持企业加快成长", "培育雏鹰企业"), "成长")
    cl.add(
        *lead(r, c),
        threshold(r, "revenue_growth", r.choice(("gte", "gt")), growth),
        "、",
        threshold(r, "revenue", "gte", floor),
    )
    if r.random() < 0.5:
        cl.add(
            "的",
            guishang(r),
        )
    else:
        cl.add("的企业")
    if r.random() < 0.4:
        cl.add(
            "（",
            founded_before(r, c.issued.year - 3),
            "）",
        )
    cl.add(f"，给予{money(amount, r)}奖励。")
    cl.fulfilment = r.choice(("免申即享", "一般申报"))
    return cl


def jigai_listed(r: random.Random, c: Context) -> Clause:
    """技术改造项目补助, its conditions as a 申报条件 list."""
    floor = pick(r, _JIGAI_FLOORS)
    cl, rate, cap = capped(r, _JIGAI_RATES, _JIGAI_CAPS, ("支持企业技术改造", "技术改造项目补助"), "技改")
    entries = [region_entry(r, c), ["属于", industrial_subject(r)]]
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
        entries.append([mu_jun(r)])
    entries += optional_entries(r)
    intro: list[Segment] = [
        f"对企业实施的技术改造项目，按设备投资额的{num(rate)}%给予补助，单个项目最高不超过{money(cap, r)}。"
    ]
    cl.fulfilment = r.choice(("一般申报", "第三方评审"))
    return listed(r, c, cl, intro, entries)


def yanfa_listed(r: random.Random, c: Context) -> Clause:
    """研发投入奖励, its conditions as a 申报条件 list."""
    cl, rate, cap = capped(r, _RD_RATES, _RD_CAPS, ("研发投入奖励", "鼓励企业加大研发投入"), "研发")
    entries = [region_entry(r, c)]
    if r.random() < 0.5:
        entries.append(["为", holds(r, "国家高新技术企业")])
    else:
        entries.append(
            [
                "为",
                guishang(r),
            ]
        )
    entries.append([threshold(r, "rd_expense", "gte", pick(r, _RD_FLOORS))])
    entries.append([threshold(r, "rd_ratio", r.choice(("gte", "gt")), pick(r, _RD_RATIOS))])
    entries += optional_entries(r)
    intro: list[Segment] = [
        f"按企业研发费用较上年增长部分的{num(rate)}%给予奖励，最高不超过{money(cap, r)}。"
    ]
    cl.fulfilment = r.choice(("免申即享", "一般申报"))
    return listed(r, c, cl, intro, entries)


def chengzhang_listed(r: random.Random, c: Context) -> Clause:
    """高成长企业奖励, the conditions listed after "对同时符合下列条件的企业，给予…奖励："."""
    cl, amount = award(r, _GROWTH_AWARDS, ("奖励高成长企业", "培育雏鹰企业"), "成长")
    entries = [region_entry(r, c)]
    entries.append([threshold(r, "revenue_growth", r.choice(("gte", "gt")), pick(r, _GROWTH_RATES))])
    entries.append([threshold(r, "revenue", "gte", pick(r, _GROWTH_FLOORS))])
    if r.random() < 0.5:
        entries.append([founded_before(r, c.issued.year - 3)])
    entries += optional_entries(r)
    intro: list[Segment] = [f"对同时符合下列条件的企业，给予{money(amount, r)}奖励："]
    cl.fulfilment = r.choice(("免申即享", "一般申报"))
    return listed(r, c, cl, intro, entries)


def waimao_listed(r: random.Random, c: Context) -> Clause:
    """出口奖励, the conditions listed after "对符合以下条件的外贸企业，给予…奖励："."""
    cl, amount = award(r, _EXPORT_AWARDS, ("出口实绩奖励", "支持外贸稳规模"), "外贸")
    entries = [region_entry(r, c)]
    entries.append([threshold(r, "export_value", r.choice(("gte", "gt")), pick(r, _EXPORT_FLOORS))])
    if r.random() < 0.6:
        entries.append([threshold(r, "revenue_growth", "gte", pick(r, _EXPORT_GROWTH))])
    entries += optional_entries(r)
    intro: list[Segment] = [f"对符合以下条件的外贸企业，给予{money(amount, r)}奖励："]
    cl.fulfilment = r.choice(("一般申报", "免申即享"))
    return listed(r, c, cl, intro, entries)
