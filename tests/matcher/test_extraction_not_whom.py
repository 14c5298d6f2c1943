"""Words that name no requirement of the applicant are read as none (own sentences, issue 14).

A size said of a landlord's tenants or inside an office's name says nothing of whom the measure is for.
"""

from __future__ import annotations

from corpus.conditions import judge_item, leaves
from matcher.extraction import extract_entries


def _fields(text: str) -> list[str]:
    return [c.field for c in leaves(extract_entries(text))]


def test_the_size_of_a_landlords_tenants_is_no_requirement() -> None:
    # The landlord (运营方 / 载体) is asked to cut its tenants' rent: the tenants' size is not the landlord's.
    assert "size_class" not in _fields("鼓励大型商务楼宇、商场运营方对中小微租户适度减免租金。")
    assert "size_class" not in _fields("对在疫情期间为承租的中小企业减免租金的创业园、孵化器，给予补助。")


def test_the_tenant_who_is_relieved_keeps_its_size() -> None:
    # 对承租…的中小企业，免收房租: the tenant is whom the relief is for, its size a requirement.
    entries = extract_entries("对承租国有经营用房的中小企业，免收3个月房租。")
    assert "size_class" in [c.field for c in leaves(entries)]
    assert judge_item(entries, {"id": "a", "size_class": "大"}).level in ("near_miss", "ineligible")


def test_an_office_named_after_a_size_is_no_requirement() -> None:
    assert "size_class" not in _fields("通过省中小企业公共服务平台为企业提供融资咨询服务。")
    assert "size_class" in _fields("对小微企业给予一次性补贴。")


def test_a_hardship_said_of_trades_is_no_requirement_of_its_own() -> None:
    # The trades read as an industry are whom the measure is for; the hardship says why they were chosen.
    for text, code in (
        ("对受疫情影响较大的住宿餐饮、交通运输企业，给予一次性补贴。", "H6210"),
        ("重点扶持批发零售、文化旅游等受疫情影响较大行业，给予贷款贴息。", "F5211"),
    ):
        entries = extract_entries(text)
        assert [c.field for c in leaves(entries)] == ["industry_code"]
        assert judge_item(entries, {"id": "a", "industry_code": code}).level == "eligible"


def test_a_hardship_beside_kinds_or_alternatives_stays() -> None:
    # 受疫情影响较大的小微企业: no industry holds the kind, so the hardship is the kind's own requirement.
    assert "undecidable" in _fields("对受疫情影响较大的小微企业，给予房租减免。")
    # …交通运输和其他未能复工的企业: the trades are one alternative, the hardship may qualify the other too.
    assert "undecidable" in _fields(
        "对受疫情影响较大的住宿餐饮、交通运输和其他未能及时复工的企业，给予补贴。"
    )


def test_meeting_someones_needs_is_a_purpose() -> None:
    # 满足…需求: the authorities meet needs; no requirement the enterprise meets.
    entries = extract_entries("对小微企业，提供优惠利率贷款，满足企业资金周转需求。")
    assert [c.field for c in leaves(entries)] == ["size_class"]
    # 满足…条件 still is one.
    assert "undecidable" in _fields("对小微企业给予贷款贴息，企业须满足环保达标条件。")


def test_a_lenders_own_targets_are_no_requirement() -> None:
    # What banks are asked to reach (their loans' growth, the borrowers they keep, a rate cut) binds no borrower.
    for text in (
        "各银行业金融机构加大信贷投放，普惠型小微企业贷款余额不低于上年同期，有贷款余额的户数不低于上年水平。",
        "银行对受理的贷款，利率在原有贷款利率水平上下浮10%以上。",
    ):
        assert "undecidable" not in _fields(text), text
