"""Retraining end to end: pairs from labelled sets and feedback → fine-tune → register → evaluate.

Training pairs come only from the training side of each set's split by document (checked by
:mod:`eval.leakage`); hard negatives are mined with BM25 among training documents only, so no
text of a test document is seen in training. The new version is registered with its parent,
data checksums and training config, exported to ONNX fp32 + int8, and evaluated — together
with the active version — on the held-out parts of the same sets; the evaluations go into both
manifests, where ``policymatch models promote`` reads them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
    doc_text,
)
from eval.leakage import assert_no_leakage, check_leakage, split_eligibility_set, split_retrieval_set
from eval.runners import EligibilityRun, RetrievalRun, run_eligibility, run_retrieval
from eval.sets import (
    EligibilitySet,
    FeedbackRecord,
    RetrievalDoc,
    RetrievalSet,
    file_sha256,
    read_eligibility_set,
    read_feedback,
    read_retrieval_set,
)
from matcher.encoder_text import dense_text, item_text
from models.train import TrainConfig, TrainingPair, fine_tune, hard_negatives_from_scores

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LabelledPair:
    """A training pair with the documents it touches (for the leakage guard) and where it came from."""

    pair: TrainingPair
    groups: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class TrainingData:
    """Pairs ready to train on, how many came from each source, the data checksums and leakage reports."""

    pairs: tuple[TrainingPair, ...]
    counts: Mapping[str, int]
    checksums: Mapping[str, str]
    leakage: Mapping[str, Any]
    held_out: tuple[Any, ...] = field(default_factory=tuple)  # RetrievalSet / (EligibilitySet, item ids)


def pairs_from_retrieval(
    train: RetrievalSet, *, max_chars: int = DEFAULT_MAX_CHARS, per_query: int = 2
) -> list[LabelledPair]:
    """(question, head of a relevant document) for every training question, at most ``per_query`` answers each."""
    docs = {d.docid: d for d in train.docs}
    return [
        LabelledPair(
            TrainingPair(q.question, doc_text(docs[docid])[:max_chars]), (docid,), f"retrieval:{train.name}"
        )
        for q in train.queries
        for docid in q.docids[:per_query]
    ]


def pairs_from_eligibility(
    eset: EligibilitySet,
    train_items: frozenset[str],
    *,
    per_profile: int = 2,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> list[LabelledPair]:
    """(enterprise text, an item it is truly eligible for) from the demo generator's ground truth, training items only."""
    profiles = {str(p["id"]): p for p in eset.profiles}
    items = {i.id: i for i in eset.items}
    taken: dict[str, int] = {}
    out = []
    for row in eset.truth:
        if (
            row.verdict != "eligible"
            or row.item not in train_items
            or taken.get(row.profile, 0) >= per_profile
        ):
            continue
        query = dense_text(profiles[row.profile])
        if not query:
            continue
        item = items[row.item]
        taken[row.profile] = taken.get(row.profile, 0) + 1
        out.append(
            LabelledPair(
                TrainingPair(query, item_text(item.title, item.text)[:max_chars]),
                (item.policy_id,),
                f"demo:{eset.path.name}",
            )
        )
    return out


def pairs_from_feedback(
    records: Sequence[FeedbackRecord], *, max_chars: int = DEFAULT_MAX_CHARS
) -> list[LabelledPair]:
    """Positives (useful / applied / received) as pairs; a ``not_useful`` item of the same enterprise as their negative."""
    negatives: dict[str, str] = {}
    for record in records:
        if not record.positive:
            negatives.setdefault(record.enterprise_id, record.item_text[:max_chars])
    return [
        LabelledPair(
            TrainingPair(r.query_text, r.item_text[:max_chars], negatives.get(r.enterprise_id)),
            (r.item_id.split("#", 1)[0],),
            "feedback",
        )
        for r in records
        if r.positive
    ]


