"""Demo clause makers for tax, land, places and sectors (纳税, 亩均, 新设, 数字化, 首台套, 产业专项, 用地, 服务业, 质量品牌)."""

from __future__ import annotations

import datetime as dt
import random

from corpus.demo.clause_parts import (
    SEMANTIC,
    Context,
    capped,
    exclusion,
    guishang,
    industry_words,
    lead,
    undecidable,
)
from corpus.demo.phrasing import Clause, award, cond, money, num, pick, region_phrase, threshold, titled


def nashui(r: random.Random, c: Context) -> Clause:
    """纳税贡献表彰 (荣誉)."""
    floor = pick(r, (500, 1000, 3000, 5000, 10000))
    cl = titled(r, ("表彰纳税贡献企业", "开展优秀企业评选"), "纳税", "荣誉", "授予称号")
    region = c.issuer.region_name
    cl.add(
        *lead(r, c),
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
        cl.add(*exclusion(r))
    cl.fulfilment = "免申即享"
    return cl


def mujun(r: random.Random, c: Context) -> Clause:
    """亩均效益 A/B 类企业的减免."""
    tax = r.choice(("城镇土地使用税", "房产税"))
    cl = titled(
        r, ("深化亩均论英雄改革", "实施亩均效益差别化政策", "亩均效益评价激励"), "亩均", "减免", f"{tax}减免"
    )
    cl.add(*lead(r, c))
    if r.random() < 0.5:
        cl.add(cond("亩均效益综合评价为A类", "mu_jun_class", "eq", "A"), "的", industry_words(r))
        cl.add(f"，{tax}按100%予以减免。")
    else:
        cl.add(cond("亩均效益综合评价为A类、B类", "mu_jun_class", "in", ["A", "B"]), "的", industry_words(r))
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
    cl = titled(
        r,
        ("支持新落户企业", "鼓励新设企业", "招大引强落户奖励"),
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
        threshold(r, "employees", "gte", pick(r, (10, 20, 30, 50)), label=r.choice(("从业人员", "在职职工")))
    )
    cl.add(f"的，给予{money(amount, r)}开办补助。")
    cl.fulfilment = r.choice(("一般申报", "即申即享"))
    return cl


def shuzihua(r: random.Random, c: Context) -> Clause:
    """数字化 / 智能化改造补助."""
    floor = pick(r, (100, 200, 300, 500))
    cl, rate, cap = capped(
        r,
        (10, 15, 20),
        (100, 200, 300),
        ("推进制造业数字化改造", "支持智能化改造", "鼓励企业上云用数赋智"),
        "数字化",
    )
    cl.add(
        *lead(r, c),
        "实施数字化改造的",
        guishang(r),
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
        cl.add("申报企业须", undecidable("通过两化融合管理体系贯标评定"), "。")
    cl.fulfilment = r.choice(("第三方评审", "一般申报"))
    return cl


def shoutaitao(r: random.Random, c: Context) -> Clause:
    """首台（套）装备奖励."""
    amount = pick(r, (50, 100, 200))
    level = r.choice(("省级", "国内"))
    cl = titled(
        r,
        ("支持首台（套）装备推广应用", "首台（套）产品奖励"),
        "首台套",
        "资金奖励",
        f"奖励{num(amount)}万元",
    )
    cl.add(
        *lead(r, c),
        "研制产品",
        undecidable(f"获得{level}首台（套）装备认定"),
        f"的企业，给予{money(amount, r)}奖励。",
    )
    if r.random() < 0.5:
        cl.add(*exclusion(r))
    cl.fulfilment = r.choice(("一般申报", "免申即享"))
    return cl


def chanye(r: random.Random, c: Context) -> Clause:
    """产业专项 with a ``semantic`` requirement on what the enterprise does."""
    words, lines, offer = r.choice(SEMANTIC)
    cl, rate, cap = capped(
        r,
        (10, 20, 30),
        (50, 100, 200, 500),
        ("培育重点产业链", "支持战略性新兴产业发展", "产业链专项扶持"),
        "产业专项",
    )
    # The value is the requirement without its verb 从事 ("集成电路设计"), as extraction writes it.
    value = words.removeprefix("从事")
    cl.add(*lead(r, c), cond(words, "business_scope", "semantic", value), "的企业")
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
    cl = titled(r, ("保障重大项目用地", "强化要素保障"), "用地", "用地", "优先保障用地")
    cl.add(
        *lead(r, c),
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
        cl.add("项目", undecidable("近三年未发生重大环境污染事件"), "的企业方可申报。")
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
    cl, amount = award(
        r, (5, 10, 20), ("支持服务业企业升级", "鼓励商贸企业做大", "限上企业培育奖励"), "服务业"
    )
    cl.add(
        *lead(r, c),
        threshold(r, "revenue", r.choice(("gte", "gt")), pick(r, sector[2])),
        "的",
        cond(sector[0], "industry_code", "industry_in", sector[1]),
    )
    cl.add(f"，给予{money(amount, r)}奖励。")
    if r.random() < 0.4:
        cl.add(*exclusion(r))
    cl.fulfilment = r.choice(("免申即享", "一般申报"))
    return cl


def zhiliang(r: random.Random, c: Context) -> Clause:
    """质量品牌 / 标准制定奖励."""
    amount = pick(r, (10, 20, 30, 50))
    what = r.choice(("获得“品字标浙江制造”认证", "主导制定国际标准或国家标准", "获得省政府质量奖"))
    cl = titled(
        r,
        ("实施质量强市战略", "鼓励标准制定和品牌建设", "质量品牌奖励"),
        "质量品牌",
        "资金奖励",
        f"奖励{num(amount)}万元",
    )
    cl.add(*lead(r, c), "当年", undecidable(what), "的")
    cl.add(industry_words(r) if r.random() < 0.5 else "企业")
    cl.add(f"，给予{money(amount, r)}奖励。")
    if r.random() < 0.5:
        cl.add(*exclusion(r))
    cl.fulfilment = r.choice(("一般申报", "第三方评审"))
    return cl


# --- 申报条件 lists: the support first, then the conditions as a numbered list ----------------------
