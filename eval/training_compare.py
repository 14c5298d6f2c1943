"""Before / after a fine-tune: every system of the harness, parent against the new version, question by question."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.compare import (
    DEFAULT_CACHE,
    DEFAULT_MAX_CHARS,
    BM25System,
    DenseSystem,
    HybridSystem,
    ServedSystem,
    TfidfSystem,
    served_windows,
)
from eval.eligibility_run import EligibilityRun, run_eligibility
from eval.leakage import split_eligibility_set
from eval.retrain import eligibility_summary, restrict_set
from eval.runners import RetrievalRun, run_retrieval
from eval.sets import (
    RetrievalSet,
    read_eligibility_set,
)

# --- before / after: every system of the harness, parent against fine-tuned ---------------------


@dataclass(frozen=True)
class RetrievalComparison:
    """Every retrieval system of the harness for the parent and the fine-tuned version on one held-out part."""

    parent: str
    version: str
    report_dir: Path
    run: RetrievalRun
    paired: tuple[PairedDifference, ...] = ()

    def pair(self, before: str, after: str) -> PairedDifference | None:
        """Return the paired comparison of two systems of this run, if it was computed."""
        return next((p for p in self.paired if p.before == before and p.after == after), None)


@dataclass(frozen=True)
class PairedDifference:
    """Question-by-question comparison of two systems on the same questions: how many moved which way, and how sure.

    ``better_at_k`` / ``worse_at_k`` count questions whose recall@k went up / down; ``rank_better`` /
    ``rank_worse`` those whose first relevant document moved up / down; the p-values are two-sided
    sign tests over the questions that changed; ``mrr_low`` / ``mrr_high`` a 95 % paired bootstrap
    interval of the MRR difference (2,000 resamples of the questions, seed 0).
    """

    before: str
    after: str
    k: int
    n_queries: int
    better_at_k: int
    worse_at_k: int
    p_at_k: float
    rank_better: int
    rank_worse: int
    p_rank: float
    mrr_difference: float
    mrr_low: float
    mrr_high: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dataclasses.asdict(self)


def sign_test(better: int, worse: int) -> float:
    """Two-sided exact sign test p-value for ``better`` against ``worse`` changed pairs (ties left out)."""
    n = better + worse
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(better, worse) + 1)) / 2**n
    return min(1.0, 2 * tail)


def per_question(
    ranked: Sequence[Sequence[str]], relevant: Sequence[Iterable[str]], k: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Return each question's reciprocal rank of its first relevant id and its recall@k."""
    rr, recall = [], []
    for ids, rel in zip(ranked, relevant, strict=True):
        wanted = set(rel)
        first = next((i for i, d in enumerate(ids) if d in wanted), None)
        rr.append(0.0 if first is None else 1.0 / (first + 1))
        recall.append(len(wanted & set(ids[:k])) / len(wanted) if wanted else 0.0)
    return np.asarray(rr), np.asarray(recall)


def paired_difference(
    before: str,
    after: str,
    rr: tuple[np.ndarray, np.ndarray],
    recall: tuple[np.ndarray, np.ndarray],
    *,
    k: int = 10,
    resamples: int = 2000,
    seed: int = 0,
) -> PairedDifference:
    """Compare two systems question by question from their reciprocal ranks and recall@k."""
    (rr_a, rr_b), (rec_a, rec_b) = rr, recall
    eps = 1e-9
    better, worse = int((rec_b > rec_a + eps).sum()), int((rec_b < rec_a - eps).sum())
    up, down = int((rr_b > rr_a + eps).sum()), int((rr_b < rr_a - eps).sum())
    diff = rr_b - rr_a
    rng = np.random.default_rng(seed)
    boots = (
        diff[rng.integers(0, len(diff), size=(resamples, len(diff)))].mean(axis=1)
        if len(diff)
        else np.zeros(1)
    )
    low, high = np.percentile(boots, [2.5, 97.5])
    return PairedDifference(
        before,
        after,
        k,
        len(diff),
        better,
        worse,
        sign_test(better, worse),
        up,
        down,
        sign_test(up, down),
        float(diff.mean()) if len(diff) else 0.0,
        float(low),
        float(high),
    )


def _paired_for(
    part: RetrievalSet, systems: Sequence[Any], pairs: Sequence[tuple[str, str]], k: int = 10
) -> tuple[PairedDifference, ...]:
    """Score the (already fitted) systems again, keeping every question's result, and compare each pair."""
    from eval.compare import rank

    by_name = {s.name: s for s in systems}
    questions = [q.question for q in part.queries]
    docids = [d.docid for d in part.docs]
    relevant = [tuple(q.docids) for q in part.queries]
    cache: dict[str, np.ndarray] = {}

    def scores(name: str) -> np.ndarray:
        if name not in cache:
            system = by_name[name]
            if isinstance(system, HybridSystem):
                cache[name] = system.fuse([scores(p.name) for p in system.parts])
            else:
                cache[name] = system.scores(questions)
        return cache[name]

    out = []
    for before, after in pairs:
        a = per_question(rank(scores(before), docids, depth=100), relevant, k)
        b = per_question(rank(scores(after), docids, depth=100), relevant, k)
        out.append(paired_difference(before, after, (a[0], b[0]), (a[1], b[1]), k=k))
    return tuple(out)


