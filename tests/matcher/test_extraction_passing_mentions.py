"""Industries and titles said in passing are no requirement (issue 14, x19): sentences written for these tests."""

from __future__ import annotations

import pytest

from corpus.conditions import Condition, judge_item, leaves
from matcher.extraction import extract_entries


def _leaves(text: str) -> list[Condition]:
    found = list(leaves(extract_entries(text)))
    for condition in found:
        assert condition.span and condition.span in text, condition
    return found


def _fields(text: str, field: str) -> list[Condition]:
    return [c for c in _leaves(text) if c.field == field]


# --- a title the item defines or confirms is the outcome, not a prerequisite -----------------------


@pytest.mark.parametrize(
    "sentence",
    [
        # The definition of a title: what an applicant must be to become it.
        "依照评价办法，科技型中小企业是指拥有一定数量科技人员、从事研究开发活动并取得自主知识产权的企业。",
        # Being confirmed as the title: what the item grants.
        "企业持有有效期内的高新技术企业证书的，可直接确认符合科技型中小企业条件，无需另行评分。",
    ],
)
def test_a_title_defined_or_confirmed_is_no_requirement(sentence: str) -> None:
    values = [c.value for c in _fields(sentence, "qualifications")]
    assert "科技型中小企业" not in values


def test_a_title_held_beside_the_one_confirmed_stays_required() -> None:
    text = "企业持有有效期内的高新技术企业证书的，可直接确认符合科技型中小企业条件，无需另行评分。"
    assert [c.value for c in _fields(text, "qualifications")] == ["国家高新技术企业"]
    # An enterprise without the held title fails; the confirmed one is asked of no one.
    verdict = judge_item(extract_entries(text), {"qualifications": ["国家高新技术企业"]})
    assert verdict.level != "ineligible"


def test_a_title_the_enterprise_holds_is_still_read() -> None:
    assert [c.value for c in _fields("对科技型中小企业给予研发费用补助。", "qualifications")] == [
        "科技型中小企业"
    ]


# --- a trade named in passing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        # A provider that serves the enterprises: they are the beneficiary, not the trade.
        "组织人力资源服务机构为企业紧缺岗位提供免费招聘服务。",
        # The authorities' own plan for a trade: the platform they build.
        "支持两个开发区创建生物医药“百亿级”新产业基地，加快项目落地。",
        # The service an enterprise provides, not its industry code (the labels read it as a fact no field holds).
        "对纳税人提供公共交通运输服务取得的收入，免征增值税。",
        "城市公共交通运输服务的具体范围，按有关规定执行。",
    ],
)
def test_a_trade_said_in_passing_is_no_industry_requirement(sentence: str) -> None:
    assert not _fields(sentence, "industry_code")


@pytest.mark.parametrize(
    ("sentence", "codes"),
    [
        # The trade that receives the support stays a requirement.
        ("对人力资源服务机构给予一次性补贴。", None),
        ("对交通运输企业给予运营补贴。", ("G",)),
        # A trade serving its own staff is still the beneficiary.
        ("对餐饮企业为员工提供的免费工作餐给予补贴。", ("H62",)),
        # Those who provide the service, and a thing of the trade (its deposit), still name the trade.
        ("对交通运输服务企业给予运营补贴。", ("G",)),
        ("暂时退还旅游服务质量保证金。", ("L7291",)),
        # A trade whose enterprises settle in a base is still named as whom the measure is for.
        ("对入驻产业园的生物医药企业给予房租补贴。", None),
    ],
)
def test_the_trade_the_measure_is_for_stays_read(sentence: str, codes: tuple[str, ...] | None) -> None:
    found = _fields(sentence, "industry_code")
    assert found, sentence
    if codes is not None:
        assert tuple(found[0].value) == codes


def test_a_trade_in_passing_leaves_other_enterprises_unknown_not_ineligible() -> None:
    # Before: the provider's trade (L726) was required, so a manufacturer was told it did not qualify.
    entries = extract_entries("组织人力资源服务机构为企业紧缺岗位提供免费招聘服务。")
    verdict = judge_item(entries, {"industry_code": "C3511"})
    assert verdict.level != "ineligible"
