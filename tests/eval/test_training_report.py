"""The before/after wording of the training section, computed from a run's metrics."""

from eval.metrics import FirstStageRecall, RankingSummary
from eval.runners import RetrievalRun, SystemResult


def system(name, recall10, mrr, n=186):
    summary = RankingSummary({1: mrr, 10: recall10}, {1: mrr, 10: recall10 / 10}, mrr, mrr, n)
    return SystemResult(name, summary, FirstStageRecall(1.0, 0.2, 100.0), 0.0)


def run_of(*systems, n=186):
    return RetrievalRun("ncp:test", "ab" * 32, 600, n, systems[-1].name, tuple(systems))


def test_helped_sentence_counts_questions_and_calls_small_changes_noise():
    from eval.training import helped_sentence

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
