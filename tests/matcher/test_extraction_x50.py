"""Industry and size words that name another party, not whom a measure is for (issue 14, x50).

Sentences written for these tests, in the shape of policy text.
"""

from __future__ import annotations

import pytest

from corpus.conditions import Condition, leaves
from matcher.extraction import extract_entries


def _fields(text: str, field: str) -> list[Condition]:
    found = [c for c in leaves(extract_entries(text)) if c.field == field]
    for condition in found:
        assert condition.span and condition.span in text, condition
    return found


# --- 国有大中型企业: the state firms asked to act, not a size asked of the enterprise -------------


@pytest.mark.parametrize(
    "sentence",
    [
        "引导国有大中型企业及时支付供应商货款，不得拖欠。",
        "对租用大中型国有企业厂房的企业，减免两个月租金。",
    ],
)
def test_large_state_firms_are_no_size(sentence: str) -> None:
    sizes = _fields(sentence, "size_class")
    assert all("中" not in c.value or "小" in c.value for c in sizes), sizes


def test_the_small_firms_they_pay_keep_their_size() -> None:
    sizes = _fields("督促国有大中型企业按期支付中小企业账款，对中小企业给予延期。", "size_class")
    assert [list(c.value) for c in sizes] == [["中", "小", "微"]]


def test_a_medium_size_asked_is_still_read() -> None:
    sizes = _fields("对中型企业给予一次性奖励10万元。", "size_class")
    assert [list(c.value) for c in sizes] == [["中"]]