def add_bm25_negatives(
    pairs: Sequence[LabelledPair], corpus: Sequence[tuple[str, str]], *, skip: int = 2
) -> list[LabelledPair]:
    """Give each pair without a negative the best BM25 passage of ``corpus`` (training docs only) that is not its own.

    ``corpus`` is (group id, passage) of training documents; the top ``skip`` non-positives are
    passed over, since they are often unlabelled answers.
    """
    if not corpus:
        return list(pairs)
    lexical = BM25System()
    lexical.fit([RetrievalDoc(f"{i}", text) for i, (_, text) in enumerate(corpus)])
    todo = [i for i, p in enumerate(pairs) if p.pair.negative is None]
    scores = lexical.scores([pairs[i].pair.query for i in todo]) if todo else np.zeros((0, len(corpus)))
    positives = [
        {
            c
            for c, (group, text) in enumerate(corpus)
            if group in pairs[i].groups or text == pairs[i].pair.positive
        }
        for i in todo
    ]
    chosen = hard_negatives_from_scores(scores, positives, skip=skip)
    out = list(pairs)
    for i, column in zip(todo, chosen, strict=True):
        if column is not None:
            p = out[i]
            out[i] = LabelledPair(
                TrainingPair(p.pair.query, p.pair.positive, corpus[column][1]), p.groups, p.source
            )
    return out


def collect_training_data(
    *,
    retrieval_sets: Iterable[Path] = (),
    eligibility_sets: Iterable[Path] = (),
    feedback_files: Iterable[Path] = (),
    test_fraction: float = 0.3,
    seed: int = 0,
    max_chars: int = DEFAULT_MAX_CHARS,
    negatives: bool = True,
) -> TrainingData:
    """Pairs from every source, split by document, checked for leakage, with BM25 hard negatives."""
    labelled: list[LabelledPair] = []
    counts: dict[str, int] = {}
    checksums: dict[str, str] = {}
    leakage: dict[str, Any] = {}
    held_out: list[Any] = []
    corpus: list[tuple[str, str]] = []
    test_groups: set[str] = set()
    for path in retrieval_sets:
        rset = read_retrieval_set(path)
        split = split_retrieval_set(rset, test_fraction=test_fraction, seed=seed)
        found = pairs_from_retrieval(split.train, max_chars=max_chars)
        labelled += found
        counts[f"retrieval:{rset.name}"] = len(found)
        checksums[f"retrieval:{rset.name}"] = rset.sha256
        leakage[f"retrieval:{rset.name}"] = split.report.to_dict()
        held_out.append(split.test)
        test_groups |= split.split.test_groups
        # Negatives come from every document outside the test side (never from a test document).
        corpus += [
            (d.docid, doc_text(d)[:max_chars]) for d in rset.docs if d.docid not in split.split.test_groups
        ]
    for path in eligibility_sets:
        eset = read_eligibility_set(path)
        esplit = split_eligibility_set(eset, test_fraction=test_fraction, seed=seed)
        found = pairs_from_eligibility(eset, esplit.train_items, max_chars=max_chars)
        labelled += found
        counts[f"demo:{eset.path.name}"] = len(found)
        checksums[f"demo:{eset.path.name}"] = eset.sha256
        leakage[f"demo:{eset.path.name}"] = esplit.report.to_dict()
        held_out.append((eset, esplit.test_items))
        test_groups |= esplit.split.test_groups
        corpus += [
            (i.policy_id, item_text(i.title, i.text)[:max_chars])
            for i in eset.items
            if i.id in esplit.train_items
        ]
    for path in feedback_files:
        found = pairs_from_feedback(read_feedback(path), max_chars=max_chars)
        labelled += found
        counts[f"feedback:{Path(path).name}"] = len(found)
        checksums[f"feedback:{Path(path).name}"] = file_sha256(path)
    if not labelled:
        raise ValueError("no training pairs: give a retrieval set, an eligibility set or a feedback export")
    # The guard over everything together: no training pair may touch a test document of any set.
    report = assert_no_leakage(
        check_leakage(
            {f"{i}:{p.source}": p.groups for i, p in enumerate(labelled)},
            test_groups,
            n_train_groups=len({g for p in labelled for g in p.groups}),
        )
    )
    leakage["all"] = report.to_dict()
    if negatives:
        labelled = add_bm25_negatives(labelled, corpus)
    return TrainingData(tuple(p.pair for p in labelled), counts, checksums, leakage, tuple(held_out))


