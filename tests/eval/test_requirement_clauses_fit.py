"""The shipped clause model is reproducible from the repository: refitting on the tune labels gives the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.real_corpus import AS_FITTED, SHIPPED_FIT_LABELS, load_corpus, load_fit_corpus
from eval.requirement_clauses import choose_threshold, clauses, fitted
from matcher.extraction.requirement_clauses import MODEL_PATH


@pytest.mark.slow
def test_refitting_on_tune_labels_gives_the_shipped_weights(shared_dir: Path) -> None:
    corpus = load_fit_corpus(shared_dir=shared_dir)
    rows = clauses(corpus, "tune")
    # Only tune documents are fitted on: no check or final clause reaches the model.
    assert {corpus.documents[d].split for d, _, _ in rows} == {"tune"}
    threshold, _ = choose_threshold(rows)
    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert fitted(rows, threshold) == shipped


@pytest.mark.slow
def test_as_fitted_records_are_tune_items_relabelled_since_the_fit(shared_dir: Path) -> None:
    now = {i.id: i.record for i in load_corpus(shared_dir=shared_dir, files=SHIPPED_FIT_LABELS).items}
    fit = load_fit_corpus(shared_dir=shared_dir)
    restored = [i for i in fit.items if i.record != now[i.id]]
    listed = [line for line in AS_FITTED.read_text(encoding="utf-8").splitlines() if line.strip()]
    # Every as-fitted record is used, differs from today's label, and is a tune item: check and final never fit.
    assert len(restored) == len(listed) > 0
    assert {i.split for i in restored} == {"tune"}
