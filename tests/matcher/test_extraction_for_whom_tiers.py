"""Parts that open with the enterprises they are for (对…的企业，…) are tiers, whatever their verb (own sentences)."""

from __future__ import annotations

from extraction_helpers import tiers_of

from corpus.conditions import Tier, judge_item
from matcher.extraction import extract_entries


def test_each_part_for_its_own_enterprises_is_a_tier() -> None:
    # 安排 / 开辟 are no outcome verbs of their own: the 对…企业， opening says whom each measure is for.
    text = "对小微企业，安排专项信贷额度；对批发零售业企业，开辟审批绿色通道。"
    tiers = tiers_of(text)
    assert [t.support for t in tiers] == ["安排专项信贷额度", "开辟审批绿色通道"]
    assert [[c.field for c in t.conditions] for t in tiers] == [["size_class"], ["industry_code"]]
    assert all(isinstance(e, Tier) for e in extract_entries(text))


def test_an_enterprise_meeting_one_part_is_eligible() -> None:
    entries = extract_entries("对小微企业，安排专项信贷额度；对批发零售业企业，开辟审批绿色通道。")
    small_maker = {"id": "a", "size_class": "小", "industry_code": "C3011"}
    large_retailer = {"id": "b", "size_class": "大", "industry_code": "F5211"}
    large_maker = {"id": "c", "size_class": "大", "industry_code": "C3011"}
    assert judge_item(entries, small_maker).level == "eligible"
    assert judge_item(entries, large_retailer).level == "eligible"
    assert judge_item(entries, large_maker).level != "eligible"


def test_a_measure_with_may_after_whom_is_a_tier() -> None:
    text = "对受疫情影响暂时困难的中小企业，安排专项信贷额度；对复工复产的工业企业，可延缓3个月缴纳担保费。"
    assert [t.support for t in tiers_of(text)] == ["安排专项信贷额度", "可延缓3个月缴纳担保费"]


def test_a_case_or_an_application_is_no_beneficiary() -> None:
    # 对…的贷款申请 / 对…的理赔案件 name a thing, not a kind of enterprise: no tier of their own.
    assert (
        tiers_of("对信用记录良好的贷款申请，可延缓3个月还款；对复工复产的工业企业，可延缓3个月缴纳担保费。")
        == []
    )
    assert (
        tiers_of("对于损失金额较大的理赔案件，可采取预付赔款方式；对投保的农业企业，开通理赔绿色通道。") == []
    )


def test_a_service_granted_is_an_outcome() -> None:
    # 安排 / 提供 / 开辟: a service granted to the enterprises named before it, with or without 对.
    for text in (
        "对小微企业安排专项信贷额度；对批发零售业企业开辟审批绿色通道。",
        "小微企业由银行安排专项信贷额度；批发零售业企业由税务机关提供延期申报服务。",
    ):
        tiers = tiers_of(text)
        assert [[c.field for c in t.conditions] for t in tiers] == [["size_class"], ["industry_code"]]
        assert tiers[0].support == "安排专项信贷额度"
