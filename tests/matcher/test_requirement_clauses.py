"""The clause model that finds requirements no rule names: the shipped file, and what the extractor makes of it."""

from __future__ import annotations

import json

from corpus.conditions import judge_item, leaves
from matcher.extraction import extract_entries
from matcher.extraction.requirement_clauses import MODEL_PATH, requirement_probability, states_requirement
from matcher.extraction.silent import _CLAUSE_REQUIREMENT_RE


def test_the_shipped_file_holds_short_ngram_weights_only() -> None:
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert 0.5 <= data["threshold"] < 1.0
    assert 0 < len(data["weights"]) <= 2000
    # Single characters and pairs: nothing a sentence could be read back from.
    assert max(len(gram) for gram in data["weights"]) <= 2
    assert MODEL_PATH.stat().st_size < 64 * 1024


def test_how_and_when_to_apply_and_who_pays_read_as_no_requirement() -> None:
    for words in ("申报时间为每年3月", "由区财政局统一拨付", "联系电话12345678"):
        assert not states_requirement(words), words
        assert requirement_probability(words) < 0.1, words


def test_a_requirement_in_words_no_rule_names_becomes_undecidable_with_its_span() -> None:
    text = "对小微企业，已取得省级工程技术研究中心资质的，给予一次性奖励30万元。"
    assert not _CLAUSE_REQUIREMENT_RE.search("已取得省级工程技术研究中心资质")
    entries = extract_entries(text)
    found = [(c.field, str(c.span)) for c in leaves(entries)]
    assert ("size_class", "小微企业") in found
    assert ("undecidable", "已取得省级工程技术研究中心资质") in found
    # A small enterprise is not told it is eligible on its size alone: a person checks the qualification.
    assert judge_item(entries, {"id": "e1", "size_class": "小"}).level != "eligible"


def test_procedure_beside_a_read_condition_gains_nothing_from_the_model() -> None:
    text = "对小微企业给予一次性奖励30万元，由区财政局统一拨付，联系电话12345678。"
    assert [c.field for c in leaves(extract_entries(text)) if c.field == "undecidable"] == []
