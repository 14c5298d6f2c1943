"""Choose the served fusion by cross-validation over several real retrieval sets, never one.

Each set is split by document as ``policymatch eval retrieval --split`` splits it
(:func:`eval.leakage.split_retrieval_set`). On every set the served retriever's
parts — document BM25, best-passage BM25, dense (best window) — score every
(question, document) pair once; a fusion is then simulated per question as
the served retriever runs it: the union of each part's top ``pool`` documents
is the candidate set and :func:`matcher.fusion.fuse` (the one served scoring
function) ranks it. A fusion is chosen on the training side of *every* set: the
one whose worst margin over its best single part (recall@10 and MRR, on the
worse set) is largest, ties broken by the mean MRR. Its figures on the test
sides are the ones to report.

Run: ``PYTHONPATH=$PWD python -m eval.fusion_choice SET_DIR [SET_DIR ...] [--benchmarks]``
(``--benchmarks`` writes section ``fusion-choice`` of ``docs/benchmarks.md``).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.sets import RetrievalSet
from matcher.fusion import FusionConfig, PartScores, fuse, log_windows

PARTS = ("bm25", "passage", "dense")
# The fusion served before the dense weight deferred to a confident BM25 (issue 17's first choice).
FIXED = FusionConfig("zscore", 1.0, 1.5, 1.0, passage_weight=0.3)
# The best of the hand-weighted grid on both training sides, served until the listwise model
# (``matcher.retrieval.SERVED_FUSION``, section ``fusion-listwise``) replaced it.
HAND_WEIGHTED = FusionConfig("zscore", 1.0, 3.0, 1.0, passage_weight=0.3, lexical_confidence=1.5)


@dataclass(frozen=True)
class SetScores:
    """Every part's score of every (question, document) pair of one set, and the relevant columns."""

    name: str
    bm25: np.ndarray  # (questions, docs)
    passage: np.ndarray
    dense: np.ndarray
    relevant: tuple[frozenset[int], ...]
    # Each document's number of dense windows (``matcher.retrieval.chunk_text`` as served); None: not read.
    windows: np.ndarray | None = None

    def subset(self, rows: Sequence[int], name: str, relevant: Sequence[frozenset[int]]) -> SetScores:
        """Return the same documents with only these questions (``relevant``: their kept answers)."""
        index = np.asarray(rows, dtype=np.int64)
        return SetScores(
            name, self.bm25[index], self.passage[index], self.dense[index], tuple(relevant), self.windows
        )


def document_windows(rset: RetrievalSet) -> np.ndarray:
    """Each document's number of dense windows as the served retriever cuts its text."""
    from eval.compare import doc_text
    from matcher.retrieval import RetrievalConfig, chunk_text

    config = RetrievalConfig()
    return np.array(
        [
            len(chunk_text(doc_text(d), config.chunk_chars, config.max_chunks, config.chunk_stride))
            for d in rset.docs
        ],
        dtype=np.float64,
    )


def score_set(rset: RetrievalSet, encoder: Any) -> SetScores:
    """Score every pair with the served parts (a ``HybridRetriever`` over the set's documents)."""
    from eval.compare import doc_text
    from matcher.retrieval import HybridRetriever, RetrievalConfig

    retriever = HybridRetriever(encoder, config=RetrievalConfig())
    ids = [d.docid for d in rset.docs]
    retriever.add(ids, [doc_text(d) for d in rset.docs])
    column = {d: n for n, d in enumerate(ids)}
    questions = [q.question for q in rset.queries]
    vectors = encoder.encode_queries(questions)
    n_q, n_d = len(questions), len(ids)
    bm25 = np.zeros((n_q, n_d))
    passage = np.zeros((n_q, n_d))
    dense = np.zeros((n_q, n_d))
    for row, (question, vector) in enumerate(zip(questions, vectors, strict=True)):
        parts = retriever.part_scores(question, vector[None, :], ids)
        bm25[row] = parts.bm25
        passage[row] = parts.passage if parts.passage is not None else 0.0
        dense[row] = parts.dense
    relevant = tuple(frozenset(column[d] for d in q.docids if d in column) for q in rset.queries)
    return SetScores(rset.name, bm25, passage, dense, relevant)