@dataclass(frozen=True)
class EligibilityComparison:
    """Both versions' eligibility runs on the held-out items of one eligibility set (each judges ``semantic`` itself)."""

    parent: str
    version: str
    report_dir: Path
    runs: Mapping[str, EligibilityRun]


def version_systems(
    parent: str,
    version: str,
    *,
    models_dir: Path,
    backend: str = "onnx-int8",
    max_chunks: int | None = None,
    cache_dir: Path = DEFAULT_CACHE,
    dense_backends: Sequence[str] = (),
) -> list[Any]:
    """Build the harness's systems with both versions named: lexical ones once; dense, served hybrid and fusions per version.

    Dense reads each document as the served retriever does (its windows, :class:`matcher.retrieval.RetrievalConfig`)
    unless ``max_chunks`` asks for that many consecutive 480-character chunks instead. ``dense_backends``
    adds a dense system per version for each further encoder backend (say ``onnx`` fp32 beside int8).
    """
    from models.factory import make_encoder

    windows = served_windows() if max_chunks is None else {"max_chunks": max_chunks}
    lexical = BM25System()
    systems: list[Any] = [lexical, TfidfSystem("char"), TfidfSystem("jieba")]
    dense = {
        v: DenseSystem(
            make_encoder(backend, v, models_dir),
            name=f"dense:{v}@{backend}",
            cache_dir=cache_dir,
            **windows,
        )
        for v in (parent, version)
    }
    systems += list(dense.values())
    systems += [
        DenseSystem(
            make_encoder(other, v, models_dir),
            name=f"dense:{v}@{other}",
            cache_dir=cache_dir,
            **windows,
        )
        for other in dense_backends
        if other != backend
        for v in (parent, version)
    ]
    systems += [
        ServedSystem(make_encoder(backend, v, models_dir), name=f"hybrid:{v}", cache_dir=cache_dir)
        for v in (parent, version)
    ]
    systems += [
        HybridSystem([lexical, dense[v]], method=method, name=f"fusion-{method}:{v}")
        for method in ("zscore", "rrf")
        for v in (parent, version)
    ]
    return systems


