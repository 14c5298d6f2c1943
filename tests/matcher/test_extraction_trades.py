"""Trades named as a requirement, and trades named only as context (issue 14, x38).

Sentences written for these tests.
"""

from __future__ import annotations

import pytest
from extraction_helpers import checked_leaves


def _industries(text: str) -> list[tuple[str, ...]]:
    """Industry codes of the served v2 entries, each with its span in the text (``test_extraction`` reads v1)."""
    return [tuple(c.value) for c in checked_leaves(text, "industry_code")]


@pytest.mark.parametrize(
    "sentence",
    [
        # A green lane for goods in transit serves the goods, not transport firms.
        "开通建材供应、物流运输绿色通道，保障重点项目建设。",
        # 公共交通运输服务 is a public service narrower than the transport 门类.
        "对纳税人提供公共交通运输服务取得的收入，免征增值税。",
        # Bare 住宿 outside a list of trades is a cost or a stay, not the trade.
        "对集中隔离期间发生的住宿费用，由财政予以补助。",
    ],
)
def test_a_trade_named_as_context_is_no_industry(sentence: str) -> None:
    assert _industries(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "codes"),
    [
        ("对受疫情影响较大的交通运输企业，给予运营补贴。", [("G",)]),
        ("对物流运输企业给予通行费减免。", [("G",)]),
        ("对住宿企业给予一次性补助。", [("H61",)]),
        ("对受疫情影响较大的住宿、旅游等行业企业，给予社保缓缴。", [("H61", "L7291")]),
        # A green lane opened for trades is a measure they receive.
        ("为旅行社开辟审批绿色通道。", [("L7291",)]),
        # 医药制造企业 is the pharmaceutical trade (C27), not manufacturing at large (C); 制造企业 alone stays C.
        ("对医药制造企业扩大产能的，给予设备补助。", [("C27",)]),
        ("对制造企业扩大产能的，给予设备补助。", [("C",)]),
    ],
)
def test_a_trade_named_as_whom_the_measure_is_for_stays(sentence: str, codes: list[tuple[str, ...]]) -> None:
    assert _industries(sentence) == codes