def _metrics(ranking: np.ndarray, relevant: frozenset[int]) -> tuple[float, float]:
    """Recall@10 and reciprocal rank of one question's ranking (document columns, best first)."""
    if not relevant:
        return 0.0, 0.0
    hits = np.flatnonzero(np.isin(ranking, list(relevant)))
    recall = float(np.sum(hits < 10)) / len(relevant)
    rr = 1.0 / (hits[0] + 1) if len(hits) else 0.0
    return recall, rr


def part_question_metrics(scores: SetScores) -> dict[str, np.ndarray]:
    """Each part's per-question (recall@10, reciprocal rank), every document ranked."""
    out = {}
    for part in PARTS:
        matrix = getattr(scores, part)
        order = [np.lexsort((np.arange(matrix.shape[1]), -row)) for row in matrix]
        out[part] = np.array([_metrics(o, rel) for o, rel in zip(order, scores.relevant, strict=True)])
    return out


def part_metrics(scores: SetScores) -> dict[str, tuple[float, float]]:
    """Each part's mean recall@10 and MRR alone (every document ranked)."""
    return {
        part: (float(m[:, 0].mean()), float(m[:, 1].mean()))
        for part, m in part_question_metrics(scores).items()
    }


def pools(scores: SetScores, pool: int = 100) -> list[np.ndarray]:
    """Each question's candidates as served: the union of each part's top ``pool`` documents."""
    out = []
    for n in range(len(scores.relevant)):
        tops = [
            np.argpartition(-m[n], min(pool, m.shape[1] - 1))[:pool]
            for m in (scores.bm25, scores.passage, scores.dense)
        ]
        out.append(np.unique(np.concatenate(tops)))
    return out


def fused_metrics(
    scores: SetScores, config: FusionConfig, candidates: Sequence[np.ndarray] | None = None
) -> tuple[float, float]:
    """Mean recall@10 and MRR of the fusion ``config`` run as served (``candidates``: from :func:`pools`)."""
    candidates = pools(scores) if candidates is None else candidates
    out = []
    for n, (rel, pool) in enumerate(zip(scores.relevant, candidates, strict=True)):
        windows = None if scores.windows is None else log_windows(scores.windows[pool])
        parts = PartScores(
            scores.bm25[n][pool], scores.passage[n][pool], scores.dense[n][pool], None, windows
        )
        fused = fuse(parts, config).total
        ranking = pool[np.lexsort((pool, -fused))]
        out.append(_metrics(ranking, rel))
    return float(np.mean([o[0] for o in out])), float(np.mean([o[1] for o in out]))


def grid() -> list[FusionConfig]:
    """Return the fusions tried: fixed weights, then dense weights that defer to a confident BM25.

    Normalisation × passage weight × dense weight (× adaptive weighting); then z-scored fusions
    whose dense weight shrinks with BM25's top-two margin (``lexical_confidence``).
    """
    out = []
    for method, passage, dense, adaptive in itertools.product(
        ("zscore", "minmax", "rrf"),
        (0.0, 0.1, 0.3, 0.5, 1.0),
        (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0),
        (False, True),
    ):
        if adaptive and (method == "rrf" or dense == 0):
            continue
        out.append(FusionConfig(method, 1.0, dense, 1.0, passage_weight=passage, adaptive=adaptive))
    for passage, dense, confidence in itertools.product(
        (0.1, 0.3, 0.5), (1.5, 2.0, 2.5, 3.0, 3.5, 4.0), (0.4, 0.6, 0.8, 1.0, 1.2, 1.5)
    ):
        out.append(
            FusionConfig("zscore", 1.0, dense, 1.0, passage_weight=passage, lexical_confidence=confidence)
        )
    return out


def margin(fused: tuple[float, float], parts: dict[str, tuple[float, float]]) -> float:
    """Return the fusion's worst lead over its best single part, recall@10 and MRR alike (negative: behind)."""
    return min(fused[m] - max(p[m] for p in parts.values()) for m in (0, 1))


