import math

import numpy as np
import pytest

from eval.metrics import (
    dcg,
    extraction_scores,
    first_stage_recall,
    level_metrics,
    mrr,
    ndcg_at_k,
    precision_at_k,
    prf1,
    prf_from_counts,
    ranking_summary,
    recall_at_k,
    verdict_accuracy,
)

# Three queries, hand-scored below.
RANKED = [["a", "b", "c", "d"], ["x", "y", "z"], ["p", "q"]]
RELEVANT = [{"b", "d"}, {"z"}, {"s"}]


def test_recall_at_k_hand_computed():
    # q1: top1 none, top2 {b} of 2 -> .5, top4 both -> 1; q2: z at 3; q3: never.
    assert recall_at_k(RANKED, RELEVANT, 1) == pytest.approx(0.0)
    assert recall_at_k(RANKED, RELEVANT, 2) == pytest.approx((0.5 + 0 + 0) / 3)
    assert recall_at_k(RANKED, RELEVANT, 3) == pytest.approx((0.5 + 1 + 0) / 3)
    assert recall_at_k(RANKED, RELEVANT, 10) == pytest.approx((1 + 1 + 0) / 3)


def test_precision_at_k_divides_by_k():
    assert precision_at_k(RANKED, RELEVANT, 2) == pytest.approx((1 / 2 + 0 + 0) / 3)
    assert precision_at_k(RANKED, RELEVANT, 4) == pytest.approx((2 / 4 + 1 / 4 + 0) / 3)


def test_mrr_hand_computed():
    assert mrr(RANKED, RELEVANT) == pytest.approx((1 / 2 + 1 / 3 + 0) / 3)
    assert mrr(RANKED, RELEVANT, k=2) == pytest.approx((1 / 2 + 0 + 0) / 3)


def test_ndcg_binary_several_relevant():
    # q1: gains [0,1,0,1] -> 1/log2(3) + 1/log2(5); ideal [1,1] -> 1 + 1/log2(3)
    q1 = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    q2 = (1 / math.log2(4)) / 1.0
    assert ndcg_at_k(RANKED, RELEVANT, 10) == pytest.approx((q1 + q2 + 0) / 3)


def test_ndcg_graded_and_cut():
    ranked = [["a", "b", "c"]]
    graded = [{"a": 1, "b": 0, "c": 3, "d": 2}]
    # top-2 gains [1, 0]; ideal top-2 [3, 2]
    expected = (1 / math.log2(2)) / (3 / math.log2(2) + 2 / math.log2(3))
    assert ndcg_at_k(ranked, graded, 2) == pytest.approx(expected)
    assert dcg([3, 2]) == pytest.approx(3 + 2 / math.log2(3))


def test_perfect_ranking_scores_one_and_empty_relevance_skipped():
    ranked = [["a", "b"], ["c"]]
    relevant = [["a", "b"], []]
    summary = ranking_summary(ranked, relevant, ks=(1, 2))
    assert summary.n_queries == 1
    assert summary.recall[2] == 1.0 and summary.mrr == 1.0 and summary.ndcg_at_10 == pytest.approx(1.0)
    assert set(summary.to_dict()) >= {"recall@1", "recall@2", "mrr", "ndcg@10"}


def test_mismatched_lengths_and_bad_k_raise():
    with pytest.raises(ValueError):
        recall_at_k([["a"]], [], 1)
    with pytest.raises(ValueError):
        recall_at_k([["a"]], [{"a"}], 0)


def test_first_stage_recall_and_share_kept():
    fs = first_stage_recall([{"a", "b", "c"}, {"x"}], [{"a", "z"}, {"x"}], corpus_size=10)
    assert fs.recall == pytest.approx((0.5 + 1.0) / 2)
    assert fs.mean_candidates == pytest.approx(2.0)
    assert fs.share_kept == pytest.approx(0.2)


def test_prf_counts_and_conventions():
    p = prf1({1, 2, 3, 4}, {3, 4, 5})
    assert (p.tp, p.fp, p.fn) == (2, 1, 2)
    assert p.precision == pytest.approx(2 / 3) and p.recall == pytest.approx(0.5)
    assert p.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert prf_from_counts(0, 0, 0).f1 == 1.0  # nothing to find, nothing found
    assert prf_from_counts(0, 0, 3).precision == 0.0  # found nothing of three
    assert prf_from_counts(0, 2, 0).recall == 0.0  # found two where there was nothing


def test_verdict_accuracy_and_levels():
    true = ["eligible", "eligible", "unknown", "ineligible", "ineligible"]
    pred = ["eligible", "unknown", "unknown", "eligible", "ineligible"]
    assert verdict_accuracy(true, pred) == pytest.approx(3 / 5)
    lm = level_metrics(true, pred, ["eligible", "unknown", "ineligible"])
    np.testing.assert_array_equal(lm.confusion, [[1, 1, 0], [0, 1, 0], [1, 0, 1]])
    eligible = lm.per_label["eligible"]
    assert eligible.precision == pytest.approx(1 / 2) and eligible.recall == pytest.approx(1 / 2)
    assert lm.per_label["unknown"].precision == pytest.approx(1 / 2)
    assert lm.per_label["unknown"].recall == pytest.approx(1.0)
    assert lm.per_label["ineligible"].precision == pytest.approx(1.0)
    assert lm.to_dict()["per_label"]["ineligible"]["support"] == 2
    with pytest.raises(ValueError):
        level_metrics(["x"], ["eligible"], ["eligible"])


def test_extraction_scores_per_field():
    true = {
        "i1": [("revenue", "gte", 100.0), ("region_code", "within_region", "3310")],
        "i2": [("revenue", "gte", 50.0)],
    }
    pred = {
        "i1": [("revenue", "gte", 100.0), ("region_code", "within_region", "331002")],
        "i2": [],
        "i3": [("employees", "lte", 5.0)],
    }
    scores = extraction_scores(true, pred)
    assert (scores.overall.tp, scores.overall.fp, scores.overall.fn) == (1, 2, 2)
    assert scores.per_field["revenue"].precision == 1.0 and scores.per_field["revenue"].recall == 0.5
    assert scores.per_field["region_code"].f1 == 0.0
    assert scores.per_field["employees"].precision == 0.0
    assert scores.to_dict()["f1"] == pytest.approx(scores.overall.f1)
