"""Retraining as one run: collect pairs → fine-tune → register → export → evaluate both versions on held-out data."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.compare import (
    DEFAULT_CACHE,
    DEFAULT_MAX_CHARS,
    DenseSystem,
    ServedSystem,
)
from eval.eligibility_run import EligibilityRun, run_eligibility
from eval.runners import run_retrieval
from eval.sets import (
    EligibilitySet,
    RetrievalSet,
)
from eval.training import collect_training_data
from models.train import TrainConfig, fine_tune

# --- evaluation of model versions -------------------------------------------------------------

log = logging.getLogger(__name__)


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
            subset = restrict_set(eset, test_items)
            for version in versions:
                # `semantic` conditions are judged by each version's encoder, as the service would.
                run_e = run_eligibility(subset, encoder=make_encoder(backend, version, models_dir))
                results[version][evaluation_key("eligibility", eset.sha256, "test")] = eligibility_summary(
                    run_e, eset
                )
    if record:
        for version, evaluations in results.items():
            for key, metrics in evaluations.items():
                record_evaluation(registry, version, key, metrics)
    return results


def restrict_set(eset: EligibilitySet, item_ids: frozenset[str]) -> EligibilitySet:
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


def eligibility_summary(run: EligibilityRun, eset: EligibilitySet) -> dict[str, Any]:
    """Summarise one eligibility run as a version's manifest keeps it."""
    metrics = run.metrics()
    summary = {k: metrics[k] for k in ("verdict_accuracy", "eligible_precision", "eligible_recall")}
    summary.update(
        {"set": f"{eset.path.name}:test", "set_sha256": eset.sha256, "n_pairs": metrics["n_pairs"]}
    )
    return summary
