"""Logic structure (issue 14, x54): two kinds of beneficiary joined by 和 are alternatives (own sentences)."""

from __future__ import annotations

from corpus.conditions import Condition, Group, judge_item
from matcher.extraction import extract_entries


def test_two_kinds_joined_by_he_make_an_any_of_each_kinds_words() -> None:
    text = "对承担应急物资储备任务的骨干企业和受疫情影响较大的小微企业，给予贷款贴息支持。"
    entries = extract_entries(text)
    assert len(entries) == 1
    group = entries[0]
    assert isinstance(group, Group) and group.kind == "any" and group.role == "require"
    first, second = group.members
    assert isinstance(first, Condition) and first.field == "undecidable"
    assert isinstance(second, Group) and second.kind == "all"
    assert {c.field for c in second.members} == {"undecidable", "size_class"}


def test_a_large_firm_is_not_ruled_out_by_the_second_kinds_size() -> None:
    # Read as one conjunction, a large firm failed 小微 and was told no; it may be of the first kind.
    text = "对承担应急物资储备任务的骨干企业和受疫情影响较大的小微企业，给予贷款贴息支持。"
    verdict = judge_item(extract_entries(text), {"id": "e1", "size_class": "大"})
    assert verdict.level == "need_info"


def test_the_words_after_the_preposition_may_open_the_first_kinds_finding() -> None:
    text = "加大对重点保障企业和受疫情影响较大的中小企业的续贷支持。"
    groups = [e for e in extract_entries(text) if isinstance(e, Group) and e.kind == "any"]
    assert len(groups) == 1 and len(groups[0].members) == 2


def test_activities_joined_by_he_inside_one_kind_are_no_alternatives() -> None:
    # 生产和销售 joins two activities of one kind of enterprise: no second head noun, no any group.
    text = "对生产和销售防疫物资的小微企业，给予贷款贴息支持。"
    assert not any(isinstance(e, Group) and e.kind == "any" for e in extract_entries(text))
