"""Missed leaves (issue 14, x54): list entries after a lead-in, states listed with 、 (own sentences)."""

from __future__ import annotations

from corpus.conditions import Group, leaves
from matcher.extraction import extract_entries


def _undecidable(text: str) -> list[tuple[str, str]]:
    return [(str(c.span), c.role) for c in leaves(extract_entries(text)) if c.field == "undecidable"]


def test_every_entry_after_a_lead_in_is_a_requirement_whatever_its_words() -> None:
    # 有…场所 / 有…制度 hold no requirement word: their place in the list says they are requirements.
    text = (
        "申报企业须同时符合下列条件：（1）实缴资本达到50万元以上；（2）有固定的研发场地和仪器；"
        "（3）有健全的知识产权管理制度。符合条件的给予10万元奖励。"
    )
    spans = [span for span, _ in _undecidable(text)]
    assert "有固定的研发场地和仪器" in spans
    assert "有健全的知识产权管理制度" in spans
    assert len(spans) == 3


def test_entries_without_numbers_after_the_colon_of_an_exclusion_list_are_excluded_alternatives() -> None:
    text = (
        "申报单位有下列情形之一的，不得申请本项资金：申报单位近三年发生重大安全事故的；"
        "申报单位拖欠职工工资的；申报单位提供虚假材料的。"
    )
    entries = extract_entries(text)
    groups = [e for e in entries if isinstance(e, Group)]
    assert len(groups) == 1 and groups[0].kind == "any" and groups[0].role == "exclude"
    assert [str(c.span) for c in groups[0].members] == [
        "申报单位近三年发生重大安全事故",
        "申报单位拖欠职工工资",
        "申报单位提供虚假材料",
    ]
    # The lead-in only points at the list: no stand-in of its own.
    assert len(_undecidable(text)) == 3


def test_a_lead_in_that_states_a_requirement_of_its_own_keeps_it_before_the_list() -> None:
    text = (
        "申报单位符合本办法第五条规定，但有下列情形之一的，不予支持："
        "申报单位存在欠缴税款的；申报单位未按期报送统计报表的。"
    )
    spans = _undecidable(text)
    assert ("申报单位存在欠缴税款", "require") in spans
    assert ("申报单位符合本办法第五条规定", "require") in spans
    assert not any("情形之一" in span for span, _ in spans)


def test_cases_of_which_any_one_will_do_make_an_any_group() -> None:
    text = "属于下列情形之一的，可申请延期缴纳：1.厂房因自然灾害严重受损的；2.主要生产设备遭遇火灾的。"
    entries = extract_entries(text)
    assert len(entries) == 1 and isinstance(entries[0], Group) and entries[0].kind == "any"
    assert entries[0].role == "require"
    assert len(entries[0].members) == 2


def test_a_list_of_documents_to_hand_in_is_no_list_of_requirements() -> None:
    # 如下资料 opens what to keep for an audit, not whom the measure is for.
    text = "对小微企业给予设备补贴。企业申领补贴后，应留存如下资料备查：（1）设备采购合同；（2）付款凭证。"
    assert not any("合同" in span or "凭证" in span for span, _ in _undecidable(text))


def test_states_listed_with_dunhao_are_one_requirement_each() -> None:
    # x54 (l25: one leaf per requirement part, cut at 、).
    text = "对受疫情影响订单大幅减少、资金周转困难、无法按期支付租金的小微企业，给予租金减免。"
    spans = [span for span, _ in _undecidable(text)]
    assert spans == ["受疫情影响订单大幅减少", "资金周转困难", "无法按期支付租金"]


def test_trades_listed_with_dunhao_stay_one_requirement() -> None:
    text = "对从事批发零售、住宿餐饮的小微企业，给予贴息。"
    assert not any(span in ("批发零售", "住宿餐饮") for span, _ in _undecidable(text))