def compare_retrieval(
    parent: str,
    version: str,
    held_out: Sequence[RetrievalSet],
    *,
    models_dir: Path,
    report_dir: Path,
    backend: str = "onnx-int8",
    max_chunks: int | None = None,
    cache_dir: Path = DEFAULT_CACHE,
    extra: Mapping[str, Any] | None = None,
    record: bool = True,
    dense_backends: Sequence[str] = (),
) -> list[RetrievalComparison]:
    """Run every system for both versions on each held-out retrieval part; write one report folder per part.

    With ``record`` each version's served hybrid and dense results are stored in its manifest as the
    evaluation ``policymatch models promote`` compares (the same keys :func:`evaluate_versions` writes).
    """
    from matcher.retrieval import RetrievalConfig
    from models.promote import evaluation_key, record_evaluation
    from models.registry import ModelRegistry

    served = RetrievalConfig()
    chunks = (
        f"served windows: {served.chunk_chars} characters every {served.chunk_stride}, at most {served.max_chunks}"
        if max_chunks is None
        else f"at most {max_chunks} consecutive chunks of {DEFAULT_MAX_CHARS} characters"
    )
    out = []
    for part in held_out:
        systems = version_systems(
            parent,
            version,
            models_dir=models_dir,
            backend=backend,
            max_chunks=max_chunks,
            cache_dir=cache_dir,
            dense_backends=dense_backends,
        )
        run = run_retrieval(
            part,
            systems,
            served=f"hybrid:{version}",
            extra={
                "parent": parent,
                "version": version,
                "encoder_backend": backend,
                "dense_chunks": chunks,
                **dict(extra or {}),
            },
        )
        folder = Path(report_dir) / _slug(part.name)
        run.write(folder, title=f"{part.name}: {parent} → {version}")
        from eval.report import plot_before_after

        # The report folder's plot, redrawn so each system's two versions share a colour.
        plot_before_after(
            {s.name: s.summary.recall for s in run.systems},
            folder / "recall_at_k.png",
            parent,
            version,
            title=f"{part.name} recall@k",
        )
        paired = _paired_for(
            part,
            systems,
            [
                (f"{kind}:{parent}{suffix}", f"{kind}:{version}{suffix}")
                for kind, suffix in (
                    *(("dense", f"@{b}") for b in dict.fromkeys([backend, *dense_backends])),
                    ("hybrid", ""),
                    ("fusion-zscore", ""),
                )
            ],
        )
        (folder / "paired.json").write_text(
            json.dumps([p.to_dict() for p in paired], indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        out.append(RetrievalComparison(parent, version, folder, run, paired))
        if record:
            registry = ModelRegistry(models_dir)
            for v in (parent, version):
                hybrid, dense = run.system(f"hybrid:{v}").summary, run.system(f"dense:{v}@{backend}").summary
                record_evaluation(
                    registry,
                    v,
                    evaluation_key("retrieval", part.sha256, part.name.rsplit(":", 1)[-1]),
                    {
                        "set": part.name,
                        "set_sha256": part.sha256,
                        "recall@10": hybrid.recall[10],
                        "mrr": hybrid.mrr,
                        "ndcg@10": hybrid.ndcg_at_10,
                        "dense_recall@10": dense.recall[10],
                        "dense_mrr": dense.mrr,
                        "backend": backend,
                        "n_queries": run.n_queries,
                        "dense_chunks": chunks,
                    },
                )
    return out


def compare_eligibility(
    parent: str,
    version: str,
    eligibility_sets: Sequence[Path],
    *,
    models_dir: Path,
    report_dir: Path,
    backend: str = "onnx-int8",
    test_fraction: float = 0.3,
    seed: int = 0,
    record: bool = True,
) -> list[EligibilityComparison]:
    """Judge each set's held-out items with each version's encoder; write reports and record the evaluations promotion reads."""
    from models.factory import make_encoder
    from models.promote import evaluation_key, record_evaluation
    from models.registry import ModelRegistry

    out = []
    for path in eligibility_sets:
        eset = read_eligibility_set(path)
        subset = restrict_set(
            eset, split_eligibility_set(eset, test_fraction=test_fraction, seed=seed).test_items
        )
        runs = {}
        for v in (parent, version):
            runs[v] = run_eligibility(
                subset, encoder=make_encoder(backend, v, models_dir), extra={"model_version": v}
            )
            runs[v].write(Path(report_dir) / f"{_slug(eset.path.name)}-test-{v}")
            if record:
                record_evaluation(
                    ModelRegistry(models_dir),
                    v,
                    evaluation_key("eligibility", eset.sha256, "test"),
                    eligibility_summary(runs[v], eset),
                )
        out.append(EligibilityComparison(parent, version, Path(report_dir), runs))
    return out


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-") or "set"


def _p_value(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}" if p < 0.01 else f"= {p:.2f}"


def helped_sentence(
    run: RetrievalRun, before: str, after: str, *, k: int = 10, paired: PairedDifference | None = None
) -> str:
    """Say in one sentence how ``after`` compares with ``before`` on recall@k and MRR, with the noise level.

    With ``paired`` (the question-by-question comparison) the verdict rests on the sign test
    (p < 0.05) and the MRR's bootstrap interval; without it, on how many questions' worth the mean moved.
    """
    a, b = run.system(before).summary, run.system(after).summary
    n = run.n_queries
    delta = b.recall[k] - a.recall[k]
    # recall@k is averaged over questions: the change in "questions' worth" of recall.
    questions = delta * n
    if paired is not None:
        moved = paired.better_at_k + paired.worse_at_k
        if moved == 0:
            word = "unchanged"
        elif paired.p_at_k < 0.05:
            word = "better" if paired.better_at_k > paired.worse_at_k else "worse"
        else:
            word = "within noise"
        mrr_word = "better" if paired.mrr_low > 0 else "worse" if paired.mrr_high < 0 else "within noise"
        return (
            f"`{after}` against `{before}`: recall@{k} {a.recall[k]:.3f} → {b.recall[k]:.3f} ({delta:+.3f}; "
            f"up on {paired.better_at_k}, down on {paired.worse_at_k} of {paired.n_queries} questions, "
            f"sign test p {_p_value(paired.p_at_k)}: {word}), MRR {a.mrr:.3f} → {b.mrr:.3f} "
            f"({b.mrr - a.mrr:+.3f}, 95 % paired bootstrap {paired.mrr_low:+.3f} … {paired.mrr_high:+.3f}: {mrr_word}; "
            f"first answer ranked higher for {paired.rank_better}, lower for {paired.rank_worse})"
        )
    if abs(questions) < 0.5:
        word = "unchanged"
    elif abs(questions) <= 2.5:
        word = "within noise"
    else:
        word = "better" if delta > 0 else "worse"
    return (
        f"`{after}` against `{before}`: recall@{k} {a.recall[k]:.3f} → {b.recall[k]:.3f} "
        f"({delta:+.3f}, {questions:+.1f} questions' worth: {word}), MRR {a.mrr:.3f} → {b.mrr:.3f} ({b.mrr - a.mrr:+.3f})"
    )
