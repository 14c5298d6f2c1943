"""A lender's forbearance as tiers: 不得抽贷、断贷、压贷 / 予以展期或续贷, and trades or other enterprises (own sentences)."""

from __future__ import annotations

from extraction_helpers import tiers_of

from corpus.conditions import Condition, Group, Tier, judge_item, leaves
from matcher.extraction import extract_entries

FORBEARANCE = (
    "对受疫情影响较大的批发零售、住宿餐饮等行业，以及有发展前景但受疫情影响暂遇困难的企业，"
    "银行不得盲目抽贷、断贷、压贷；对受疫情影响严重的企业到期还款困难的，可予以展期或续贷。"
)


def test_each_forbearance_is_a_tier_with_its_own_beneficiaries() -> None:
    tiers = tiers_of(FORBEARANCE)
    assert [t.support for t in tiers] == ["不得盲目抽贷、断贷、压贷", "展期或续贷"]
    # Nothing is common: each measure names whom it is for.
    assert all(isinstance(e, Tier) for e in extract_entries(FORBEARANCE))


def test_trades_and_the_enterprises_after_yiji_are_alternatives() -> None:
    first = tiers_of(FORBEARANCE)[0]
    (group,) = first.conditions
    assert isinstance(group, Group) and group.kind == "any"
    assert [m.field for m in group.members if isinstance(m, Condition)] == ["industry_code", "undecidable"]
    # 受疫情影响较大 describes the trades listed; it is no requirement beside them.
    assert "受疫情影响较大" not in [c.span for c in leaves(extract_entries(FORBEARANCE))]


def test_a_retailer_is_eligible_for_the_first_measure() -> None:
    profile = {"id": "e1", "industry_code": "F5211"}
    assert judge_item(extract_entries(FORBEARANCE), profile).level == "eligible"
    manufacturer = {"id": "e2", "industry_code": "C3011"}
    assert judge_item(extract_entries(FORBEARANCE), manufacturer).level != "eligible"


def test_trades_joined_by_he_keep_their_hardship() -> None:
    # Only …等行业，以及… marks two kinds of beneficiary; elsewhere the hardship stays a requirement.
    text = "对受疫情影响较大的批发零售、住宿餐饮等行业企业和未能及时复工的工业企业，给予贷款贴息。"
    assert "受疫情影响较大" in [c.span for c in leaves(extract_entries(text))]


def test_the_nouns_zhanqi_shouxu_name_no_outcome() -> None:
    text = (
        "对个体工商户的经营贷款，受疫情影响还款出现困难的，可向银行申请展期还款，财政继续给予贴息；"
        "对未能按时完成展期手续的，免于信用惩戒。"
    )
    assert not any(t.support.startswith("展期手续") for t in tiers_of(text))


def test_a_repeated_hardship_inside_its_parts_stand_in_is_said_once() -> None:
    text = (
        "对受疫情影响严重的企业，银行不得盲目抽贷、断贷、压贷；"
        "对受疫情影响严重地区的融资担保机构，再担保机构减半收取再担保费。"
    )
    second = tiers_of(text)[1]
    assert [c.span for c in second.conditions if isinstance(c, Condition)] == [
        "受疫情影响严重地区的融资担保机构"
    ]


def test_a_channel_pointed_to_names_no_size() -> None:
    text = "增加信用贷款额度。引导中小微企业通过市融资服务平台申请贷款。" + FORBEARANCE
    assert "size_class" not in [c.field for c in leaves(extract_entries(text))]
    # A large retailer is as eligible as a small one: the channel's words restrict no one.
    large = {"id": "e3", "industry_code": "F5211", "size_class": "大"}
    assert judge_item(extract_entries(text), large).level == "eligible"


def test_a_loan_through_a_platform_keeps_its_size() -> None:
    text = "对中小微企业通过融资服务平台获得的贷款，给予贴息。"
    assert "size_class" in [c.field for c in leaves(extract_entries(text))]
