"""CI fast slice: tune clauses of the real corpus that must extract exactly as labelled (eval/real_regression.py).

Only clauses today's extractor already gets right are listed (regression.json),
so this stays green; the list grows as extraction improves. The figures of the
whole corpus and their goals live in docs/benchmarks.md, not here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.real_corpus import LABELS_DIR, load_corpus
from eval.real_regression import exact, extract_leaves, read_regression

LISTED = read_regression()


@pytest.fixture(scope="module")
def corpus(shared_dir: Path):  # type: ignore[no-untyped-def]
    if not LISTED:
        pytest.skip("no regression clauses listed yet")
    return load_corpus(LABELS_DIR, shared_dir)


@pytest.mark.parametrize("item_id", LISTED or ["(none)"])
def test_clause_extracts_as_labelled(corpus, item_id: str) -> None:  # type: ignore[no-untyped-def]
    found = [i for i in corpus.items if i.id == item_id]
    assert found, (
        f"{item_id} is listed in regression.json but not labelled (relabelled? run python -m eval.real_regression)"
    )
    item = found[0]
    assert item.split == "tune"  # rules are written from tune clauses only
    comparison = extract_leaves(corpus, item)
    assert comparison.tp, "a listed clause has labelled conditions"
    assert exact(comparison), {
        "missed": comparison.missed,
        "extra": comparison.extra,
        "wrong_value": comparison.wrong_value,
        "wrong_op": comparison.wrong_op,
        "structure": comparison.structure_errors,
    }
