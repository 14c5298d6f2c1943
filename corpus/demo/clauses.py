"""The kinds of item a demo policy offers (技改补助, 高企奖励, 贷款贴息, ...), each written with its true conditions.

One function per kind: it draws the amounts, the thresholds and the wording
from ``r`` and returns a :class:`~corpus.demo.phrasing.Clause` whose condition
segments are exactly what the text requires. ``THEMES`` names each kind the way
an enterprise would ask about it (the retrieval set's questions use these).
"""

from __future__ import annotations

import random

from corpus.demo.clause_parts import SEMANTIC, THEMES, ClauseMaker, Context
from corpus.demo.clauses_growth import (
    chengzhang,
    chengzhang_listed,
    gaoqi,
    jigai,
    jigai_listed,
    keji_xiao,
    rencai,
    shangtaijie,
    tiexi,
    waimao,
    waimao_listed,
    wengang,
    xiaoshenggui,
    yanfa,
    yanfa_listed,
    zhuanjingtexin,
)
from corpus.demo.clauses_place import (
    chanye,
    fuwuye,
    mujun,
    nashui,
    shoutaitao,
    shuzihua,
    xinshe,
    yongdi,
    zhiliang,
)
from corpus.demo.phrasing import Clause

__all__ = ["MAKERS", "SEMANTIC", "THEMES", "TOPICS", "Context"]


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
