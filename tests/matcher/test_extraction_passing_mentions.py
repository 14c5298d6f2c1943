"""Industries and titles said in passing are no requirement (issue 14, x19): sentences written for these tests."""

from __future__ import annotations

import pytest

from corpus.conditions import Condition, Group, judge_item, leaves
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
    # The holder is not failed on the title it is to be confirmed as (the stand-in for 确认符合 leaves it
    # to be checked); one without the held title is.
    verdict = judge_item(extract_entries(text), {"qualifications": ["国家高新技术企业"]})
    assert verdict.level == "need_info"
    assert judge_item(extract_entries(text), {"qualifications": []}).level in ("near_miss", "ineligible")


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
    assert verdict.level == "need_info"


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
        ("industry_code", ("C397",)),
        ("undecidable", "动漫企业"),
    }
    for m in groups[0].members:
        assert m.span in text
    # A chip maker is eligible on its trade alone; an enterprise of another kind may be one no field tells.
    assert judge_item(extract_entries(text), {"industry_code": "C3973"}).level == "eligible"
    assert judge_item(extract_entries(text), {"industry_code": "F5211"}).level == "need_info"


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
        ("对集成电路企业给予流片补贴。", "industry_code"),
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
    found = _leaves(text)
    assert any(c.field == "undecidable" and "符合条件的研发费用" in str(c.value) for c in found)
    assert judge_item(extract_entries(text), {"industry_code": "C3973"}).level == "need_info"
    # 符合条件的企业 alone still names the beneficiary, no requirement of its own.
    assert not [
        c for c in _leaves("对高新技术企业给予研发补助，符合条件的企业可以申请。") if c.field == "undecidable"
    ]
