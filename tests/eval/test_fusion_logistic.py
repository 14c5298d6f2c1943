"""The candidate listwise logistic fusion over both parts, their margins and the windows (f31, not served)."""

from __future__ import annotations

import numpy as np
import pytest

from eval.fusion_choice import SetScores, pools
from eval.fusion_logistic import (
    FEATURES,
    candidate_features,
    cross_validate,
    fit,
    question_metrics,
    set_features,
)
from matcher.fusion import top_margin, zscore


def _side(lexical_right: bool, windows: float, seed: int) -> SetScores:
    """30 questions over 20 documents: the right part ranks the answer first, the other a decoy."""
    rng = np.random.default_rng(seed)
    bm25, dense = rng.random((30, 20)), rng.random((30, 20)) * 0.3 + 0.5
    for q in range(30):
        answer, decoy = q % 20, (q + 7) % 20
        good, bad = (bm25, dense) if lexical_right else (dense, bm25)
        good[q, answer] = good[q].max() + 0.5
        bad[q, decoy] = bad[q].max() + 0.5
    relevant = tuple(frozenset([q % 20]) for q in range(30))
    return SetScores(f"own{seed}", bm25, np.zeros_like(bm25), dense, relevant, np.full(20, windows))


def test_features_are_the_fusion_parts_margins_and_windows() -> None:
    bm25, passage = np.array([3.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.0])
    dense = np.array([0.7, 0.9, 0.6])
    features = candidate_features(bm25, passage, dense, np.array([1.0, 4.0, 1.0]))
    assert features.shape == (3, len(FEATURES))
    lexical, semantic = zscore(bm25 + 0.3 * passage), zscore(dense)
    np.testing.assert_allclose(features[:, 0], lexical)
    np.testing.assert_allclose(features[:, 1], semantic)
    np.testing.assert_allclose(features[:, 2], semantic * np.exp(-top_margin(lexical)))
    np.testing.assert_allclose(features[:, 5], [0.0, np.log(4.0), 0.0])


def test_one_model_learns_which_part_to_trust_from_the_windows() -> None:
    # Long documents (8 windows) where BM25 is right; one-window passages where dense is right.
    sides = [_side(True, 8.0, 0), _side(False, 1.0, 1)]
    candidates = [pools(s) for s in sides]
    built = [set_features(s, c) for s, c in zip(sides, candidates, strict=True)]
    theta = fit(built)
    for side, pool, (features, _mask, _target) in zip(sides, candidates, built, strict=True):
        metrics = question_metrics(features, pool, side.relevant, theta)
        assert metrics[:, 1].mean() > 0.9, side.name
    leads = cross_validate(sides, seeds=(0,))
    assert len(leads) == 1 and leads[0] > -0.2


def test_windows_must_be_read() -> None:
    side = _side(True, 1.0, 0)
    bare = SetScores(side.name, side.bm25, side.passage, side.dense, side.relevant)
    with pytest.raises(ValueError, match="windows"):
        set_features(bare, pools(bare))
