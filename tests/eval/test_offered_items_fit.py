"""The shipped item model is reproducible from the repository: refitting on the tune labels gives the same file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.offered_items import (
    CURVE,
    choose_opening,
    choose_threshold,
    choose_withhold,
    cross_validated,
    fitted,
    readings,
    regularisation_curve,
    rows,
)
from eval.real_corpus import ITEM_MODEL_FIT_LABELS, load_fit_corpus
from eval.requirement_clauses import KEEP
from matcher.extraction.offered import MODEL_PATH


@pytest.mark.slow
def test_refitting_on_tune_labels_gives_the_shipped_weights(shared_dir: Path) -> None:
    corpus = load_fit_corpus(shared_dir=shared_dir, files=ITEM_MODEL_FIT_LABELS)
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


@pytest.mark.slow
def test_the_curve_setting_that_scores_best_on_tune_is_the_one_check_turned_down(shared_dir: Path) -> None:
    corpus = load_fit_corpus(shared_dir=shared_dir, files=ITEM_MODEL_FIT_LABELS)
    kept, offered = readings(corpus, "tune")
    shipped = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data = rows(corpus, "tune", opening=int(shipped["opening"]))
    curve = regularisation_curve(data, kept, offered)
    assert set(curve) == set(CURVE)
    scores = {setting: score for setting, (_, _, score) in curve.items()}
    # The shipped setting (C 1.0, KEEP) is fitted at its own cross-validated bounds.
    assert curve[(1.0, KEEP)][:2] == (shipped["threshold"], shipped["withhold_below"])
    # On the tune grown by lab6, weaker n-gram pruning with stronger regularisation scores above it on tune CV;
    # the best of them (C 0.03, every n-gram) was fitted on tune and run on check, where it lowered accuracy
    # and left 6 more items for enterprises never offered (docs/benchmarks.md, `real-labels-l26`), so the
    # shipped setting stays. A curve whose best is another setting is a candidate to measure on check again.
    assert max(scores, key=lambda setting: (scores[setting], setting)) == (0.03, 0)
    assert min(scores.values()) < scores[(1.0, KEEP)] < max(scores.values())


@pytest.mark.slow
def test_the_items_asked_about_leave_out_documents_read_as_non_policies(shared_dir: Path) -> None:
    from corpus.schemas import validate_policy
    from eval.real_eval.leaves import posted_document
    from matcher.extraction.doctype import classify_document, template_only

    corpus = load_fit_corpus(shared_dir=shared_dir, files=ITEM_MODEL_FIT_LABELS)
    kept, offered = readings(corpus, "tune")
    hidden = set()
    for key, labelled in corpus.documents.items():
        if labelled.split != "tune":
            continue
        document = validate_policy(posted_document(labelled, "source"))
        # As the shipped bounds were chosen: on the template classifier's readings (eval.offered_items.readings).
        with template_only():
            kind = classify_document(document.text, title=document.title)
        if not kind.is_policy:
            hidden |= {item.id for item in corpus.items_of(key)}
    # Ingest never offers an item of a document read as a non-policy, so the model is never asked about
    # one; the bounds are chosen on the items it is asked about. The classifier does read some tune
    # documents so (the check that this test could fail).
    assert hidden
    assert not (kept | offered) & hidden
