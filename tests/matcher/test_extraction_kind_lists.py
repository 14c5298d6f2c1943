"""Kinds of enterprise listed side by side are alternatives, and a qualifying cost after them one more requirement (issue 14, x19): sentences written for these tests."""

from __future__ import annotations

import pytest
from extraction_helpers import checked_leaves

from corpus.conditions import Group, judge_item, leaves
from matcher.extraction import extract_entries

# --- kinds of enterprise listed side by side are alternatives -------------------------------------


def test_kinds_listed_side_by_side_are_one_any_group_with_stand_ins_for_the_unread() -> None:
    text = "对高新技术企业、科技型中小企业、软件企业、集成电路企业、动漫企业开展研发活动的，给予研发补助。"
    groups = [e for e in extract_entries(text) if isinstance(e, Group)]
    assert len(groups) == 1 and groups[0].kind == "any"
    members = {
        (m.field, m.value if m.field != "industry_code" else tuple(m.value)) for m in groups[0].members
    }
    assert members == {
        ("qualifications", "国家高新技术企业"),
        ("qualifications", "科技型中小企业"),
        ("undecidable", "软件企业"),
        # 集成电路企业, like 软件企业, is a kind recognised under its own rules, not a GB/T 4754 trade (x38).
        ("undecidable", "集成电路企业"),
        ("undecidable", "动漫企业"),
    }
    for m in groups[0].members:
        assert m.span in text
    # A 高企 is eligible on its title alone; an enterprise of another kind may be one no field tells.
    assert judge_item(extract_entries(text), {"qualifications": ["国家高新技术企业"]}).level == "eligible"
    assert judge_item(extract_entries(text), {"industry_code": "C3973"}).level == "need_info"


def test_a_trade_listed_with_other_holders_is_one_of_them() -> None:
    text = "银行要加大对农业企业、农民合作社、家庭农场的信贷支持。"
    groups = [e for e in extract_entries(text) if isinstance(e, Group)]
    assert len(groups) == 1 and groups[0].kind == "any"
    assert [m.field for m in groups[0].members] == ["industry_code", "undecidable", "undecidable"]


@pytest.mark.parametrize(
    ("sentence", "field"),
    [
        # A size with the self-employed names the small: the size stays required alone.
        ("对小微企业、个体工商户减半收取担保费。", "size_class"),
        # A trade alone is required as before.
        ("对旅行社给予质量保证金暂退支持。", "industry_code"),
    ],
)
def test_lists_without_unread_kinds_or_with_a_size_stay_as_they_were(sentence: str, field: str) -> None:
    entries = extract_entries(sentence)
    assert not [e for e in entries if isinstance(e, Group)]
    assert [c.field for c in leaves(entries) if c.field != "undecidable"] == [field]


def test_requirements_listed_are_no_kinds_of_enterprise() -> None:
    # 注册在本区、纳税在本区: two requirements, both to be met, not alternatives.
    entries = extract_entries("对注册在本区、纳税在本区的企业给予补贴。")
    assert not [e for e in entries if isinstance(e, Group)]


def test_a_qualifying_cost_after_a_list_of_kinds_is_one_more_requirement() -> None:
    # The list makes an any group; the cost that must qualify is still asked of whoever is in it, so a
    # chip maker is not told it is eligible on its trade alone.
    text = "高新技术企业、软件企业、集成电路企业均须开展研发活动，对上述企业实际发生符合条件的研发费用，可享受加计扣除。"
    found = checked_leaves(text)
    assert any(c.field == "undecidable" and "符合条件的研发费用" in str(c.value) for c in found)
    assert judge_item(extract_entries(text), {"industry_code": "C3973"}).level == "need_info"
    # 符合条件的企业 alone still names the beneficiary, no requirement of its own.
    assert not [
        c
        for c in checked_leaves("对高新技术企业给予研发补助，符合条件的企业可以申请。")
        if c.field == "undecidable"
    ]
