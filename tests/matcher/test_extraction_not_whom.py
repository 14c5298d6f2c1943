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
