"""Enterprises named by what they make are ``semantic`` (labelling guide, l25 conventions; issue 14, x35).

Sentences written for these tests.
"""

from __future__ import annotations

import pytest
from extraction_helpers import checked_leaves


def _leaves(text: str) -> list[tuple[str, str, str]]:
    return [(c.field, c.op, c.span or "") for c in checked_leaves(text)]


@pytest.mark.parametrize(
    ("sentence", "span"),
    [
        ("对口罩等防疫物资生产企业扩大产能的，给予设备补助。", "口罩等防疫物资生产企业"),
        ("对医用防护物资生产企业，给予电价优惠。", "医用防护物资生产企业"),
        (
            "对疫情防控急需的药品和医疗器械生产企业，开通审批绿色通道。",
            "疫情防控急需的药品和医疗器械生产企业",
        ),
        ("对“菜篮子”生产、加工、流通企业给予运费补贴。", "“菜篮子”生产、加工、流通企业"),
        ("对疫情防控物资生产、销售行业的企业减免三个月房租。", "疫情防控物资生产、销售行业"),
    ],
)
def test_a_maker_is_what_the_enterprise_does(sentence: str, span: str) -> None:
    found = _leaves(sentence)
    assert ("business_scope", "semantic", span) in found
    assert not [f for f in found if f[0] == "undecidable"], found


def test_a_list_of_key_makers_stays_a_status() -> None:
    # 重点保障物资生产企业 is a list the departments draw up: no product says who is on it.
    found = _leaves("对纳入名单的疫情防控重点保障物资生产企业，给予贷款贴息。")
    assert [f[0] for f in found] == ["undecidable"]
    assert "重点保障物资生产企业" in found[0][2]


def test_a_pharmaceutical_maker_alone_keeps_its_industry() -> None:
    found = _leaves("对药品生产企业新建生产线的，给予补助。")
    assert not [f for f in found if f[1] == "semantic"], found
    assert "industry_code" in [f[0] for f in found]
