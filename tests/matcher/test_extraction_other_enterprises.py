"""Logic structure (issue 14, x57): a clause backing "other" enterprises is a second kind of beneficiary (own sentences)."""

from __future__ import annotations

from corpus.conditions import Condition, Group, judge_item
from matcher.extraction import extract_entries

_TEXT = "支持医用防护用品生产企业实施技术改造扩大产能，支持其他企业通过新建医用防护用品生产线转产，对相关项目给予设备补助。"


def _anys(text: str) -> list[Group]:
    return [e for e in extract_entries(text) if isinstance(e, Group) and e.kind == "any"]


def test_the_first_kind_and_the_others_clause_are_alternatives() -> None:
    groups = _anys(_TEXT)
    assert len(groups) == 1 and groups[0].role == "require"
    first, other = groups[0].members
    assert isinstance(first, Condition) and first.field == "business_scope"
    assert isinstance(other, Condition) and other.field == "undecidable"
    assert other.span.startswith("支持其他企业") and other.span.endswith("转产")


def test_a_clause_part_and_two_verbs_may_stand_before_the_others() -> None:
    text = "鼓励高新技术企业加大研发投入；支持引导其他有条件的企业设立研发机构，对相关项目给予补助。"
    groups = _anys(text)
    assert len(groups) == 1
    assert {m.field for m in groups[0].members if isinstance(m, Condition)} == {
        "qualifications",
        "undecidable",
    }


def test_an_enterprise_without_the_first_kinds_title_is_not_refused() -> None:
    text = "鼓励高新技术企业加大研发投入；支持引导其他有条件的企业设立研发机构，对相关项目给予补助。"
    verdict = judge_item(extract_entries(text), {"id": "e1", "qualifications": []})
    assert verdict.level != "ineligible"


def test_others_in_the_next_sentence_are_no_alternative() -> None:
    assert not _anys("支持小微企业开拓市场。支持其他企业开展合作，给予贴息。")


def test_others_given_their_own_support_are_no_alternative_here() -> None:
    # 对其他企业给予…: a measure of its own for the others (a tier's business), no verb of backing.
    assert not _anys("对小微企业给予贴息，对其他企业给予担保费补贴。")
