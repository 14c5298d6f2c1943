"""How the demo's policy texts say things: amounts, thresholds with boundary words, regions, exclusions.

Every phrase that states a condition is built together with its
:class:`~corpus.conditions.Condition`, so the generator knows the exact span of
each condition in the text it writes. Boundary words follow conditions.md:
以上 / 不低于 / 达到 / 及以上 → ``gte``; 超过 / 高于 → ``gt``; 以下 / 不超过 /
不高于 / 以内 → ``lte``; 低于 / 不足 / 未满 → ``lt``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from corpus.conditions import Condition, Formula, Role

# A piece of an item's text: plain words, or words that state a condition — optionally placed in a
# slot (an ``any`` group or a tier of the clause, see :meth:`Clause.group` and :meth:`Clause.tier`).
Segment = str | tuple[str, Condition] | tuple[str, Condition, str]


@dataclass
class Clause:
    """One item as the generator writes it: a title and body segments, plus what it offers."""

    title: str
    theme: str
    support_type: str
    support: str
    segments: list[Segment] = field(default_factory=list)
    fulfilment: str | None = None
    semantic_lines: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Slots of the condition language v2, in the order they were opened (tiers best first):
    # key → {"kind": "any", "role", "parent"} or {"kind": "tier", "label", "support", "amount", "formula"}.
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, *parts: Segment) -> Clause:
        """Append plain text and condition segments."""
        self.segments.extend(p for p in parts if p != "")
        return self

    def group(self, key: str, *, role: Role = "require", parent: str | None = None) -> str:
        """Open an ``any`` group (或 / 之一): segments placed in ``key`` become its members."""
        self.slots[key] = {"kind": "any", "role": role, "parent": parent}
        return key

    def tier(
        self, key: str, label: str, support: str, amount: float | None = None, formula: Formula | None = None
    ) -> str:
        """Open a tier (an outcome with its own conditions); open tiers best first."""
        self.slots[key] = {
            "kind": "tier",
            "label": label,
            "support": support,
            "amount": amount,
            "formula": formula,
        }
        return key


def cond(
    text: str, field_name: str, op: str, value: object, *, role: Role = "require"
) -> tuple[str, Condition]:
    """Return a segment stating one condition; its span is exactly ``text``."""
    return (text, Condition(field_name, op, value, span=text, source="edited", role=role))


def into(
    segment: tuple[str, Condition] | tuple[str, Condition, str], slot: str
) -> tuple[str, Condition, str]:
    """Place a condition segment in a slot (an ``any`` group or a tier) of its clause."""
    return (segment[0], segment[1], slot)


# --- numbers --------------------------------------------------------------------------------------


def num(value: float) -> str:
    """Write a number as policies do: no trailing zeros (1.5, 20, 0.8)."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def money(wan: float, r: random.Random, *, allow_yuan: bool = True) -> str:
    """Write an amount in 万元 as 亿元 / 万元 / 元 the way policy texts do."""
    if wan >= 10000 and (wan * 10) % 10000 == 0:
        return f"{num(wan / 10000)}亿元"
    if allow_yuan and wan < 100 and float(wan * 10000).is_integer() and r.random() < 0.12:
        return f"{int(wan * 10000)}元"
    return f"{num(wan)}万元"


GTE_FORMS = (
    "{l}达到{v}",
    "{l}{v}以上",
    "{l}不低于{v}",
    "{l}在{v}及以上",
    "{l}达到{v}及以上",
    "{l}{v}（含）以上",
)
GT_FORMS = ("{l}超过{v}", "{l}高于{v}")
LTE_FORMS = ("{l}{v}以下", "{l}不超过{v}", "{l}不高于{v}", "{l}在{v}以内", "{l}{v}（含）以下")
LT_FORMS = ("{l}低于{v}", "{l}不足{v}")
FORMS = {"gte": GTE_FORMS, "gt": GT_FORMS, "lte": LTE_FORMS, "lt": LT_FORMS}

