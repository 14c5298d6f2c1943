"""Tiers under a lead-in (issue 14): whom a lead-in names governs every measure after it, and the lead-in is no measure.

Sentences written for these tests, read by the real extractor.
"""

from __future__ import annotations

from corpus.conditions import Condition, Tier, judge_item
from matcher.extraction import extract_entries

_MANUFACTURER = {"id": "x", "industry_code": "C3311", "size_class": "中"}


def _split(text: str) -> tuple[list[Condition], list[Tier]]:
    entries = extract_entries(text)
    common = [e for e in entries if isinstance(e, Condition)]
    return common, [e for e in entries if isinstance(e, Tier)]


def test_what_precedes_a_lead_in_colon_governs_every_measure_after_it() -> None:
    # Read into the first tier only, the hardship and the size left the second measure open to any manufacturer.
    text = "受疫情影响较大的中小企业，可享受以下支持：对其中的小微企业，免收三个月房租；对其中的制造业企业，给予贷款贴息。"
    common, tiers = _split(text)
    assert {c.field for c in common} == {"undecidable", "size_class"}
    assert [c.value for c in common if c.field == "undecidable"] == ["受疫情影响较大"]
    assert [[c.field for c in t.conditions] for t in tiers] == [["size_class"], ["industry_code"]]
    assert not any("以下支持" in t.span for t in tiers)
    assert judge_item(extract_entries(text), _MANUFACTURER).level != "eligible"


def test_a_lead_in_that_grants_nothing_is_no_tier() -> None:
    # 对…的企业，按以下规定执行: whom it names is said of every measure below; it gives nothing of its own.
    text = "对受疫情影响的企业，按以下规定执行。对小微企业，免收三个月房租；对制造业企业，给予贷款贴息。"
    common, tiers = _split(text)
    assert [c.value for c in common] == ["受疫情影响"]
    assert [t.support for t in tiers] == ["免收三个月房租", "给予贷款贴息"]
    assert judge_item(extract_entries(text), _MANUFACTURER).level != "eligible"


def test_below_a_figure_and_a_colon_after_whom_keep_their_tiers() -> None:
    # 以下 after a figure is "below", not a lead-in; a colon right after whom opens that measure's own outcome.
    below = "对小微企业，免征月销售额10万元以下的增值税；对制造业企业，给予贷款贴息。"
    _, tiers = _split(below)
    assert len(tiers) == 2
    after_whom = "对受疫情影响的中小企业：免收三个月房租；对制造业企业，给予贷款贴息。"
    common, tiers = _split(after_whom)
    assert not common
    assert [sorted(c.field for c in t.conditions) for t in tiers] == [
        ["size_class", "undecidable"],
        ["industry_code"],
    ]
    assert judge_item(extract_entries(after_whom), _MANUFACTURER).level == "eligible"


def test_a_measure_after_a_granting_lead_in_is_still_a_tier() -> None:
    # 给予以下支持：对其中的小微企业，免收…: the lead-in's own verb grants nothing; the measure after its colon does.
    text = "受疫情影响较大的中小企业，给予以下支持：对其中的小微企业，免收三个月房租；对其中的制造业企业，给予贷款贴息。"
    common, tiers = _split(text)
    assert {c.field for c in common} == {"undecidable", "size_class"}
    assert [t.support for t in tiers] == ["免收三个月房租", "给予贷款贴息"]
