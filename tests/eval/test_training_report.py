"""The before/after wording of the training section, computed from a run's metrics."""

from eval.metrics import FirstStageRecall, RankingSummary
from eval.runners import RetrievalRun, SystemResult


def system(name, recall10, mrr, n=186):
    summary = RankingSummary({1: mrr, 10: recall10}, {1: mrr, 10: recall10 / 10}, mrr, mrr, n)
    return SystemResult(name, summary, FirstStageRecall(1.0, 0.2, 100.0), 0.0)


def run_of(*systems, n=186):
    return RetrievalRun("ncp:test", "ab" * 32, 600, n, systems[-1].name, tuple(systems))


def test_helped_sentence_counts_questions_and_calls_small_changes_noise():
    from eval.training_compare import helped_sentence

    # 2 of 186 questions more in the top 10: within noise.
    run = run_of(system("dense:v1", 160 / 186, 0.60), system("dense:v2", 162 / 186, 0.62))
    said = helped_sentence(run, "dense:v1", "dense:v2")
    assert "0.860 → 0.871" in said and "+2.0 questions' worth: within noise" in said
    assert "MRR 0.600 → 0.620 (+0.020)" in said
    # 12 questions fewer: worse; no change: unchanged.
    worse = run_of(system("a", 150 / 186, 0.6), system("b", 138 / 186, 0.5))
    assert "-12.0 questions' worth: worse" in helped_sentence(worse, "a", "b")
    same = run_of(system("a", 0.5, 0.6), system("b", 0.5, 0.6))
    assert "unchanged" in helped_sentence(same, "a", "b")


def test_sign_test_against_hand_computed_values():
    from eval.training_compare import sign_test

    assert sign_test(0, 0) == 1.0
    assert sign_test(6, 6) == 1.0
    assert sign_test(5, 0) == 2 / 32  # both tails of 5 coin flips all one way
    assert sign_test(1, 4) == 2 * (1 + 5) / 32


def test_per_question_reciprocal_rank_and_recall():
    from eval.training_compare import per_question

    rr, recall = per_question([["a", "b", "c"], ["c", "x", "a"], ["x"]], [("b",), ("a", "c"), ("z",)], k=1)
    assert rr.tolist() == [0.5, 1.0, 0.0]
    assert recall.tolist() == [0.0, 0.5, 0.0]


def test_paired_difference_counts_moves_and_brackets_the_mean():
    import numpy as np

    from eval.training_compare import helped_sentence, paired_difference

    rr_a = np.array([1.0, 0.5, 0.5, 0.2, 1.0, 0.0])
    rr_b = np.array([1.0, 1.0, 0.25, 0.5, 1.0, 1.0])
    rec_a = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    rec_b = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    paired = paired_difference("a", "b", (rr_a, rr_b), (rec_a, rec_b))
    assert (paired.better_at_k, paired.worse_at_k, paired.rank_better, paired.rank_worse) == (2, 0, 3, 1)
    assert paired.p_at_k == 0.5 and paired.n_queries == 6
    assert paired.mrr_difference == np.mean(rr_b - rr_a)
    assert paired.mrr_low <= paired.mrr_difference <= paired.mrr_high
    run = run_of(
        system("a", rec_a.mean(), rr_a.mean(), n=6), system("b", rec_b.mean(), rr_b.mean(), n=6), n=6
    )
    said = helped_sentence(run, "a", "b", paired=paired)
    assert "up on 2, down on 0 of 6 questions, sign test p = 0.50: within noise" in said
    assert "first answer ranked higher for 3, lower for 1" in said


def test_before_after_plot_pairs_each_system_by_colour(tmp_path):
    from eval.report import plot_before_after

    curves = {
        "bm25": {1: 0.7, 10: 0.9},
        "dense:v1@onnx-int8": {1: 0.5, 10: 0.8},
        "dense:v2@onnx-int8": {1: 0.6, 10: 0.85},
        "hybrid:v1": {1: 0.75, 10: 0.95},
        "hybrid:v2": {1: 0.76, 10: 0.96},
    }
    path = plot_before_after(curves, tmp_path / "p.png", "v1", "v2", title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