LABELS: dict[str, tuple[str, ...]] = {
    "revenue": ("营业收入", "上年度营业收入", "年营业收入", "主营业务收入", "年销售收入", "上年度销售收入"),
    "employees": ("从业人员", "职工人数", "在职职工", "员工人数", "上年度从业人员"),
    "rd_expense": ("研发费用", "上年度研发费用", "年度研发经费投入", "研发费用支出"),
    "rd_ratio": (
        "研发费用占营业收入比重",
        "研发投入占营业收入比例",
        "研发投入强度",
        "研发费用占销售收入的比例",
    ),
    "revenue_growth": ("营业收入增长率", "营业收入同比增长", "销售收入增幅", "营业收入增速"),
    "total_assets": ("资产总额", "总资产", "上年末资产总额"),
    "tax_paid": ("纳税总额", "年纳税额", "上年度实缴税金", "年度实缴税收"),
    "output_value": ("工业总产值", "年工业总产值", "上年度工业产值"),
    "export_value": ("出口额", "年出口额", "自营出口额", "上年度出口额"),
    "investment": ("设备投资额", "技改投资额", "项目总投资", "固定资产投资额", "生产性设备投资"),
    # Fields of the condition language v2 (docs/conditions.md §4).
    "invention_patents": ("拥有有效发明专利", "授权发明专利", "有效发明专利数量"),
    "ip_count": ("拥有知识产权", "拥有自主知识产权", "有效知识产权数量"),
    "rd_staff_ratio": ("研发人员占职工总数比例", "科技人员占企业职工总数的比例", "研发人员占比"),
    "hightech_income_ratio": (
        "高新技术产品（服务）收入占企业同期总收入的比例",
        "高新技术产品收入占比",
        "主导产品收入占销售收入比重",
    ),
    "insured_employees": ("参保人数", "缴纳社会保险的职工人数", "参保职工人数"),
}
PERCENT_FIELDS = frozenset({"rd_ratio", "revenue_growth", "rd_staff_ratio", "hightech_income_ratio"})
COUNT_UNITS = {"employees": "人", "insured_employees": "人", "invention_patents": "件", "ip_count": "项"}


def threshold(
    r: random.Random, field_name: str, op: str, value: float, *, label: str | None = None
) -> tuple[str, Condition]:
    """Write a threshold phrase ("上年度营业收入达到1亿元") with its condition; money in 万元, ratios in %."""
    label = r.choice(LABELS[field_name]) if label is None else label
    if field_name in PERCENT_FIELDS:
        shown = f"{num(value)}%"
    elif field_name in COUNT_UNITS:
        shown = f"{int(value)}{COUNT_UNITS[field_name]}"
    else:
        shown = money(value, r)
    forms = LT_FORMS + ("{l}未满{v}",) if op == "lt" and field_name in COUNT_UNITS else FORMS[op]
    if label.endswith("首次"):  # "首次达到1亿元", never "首次不低于1亿元"
        forms = {"gte": ("{l}达到{v}", "{l}达到{v}及以上"), "gt": ("{l}超过{v}",)}.get(op, forms)
    text = r.choice(forms).format(l=label, v=shown)
    return cond(text, field_name, op, int(value) if field_name in COUNT_UNITS else float(value))


def pick(r: random.Random, options: Sequence[float]) -> float:
    """Pick one of a list of round values."""
    return r.choice(list(options))


def titled(r: random.Random, titles: Sequence[str], theme: str, kind: str, support: str) -> Clause:
    """Make a clause under one of ``titles`` (drawn now) with its theme, kind of support and support text."""
    return Clause(r.choice(titles), theme, kind, support)


def award(
    r: random.Random,
    amounts: Sequence[float],
    titles: Sequence[str],
    theme: str,
    kind: str = "资金奖励",
    support: str = "奖励{}万元",
) -> tuple[Clause, float]:
    """Make a clause under one of ``titles`` giving one of ``amounts`` 万元 (``support`` shows it); return it and the amount.

    The amount is drawn before the title, as every clause drew them, so a seed's corpus stays the same.
    """
    amount = pick(r, amounts)
    return titled(r, titles, theme, kind, support.format(num(amount))), amount


# --- regions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    """Who issues a policy and for which region."""

    level: str  # province / city / county
    region_code: str
    region_name: str  # 浙江省 / 台州市 / 黄岩区
    full_prefix: str  # 浙江省 / 台州市 / 台州市黄岩区 / 温岭市
    kind: str  # 省 / 市 / 区 / 县
    short: str  # 文号 prefix: 浙 / 台 / 黄 / 温

    def dept(self, short: str) -> str:
        """Name one of the issuer's departments (区经信局, 省科技厅)."""
        if self.level == "province":
            return short  # already 省经信厅
        return f"{self.kind}{short}"


def region_phrase(r: random.Random, issuer: Issuer) -> tuple[list[Segment], str]:
    """Write a phrase restricting an item to the issuer's region, and the glue after it ("的" or "")."""
    code = issuer.region_code
    we = {"province": ("我省", "省内", "全省"), "city": ("我市", "本市", "全市"), "county": ()}[issuer.level]
    if issuer.level == "county":
        we = (f"我{issuer.kind}", f"本{issuer.kind}", f"全{issuer.kind}")
    roll = r.random()
    if roll < 0.55:
        return [cond(r.choice(we), "region_code", "within_region", code)], ""
    name = issuer.region_name
    text = r.choice(
        (f"在{name}注册登记", f"注册地在{name}", f"在{name}范围内注册", f"工商注册地和税务登记地均在{name}")
    )
    return [cond(text, "region_code", "within_region", code)], "的"


