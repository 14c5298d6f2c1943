"""Promotion rules: a model version becomes active only if it is not worse than the active one.

Evaluations are recorded in each version's manifest under ``metrics["evaluations"]``, keyed by
``kind:set_sha256[:16]:part`` (say ``retrieval:3f2a…:test``), so two versions are compared only on
the same set and the same split. A candidate is promoted when, on every evaluation both versions
have, each promotion metric (recall@10 for retrieval; verdict accuracy, eligible precision and
recall for eligibility) is at least the active version's minus ``tolerance``; and they must share
at least one retrieval evaluation, and an eligibility one when either has any.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.registry import ModelRegistry, ModelVersion

PROMOTION_KEYS: dict[str, tuple[str, ...]] = {
    "retrieval": ("recall@10", "dense_recall@10"),
    "eligibility": ("verdict_accuracy", "eligible_precision", "eligible_recall"),
}
EVALUATIONS = "evaluations"
PROMOTION = "promotion"  # manifest metrics key: what `policymatch models promote` last said


class PromotionRefused(RuntimeError):
    """The candidate is worse than the active model (or cannot be compared); the message says why."""


@dataclass(frozen=True)
class MetricComparison:
    """One metric of one evaluation, candidate against active."""

    evaluation: str
    key: str
    candidate: float
    active: float
    worse: bool


@dataclass(frozen=True)
class PromotionDecision:
    """Whether ``candidate`` may replace ``active``, with every comparison and the reasons."""

    candidate: str
    active: str
    allowed: bool
    reasons: tuple[str, ...]
    comparisons: tuple[MetricComparison, ...]


def evaluation_key(kind: str, set_sha256: str, part: str = "all") -> str:
    """Return the manifest key of one evaluation: ``kind:sha256[:16]:part``."""
    if kind not in PROMOTION_KEYS:
        raise ValueError(f"evaluation kind must be one of {', '.join(PROMOTION_KEYS)}, got {kind!r}")
    return f"{kind}:{set_sha256[:16]}:{part}"


def evaluations_of(version: ModelVersion) -> dict[str, dict[str, Any]]:
    """Return the evaluations recorded in a version's manifest."""
    return {str(k): dict(v) for k, v in dict(version.metrics.get(EVALUATIONS) or {}).items()}


def record_evaluation(
    registry: ModelRegistry, version: str, key: str, metrics: Mapping[str, Any]
) -> ModelVersion:
    """Store one evaluation's metrics in the version's manifest (merged with those already there)."""
    current = evaluations_of(registry.get(version))
    current[key] = dict(metrics)
    return registry.set_metrics(version, {EVALUATIONS: current})


def decide_promotion(
    candidate: str,
    candidate_evals: Mapping[str, Mapping[str, Any]],
    active: str,
    active_evals: Mapping[str, Mapping[str, Any]],
    *,
    tolerance: float = 0.0,
) -> PromotionDecision:
    """Compare two versions' evaluations on the sets they share; refuse when any promotion metric is worse."""
    reasons: list[str] = []
    comparisons: list[MetricComparison] = []
    common = sorted(set(candidate_evals) & set(active_evals))
    kinds = {key.split(":", 1)[0] for key in common}
    if "retrieval" not in kinds:
        reasons.append(
            f"{candidate} and {active} share no retrieval evaluation (same set, same split); evaluate both on one first"
        )
    wants_eligibility = any(k.startswith("eligibility:") for k in (*candidate_evals, *active_evals))
    if wants_eligibility and "eligibility" not in kinds:
        reasons.append(
            f"{candidate} and {active} share no eligibility evaluation; evaluate both on the same set"
        )
    for evaluation in common:
        kind = evaluation.split(":", 1)[0]
        for metric in PROMOTION_KEYS.get(kind, ()):
            have, base = candidate_evals[evaluation].get(metric), active_evals[evaluation].get(metric)
            if not isinstance(have, int | float) or not isinstance(base, int | float):
                continue
            worse = float(have) < float(base) - tolerance
            comparisons.append(MetricComparison(evaluation, metric, float(have), float(base), worse))
            if worse:
                name = active_evals[evaluation].get("set", evaluation)
                reasons.append(
                    f"{metric} on {name} ({evaluation}) is {float(have):.4f}, worse than {active}'s {float(base):.4f}"
                )
    if "retrieval" in kinds and not any(c.evaluation.startswith("retrieval:") for c in comparisons):
        reasons.append("the shared retrieval evaluations carry no recall@10 to compare")
    return PromotionDecision(candidate, active, not reasons, tuple(reasons), tuple(comparisons))


def promote(
    registry: ModelRegistry, version: str, *, tolerance: float = 0.0, force: bool = False
) -> PromotionDecision:
    """Activate ``version`` if it is not worse than the active one; raise :class:`PromotionRefused` saying why otherwise."""
    candidate = registry.get(version)
    active_name = registry.active_version()
    if active_name is None or active_name == version:
        registry.activate(version)
        return PromotionDecision(version, active_name or "", True, (), ())
    active = registry.get(active_name)
    decision = decide_promotion(
        version, evaluations_of(candidate), active_name, evaluations_of(active), tolerance=tolerance
    )
    if not decision.allowed and not force:
        raise PromotionRefused(f"not promoting {version}: " + "; ".join(decision.reasons))
    registry.activate(version)
    return decision


def metric_lines(version: ModelVersion) -> list[str]:
    """Return one line per recorded evaluation (its promotion metrics), the training summary and the last promotion outcome."""
    lines = []
    for key, metrics in sorted(evaluations_of(version).items()):
        kind = key.split(":", 1)[0]
        shown = " ".join(
            f"{m}={float(metrics[m]):.4f}"
            for m in PROMOTION_KEYS.get(kind, ())
            if isinstance(metrics.get(m), int | float)
        )
        lines.append(f"{kind} {metrics.get('set', key)}: {shown or 'no promotion metric'}")
    training = version.metrics.get("training")
    if isinstance(training, Mapping):
        lines.append(
            f"training: {training.get('n_pairs')} pairs, {training.get('n_steps')} steps, "
            f"final loss {float(training.get('final_loss', float('nan'))):.3f}, {training.get('seconds')} s"
        )
    promotion = version.metrics.get(PROMOTION)
    if isinstance(promotion, Mapping):
        lines.append(
            f"promotion ({promotion.get('at')}): {promotion.get('outcome')}: {promotion.get('message')}"
        )
    return lines