def choose(
    train: Sequence[SetScores], configs: Sequence[FusionConfig]
) -> tuple[FusionConfig, list[dict[str, Any]]]:
    """Return the fusion whose worst margin over the sets' training sides is largest (ties: mean MRR); every row tried."""
    parts = [part_metrics(s) for s in train]
    candidates = [pools(s) for s in train]
    rows: list[dict[str, Any]] = []
    for config in configs:
        per_set = [fused_metrics(s, config, c) for s, c in zip(train, candidates, strict=True)]
        worst = min(margin(f, p) for f, p in zip(per_set, parts, strict=True))
        rows.append(
            {
                "config": config,
                "per_set": per_set,
                "worst_margin": worst,
                "mean_mrr": float(np.mean([f[1] for f in per_set])),
            }
        )
    best = max(rows, key=lambda r: (round(r["worst_margin"], 6), r["mean_mrr"]))
    return best["config"], rows


def _config_words(config: FusionConfig) -> str:
    adaptive = ", each part × its top-two margin" if config.adaptive else ""
    dense = f"{config.dense_weight:g}"
    if config.lexical_confidence:
        dense += f" × exp(−{config.lexical_confidence:g} × BM25's top-two margin)"
    return f"{config.method}, BM25 1 + {config.passage_weight:g} × best passage, dense {dense}{adaptive}"


