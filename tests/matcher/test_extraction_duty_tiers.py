"""Measures for different beneficiaries inside one item when a duty stands before the outcome (own sentences).

对A，各商业银行要…；对B，准予…: each part names whom it is for, so each is a tier; an office's own work
(要加强…，落实…) grants nothing; a measure for persons is no tier; a kind said again in every measure is common.
"""

from __future__ import annotations

from extraction_helpers import checked_leaves, tiers_of

from corpus.conditions import Condition, Tier, judge_item
from matcher.extraction import extract_entries

DUTY_THEN_GRANT = (
    "对出口订单骤减但坚持开工的企业，各商业银行要采取延期还本、降低利率等措施；"
    "对停工超过一个月、本金一时无力偿付的企业，准予展期半年。"
)
BIG = {"id": "big", "size_class": "大"}


def test_a_grant_after_the_banks_duty_is_the_named_enterprises_measure() -> None:
    tiers = tiers_of(DUTY_THEN_GRANT)
    assert len(tiers) == 2
    assert tiers[0].support.startswith("延期还本")
    assert tiers[1].support.startswith("展期")


def test_an_offices_own_work_is_still_no_measure() -> None:
    text = "对停产半月以上的工业企业，各部门要加强走访，落实减免政策；对订单骤减的工业企业，准予展期半年。"
    assert len(tiers_of(text)) < 2


def test_a_measure_for_persons_is_no_tier() -> None:
    text = (
        "对个人名下的助学和装修贷款，借款人住院治疗的，准予展期三个月；"
        "对营业额下滑过半的小微企业，各商业银行要给予信贷支持。"
    )
    assert tiers_of(text) == []
    assert [c.field for c in checked_leaves(text, "size_class")] == ["size_class"]
    assert judge_item(extract_entries(text), BIG).level not in ("eligible", "unknown")


def test_a_kind_said_in_every_measure_is_common() -> None:
    text = "对仓储费用上涨的中小微企业，各商业银行要予以展期；对外贸订单被取消的中小微企业，给予运费补贴。"
    entries = extract_entries(text)
    assert len([e for e in entries if isinstance(e, Tier)]) == 2
    common = [e for e in entries if isinstance(e, Condition)]
    assert [c.field for c in common] == ["size_class"]
    # Read once, in the first measure only, the second was open to a large firm.
    assert judge_item(entries, BIG).level not in ("eligible", "unknown")


def test_a_kind_said_again_in_some_measures_only_stays_where_first_said() -> None:
    text = (
        "对仓储费用上涨的小微企业，各商业银行要予以展期；"
        "对承担物资运输的企业，给予运费补助；"
        "对向小微企业让利的孵化器，给予一次性奖励。"
    )
    tiers = tiers_of(text)
    assert len(tiers) == 3
    sizes = [[c.field for c in t.conditions if isinstance(c, Condition)].count("size_class") for t in tiers]
    assert sizes == [1, 0, 0]
    assert not [e for e in extract_entries(text) if isinstance(e, Condition) and e.field == "size_class"]
