"""Measures granted with verbs the outcome list does not hold (issue 14): a third measure of an item, or an office's duty.

Sentences written for these tests, read by the real extractor.
"""

from __future__ import annotations

from extraction_helpers import tiers_of

from corpus.conditions import Condition, judge_item
from matcher.extraction import extract_entries

_SMALL = {"id": "x", "size_class": "小", "industry_code": "C3311"}
_TWO_MEASURES = "对受疫情影响严重的企业，给予展期；对小微企业，免收担保费。"


def test_a_measure_with_an_unlisted_verb_beside_two_measures_is_a_tier_of_its_own() -> None:
    # 降低…费率 / 取消…要求 is what the enterprise gets: its hardship is that measure's, not every measure's, so the
    # small enterprise still reaches the measure for the small.
    text = _TWO_MEASURES + "担保机构对受疫情影响的中小企业降低担保费率，取消反担保要求。"
    entries = extract_entries(text)
    assert not [e for e in entries if isinstance(e, Condition)]
    tiers = tiers_of(text)
    assert [t.support for t in tiers][-1].startswith("降低担保费率")
    assert [c.value for c in tiers[-1].conditions if c.field == "undecidable"] == ["受疫情影响"]
    assert judge_item(entries, _SMALL).level == "eligible"


def test_an_unlisted_verb_beside_one_measure_alone_makes_no_tiers() -> None:
    # Beside a single listed measure the looser verbs were too often an office's work (x28): the reading stays common.
    text = "对受疫情影响严重的企业，给予展期。担保机构对受疫情影响的小微企业降低担保费率，取消反担保要求。"
    assert not tiers_of(text)


def test_an_office_duty_or_a_refusal_before_the_verb_is_no_measure() -> None:
    # 要指导…降低 is what an office must do; 不得…降低 refuses a harm; neither is a measure of its own.
    for tail in (
        "各地要指导担保机构对受疫情影响的企业降低担保费率。",
        "不得因疫情对受影响的企业降低信用等级。",
    ):
        tiers = tiers_of(_TWO_MEASURES + tail)
        assert [t.support for t in tiers] == ["给予展期", "免收担保费"]


def test_an_unlisted_verb_inside_a_condition_clause_is_no_measure() -> None:
    # 造成合同违约或取消的，…: 取消 says what befell the enterprise (a condition), and the part grants nothing itself.
    text = (
        _TWO_MEASURES
        + "对外贸企业因疫情无法按时交付订单，造成合同违约或取消的，贸促会应帮助其申请不可抗力证明。"
    )
    assert [t.support for t in tiers_of(text)] == ["给予展期", "免收担保费"]
