"""Retraining end to end: pairs from labelled sets and feedback → fine-tune → register → evaluate.

Training pairs come only from the training side of each set's split by document (checked by
:mod:`eval.leakage`); hard negatives are mined with BM25 among training documents only, so no
text of a test document is seen in training. The new version is registered with its parent,
data checksums and training config, exported to ONNX fp32 + int8, and evaluated — together
with the active version — on the held-out parts of the same sets; the evaluations go into both
manifests, where ``policymatch models promote`` reads them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.compare import DEFAULT_CACHE, DEFAULT_MAX_CHARS, BM25System, DenseSystem, ServedSystem, doc_text
from eval.leakage import assert_no_leakage, check_leakage, split_eligibility_set, split_retrieval_set
from eval.runners import run_eligibility, run_retrieval
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


def profile_text(profile: Mapping[str, Any]) -> str:
    """Return the text an enterprise is matched by: business scope, products and description."""
    parts = [
        profile.get("name"),
        profile.get("business_scope"),
        profile.get("products"),
        profile.get("description"),
    ]
    return "；".join(
        str(p if not isinstance(p, list | tuple) else "、".join(map(str, p))) for p in parts if p
    )


def item_text(title: str, text: str) -> str:
    """Return the text of a policy item as indexed: title then text."""
    return f"{title}\n{text}" if title and not text.startswith(title) else text


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
        query = profile_text(profiles[row.profile])
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
                metrics = run_e.metrics()
                summary = {
                    k: metrics[k] for k in ("verdict_accuracy", "eligible_precision", "eligible_recall")
                }
                summary.update(
                    {
                        "set": f"{eset.path.name}:test",
                        "set_sha256": eset.sha256,
                        "n_pairs": metrics["n_pairs"],
                    }
                )
                results[version][evaluation_key("eligibility", eset.sha256, "test")] = summary
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
