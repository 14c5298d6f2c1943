"""The fusion is chosen on every set's training side at once: the worst lead over the best part wins."""

from __future__ import annotations

import numpy as np

from eval.fusion_choice import SetScores, choose, fused_metrics, margin, part_metrics
from matcher.fusion import FusionConfig


def _set(name: str, lexical_right: bool, n: int = 40, docs: int = 30, seed: int = 0) -> SetScores:
    """Questions whose answer (column q % docs) one part ranks first and the other ranks fifth."""
    rng = np.random.default_rng(seed)
    bm25 = rng.random((n, docs))
    dense = rng.random((n, docs)) * 0.5 + 0.3
    for q in range(n):
        answer = q % docs
        decoy = (answer + 1) % docs
        good, bad = (bm25, dense) if lexical_right == (q % 4 != 0) else (dense, bm25)
        good[q, answer] = good[q].max() + 1.0
        bad[q, decoy] = bad[q].max() + 1.0
    relevant = tuple(frozenset([q % docs]) for q in range(n))
    return SetScores(name, bm25, np.zeros_like(bm25), dense, relevant)


def test_a_fusion_chosen_on_both_sets_beats_one_chosen_on_either() -> None:
    lexical, semantic = _set("lexical", True), _set("semantic", False, seed=1)
    bm25_only = FusionConfig("zscore", 1.0, 0.0, 0.0)
    dense_heavy = FusionConfig("zscore", 0.0, 1.0, 0.0)
    both = FusionConfig("zscore", 1.0, 1.0, 0.0)
    chosen, rows = choose([lexical, semantic], [bm25_only, dense_heavy, both])
    assert len(rows) == 3
    worst = {id(r["config"]): r["worst_margin"] for r in rows}
    assert worst[id(chosen)] == max(worst.values())
    # Each one-sided fusion is far behind on the other set; the chosen one is not.
    for one_sided in (bm25_only, dense_heavy):
        assert worst[id(one_sided)] < worst[id(chosen)]
    for scores in (lexical, semantic):
        fused = fused_metrics(scores, chosen)
        parts = {p: m for p, m in part_metrics(scores).items() if p in ("bm25", "dense")}
        assert margin(fused, parts) > -0.3
        assert 0.0 <= fused[0] <= 1.0 and 0.0 < fused[1] <= 1.0