# --- evaluation of model versions -------------------------------------------------------------


def evaluate_versions(
    versions: Sequence[str],
    held_out: Sequence[Any],
    *,
    models_dir: Path,
    backend: str = "onnx-int8",
    cache_dir: Path = DEFAULT_CACHE,
    record: bool = True,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Evaluate each version on each held-out part (retrieval: served hybrid and dense; eligibility); record in manifests.

    Returns version → evaluation key → metrics.
    """
    from models.factory import make_encoder
    from models.promote import evaluation_key, record_evaluation
    from models.registry import ModelRegistry

    registry = ModelRegistry(models_dir)
    results: dict[str, dict[str, dict[str, Any]]] = {v: {} for v in versions}
    for part in held_out:
        if isinstance(part, RetrievalSet):
            for version in versions:
                encoder = make_encoder(backend, version, models_dir)
                dense = DenseSystem(encoder, name=f"dense:{version}@{backend}", cache_dir=cache_dir)
                hybrid = ServedSystem(encoder, name="hybrid", cache_dir=cache_dir)
                run = run_retrieval(part, [dense, hybrid], served="hybrid")
                metrics = run.metrics()
                summary = {
                    "set": part.name,
                    "set_sha256": part.sha256,
                    "recall@10": metrics["recall@10"],
                    "mrr": metrics["mrr"],
                    "ndcg@10": metrics["ndcg@10"],
                    "dense_recall@10": run.system(dense.name).summary.recall[10],
                    "dense_mrr": run.system(dense.name).summary.mrr,
                    "backend": backend,
                    "n_queries": run.n_queries,
                }
                results[version][evaluation_key("retrieval", part.sha256, part.name.rsplit(":", 1)[-1])] = (
                    summary
                )
        else:
            eset, test_items = part
            subset = _restrict(eset, test_items)
            for version in versions:
                # `semantic` conditions are judged by each version's encoder, as the service would.
                run_e = run_eligibility(subset, encoder=make_encoder(backend, version, models_dir))
                results[version][evaluation_key("eligibility", eset.sha256, "test")] = _eligibility_summary(
                    run_e, eset
                )
    if record:
        for version, evaluations in results.items():
            for key, metrics in evaluations.items():
                record_evaluation(registry, version, key, metrics)
    return results


def _restrict(eset: EligibilitySet, item_ids: frozenset[str]) -> EligibilitySet:
    """Return the set with only the given items and their truth rows."""
    return EligibilitySet(
        eset.path,
        tuple(i for i in eset.items if i.id in item_ids),
        eset.profiles,
        tuple(r for r in eset.truth if r.item in item_ids),
        eset.sha256,
    )


# --- the whole run ----------------------------------------------------------------------------


class TrainingEvaluationError(RuntimeError):
    """Fine-tuning and registration succeeded but the evaluation afterwards failed; the message names the version."""


@dataclass(frozen=True)
class TrainingRun:
    """A finished retraining: the new version, its parent, the data and both versions' evaluations."""

    version: str
    parent: str
    n_pairs: int
    seconds: float
    counts: Mapping[str, int]
    evaluations: Mapping[str, Mapping[str, Mapping[str, Any]]]


def retrain(
    *,
    models_dir: Path,
    retrieval_sets: Sequence[Path] = (),
    eligibility_sets: Sequence[Path] = (),
    feedback_files: Sequence[Path] = (),
    config: TrainConfig | None = None,
    test_fraction: float = 0.3,
    seed: int = 0,
    backend: str = "onnx-int8",
    max_chars: int = DEFAULT_MAX_CHARS,
    progress: bool = True,
    evaluate: bool = True,
    cache_dir: Path = DEFAULT_CACHE,
) -> TrainingRun:
    """Fine-tune the active model on the sources, register the result (not active) and evaluate both on held-out parts."""
    from models.onnx_export import export_onnx
    from models.registry import ModelRegistry

    config = config or TrainConfig()
    registry = ModelRegistry(models_dir)
    parent = registry.active()
    data = collect_training_data(
        retrieval_sets=retrieval_sets,
        eligibility_sets=eligibility_sets,
        feedback_files=feedback_files,
        test_fraction=test_fraction,
        seed=seed,
        max_chars=max_chars,
    )
    log.info("training on %d pairs: %s", len(data.pairs), dict(data.counts))
    staging = Path(tempfile.mkdtemp(prefix=".train-", dir=models_dir))
    try:
        result = fine_tune(
            parent.path,
            data.pairs,
            staging,
            config,
            progress=progress,
            extra_config={
                "parent": parent.version,
                "sources": dict(data.counts),
                "data_sha256": dict(data.checksums),
                "split": {"test_fraction": test_fraction, "seed": seed, "by": "document"},
                "leakage": dict(data.leakage),
            },
        )
        export_onnx(staging, staging / "onnx")
        source = f"fine-tune of {parent.version} on " + ", ".join(
            f"{k} ({v} pairs)" for k, v in data.counts.items()
        )
        entry = registry.register(
            staging,
            parent=parent.version,
            source=source,
            metrics={
                "training": {
                    "n_pairs": result.n_pairs,
                    "n_steps": result.n_steps,
                    "final_loss": result.losses[-1],
                    "seconds": round(result.seconds, 1),
                    "pairs_sha256": result.pairs_sha256,
                    "data_sha256": dict(data.checksums),
                    "config": config.to_dict(),
                }
            },
            # Unique per (parent, pairs, config): vector caches are keyed by model id, and "v2" of
            # one registry is not "v2" of another.
            model_id=f"{parent.model_id}+ft-{_run_digest(parent.model_id, result.pairs_sha256, config)}",
            move=True,
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    try:
        evaluations = (
            evaluate_versions(
                [parent.version, entry.version],
                data.held_out,
                models_dir=models_dir,
                backend=backend,
                cache_dir=cache_dir,
            )
            if evaluate
            else {}
        )
    except Exception as exc:
        # The version is registered already; say so, and how to evaluate it, instead of a bare traceback.
        raise TrainingEvaluationError(
            f"{entry.version} is registered (parent {parent.version}) but evaluating it failed ({exc!r}); "
            f"compare both with `policymatch models report {entry.version} --retrieval-set DIR` before promoting"
        ) from exc
    return TrainingRun(
        entry.version, parent.version, result.n_pairs, result.seconds, data.counts, evaluations
    )


def _run_digest(parent_model_id: str, pairs_digest: str, config: TrainConfig) -> str:
    payload = json.dumps([parent_model_id, pairs_digest, config.to_dict()], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:10]


def training_markdown(models_dir: Path, version: str) -> str:
    """Summarise a fine-tuned version for ``docs/benchmarks.md``: data, config, time, and its evaluations beside its parent's."""
    from eval.report import markdown_table
    from models.promote import decide_promotion, evaluations_of
    from models.registry import ModelRegistry

    registry = ModelRegistry(models_dir)
    entry = registry.get(version)
    if entry.parent is None:
        raise ValueError(f"{version} has no parent: it was not produced by policymatch train")
    parent = registry.get(entry.parent)
    training = dict(entry.metrics.get("training") or {})
    config = dict(training.get("config") or {})
    mine, theirs = evaluations_of(entry), evaluations_of(parent)
    rows = []
    for key in sorted(set(mine) & set(theirs)):
        for metric in (
            "recall@10",
            "mrr",
            "ndcg@10",
            "dense_recall@10",
            "dense_mrr",
            "verdict_accuracy",
            "eligible_precision",
            "eligible_recall",
        ):
            if metric in mine[key] and metric in theirs[key]:
                before, after = float(theirs[key][metric]), float(mine[key][metric])
                rows.append([mine[key].get("set", key), metric, before, after, f"{after - before:+.3f}"])
    decision = decide_promotion(version, mine, parent.version, theirs)
    verdict = (
        "promotable (not worse on any shared evaluation)"
        if decision.allowed
        else "refused: " + "; ".join(decision.reasons)
    )
    return (
        f"`{version}` = fine-tune of `{parent.version}` ({entry.source}).\n\n"
        f"{training.get('n_pairs')} pairs, {training.get('n_steps')} steps of batch {config.get('batch_size')}, "
        f"max_seq_length {config.get('max_seq_length')}, lr {config.get('learning_rate')}, epochs {config.get('epochs')}, "
        f"seed {config.get('seed')}, word embeddings frozen: {config.get('freeze_embeddings')}; "
        f"final loss {float(training.get('final_loss', float('nan'))):.3f}; {training.get('seconds')} s of training.\n\n"
        + markdown_table(["held-out set", "metric", parent.version, version, "change"], rows)
        + f"\n\nPromotion rule: {verdict}."
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
    from matcher.retrieval import RetrievalConfig
    from models.factory import make_encoder

    served = RetrievalConfig()
    windows = (
        {
            "chunk_chars": served.chunk_chars,
            "max_chunks": served.max_chunks,
            "chunk_stride": served.chunk_stride,
        }
        if max_chunks is None
        else {"max_chunks": max_chunks}
    )
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
        subset = _restrict(
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
                    _eligibility_summary(runs[v], eset),
                )
        out.append(EligibilityComparison(parent, version, Path(report_dir), runs))
    return out


def _eligibility_summary(run: EligibilityRun, eset: EligibilitySet) -> dict[str, Any]:
    metrics = run.metrics()
    summary = {k: metrics[k] for k in ("verdict_accuracy", "eligible_precision", "eligible_recall")}
    summary.update(
        {"set": f"{eset.path.name}:test", "set_sha256": eset.sha256, "n_pairs": metrics["n_pairs"]}
    )
    return summary


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


def promotion_note(models_dir: Path, version: str) -> str:
    """Say what the promotion rule decides for ``version`` against the active model, and what ``models promote`` recorded."""
    from models.promote import PROMOTION, decide_promotion, evaluations_of
    from models.registry import ModelRegistry

    registry = ModelRegistry(models_dir)
    entry = registry.get(version)
    recorded = dict(entry.metrics.get(PROMOTION) or {})
    lines = []
    if recorded:
        lines.append(
            f"`policymatch models promote {version}` ({recorded.get('at', '')}, active was `{recorded.get('active_before')}`): "
            f"{recorded.get('outcome')} — “{recorded.get('message')}”"
        )
    active = registry.active_version()
    if active and active != version:
        decision = decide_promotion(
            version, evaluations_of(entry), active, evaluations_of(registry.get(active))
        )
        verdict = "promotable" if decision.allowed else "refused: " + "; ".join(decision.reasons)
        lines.append(f"The promotion rule against the active `{active}` now: {verdict}.")
    else:
        lines.append(
            f"`{version}` is the active version of this registry (history: {', '.join(registry.history()) or 'none'})."
        )
    return "\n\n".join(lines)


def training_section(
    models_dir: Path,
    version: str,
    retrieval: Sequence[RetrievalComparison],
    eligibility: Sequence[EligibilityComparison] = (),
    *,
    command: str = "",
    docs: Path = Path("docs"),
    image_prefix: str = "training",
    notes: Sequence[str] = (),
) -> str:
    """Write the ``training`` section of docs/benchmarks.md: run, data, leakage, before/after tables and plots, verdict, promotion.

    Plots are copied to ``docs/img/{image_prefix}-{part}-recall_at_k.png``.
    """
    from eval.benchfile import machine_description
    from eval.report import markdown_table
    from models.registry import ModelRegistry

    entry = ModelRegistry(models_dir).get(version)
    config_path = entry.path / "train_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    parts = [
        "## Training",
        f"Machine: {machine_description()}.",
        *([f"Command (as run): {command if '`' in command else f'`{command}`'}"] if command else []),
        training_markdown(models_dir, version).split("\n\nPromotion rule:")[0],
    ]
    leakage = dict(config.get("leakage") or {})
    if leakage:
        rows = [
            [
                name,
                r.get("n_train_members"),
                r.get("n_train_groups"),
                r.get("n_test_groups"),
                r.get("n_leaked"),
                "ok" if r.get("ok") else "LEAKED",
            ]
            for name, r in leakage.items()
        ]
        parts.append(
            "Data and leakage guard (split by document: seed "
            f"{(config.get('split') or {}).get('seed')}, test fraction {(config.get('split') or {}).get('test_fraction')}; "
            "training members are questions per set, pairs for `all`):\n\n"
            + markdown_table(
                ["source", "training members", "training documents", "test documents", "leaked", "guard"],
                rows,
            )
        )
    verdicts = []
    for comparison in retrieval:
        run = comparison.run
        slug = comparison.report_dir.name
        image = docs / "img" / f"{image_prefix}-{slug}-recall_at_k.png"
        image.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(comparison.report_dir / "recall_at_k.png", image)
        parts.append(
            f"### `{run.set_name}`: {run.n_queries} held-out questions over {run.n_docs} documents (set sha256 `{run.set_sha256[:16]}`)\n\n"
            f"Dense reads each document in {run.extra.get('dense_chunks')} (a document scores its best window) "
            f"through `{run.extra.get('encoder_backend')}`; `hybrid:V` is the served `HybridRetriever` with version V; `fusion-*:V` fuse BM25 "
            f"and `dense:V` over the whole collection. One question is {1 / max(run.n_queries, 1):.4f} of recall.\n\n"
            + run.summary_markdown()
            + f"\n\n![{run.set_name} before / after]({image.relative_to(docs)})"
        )
        backend = run.extra.get("encoder_backend")
        verdicts.append(
            f"- `{run.set_name}`:\n"
            + "\n".join(
                "  - " + helped_sentence(run, before, after, paired=comparison.pair(before, after)) + "."
                for before, after in [(p.before, p.after) for p in comparison.paired]
                or [
                    (f"dense:{comparison.parent}@{backend}", f"dense:{comparison.version}@{backend}"),
                    (f"hybrid:{comparison.parent}", f"hybrid:{comparison.version}"),
                    (f"fusion-zscore:{comparison.parent}", f"fusion-zscore:{comparison.version}"),
                ]
            )
        )
    for elig in eligibility:
        rows = []
        for v, erun in elig.runs.items():
            m = erun.metrics()
            directions = m["directions"]
            rows.append(
                [
                    v,
                    m["verdict_accuracy"],
                    m["eligible_precision"],
                    m["eligible_recall"],
                    *(directions.get(d, {}).get("ndcg@10") for d in sorted(directions)),
                ]
            )
        first = next(iter(elig.runs.values()))
        names = sorted(first.metrics()["directions"])
        parts.append(
            f"### Eligibility on `{first.set_name}`, held-out items ({first.n_items} items × {first.n_profiles} profiles, "
            f"set sha256 `{first.set_sha256[:16]}`), each version's encoder judging `semantic` conditions\n\n"
            + markdown_table(
                [
                    "version",
                    "verdict accuracy",
                    "eligible precision",
                    "eligible recall",
                    *(f"nDCG@10 {d}" for d in names),
                ],
                rows,
            )
        )
    if verdicts:
        parts.append("**Did fine-tuning help?** (computed from the tables above)\n\n" + "\n".join(verdicts))
    parts.append("**Promotion.** " + promotion_note(models_dir, version))
    parts += [note.strip() for note in notes if note.strip()]
    return "\n\n".join(parts)
