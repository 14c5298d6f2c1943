"""What a tier grants: the support said in the text (奖励50万元), its amount, and a formula (按投资额的8%…最高200万元).

Split out of :mod:`matcher.extraction.tiers`, which pairs each outcome with the conditions before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.conditions import Formula
from matcher.extraction.numbers import NUMBER_PATTERN, parse_number, to_wan

_AMOUNT_RE = re.compile(
    rf"(?:奖励|奖补|补助|补贴|资助|扶持|给予|一次性)[^，。；0-9]{{0,8}}?(?P<num>{NUMBER_PATTERN})(?P<unit>亿元|万元|千元|元)"
)
_FORMULA_RE = re.compile(
    rf"按(?:照)?(?:其|企业|项目)?(?P<base>[^，。；的]{{2,12}}?)的(?P<rate>{NUMBER_PATTERN})%"
    r"(?:给予|予以|进行)?(?:一次性)?(?:奖励|奖补|补助|补贴|资助)"
    rf"(?:[，,]?(?:单个企业|每家企业|单个项目)?(?:最高|最多|上限)(?:不超过|为)?(?P<cap>{NUMBER_PATTERN})(?P<cap_unit>亿元|万元|元))?"
)
_FORMULA_BASES = (
    (r"设备投资|设备购置|技改投资|固定资产投资|投资额|总投资|投资", "investment"),
    (r"研发(?:费用|投入)", "rd_expense"),
    (r"纳税|税收", "tax_paid"),
    (r"出口", "export_value"),
    (r"营业收入|销售收入|主营业务收入", "revenue"),
    (r"产值", "output_value"),
)


def _formula(text: str, start: int, end: int) -> tuple[Formula, str] | None:
    match = _FORMULA_RE.search(text, start, end)
    if match is None:
        return None
    base = next((f for p, f in _FORMULA_BASES if re.search(p, match.group("base"))), None)
    rate = parse_number(match.group("rate"))
    if base is None or rate is None or rate <= 0:
        return None
    cap = None
    if match.group("cap"):
        number = parse_number(match.group("cap"))
        cap = None if number is None else to_wan(number, match.group("cap_unit"))
    return Formula(round(rate / 100, 6), base, cap), match.group(0)


@dataclass
class _Outcome:
    """One support said in the text (奖励50万元), the part it closes, and the conditions before it."""

    start: int
    end: int
    support: str
    amount: float | None
    formula: Formula | None = None


def _outcomes(text: str) -> list[_Outcome]:
    out = []
    for match in _AMOUNT_RE.finditer(text):
        number = parse_number(match.group("num"))
        if number is None:
            continue
        # 最高不超过200万元 caps an amount said before it; it is no outcome of its own.
        if re.search(
            r"(?:最高|最多|上限|不超过)[^，。；]{0,4}$", text[max(0, match.start() - 6) : match.start("num")]
        ):
            continue
        out.append(
            _Outcome(
                match.start(), match.end(), match.group(0), round(to_wan(number, match.group("unit")), 6)
            )
        )
    return out
