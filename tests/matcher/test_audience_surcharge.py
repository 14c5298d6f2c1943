"""A contribution rate raised is a surcharge the enterprise pays, not support (sentences written for this test)."""

import pytest

from matcher.extraction.audience import audience


@pytest.mark.parametrize(
    "text",
    [
        "4.上一年度发生一次性死亡2人以上事故的用人单位，工伤保险缴费费率上浮二档。",
        "（三）连续两年欠缴的企业，其费率上调一档，上调后的费率保留两位小数。",
    ],
)
def test_a_rate_raised_is_the_enterprises_surcharge(text):
    assert audience(text) == "obligations"


@pytest.mark.parametrize(
    "text",
    [
        # A rate lowered is support.
        "2.上一年度未发生工伤事故的企业，缴费费率下浮一档。",
        # A rate raised beside a grant: the item still grants something.
        "3.费率上浮的企业整改达标后，可申请一次性奖励资金5万元。",
        # A rate cut named as such.
        "（二）阶段性降低失业保险费率。",
    ],
)
def test_a_rate_cut_or_a_grant_beside_it_stays_for_enterprises(text):
    assert audience(text) == "enterprises"
