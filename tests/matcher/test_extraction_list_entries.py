"""Missed leaves (issue 14, x54): list entries after a lead-in, states listed with 、 (own sentences)."""

from __future__ import annotations

from corpus.conditions import Group, leaves
from matcher.extraction import extract_entries


def _undecidable(text: str) -> list[tuple[str, str]]:
    return [(str(c.span), c.role) for c in leaves(extract_entries(text)) if c.field == "undecidable"]


def test_every_entry_after_a_lead_in_is_a_requirement_whatever_its_words() -> None:
    # 有…场所 / 有…制度 hold no requirement word: their place in the list says they are requirements.
    text = (
        "申请企业须同时符合下列条件：（1）注册资本不少于人民币100万元；（2）有固定的办公场所和设备；"
        "（3）有健全的财务管理制度。符合条件的给予10万元奖励。"
    )
    spans = [span for span, _ in _undecidable(text)]
    assert "有固定的办公场所和设备" in spans
    assert "有健全的财务管理制度" in spans
    assert len(spans) == 3


def test_entries_without_numbers_after_the_colon_of_an_exclusion_list_are_excluded_alternatives() -> None:
    text = (
        "用人单位在上一年度内有下列情形之一的，不得享受费率下浮：用人单位拖欠养老保险费的；"
        "用人单位虚报参保人数的；用人单位伪造缴费记录的。"
    )
    entries = extract_entries(text)
    groups = [e for e in entries if isinstance(e, Group)]
    assert len(groups) == 1 and groups[0].kind == "any" and groups[0].role == "exclude"
    assert [str(c.span) for c in groups[0].members] == [
        "用人单位拖欠养老保险费",
        "用人单位虚报参保人数",
        "用人单位伪造缴费记录",
    ]
    # The lead-in only points at the list: no stand-in of its own.
    assert len(_undecidable(text)) == 3


def test_a_lead_in_that_states_a_requirement_of_its_own_keeps_it_before_the_list() -> None:
    text = (
        "用人单位符合本办法第三条规定，但在上一年度内有下列情形之一的，次年费率不得下调："
        "用人单位拖欠保险费的；用人单位虚报参保人数的。"
    )
    spans = _undecidable(text)
    assert ("用人单位拖欠保险费", "require") in spans
    assert any(span.endswith("符合本办法第三条规定，但在上一年度内") for span, _ in spans)
    assert not any("情形之一" in span for span, _ in spans)


def test_cases_of_which_any_one_will_do_make_an_any_group() -> None:
    text = "属于下列情形之一的，相关费用不计入考核：1.职工在外出办事途中遭遇意外的；2.职工在抢险中受伤的。"
    entries = extract_entries(text)
    assert len(entries) == 1 and isinstance(entries[0], Group) and entries[0].kind == "any"
    assert entries[0].role == "require"
    assert len(entries[0].members) == 2


def test_a_list_of_documents_to_hand_in_is_no_list_of_requirements() -> None:
    # 如下资料 opens what to keep for the tax office, not whom the measure is for.
    text = "企业免费提供药品，应保留如下资料，以备查验：（1）药品注册批件；（2）免费提供的实施流程。"
    assert not any("批件" in span or "流程" in span for span, _ in _undecidable(text))


def test_states_listed_with_dunhao_are_one_requirement_each() -> None:
    # x54 (l25: one leaf per requirement part, cut at 、).
    text = "对受疫情影响无法正常经营、遇到暂时困难、不能按期还款的小微企业，银行不得抽贷。"
    spans = [span for span, _ in _undecidable(text)]
    assert spans == ["受疫情影响无法正常经营", "遇到暂时困难", "不能按期还款"]


def test_trades_listed_with_dunhao_stay_one_requirement() -> None:
    text = "对从事批发零售、住宿餐饮的小微企业，给予贴息。"
    assert not any(span in ("批发零售", "住宿餐饮") for span, _ in _undecidable(text))
