"""The item catalog's 支持内容 and region prefixes, on plain values."""

from __future__ import annotations

from matcher.item_catalog import region_prefix, support_text


def test_support_is_the_sentence_that_states_it() -> None:
    text = "申报条件：年营收500万元以上。对符合条件的企业给予一次性奖励20万元；名额有限。"
    assert (
        support_text(text, {"support_types": ["资金奖励"], "amount": 20.0})
        == "对符合条件的企业给予一次性奖励20万元"
    )


def test_support_falls_back_to_what_extraction_tagged() -> None:
    text = "对认定的省级研发中心给予资金支持。"
    assert (
        support_text(text, {"support_types": ["资金奖励", "荣誉"], "amount": 50.0})
        == "资金奖励，荣誉，50万元"
    )
    assert (
        support_text(text, {"support_types": ["补助"], "amount": 5.0, "amount_cap": 100.0})
        == "补助，最高100万元"
    )
    assert support_text(text, {"amount": True}) is None  # a flag is not an amount
    assert support_text(text, {}) is None and support_text(text, None) is None


def test_region_prefix() -> None:
    assert [region_prefix(c) for c in ("330000", "331000", "331002", "000000", None)] == [
        "33",
        "3310",
        "331002",
        "",
        "",
    ]
