"""The label audit l29 (docs/labelling.md, "Conventions settled with the label audit l29"), on tune records only.

Checks read tune records (and, where the rule is about wording, tune text from ../shared, skipped without it);
check and final records are never opened. Shapes of the rules are also shown on text written here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from eval.real_corpus import LABELS_DIR, read_sources, split_of
from eval.real_corpus.duplicates import read_label_records

APPROVAL_WORDS = ("按规定经批准", "经批准", "经过批准")


def _tune(kind: str) -> list[dict]:
    records = [
        dict(r.record)
        for r in read_label_records(LABELS_DIR)
        if r.kind == kind and split_of(str(r.record["doc"])) == "tune"
    ]
    if not records:
        pytest.skip("no committed tune labels")
    return records


def _leaves(nodes: Any) -> Iterator[Mapping[str, Any]]:
    for node in nodes or []:
        if isinstance(node, Mapping) and ("any" in node or "all" in node):
            yield from _leaves(node.get("any") or node.get("all"))
        elif isinstance(node, Mapping):
            yield node


def _item_leaves(item: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from _leaves(item.get("conditions"))
    for tier in item.get("tiers") or []:
        yield from _leaves(tier.get("conditions"))


@pytest.fixture(scope="module")
def tune_texts(shared_dir: Path) -> dict[str, str]:
    return {key: doc.text for key, doc in read_sources(shared_dir).items() if split_of(key) == "tune"}


def _is_approval(span_text: str) -> bool:
    return span_text in APPROVAL_WORDS or (
        span_text.startswith("经") and span_text.endswith("批准") and "机构" in span_text
    )


def test_the_approval_rule_on_own_text() -> None:
    own = "对确实无力缴费的中小企业，按规定经批准后可缓缴。"
    start = own.index("按规定经批准")
    assert _is_approval(own[start : start + 6])
    assert _is_approval("经社会保险经办机构批准")
    assert not _is_approval("经行业主管部门确认")  # a status the enterprise holds stays a leaf
    assert not _is_approval("经有关部门批准发行的债券")  # a product's description is not the rule


def test_no_tune_leaf_is_an_offices_approval(tune_texts: dict[str, str]) -> None:
    found = []
    for item in _tune("item"):
        text = tune_texts[item["doc"]][item["start"] : item["end"]]
        for leaf in _item_leaves(item):
            span = leaf.get("span")
            if leaf["field"] == "undecidable" and span and _is_approval(text[span[0] : span[1]]):
                found.append(item["id"])
    assert not found, f"tune leaves that are an office's approval (l29): {found}"


def _singled_out(text: str, start: int) -> bool:
    """Say whether a span starting at ``start`` follows 特别是 / 尤其是 (…对, …，): a part of the measure's group."""
    before = text[max(0, start - 5) : start].rstrip("对，, ")
    return before.endswith(("特别是", "尤其是"))


def test_the_singled_out_rule_on_own_text() -> None:
    own = "对受影响的企业特别是小微企业，银行不得抽贷；对参保企业，尤其是对中型企业，返还失业保险费。"
    assert _singled_out(own, own.index("小微企业"))
    assert _singled_out(own, own.index("中型企业"))
    assert not _singled_out(own, own.index("受影响的企业"))


def test_tune_parts_singled_out_by_te_bie_shi_are_bonuses(tune_texts: dict[str, str]) -> None:
    found = []
    for item in _tune("item"):
        text = tune_texts[item["doc"]][item["start"] : item["end"]]
        for leaf in _item_leaves(item):
            span = leaf.get("span")
            if span and _singled_out(text, span[0]) and leaf.get("role") != "bonus":
                found.append(item["id"])
    assert not found, f"tune leaves after 特别是 / 尤其是 that are not bonuses (l29): {found}"


def test_every_tune_msgabench_answer_is_for_beijing() -> None:
    others = [d["doc"] for d in _tune("document") if d["source"] == "msga" and d["region_code"] != "11"]
    assert not others, f"tune msgabench answers not labelled 11 (guide §3, l29): {others}"


PROCEDURE_ANSWERS = (
    "msga:m01585",
    "msga:m01611",
    "msga:m01560",
    "msga:m01614",
)  # window, renaming, upload, filing


def test_tune_procedure_answers_are_non_policies() -> None:
    documents = {d["doc"]: d for d in _tune("document")}
    items = [i for i in _tune("item") if i["doc"] in PROCEDURE_ANSWERS]
    for key in PROCEDURE_ANSWERS:
        assert documents[key]["is_policy"] is False and documents[key]["doc_type"] == "qa", key
    assert len(items) == len(PROCEDURE_ANSWERS)
    assert all(not i["for_enterprises"] and not i["conditions"] and not i.get("tiers") for i in items)
    assert all(i["support_type"] is None for i in items)


@pytest.mark.parametrize(
    ("sentence", "grades"),
    [
        ("申报企业纳税信用等级为B级以上。", ["A", "B"]),
        ("申报企业纳税信用等级在M级及以上。", ["A", "B", "M"]),
    ],
)
def test_b_grade_and_above_leaves_m_out_on_own_text(sentence: str, grades: list[str]) -> None:
    from corpus.conditions import leaves
    from matcher.extraction import extract_entries

    found = [c for c in leaves(extract_entries(sentence)) if c.field == "tax_credit_grade"]
    assert [sorted(c.value) for c in found] == [sorted(grades)]


def test_an_m_grade_enterprise_misses_b_grade_and_above() -> None:
    from eval.reference_verdicts import MET, UNMET, leaf_verdict

    leaf = {"field": "tax_credit_grade", "op": "in", "value": ["A", "B"], "span": [0, 8]}
    assert leaf_verdict(leaf, {"tax_credit_grade": "M"}) == UNMET
    assert leaf_verdict(leaf, {"tax_credit_grade": "B"}) == MET


def test_tune_b_grade_and_above_leaves_are_a_and_b(tune_texts: dict[str, str]) -> None:
    wrong = []
    for item in _tune("item"):
        text = tune_texts[item["doc"]][item["start"] : item["end"]]
        for leaf in _item_leaves(item):
            span = leaf.get("span") or [0, 0]
            said = text[span[0] : span[1]]
            if leaf["field"] == "tax_credit_grade" and "B级" in said and "以上" in said:
                if sorted(leaf.get("value") or []) != ["A", "B"]:
                    wrong.append(item["id"])
    assert not wrong, f"tune 纳税信用 B级以上 leaves that are not [A, B] (l29): {wrong}"


def test_as_fitted_records_are_tune_records_relabelled_since_the_fit(shared_dir: Path) -> None:
    from eval.real_corpus import AS_FITTED, ITEM_MODEL_FIT_LABELS, load_corpus, load_fit_corpus

    now = load_corpus(shared_dir=shared_dir, files=ITEM_MODEL_FIT_LABELS)
    fit = load_fit_corpus(shared_dir=shared_dir, files=ITEM_MODEL_FIT_LABELS)
    now_items = {i.id: i.record for i in now.items}
    items = [i for i in fit.items if i.record != now_items[i.id]]
    documents = [d for k, d in fit.documents.items() if d.record != now.documents[k].record]
    listed = [line for line in AS_FITTED.read_text(encoding="utf-8").splitlines() if line.strip()]
    # Every as-fitted record is used, differs from today's label, and is tune's: check and final never fit.
    assert len(items) + len(documents) == len(listed) > 0
    assert {i.split for i in items} | {d.split for d in documents} == {"tune"}