def markdown(report: dict[str, Any], chosen: FusionConfig) -> str:
    """Return the section ``fusion-choice`` of ``docs/benchmarks.md``: each set's sides, parts, fusions, goal."""
    from eval.benchfile import machine_description

    lines = [
        "## Choosing the served fusion over two real sets (`python -m eval.fusion_choice --benchmarks`)",
        "",
        f"Machine: {machine_description()} (shared with other engineers while it ran). Encoder: "
        f"`{report['encoder']}`. Each set is split by document as `policymatch eval retrieval --split` "
        "splits it (test fraction 0.3, seed 0); the fusion is chosen on the training sides of both sets "
        "at once, as the one whose worst lead over its best single part (recall@10 and MRR, on the worse "
        "set) is largest, ties by the mean MRR. Candidates per question as served: the union of each "
        f"part's top 100. {report['n_configs']} fusions tried (z-score / min-max / RRF × passage weight "
        "× dense weight, with and without per-question adaptive weighting; and z-scored fusions whose "
        "dense weight shrinks per question as exp(−c × BM25's top-two margin in z units), so dense "
        "defers to BM25 where BM25 singles out one document and leads where BM25 is unsure).",
        "",
        f"**Chosen**: {_config_words(chosen)}; "
        + (
            "this is the served fusion (`RetrievalConfig().fusion`)."
            if report["chosen_is_served"]
            else "**not** the served fusion: the served one is the listwise model fitted by "
            "`python -m eval.fusion_logistic` (section `fusion-listwise`), which reads each candidate's "
            "number of dense windows as well."
        ),
        "",
        "| set, side | questions | BM25 | best passage | dense | chosen fusion | fixed dense 1.5 (served before) | NCP-only fusion (dense 0.05) |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def pair(values: Sequence[float]) -> str:
        return f"{values[0]:.3f} / {values[1]:.3f}"

    for name, row in report["sets"].items():
        parts = row["parts"]
        lines.append(
            f"| {name} | {row['questions']} | {pair(parts['bm25'])} | {pair(parts['passage'])} | "
            f"{pair(parts['dense'])} | **{pair(row['chosen'])}** | {pair(row['fixed'])} | {pair(row['ncp_only'])} |"
        )
    lines += ["", "Each cell: recall@10 / MRR.", ""]
    goal = []
    for name, row in report["sets"].items():
        worst = margin(row["chosen"], row["parts"])
        goal.append(f"{name} {worst:+.3f}")
    lines.append(
        "Goal (served ≥ each of its parts on both sets, recall@10 and MRR): worst lead per set and side "
        + ", ".join(goal)
        + (
            "; **met**."
            if all(margin(r["chosen"], r["parts"]) >= 0 for r in report["sets"].values())
            else "; **not met**: no fusion tried is at least as good as dense alone on msgabench_qa "
            "and BM25 alone on NCP at once; the chosen one is the closest on the worse set."
        )
    )
    lines += [
        "",
        "End-to-end figures of the served retriever on each test side, beside each part, are in the "
        "sections *evaluation-served-ncp-test* and *evaluation-served-msgabench-test* "
        "(`policymatch eval retrieval --split test --systems bm25,passage,dense,hybrid`). The section "
        "*retrieval* (`policymatch bench retrieval`) predates this choice: its served rows are the "
        "NCP-only fusion.",
    ]
    lines += ["", "Best fusions on the training sides (recall@10 / MRR per set, worst lead):", ""]
    lines += [
        "| fusion | " + " | ".join(report["train_sets"]) + " | worst lead |",
        "|---|" + "---|" * (len(report["train_sets"]) + 1),
    ]
    for row in report["top"][:10]:
        config = FusionConfig(**row["config"])
        cells = " | ".join(pair(v) for v in row["per_set"])
        lines.append(f"| {_config_words(config)} | {cells} | {row['worst_margin']:+.4f} |")
    return "\n".join(lines) + "\n"


def read_sides(folders: Sequence[str]) -> tuple[list[SetScores], list[SetScores], str]:
    """Each set's training and test sides scored by the served parts (cached under ``.cache``), and the encoder id."""
    from eval.leakage import split_retrieval_set
    from eval.sets import read_retrieval_set
    from models.cached_encoder import CachedEncoder
    from models.factory import make_encoder

    models = Path(".cache/test-models")
    encoder = CachedEncoder(make_encoder("onnx-int8", "active", models))
    train: list[SetScores] = []
    test: list[SetScores] = []
    for folder in folders:
        rset = read_retrieval_set(folder)
        cached = Path(".cache") / f"fusion-scores-{rset.sha256[:16]}-{encoder.model_id.replace('/', '_')}.npz"
        if cached.exists():
            with np.load(cached) as data:
                scores = SetScores(rset.name, data["bm25"], data["passage"], data["dense"], ())
            column = {d.docid: n for n, d in enumerate(rset.docs)}
            relevant = tuple(frozenset(column[d] for d in q.docids) for q in rset.queries)
            scores = SetScores(rset.name, scores.bm25, scores.passage, scores.dense, relevant)
        else:
            scores = score_set(rset, encoder)
            np.savez(cached, bm25=scores.bm25, passage=scores.passage, dense=scores.dense)
        scores = dataclasses.replace(scores, windows=document_windows(rset))
        split = split_retrieval_set(rset)
        row_of = {q.qid: n for n, q in enumerate(rset.queries)}
        column = {d.docid: n for n, d in enumerate(rset.docs)}
        for side, out in ((split.train, train), (split.test, test)):
            out.append(
                scores.subset(
                    [row_of[q.qid] for q in side.queries],
                    side.name,
                    [frozenset(column[d] for d in q.docids) for q in side.queries],
                )
            )
    return train, test, encoder.model_id


def main(argv: Sequence[str]) -> int:
    """Score the sets, choose on their training sides, print the test-side figures as JSON."""
    from matcher.retrieval import RetrievalConfig

    publish = "--benchmarks" in argv
    train, test, encoder_id = read_sides([a for a in argv if a != "--benchmarks"])
    configs = grid()
    chosen, rows = choose(train, configs)
    report: dict[str, Any] = {
        "chosen": chosen.__dict__,
        "sets": {},
        "encoder": encoder_id,
        "n_configs": len(configs),
        "train_sets": [s.name for s in train],
        "chosen_is_served": chosen == RetrievalConfig().fusion,
    }
    for scored in (*train, *test):
        report["sets"][scored.name] = {
            "questions": len(scored.relevant),
            "parts": part_metrics(scored),
            "chosen": fused_metrics(scored, chosen),
            "served": fused_metrics(scored, RetrievalConfig().fusion),
            "fixed": fused_metrics(scored, FIXED),
            "ncp_only": fused_metrics(scored, FusionConfig("zscore", 1.0, 0.05, 1.0, passage_weight=0.3)),
        }
    rows.sort(key=lambda r: (-round(r["worst_margin"], 6), -r["mean_mrr"]))
    report["top"] = [
        {"config": r["config"].__dict__, "per_set": r["per_set"], "worst_margin": r["worst_margin"]}
        for r in rows[:15]
    ]
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    if publish:
        from eval.benchfile import update_section

        update_section("fusion-choice", markdown(report, chosen))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