# --- exclusions, fulfilment ----------------------------------------------------------------------


def honest_record(r: random.Random) -> list[Segment]:
    """Write "not on a dishonesty list, and no major violation" (after a 未), with both conditions."""
    return [
        cond(r.choice(("被列入严重失信主体名单", "被列入失信被执行人名单")), "credit_status", "eq", "normal"),
        "，且",
        cond(
            r.choice(("近三年无重大违法违规记录", "近三年内未发生重大违法行为")),
            "major_violation",
            "eq",
            False,
        ),
    ]


def exclusion_sentence(r: random.Random) -> list[Segment]:
    """Write a sentence excluding 失信 and/or 重大违法 enterprises."""
    roll = r.random()
    if roll < 0.45:
        return [
            cond(
                r.choice(("列入严重失信主体名单", "被列入失信被执行人名单", "存在失信行为")),
                "credit_status",
                "eq",
                "normal",
            ),
            "或",
            cond(
                r.choice(("近三年有重大违法违规记录", "存在重大违法行为", "近三年内发生重大违法行为")),
                "major_violation",
                "eq",
                False,
            ),
            r.choice(("的企业，不得享受本条政策。", "的企业不予支持。", "的，不予兑现。")),
        ]
    if roll < 0.7:
        return ["申报企业须未", *honest_record(r), "。"]
    if roll < 0.85:
        return [
            cond(
                r.choice(("列入严重失信主体名单", "被列入失信被执行人名单")), "credit_status", "eq", "normal"
            ),
            r.choice(("的企业不得申报。", "的企业不享受本条政策。")),
        ]
    return [
        cond(r.choice(("近三年有重大违法违规记录", "存在重大违法行为")), "major_violation", "eq", False),
        "的企业不予支持。",
    ]


def fulfilment_sentence(
    r: random.Random, mode: str, issuer: Issuer, dept: str, finance: str, support_type: str = "资金奖励"
) -> str:
    """Write a sentence stating how the item is delivered (免申即享 / 即申即享 / 一般申报 / 第三方评审)."""
    jointly = f"{dept}会同{finance}" if finance != dept else dept
    if mode == "免申即享" and support_type == "减免":
        return r.choice(
            (
                "本条政策实行“免申即享”，由税务部门依据亩均效益评价结果直接办理减免，企业无需申报。",
                "减免实行“免申即享”，企业无需提交申请。",
            )
        )
    if mode == "免申即享" and support_type == "荣誉":
        return f"实行“免申即享”，由{dept}根据统计和税务数据直接认定并公布名单。"
    if mode == "免申即享":
        return r.choice(
            (
                f"本条政策实行“免申即享”，由{jointly}根据认定名单直接兑付，企业无需申报。",
                f"该项奖励通过“免申即享”方式兑现，{dept}依据相关部门数据主动核定。",
                f"采取“免申即享”方式，由{dept}直接拨付至企业账户。",
            )
        )
    if mode == "即申即享":
        return r.choice(
            (
                "企业通过“浙里办”线上提交申请，符合条件的“即申即享”、即时兑付。",
                f"实行“即申即享”，企业在线申报后由{dept}即时审核兑现。",
            )
        )
    if mode == "快申优享":
        return r.choice(
            (
                f"本条实行“快申优享”，企业在线提交承诺书后由{dept}限时审核兑现。",
                f"采取“快申优享”方式兑现，企业简化申报材料，{jointly}在20个工作日内完成审核。",
            )
        )
    if mode == "即申快享":
        return r.choice(
            (
                f"本条实行“即申快享”，企业申报后{dept}即时受理、快速拨付。",
                "通过政策兑现平台“即申快享”，符合条件的当月拨付。",
            )
        )
    if mode == "第三方评审":
        return r.choice(
            (
                f"由{dept}委托第三方机构组织专家评审后确定支持名单。",
                f"项目经第三方评审机构评审、{dept}审核公示后予以兑现。",
            )
        )
    month = r.choice(("3", "4", "5", "6", "9"))
    return r.choice(
        (
            f"企业于每年{month}月底前向{dept}提出申请，经审核后拨付。",
            f"符合条件的企业按年度向{dept}申报，经{jointly}审核后兑现。",
            f"由企业自愿申报，{dept}审核认定后予以兑现。",
        )
    )
