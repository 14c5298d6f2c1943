"""One requirement said again is one condition (own sentences in the shapes of real tax guides)."""

from __future__ import annotations

from corpus.conditions import Condition, Group, Tier, leaves
from matcher.extraction import extract_entries
from matcher.extraction.restated import core, restated
from matcher.extraction.structure import _unrestated


def test_core_drops_labels_marks_lead_in_and_list_word() -> None:
    assert core("【适用对象】 防疫物资储备企业") == "防疫物资储备企业"
    assert core("2.对防疫物资储备企业") == "防疫物资储备企业"
    assert core("防疫物资储备企业名单") == "防疫物资储备企业"


def test_restated_needs_nearly_the_same_words() -> None:
    assert restated("对防疫物资储备企业", [core("【适用对象】 防疫物资储备企业")])
    assert restated("防疫物资储备企业名单", ["防疫物资储备企业"])
    # Short words inside a longer requirement say something of their own.
    assert not restated("受疫情影响", [core("受疫情影响导致面临暂时性生产经营困难")])
    assert not restated("参保企业", ["防疫物资储备企业"])


def test_a_beneficiary_said_under_each_label_is_one_undecidable() -> None:
    text = (
        "【适用对象】 防疫物资储备企业 【优惠内容】 对防疫物资储备企业，免征房产税。 "
        "防疫物资储备企业名单，由省发展改革部门确定。"
    )
    found = [c for c in leaves(extract_entries(text)) if c.field == "undecidable"]
    assert len(found) == 1, found


def test_the_same_words_in_two_measures_stay_each_measures_own() -> None:
    def need(words: str) -> Condition:
        return Condition("undecidable", "eq", words, words)

    entries = (
        need("防疫物资储备企业"),
        Tier("小微企业", (need("受疫情影响较大"), need("对防疫物资储备企业"))),
        Tier("中型企业", (need("受疫情影响较大"),)),
    )
    kept = _unrestated(entries)
    assert kept[0] == entries[0]
    # A tier drops what restates a common requirement, never what another tier says too.
    assert [c.span for c in kept[1].conditions] == ["受疫情影响较大"]
    assert [c.span for c in kept[2].conditions] == ["受疫情影响较大"]


def test_the_impact_the_authorities_weigh_is_no_requirement() -> None:
    weighed = extract_entries("各地可根据受疫情影响情况和财力，减免中小微企业的房租。")
    assert not [c for c in leaves(weighed) if c.field == "undecidable"]
    required = extract_entries("对受疫情影响较大的中小微企业，减免3个月房租。")
    assert [c.span for c in leaves(required) if c.field == "undecidable"] == ["受疫情影响较大"]


def test_a_kind_named_as_an_example_of_every_other_one_is_no_requirement() -> None:
    entries = extract_entries("对中小微企业免征3个月；对大型企业等其他参保单位减半征收2个月。")
    tiers = [e for e in entries if isinstance(e, Tier)]
    # The complement tier (every other payer) has no condition at all (labelling guide §5).
    assert [c.field for t in tiers for c in t.conditions if isinstance(c, Condition)] == ["size_class"]
    assert len(tiers) == 2 and not tiers[1].conditions


def test_an_approval_the_enterprise_must_obtain_is_an_undecidable() -> None:
    text = "对文化旅游行业企业，经相关行业主管部门确认，可将社会保险费征收期延长至6月底。"
    assert "经相关行业主管部门确认" in [
        c.span for c in leaves(extract_entries(text)) if c.field == "undecidable"
    ]
    # 经营 / 经费 open no confirmation.
    text = "对经营困难的企业给予一次性补贴，所需经费由财政部门确认后拨付。"
    assert not [c for c in leaves(extract_entries(text)) if "确认" in c.span]


def test_a_bare_recognition_the_enterprise_must_obtain_is_an_undecidable() -> None:
    # 经认定后 / 经认定符合条件的: the recognition stands as its own requirement; 经认定的X is one with X.
    text = "对受疫情影响较大的区内小微企业，经认定后，按贷款实际利息的40%给予贴息。"
    assert "经认定" in [c.span for c in leaves(extract_entries(text)) if c.field == "undecidable"]
    text = "对相关行业的增值税一般纳税人，经认定符合条件的，可申请增量留抵退税。"
    assert "经认定符合条件" in [c.span for c in leaves(extract_entries(text)) if c.field == "undecidable"]
    text = "对经认定的承担防疫物资储备任务的企业，给予一次性补助。"
    spans = [c.span for c in leaves(extract_entries(text)) if c.field == "undecidable"]
    assert "经认定" not in spans and len(spans) == 1


def test_kinds_listed_with_yiji_are_one_beneficiary() -> None:
    # Either kind is the beneficiary: the makers (semantic, labelling guide l25) or the trades hit hardest.
    text = "对防疫物资生产行业以及受疫情影响较大行业的小规模纳税人，可优先办理退税。"
    (entry,) = extract_entries(text)
    assert isinstance(entry, Group) and entry.kind == "any"
    assert [(c.op, c.span) for c in entry.members if isinstance(c, Condition)] == [
        ("semantic", "防疫物资生产行业"),
        ("eq", "受疫情影响较大"),
    ]
