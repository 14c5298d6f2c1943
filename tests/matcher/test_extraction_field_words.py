"""Field words of policy text read field by field (issue 14, x30): sentences written for these tests."""

from __future__ import annotations

import pytest
from extraction_helpers import checked_leaves as _fields

# --- a size before lending to them, or of a landlord's tenants, is no size asked ----------------


@pytest.mark.parametrize(
    "sentence",
    [
        "各银行要认真落实小微企业贷款担保风险补偿政策。",
        "力争今年中小企业融资成本比上年下降0.5个百分点。",
        "持续扩大中小微企业贷款规模，确保贷款增速不低于上年。",
        # The tenants a landlord is urged to relieve: the measure is the landlord's.
        "鼓励商场、写字楼业主对中小微租户减免一个月租金。",
    ],
)
def test_a_size_before_lending_to_them_is_no_size_asked(sentence: str) -> None:
    assert _fields(sentence, "size_class") == []


@pytest.mark.parametrize(
    ("sentence", "classes"),
    [
        # A subsidy of their loans' interest and a guarantee of their loans are for them.
        ("对中小企业贷款给予50%贴息。", ["中", "小", "微"]),
        ("对小微企业融资担保费率降至1%以下。", ["小", "微"]),
        ("对受疫情影响的小微企业，降低担保费率。", ["小", "微"]),
        # Creditors' behaviour stays blocked by the words that were already blockers.
        ("对中小微企业减半收取房租。", ["中", "小", "微"]),
    ],
)
def test_a_size_the_measure_is_for_stays(sentence: str, classes: list[str]) -> None:
    assert [sorted(c.value) for c in _fields(sentence, "size_class")] == [sorted(classes)]


# --- a title after 拟 is planned, not held --------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "span"),
    [
        ("对拟上市企业，按同一标准给予中介费用补助。", "拟上市企业"),
        ("对拟认定为高新技术企业的，提供一对一辅导。", "拟认定为高新技术企业"),
        ("对拟申报的专精特新中小企业，组织专家上门服务。", "拟申报的专精特新中小企业"),
    ],
)
def test_a_title_after_ni_is_a_candidacy_not_the_title(sentence: str, span: str) -> None:
    assert _fields(sentence, "qualifications") == []
    assert span in [c.span for c in _fields(sentence, "undecidable")]


def test_what_the_authority_plans_for_holders_keeps_the_title() -> None:
    titles = _fields("拟对上市公司给予一次性奖励50万元。", "qualifications")
    assert [(c.op, c.value) for c in titles] == [("has", "上市企业")]


# --- 纳税信用等级: grades joined by 或者, and grades refused ----------------------------------------


@pytest.mark.parametrize(
    ("sentence", "grades"),
    [
        ("申请留抵退税的纳税人，纳税信用等级为A级或者B级。", ["A", "B"]),
        ("纳税信用等级非C级、D级的企业可以申请。", ["A", "B", "M"]),
        ("纳税信用等级不是D级的企业，均可申报。", ["A", "B", "C", "M"]),
        ("企业纳税信用等级为B级及以上。", ["A", "B"]),
    ],
)
def test_tax_credit_grades(sentence: str, grades: list[str]) -> None:
    found = _fields(sentence, "tax_credit_grade")
    assert [sorted(c.value) for c in found] == [grades]
