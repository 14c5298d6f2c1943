"""Kinds of beneficiary joined by 和 / 及 are alternatives; exclusions a stand-in states itself (issue 14, x39).

Sentences written for these tests.
"""

from __future__ import annotations

from corpus.conditions import Condition, Group, judge_item, leaves
from matcher.extraction import extract_entries


def _groups(text: str) -> list[Group]:
    return [e for e in extract_entries(text) if isinstance(e, Group) and e.kind == "any"]


def test_two_kinds_of_beneficiary_joined_by_he_are_one_any_group() -> None:
    text = "对参与防疫物资运输的物流企业和受疫情影响较大的区内中小微企业，给予贷款贴息支持。"
    groups = _groups(text)
    assert len(groups) == 1
    first, second = groups[0].members
    # Each kind is a conjunction of its own: carriers of supplies in logistics; hit by the epidemic and small.
    assert isinstance(first, Group) and [m.field for m in first.members] == ["undecidable", "industry_code"]
    assert isinstance(second, Group) and second.kind == "all"
    assert [m.field for m in second.members] == ["undecidable", "size_class"]
    for condition in leaves(extract_entries(text)):
        assert condition.span in text
    # A large enterprise may be the first kind: the size of the second one does not rule it out.
    assert judge_item(extract_entries(text), {"size_class": "大"}).level != "ineligible"


def test_a_beneficiary_named_by_its_own_words_joins_the_next_one() -> None:
    text = "对承担应急保供任务的重点企业和受疫情影响较大的企业，开通转贷绿色通道。"
    groups = _groups(text)
    assert len(groups) == 1 and len(groups[0].members) == 2


def test_a_kind_with_nothing_read_beside_it_makes_no_group() -> None:
    # 个体工商户 adds no condition of its own: nothing to be an alternative of.
    assert _groups("对受疫情影响的企业和个体工商户，减半收取担保费。") == []


def test_one_requirement_with_a_plain_and_stays_required() -> None:
    # 和 inside one requirement (受疫情影响的生产和经营) joins no kinds of enterprise.
    text = "受疫情影响生产和经营出现困难的小微企业，可申请延期缴纳。"
    assert _groups(text) == []


def test_a_stand_in_that_says_its_own_exclusion_is_an_exclusion() -> None:
    text = "申报企业须会计核算健全。实行核定征收的企业不能申报。"
    roles = {c.span: c.role for c in leaves(extract_entries(text))}
    assert any(role == "exclude" and "核定征收" in span for span, role in roles.items())


def test_places_outside_the_mainland_excepted_exclude_no_enterprise() -> None:
    text = "申请企业须在中国境内（不包括港、澳、台地区）注册，且会计核算健全。"
    found = list(leaves(extract_entries(text)))
    assert not any(c.role == "exclude" for c in found)
    assert not any((c.span or "").startswith(("港", "不包括")) for c in found)


def test_trades_named_with_their_holders_then_another_kind_are_alternatives() -> None:
    text = "对批发零售、物流运输等受疫情影响较大的服务业企业，以及有发展前景但受疫情影响暂遇困难的企业，可予以展期。"
    groups = _groups(text)
    assert len(groups) == 1
    assert {m.field for m in groups[0].members if isinstance(m, Condition)} >= {"industry_code"}
    # An enterprise outside the trades may be the other kind: it is not ruled out by the trades.
    assert judge_item(extract_entries(text), {"industry_code": "C3973"}).level != "ineligible"
