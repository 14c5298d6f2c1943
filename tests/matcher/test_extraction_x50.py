"""Industry and size words that name another party, not whom a measure is for (issue 14, x50).

Sentences written for these tests, in the shape of policy text.
"""

from __future__ import annotations

import pytest
from extraction_helpers import checked_leaves as _fields

# --- 国有大中型企业: the state firms asked to act, not a size asked of the enterprise -------------


@pytest.mark.parametrize(
    "sentence",
    [
        "引导国有大中型企业及时支付供应商货款，不得拖欠。",
        "对租用大中型国有企业厂房的企业，减免两个月租金。",
    ],
)
def test_large_state_firms_are_no_size(sentence: str) -> None:
    sizes = _fields(sentence, "size_class")
    assert all("中" not in c.value or "小" in c.value for c in sizes), sizes


def test_the_small_firms_they_pay_keep_their_size() -> None:
    sizes = _fields("督促国有大中型企业按期支付中小企业账款，对中小企业给予延期。", "size_class")
    assert [list(c.value) for c in sizes] == [["中", "小", "微"]]


def test_a_medium_size_asked_is_still_read() -> None:
    sizes = _fields("对中型企业给予一次性奖励10万元。", "size_class")
    assert [list(c.value) for c in sizes] == [["中"]]


# --- a trade an authority organises or relies on is the agent or the certifier ----------------


@pytest.mark.parametrize(
    "sentence",
    [
        "人社部门组织人力资源服务机构为复工企业招聘提供免费服务。",
        "职工经医院或医疗机构认定不能从事原工作的，企业应当安排其他岗位。",
        "返岗人员须由医疗机构出具健康证明，企业凭证明安排上岗。",
    ],
)
def test_a_trade_as_agent_or_certifier_is_no_industry(sentence: str) -> None:
    assert _fields(sentence, "industry_code") == []


@pytest.mark.parametrize(
    ("sentence", "codes"),
    [
        # The agencies are the subject here: they are paid for what they do.
        ("经营性人力资源服务机构为重点企业介绍职工的，每人补助1000元。", ["L726"]),
        ("对已经复工的餐饮企业给予一次性补贴。", ["H62"]),
        ("由于住宿餐饮企业受疫情影响较大，对其减免三个月房租。", ["H"]),
    ],
)
def test_a_trade_named_as_the_subject_is_kept(sentence: str, codes: list[str]) -> None:
    assert [list(c.value) for c in _fields(sentence, "industry_code")] == [codes]


# --- a trade inside the name of a thing (a quoted name, a list, a mechanism, a platform) ----------


@pytest.mark.parametrize(
    "sentence",
    [
        "支持各园区打造新能源汽车“百亿级”产业平台。",
        "落实扶持制造企业“春节”期间连续生产的各项措施。",
        "各地要确立重点农业企业扶持名单，做好跟踪服务。",
        "建立农业企业原料调运协调机制，保障生产供应。",
    ],
)
def test_a_trade_in_the_name_of_a_thing_is_no_industry(sentence: str) -> None:
    assert _fields(sentence, "industry_code") == []


@pytest.mark.parametrize(
    ("sentence", "codes"),
    [
        # The trade acts (入驻, 建立, 发挥): it is whom the measure is for.
        ("对入驻平台的企业中，支持餐饮企业入驻外卖平台的，给予补贴。", ["H62"]),
        ("支持农业企业建立带农增收机制，每家奖励5万元。", ["A"]),
        ("对纳入名单的餐饮企业给予一次性补贴。", ["H62"]),
    ],
)
def test_a_trade_that_acts_is_kept(sentence: str, codes: list[str]) -> None:
    assert [list(c.value) for c in _fields(sentence, "industry_code")] == [codes]


# --- a trade inside a definition (after 是指) defines a term ----------------------------------------


def test_a_trade_after_shi_zhi_defines_a_term() -> None:
    text = "【享受条件】1.种子经营企业，是指取得许可证并从事种子批发或零售的企业。"
    assert _fields(text, "industry_code") == []


def test_the_term_defined_and_a_trade_outside_the_definition_are_kept() -> None:
    text = "物流企业，是指从事货物运输的企业。本条所称重点企业，是指餐饮、住宿企业。对文化旅游企业给予补贴。"
    assert [list(c.value) for c in _fields(text, "industry_code")] == [["G"], ["L7291", "R"]]


# --- a size in lending said of them and others is a lender's business ------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "各银行要加大对小微企业和个体户经营贷款的投放。",
        "对担保公司开展中小企业及“三农”业务的，给予风险补偿。",
    ],
)
def test_a_size_in_lending_to_them_and_others_is_no_size(sentence: str) -> None:
    assert _fields(sentence, "size_class") == []


@pytest.mark.parametrize(
    "sentence",
    [
        "对小微企业和个体工商户减免三个月房租。",
        "对小微企业和个体工商户贷款给予全额贴息。",
    ],
)
def test_a_size_with_others_that_get_something_is_kept(sentence: str) -> None:
    assert [list(c.value) for c in _fields(sentence, "size_class")] == [["小", "微"]]
