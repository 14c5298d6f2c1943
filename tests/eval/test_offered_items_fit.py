"""The shipped item model is reproducible from the repository: refitting on the tune labels gives the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.offered_items import (
    choose_opening,
    choose_threshold,
    choose_withhold,
    cross_validated,
    fitted,
    readings,
    rows,
)
from eval.real_corpus import LABELS_DIR, load_corpus
from matcher.extraction.offered import MODEL_PATH


@pytest.mark.slow
def test_refitting_on_tune_labels_gives_the_shipped_weights(shared_dir: Path) -> None:
    corpus = load_corpus(LABELS_DIR, shared_dir)
    kept, offered = readings(corpus, "tune")
    # The opening's length is chosen on tune too, as the bounds are.
    opening, _ = choose_opening(corpus, kept, offered)
    data = rows(corpus, "tune", opening=opening)
    # Only tune documents are fitted on: no check or final item reaches the model.
    assert {corpus.documents[d].split for d, _, _, _ in data} == {"tune"}
    probs = cross_validated(data)
    threshold, _ = choose_threshold(probs, data, kept)
    withhold, _ = choose_withhold(probs, data, offered)
    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert fitted(data, threshold, withhold, opening) == shipped
