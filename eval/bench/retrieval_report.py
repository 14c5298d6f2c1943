"""The ``retrieval`` section of docs/benchmarks.md, written from an NCP report and the BM25 timings."""

from __future__ import annotations

import os

import numpy as np

from eval.bench.lexical import LexicalTimings
from eval.bench.ncp import NcpReport, chunks_label, dense_key, passages_label
from matcher.retrieval import RetrievalConfig

# --- markdown -------------------------------------------------------------------------------------


def retrieval_markdown(report: NcpReport, lexical: LexicalTimings, machine: str, encoder_id: str) -> str:
    """Render the ``retrieval`` section of docs/benchmarks.md."""
    lines = [
        "## Retrieval on the NCP questions (`policymatch bench retrieval`)",
        "",
        f"Machine: {machine}; 1-minute load average {os.getloadavg()[0]:.1f} when it finished. Encoder: `{encoder_id}`. 599 NCP documents; questions split by answering document "
        f"(sha256 of the docid): {report.n_tune} tuning, {report.n_test} test. Fusion weights were chosen on the "
        "tuning half only; every number below is on the test half. Candidates: union of each part's top "
        f"100, every part scored exactly on every candidate, then fused.",
        "",
        "| system | recall@1 | recall@10 | recall@50 | MRR | tuning half: recall@10 / MRR |",
        "|---|---|---|---|---|---|",
    ]
    for s in (*report.systems, report.served):
        tuned = "" if np.isnan(s.tune_mrr) else f"{s.tune_recall_at_10:.3f} / {s.tune_mrr:.3f}"
        lines.append(
            f"| {s.name} | {s.recall_at_1:.3f} | {s.recall_at_10:.3f} | {s.recall_at_50:.3f} | {s.mrr:.3f} | {tuned} |"
        )
    lines += [
        "",
        f"Chosen on the tuning half (among fusions keeping BM25's tuning recall@10, the best tuning MRR): "
        f"{_config_words(report.chosen)}.",
        "",
        f"Two-fold check on all {sum((report.n_tune, report.n_test))} questions (the reverse fold chose "
        f"{_config_words(report.reverse_chosen)}):",
        "",
        "| system, all questions | recall@1 | recall@10 | recall@50 | MRR |",
        "|---|---|---|---|---|",
        *[
            f"| {s.name} | {s.recall_at_1:.3f} | {s.recall_at_10:.3f} | {s.recall_at_50:.3f} | {s.mrr:.3f} |"
            for s in report.two_fold
        ],
        "",
        _two_fold_sentence(report),
        "",
        f"Served defaults (`matcher.retrieval.RetrievalConfig()`): {_config_words(report.served_config)}; "
        f"tag overlap weight {report.served_config.fusion.tags_weight:g} "
        "(the caller's [0, 1] overlap; the NCP set has no tags).",
        f"Served retriever: building it over the 599 documents took {report.build_seconds:.1f} s (vectors from the "
        "on-disk cache; document BM25, passage BM25 and FAISS), one search (query already encoded) "
        f"{report.query_ms_p50:.1f} ms p50.",
        "",
        "Goal: the served fusion beats each of its parts on both recall@10 and MRR (test half), "
        "with recall@10 ≥ 0.98 and MRR ≥ 0.88:",
        "",
        "| test half | recall@10 | MRR |",
        "|---|---|---|",
        *[
            f"| {s.name} | {s.recall_at_10:.3f} | {s.mrr:.3f} |"
            for s in (report.served, *report.served_parts, *report.served_ablation)
        ],
        "",
        _goal_sentence(report),
        "",
        "Also tried on the same split with one-off scripts (tuning half → test half, recall@10 / MRR; BM25 with "
        "question words dropped is 0.971 / 0.885 → 0.987 / 0.878): a title field (the first sentence) added "
        "to BM25 at weight 0.1–1 or repeated in the text, no gain (0.971–0.977 / 0.848–0.886 tuning); separate "
        "word and bigram fields, no gain (≤ 0.881 tuning MRR); dense as log-sum-exp over chunks instead of "
        "the best chunk, worse (0.879 / 0.707 at t = 0.01, against 0.886 / 0.718); dense query with its "
        "question words dropped, 0.895 / 0.727 → 0.912 / 0.717, z-fused at 0.05–0.2 up to 0.876 test MRR; "
        "dense only when BM25's top-two margin is under 5–20 %, min-max, CombMNZ, z-scores over the top 20, "
        "BM25 top-20/50 re-ranked by the fused score, RRF with BM25 at double weight: none above BM25's "
        "test MRR (best 0.871). The dense part is right at rank 1 on 23 of the 110 questions BM25 misses "
        "at rank 1 but wrong on 149 that BM25 gets right; a fusion cannot gain MRR from it reliably "
        "(with the first four 480-character chunks; see below for windows).",
        "",
        "Passage evidence and windows, also tried with one-off scripts (tuning → test, recall@10 / MRR): "
        "passages as fixed windows instead of sentences (150 characters every 75, 250 every 125, 400 every "
        "200), document + 0.3 × best window: 0.967 / 0.881–0.885 → 0.990 / 0.884–0.886, below sentences on "
        "the tuning half (0.974 / 0.889). Sentences with the old dense part (first four 480-character chunks): the "
        "tuning half picks document + 0.5 × best sentence with dense weight 0.5 (0.980 / 0.896 tuning) → "
        "0.990 / 0.870 test, below BM25's MRR; the window dense part is better on its own on both halves "
        "(MRR 0.754 / 0.760 against 0.718 / 0.715), so it was chosen first. A learned fusion, class-balanced "
        "logistic regression on the z-scored document BM25, best-sentence BM25 and dense (first four "
        "chunks) of each candidate, fitted on the tuning half: 0.984 / 0.894–0.896 → 0.990 / 0.872, two "
        "folds 0.985 / 0.883–0.884; it weights dense about as much as BM25 (coefficients ≈ 0.9 / 1.0 / 1.1), "
        "which buys recall with rank-1 precision, the same trade the fixed weights show. A window-level "
        "hybrid (BM25 and dense of the same 300/200 windows, each z-scored over all windows, summed, best "
        "window per document, added to the z-scored document BM25 at 0.3–1): 0.964–0.971 / 0.886–0.895 "
        "tuning → 0.987–0.990 / 0.872–0.891 test; none keeps BM25's tuning recall@10 (0.971) except at "
        "weight 1 (0.893 → 0.879), and it needs every window scored per query, so it is not served.",
        "",
        "BM25 parameters on the tuning half (jieba words + bigrams; recall@10 / MRR): "
        + ", ".join(f"k1={k1:g} b={b:g}: {g.recall_at_10:.3f} / {g.mrr:.3f}" for k1, b, g in report.bm25_grid)
        + ". Best on the tuning half: k1={:g}, b={:g}; served: k1=1.2, b=0.75.".format(
            *max(report.bm25_grid, key=lambda g: g[2].mrr + g[2].recall_at_10)[:2]
        ),
        "",
        "### BM25: own scoring vs bm25s (same Lucene formulas)",
        "",
        f"| {lexical.n_docs} NCP documents | own (numpy + scipy CSC) | bm25s 0.3 |",
        "|---|---|---|",
        f"| build | {lexical.own_build_ms:.0f} ms | {lexical.bm25s_build_ms:.0f} ms |",
        f"| one query, top 10 | {lexical.own_query_ms:.3f} ms | {lexical.bm25s_query_ms:.3f} ms |",
        f"| add one document + next query | {lexical.own_add_one_ms:.1f} ms | full re-index {lexical.bm25s_rebuild_ms:.0f} ms |",
        "",
        f"Largest score difference between the two: {lexical.max_score_difference:.2e}. The own index is kept: "
        "it adds and removes documents in place (document frequencies and lengths follow exactly at the next "
        "query), where bm25s must re-index everything.",
    ]
    return "\n".join(lines)


