"""The shipped document model is reproducible from the repository: refitting on the tune labels gives the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.document_model import choose, choose_opening, cross_validated, fit_labels, fitted, rows
from eval.real_corpus import load_fit_corpus
from matcher.extraction.doctype import MODEL_PATH


@pytest.mark.slow
def test_refitting_on_tune_documents_gives_the_shipped_weights(shared_dir: Path) -> None:
    corpus = load_fit_corpus(shared_dir=shared_dir, files=fit_labels())
    # The opening's length, the way the model joins the template classifier and its threshold are all chosen
    # on tune by cross-validation over documents.
    opening, _ = choose_opening(corpus)
    data = rows(corpus, "tune", opening)
    # Only tune documents are fitted on: no check or final document reaches the model.
    assert {corpus.documents[r.key].split for r in data} == {"tune"}
    (mode, threshold), scores = choose(data, cross_validated(data))
    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert fitted(data, mode, threshold, opening) == shipped
    # The chosen setting hides no tune policy the template classifier alone keeps, and offers fewer non-policies.
    template = [r.template_policy for r in data]
    hidden = sum(1 for r, said in zip(data, template, strict=True) if r.is_policy and not said)
    offered = sum(1 for r, said in zip(data, template, strict=True) if not r.is_policy and said)
    assert scores[(mode, threshold)][2] == hidden
    assert scores[(mode, threshold)][1] < offered
