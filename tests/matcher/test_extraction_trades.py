"""Trades named as a requirement, and trades named only as context (issue 14, x38).

Sentences written for these tests.
"""

from __future__ import annotations

import pytest

from corpus.conditions import leaves
from matcher.extraction import extract_entries


def _industries(text: str) -> list[tuple[str, ...]]:
    found = [c for c in leaves(extract_entries(text)) if c.field == "industry_code"]
    for c in found:
        assert c.span and c.span in text, c
    return [tuple(c.value) for c in found]


@pytest.mark.parametrize(
    "sentence",
    [
        # Lending to a trade is the lenders' business, not a requirement on the enterprise.
        "银行要加大制造业中长期贷款投放，支持企业技术改造。",
        "鼓励金融机构加大对住宿餐饮、交通运输等行业的信贷支持。",
    ],
)
def test_lending_to_a_trade_is_no_industry(sentence: str) -> None:
    assert _industries(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "codes"),
    [
        # The trade is whom the measure is for; the loan's interest is what it pays.
        ("对制造业企业给予贷款贴息。", [("C",)]),
        ("对交通运输企业的贷款给予贴息支持。", [("G",)]),
    ],
)
def test_a_trade_whose_loans_are_subsidised_stays_required(
    sentence: str, codes: list[tuple[str, ...]]
) -> None:
    assert _industries(sentence) == codes