def _config_words(config: RetrievalConfig) -> str:
    """Describe a retrieval configuration's lexical, passage, fusion and chunking choices in words."""
    fusion = config.fusion
    passages = (
        f", plus {fusion.passage_weight:g} × the BM25 of the best passage ({passages_label(config.passage_chars)})"
        if fusion.passage_weight
        else ", no passage evidence"
    )
    return (
        f"lexical `{config.analyzer}`{passages}, `{fusion.method}` normalisation, weights BM25 "
        f"{fusion.bm25_weight:g} / dense {fusion.dense_weight:g}, documents as {chunks_label(dense_key(config))}"
    )


def _two_fold_sentence(report: NcpReport) -> str:
    """Compare, from the numbers, the two-fold fusion with document BM25 (and with the fusion less its dense part)."""
    fused, bm25 = report.two_fold[0], report.two_fold[1]
    text = (
        f"Over all questions the two-fold fusion changes document BM25's recall@10 by "
        f"{fused.recall_at_10 - bm25.recall_at_10:+.3f} and its MRR by {fused.mrr - bm25.mrr:+.3f}"
    )
    without = [s for s in report.two_fold if "without the dense part" in s.name]
    if without:
        text += (
            f"; the served lexical evidence without the dense part scores {without[0].recall_at_10:.3f} / "
            f"{without[0].mrr:.3f} here"
        )
    return text + "."


def _goal_sentence(report: NcpReport) -> str:
    """Say, from the numbers, whether the served fusion meets the retrieval goals."""
    served, parts = report.served, report.served_parts
    misses = [
        f"{metric} {getattr(served, attr):.3f} vs {part.name} {getattr(part, attr):.3f}"
        for part in parts
        for metric, attr in (("recall@10", "recall_at_10"), ("MRR", "mrr"))
        if getattr(served, attr) <= getattr(part, attr)
    ]
    if served.recall_at_10 < 0.98:
        misses.append(f"recall@10 {served.recall_at_10:.3f} < 0.98")
    if served.mrr < 0.88:
        misses.append(f"MRR {served.mrr:.3f} < 0.88")
    verdict = (
        "Goal met on the test half (against each part)."
        if not misses
        else "Goal **not met** on the test half: " + "; ".join(misses) + "."
    )
    for ablated in report.served_ablation:
        verdict += (
            f" Less its dense part (lexical evidence alone) the same system scores {ablated.recall_at_10:.3f} / "
            f"{ablated.mrr:.3f}: the dense part changes recall@10 by {served.recall_at_10 - ablated.recall_at_10:+.3f} "
            f"and MRR by {served.mrr - ablated.mrr:+.3f} here."
        )
    return verdict
