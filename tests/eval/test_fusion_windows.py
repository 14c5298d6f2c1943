"""The candidate fusion whose dense term shrinks with the candidate's number of windows (f31, not served)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eval.fusion_choice import HAND_WEIGHTED, SetScores, document_windows, part_question_metrics, pools
from eval.fusion_windows import (
    WindowFusion,
    cross_validate,
    grid,
    question_metrics,
    select,
    windowed_fuse,
    worst_leads,
)
from eval.sets import RetrievalDoc, RetrievalSet
from matcher.fusion import FusionConfig, PartScores, fuse

HAND = HAND_WEIGHTED  # the hand-weighted family the window decay extends


def _parts() -> PartScores:
    # Candidate 0: a long policy whose best window scores high on dense by chance; candidate 1: a short
    # passage dense reads whole; BM25 is unsure between them.
    return PartScores(
        bm25=np.array([5.0, 4.9, 1.0, 0.5]),
        passage=np.array([2.0, 2.0, 0.5, 0.0]),
        dense=np.array([0.90, 0.86, 0.70, 0.60]),
    )


def test_decay_zero_is_the_hand_weighted_fusion() -> None:
    parts = _parts()
    total = windowed_fuse(parts, np.array([40.0, 1.0, 3.0, 2.0]), WindowFusion(HAND))
    np.testing.assert_allclose(total, fuse(parts, HAND).total)


def test_a_many_window_candidate_loses_its_dense_lead() -> None:
    parts = _parts()
    windows = np.array([40.0, 1.0, 3.0, 2.0])
    served = windowed_fuse(parts, windows, WindowFusion(HAND))
    decayed = windowed_fuse(parts, windows, WindowFusion(HAND, window_decay=0.25))
    assert int(np.argmax(served)) == 0
    assert int(np.argmax(decayed)) == 1
    # One window: the dense term is the hand-weighted one; the lexical term never changes.
    fused = fuse(parts, HAND)
    np.testing.assert_allclose(decayed[1], fused.total[1])
    np.testing.assert_allclose(decayed - fused.dense * windows**-0.25, fused.bm25 + fused.tags)


def test_document_windows_cut_as_served() -> None:
    docs = (
        RetrievalDoc(docid="short", title="", text="高新技术企业认定奖励二十万元。"),
        RetrievalDoc(docid="long", title="", text="对符合条件的企业给予补贴。" * 50),
    )
    windows = document_windows(RetrievalSet(Path("own"), docs, (), "0", "own"))
    # 650 characters, windows of 300 every 200: starts 0, 200, 400.
    assert len(docs[1].text) == 650
    assert windows.tolist() == [1.0, 3.0]


def _sides() -> list[SetScores]:
    """Two sets of 30 questions over 20 documents: in one BM25 is right, in the other dense on short documents."""
    out = []
    for lexical_right, windows in ((True, 8.0), (False, 1.0)):
        rng = np.random.default_rng(int(lexical_right))
        bm25, passage, dense = rng.random((30, 20)), np.zeros((30, 20)), rng.random((30, 20)) * 0.3 + 0.5
        for q in range(30):
            answer, decoy = q % 20, (q + 7) % 20
            good, bad = (bm25, dense) if lexical_right else (dense, bm25)
            good[q, answer] = good[q].max() + 0.5
            bad[q, decoy] = bad[q].max() + 0.5
        counts = np.full(20, windows)
        out.append(
            SetScores(
                f"own{int(lexical_right)}",
                bm25,
                passage,
                dense,
                tuple(frozenset([q % 20]) for q in range(30)),
                counts,
            )
        )
    return out


def test_selection_and_cross_validation_run_on_per_question_metrics() -> None:
    sides = _sides()
    configs = [
        WindowFusion(FusionConfig("zscore", 1.0, 0.0, 1.0)),
        WindowFusion(HAND, 0.0),
        WindowFusion(HAND, 0.4),
    ]
    fused = [np.stack([question_metrics(s, c, pools(s)) for c in configs]) for s in sides]
    parts = [part_question_metrics(s) for s in sides]
    assert fused[0].shape == (3, 30, 2)
    best, in_sample, boot = select(fused, parts, draws=20)
    assert in_sample[best] == in_sample.max() and boot.shape == (3,)
    # BM25 alone trails dense by every dense-right question on the second set.
    assert in_sample[0] < 0
    leads = cross_validate(fused, parts, range(3), seeds=(0, 1))
    assert len(leads) == 2 and all(-1.0 <= lead <= 1.0 for lead in leads)
    # Worst lead of a part's own metrics is 0 when it is the best part.
    dense = [p["dense"][None] for p in parts[1:]]
    assert worst_leads(dense, parts[1:], [np.arange(30)])[0] == pytest.approx(0.0)


def test_windows_must_be_read() -> None:
    side = _sides()[0]
    bare = SetScores(side.name, side.bm25, side.passage, side.dense, side.relevant)
    with pytest.raises(ValueError, match="windows"):
        question_metrics(bare, WindowFusion(HAND), pools(bare))


def test_grid_holds_the_served_family_and_the_decays() -> None:
    configs = grid()
    assert WindowFusion(HAND) in configs
    assert {c.window_decay for c in configs} >= {0.0, 0.25}
