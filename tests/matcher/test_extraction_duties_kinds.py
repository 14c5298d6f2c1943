"""Duties after the grant and kinds of enterprise (issue 14, x33): sentences written for these tests."""

from __future__ import annotations

import pytest

from corpus.conditions import Condition, leaves
from matcher.extraction import extract_entries


def _fields(text: str, field: str) -> list[Condition]:
    found = [c for c in leaves(extract_entries(text)) if c.field == field]
    for condition in found:
        assert condition.span and condition.span in text, condition
    return found


def _spans(text: str, field: str = "undecidable") -> list[str]:
    return [c.span or "" for c in _fields(text, field)]


# --- a duty once supported is no requirement of eligibility ----------------------------------------


@pytest.mark.parametrize(
    ("sentence", "word"),
    [
        ("对暂时无力缴纳的企业，可缓缴三个月，期满后企业应及时足额补缴。", "补缴"),
        ("对新建的研发平台给予50万元补助，获补助的单位应按规定使用资金。", "使用资金"),
        ("对通过评审的项目给予补助，资料不全的项目需补正材料。", "补正"),
        ("对按期还款的小微企业给予贴息，到期后企业应归还本金。", "归还"),
        ("对申报的企业给予奖励，申报企业应对所报数据和材料的真实性、完整性、准确性负责。", "负责"),
    ],
)
def test_a_duty_after_the_grant_is_no_requirement(sentence: str, word: str) -> None:
    assert not [span for span in _spans(sentence) if word in span]


@pytest.mark.parametrize(
    ("sentence", "word"),
    [
        ("支持企业应急物资储备，给予一次性补助。", "急物资"),
        ("开展企业应收账款融资专项行动。", "收账款"),
        ("建立企业应对疫情帮扶机制。", "对疫情"),
        ("鼓励企业应用国产装备，按投资额给予补助。", "用国产"),
    ],
)
def test_a_word_that_begins_with_ying_is_no_duty(sentence: str, word: str) -> None:
    # The 须/应 reading would start right after 应 (急物资储备); another reader may still take the whole part.
    assert not [span for span in _spans(sentence) if span.startswith(word)]


def test_a_duty_the_applicant_must_meet_stays() -> None:
    sentence = "对通过验收的企业给予奖励，申报企业须通过两化融合管理体系贯标评定。"
    assert [span for span in _spans(sentence) if "两化融合" in span]


# --- 规上 of a trade other than industry is no 规上工业企业 ----------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "span"),
    [
        ("对年度新增的规上服务业企业，给予一次性奖励。", "规上服务业企业"),
        ("对规上批发业企业，按销售额增量给予奖励。", "规上批发业企业"),
    ],
)
def test_scale_of_a_trade_is_no_industrial_title(sentence: str, span: str) -> None:
    assert _fields(sentence, "qualifications") == []
    assert span in _spans(sentence)


@pytest.mark.parametrize("sentence", ["对规上工业企业给予奖励。", "对当年在库的规上企业，给予奖励。"])
def test_scale_of_industry_stays_the_title(sentence: str) -> None:
    assert [c.value for c in _fields(sentence, "qualifications")] == ["规上工业企业"]


# --- a hardship that names a reason or a problem, or a cause an office must not act on -------------


@pytest.mark.parametrize(
    "sentence",
    [
        "对小微企业给予补助。纳税人可补办延期申报手续，同时填写受疫情影响的正当理由。",
        "对外贸企业开通法律服务热线，帮助其处理因疫情导致的各种商事法律问题。",
        "对小微企业，不得因疫情期间经营情况变化而降低其发票领用数量。",
    ],
)
def test_a_hardship_that_names_a_reason_is_no_requirement(sentence: str) -> None:
    # The hardship pattern would read 受疫情影响 / 因疫情导致 on its own; a part reader may still take the part.
    assert not [span for span in _spans(sentence) if span.startswith(("受疫情", "因疫情"))]


def test_a_hardship_of_the_enterprise_stays() -> None:
    assert "受疫情影响" in _spans("对受疫情影响的小微企业，给予一次性补助。")
