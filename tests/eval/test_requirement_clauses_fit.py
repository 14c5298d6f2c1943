"""The shipped clause model is reproducible from the repository: refitting on the tune labels gives the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.real_corpus import load_fit_corpus
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
