"""Evaluation runs of eligibility: verdicts against truth, from extracted or gold conditions, or through the service.

An :class:`EligibilityRun` is written like a retrieval run (:mod:`eval.runners`): ``metrics()``
and ``write(out_dir)``, with the levels' confusion and per-direction scores.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpus.conditions import LEVELS, Condition, judge_item, truth_verdict
from eval import report
from eval.metrics import LevelMetrics, level_metrics, ranking_summary
from eval.sets import EligibilitySet

log = logging.getLogger(__name__)

TRUTH_LABELS = ("eligible", "unknown", "ineligible")


# --- eligibility ------------------------------------------------------------------------------


ConditionPredictor = Callable[[Any], tuple[Condition, ...]]


@dataclass(frozen=True)
class EligibilityRun:
    """Predicted against true verdicts of every (profile, item) pair of an eligibility set."""

    set_name: str
    set_sha256: str
    mode: str  # "extracted" (conditions read from text) or "gold-conditions"
    verdicts: LevelMetrics  # 3-way, truth.jsonl's labels
    levels: Mapping[str, int]  # predicted 4-level counts
    n_items: int
    n_profiles: int
    directions: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, Any]:
        """metrics.json: verdict_accuracy, eligible_precision, eligible_recall, per_level and the rest."""
        per_level = self.verdicts.to_dict()["per_label"]
        eligible = self.verdicts.per_label["eligible"]
        return {
            "verdict_accuracy": self.verdicts.accuracy,
            "eligible_precision": eligible.precision,
            "eligible_recall": eligible.recall,
            "per_level": per_level,
            "confusion": self.verdicts.to_dict()["confusion"],
            "predicted_levels": dict(self.levels),
            "mode": self.mode,
            "directions": {k: dict(v) for k, v in self.directions.items()},
            "n_pairs": self.verdicts.n,
            "n_items": self.n_items,
            "n_profiles": self.n_profiles,
            "set": self.set_name,
            "set_sha256": self.set_sha256,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            **self.extra,
        }

    def write(self, out_dir: Path) -> Path:
        """Write metrics.json, summary.md and confusion_levels.png into ``out_dir``."""
        out_dir = Path(out_dir)
        m = self.metrics()
        report.write_metrics(m, out_dir)
        report.plot_confusion(
            [str(x) for x in self.verdicts.labels],
            self.verdicts.confusion,
            out_dir / "confusion_levels.png",
            title=f"级别 confusion ({self.mode})",
        )
        rows = [
            [label, v["precision"], v["recall"], v["f1"], v["support"]] for label, v in m["per_level"].items()
        ]
        direction_rows = [
            [name, *(values.get(k) for k in ("recall@10", "ndcg@10", "mrr"))]
            for name, values in self.directions.items()
        ]
        text = (
            f"# Eligibility: {self.set_name} ({'gold conditions: verdict logic alone' if self.mode == 'gold-conditions' else 'conditions extracted from text'})\n\n"
            f"{self.verdicts.n} (profile, item) pairs, {self.n_items} items, {self.n_profiles} profiles; set sha256 `{self.set_sha256[:16]}…`. "
            f"{_PATH_NOTES.get(str(self.extra.get('path')), '')}\n\n"
            f"verdict accuracy **{self.verdicts.accuracy:.3f}**, eligible precision **{m['eligible_precision']:.3f}**, eligible recall **{m['eligible_recall']:.3f}**\n\n"
            + report.markdown_table(["verdict", "precision", "recall", "F1", "support"], rows)
            + (
                "\n\nRanking the truly eligible first, both directions:\n\n"
                + report.markdown_table(["direction", "recall@10", "nDCG@10", "MRR"], direction_rows)
                if direction_rows
                else ""
            )
            + "\n\n![confusion](confusion_levels.png)\n"
        )
        report.write_summary(text, out_dir)
        return out_dir


_PATH_NOTES = {
    "service": "Levels as the service gives them: the set ingested into a temporary store, each item's 精准推送 target list read for every profile.",
    "direct": "Levels from `judge_item` on each pair directly.",
}


def extracted_conditions(item: Any) -> tuple[Condition, ...]:
    """Conditions read from the item's text and metadata alone by the extractor (``matcher.extraction``)."""
    from matcher.extraction import extract_policy_item
    from matcher.extraction.document import governing_clauses, governing_extraction, with_governing

    extraction = extract_policy_item(item)
    # The sentences that govern the whole document join the item's conditions, as ingest joins them.
    governing = "\n".join(getattr(item, "governing_text", ()))
    if governing:
        extraction = with_governing(
            extraction,
            *governing_extraction(
                governing,
                governing_clauses(governing),
                region_code=item.region_code,
                issued=getattr(item, "issued", None),
            ),
        )
    # What the service stores: the v2 entries (v1 leaves when corpus.store.policy_tables.STORE_EXTRACTED_ENTRIES is off).
    from corpus.store.policy_tables import extracted_entries

    return tuple(extracted_entries(extraction))  # type: ignore[arg-type]  # v2 nodes, typed as leaves here


def gold_conditions(item: Any) -> tuple[Condition, ...]:
    """Return the set's true conditions (``--gold-conditions``: scores the verdict logic alone)."""
    if item.conditions is None:
        raise ValueError(
            f"item {item.id} carries no 'conditions'; --gold-conditions needs them on every item"
        )
    return item.conditions


def _profile_for_judging(profile: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the profile as the service sees it: validated with derived fields (rd_ratio, size_class) when possible."""
    try:
        from corpus.schemas import validate_profile
    except ImportError:
        return profile
    try:
        return validate_profile(profile).to_dict()
    except Exception:  # noqa: BLE001 — a profile the validator rejects is judged as given
        return profile


def service_level_judge(encoder: Any) -> Callable[[Sequence[Condition], Mapping[str, Any]], str]:
    """Return the service's verdict logic: ``judge_item`` with ``semantic`` conditions judged by the encoder."""
    from matcher.semantic import SemanticJudge

    semantic = SemanticJudge(encoder)
    return lambda conditions, profile: judge_item(conditions, profile, semantic).level


def run_eligibility(
    eset: EligibilitySet,
    *,
    mode: str = "extracted",
    predictor: ConditionPredictor | None = None,
    level_judge: Callable[[Sequence[Condition], Mapping[str, Any]], str] | None = None,
    encoder: Any = None,
    path: str = "direct",
    extra: Mapping[str, Any] | None = None,
) -> EligibilityRun:
    """Predict every (profile, item) level and score it against ``truth.jsonl``.

    Conditions come from ``predictor`` (default: the extractor for ``mode="extracted"``, the
    truth for ``mode="gold-conditions"``). ``path="service"`` reads levels as the service
    does for a new policy (:func:`service_levels`: a temporary store and the 精准推送 target
    lists; needs ``encoder``); ``path="direct"`` uses ``level_judge`` (default
    :func:`corpus.conditions.judge_item`, with ``semantic`` conditions judged by ``encoder``
    as the service does when one is given, else left unknown).
    """
    if mode not in ("extracted", "gold-conditions"):
        raise ValueError(f"mode must be 'extracted' or 'gold-conditions', got {mode!r}")
    if path not in ("service", "direct"):
        raise ValueError(f"path must be 'service' or 'direct', got {path!r}")
    predict = predictor or (extracted_conditions if mode == "extracted" else gold_conditions)
    conditions = {item.id: predict(item) for item in eset.items}
    extra = dict(extra or {})
    if path == "service":
        if encoder is None:
            raise ValueError(
                "the service path needs an encoder (the active model judges semantic conditions)"
            )
        served = service_levels(eset, conditions, encoder)
        extra.update({"path": "service", "not_listed": served.not_listed})
        judge: Callable[[Sequence[Condition], Mapping[str, Any]], str] | None = None
    else:
        if level_judge is None and encoder is not None:
            level_judge = service_level_judge(encoder)
        judge = level_judge or (lambda conditions, profile: judge_item(conditions, profile).level)
        profiles = {str(p["id"]): _profile_for_judging(p) for p in eset.profiles}
        extra["path"] = "direct"
    true_labels, predicted, predicted_levels = [], [], []
    for row in eset.truth:
        if judge is None:
            level = served.levels[(row.profile, row.item)]
        else:
            level = judge(conditions[row.item], profiles[row.profile])
        predicted_levels.append(level)
        predicted.append(truth_verdict(level))  # type: ignore[arg-type]
        true_labels.append(row.verdict)
    metrics = level_metrics(true_labels, predicted, TRUTH_LABELS)
    counts: dict[str, int] = {level: predicted_levels.count(level) for level in LEVELS}
    directions = _direction_metrics(eset, predicted_levels)
    return EligibilityRun(
        eset.path.name,
        eset.sha256,
        mode,
        metrics,
        counts,
        len(eset.items),
        len(eset.profiles),
        directions,
        extra,
    )


_LEVEL_RANK: dict[str, int] = {level: i for i, level in enumerate(LEVELS)}


def _direction_metrics(eset: EligibilitySet, predicted_levels: Sequence[str]) -> dict[str, dict[str, float]]:
    """Ranking metrics of truly eligible pairs when results are ordered by predicted level, both directions.

    智能匹配 (enterprise → items) and 精准推送 (item → enterprises): for each query, candidates are
    ordered eligible → need_info → near_miss → ineligible (ties by set order), relevant = truly eligible.
    """
    by_profile: dict[str, list[tuple[int, int, str]]] = {}
    by_item: dict[str, list[tuple[int, int, str]]] = {}
    for position, (row, level) in enumerate(zip(eset.truth, predicted_levels, strict=True)):
        by_profile.setdefault(row.profile, []).append((_LEVEL_RANK[level], position, row.item))
        by_item.setdefault(row.item, []).append((_LEVEL_RANK[level], position, row.profile))
    truly = {(row.profile, row.item) for row in eset.truth if row.verdict == "eligible"}
    out = {}
    for name, groups, pair in (
        ("enterprise→items", by_profile, lambda key, other: (key, other)),
        ("item→enterprises", by_item, lambda key, other: (other, key)),
    ):
        ranked, relevant = [], []
        for key, rows in groups.items():
            ordered = [other for _, _, other in sorted(rows)]
            ranked.append(ordered)
            relevant.append({other for other in ordered if pair(key, other) in truly})
        if any(relevant):
            out[name] = ranking_summary(ranked, relevant, ks=(1, 10, 50)).headline()
    return out


def temporary_data_dir() -> tempfile.TemporaryDirectory[str]:
    """Return a scratch data directory for a run that must leave the service's store untouched."""
    return tempfile.TemporaryDirectory(prefix="policymatch-eval-")


@dataclass(frozen=True)
class ServiceLevels:
    """The level the service gives every (profile, item) pair of a set, read from its target lists.

    Levels are the compiled column verdicts of each item's target list, for every profile;
    ``not_listed`` counts pairs the list itself leaves out (the enterprise is outside the item's
    region, or the item has expired): the service never pushes to them.
    """

    levels: Mapping[tuple[str, str], str]
    not_listed: int


@dataclass(frozen=True)
class _StoredConditions:
    """What :meth:`corpus.store.Store.upsert_policy` reads of an extraction: conditions and tags."""

    conditions: tuple[Condition, ...]
    tags: Mapping[str, Any]


def service_levels(
    eset: EligibilitySet,
    conditions: Mapping[str, Sequence[Condition]],
    encoder: Any,
    *,
    today: dt.date | None = None,
) -> ServiceLevels:
    """Ingest the set into a temporary data directory and read every level as 精准推送 does.

    Each set item is stored as one policy item (the set's unit, never re-split) with
    ``conditions[item.id]`` as its extracted conditions, profiles are validated and stored,
    then :class:`matcher.service.Matcher` computes each item's whole target list (every level,
    excluded rows included) with its compiled column verdicts. The service's own store is never
    touched. Raises ValueError naming the first profile the validator rejects.
    """
    from corpus.schemas import PolicyDocument, PolicyItem, ProfileError, validate_profile
    from corpus.store import open_store
    from matcher.service import Matcher

    profiles = []
    for position, raw in enumerate(eset.profiles, 1):
        try:
            profiles.append(validate_profile(raw))
        except ProfileError as exc:
            raise ValueError(
                f"{eset.path / 'profiles.jsonl'} line {position} (profile {raw.get('id')!r}) cannot be stored: {exc}"
            ) from exc
    by_policy: dict[str, list[Any]] = {}
    for item in eset.items:
        by_policy.setdefault(item.policy_id, []).append(item)
    with temporary_data_dir() as tmp:
        data_dir = Path(tmp)
        store = open_store(data_dir / "policymatch.sqlite3")
        try:
            for policy_id, items in by_policy.items():
                document = PolicyDocument(
                    id=policy_id,
                    title=items[0].title,
                    text="\n".join(i.text for i in items),
                    region_code=items[0].region_code,
                    department=items[0].department,
                    **items[0].facts,
                )
                stored = [
                    PolicyItem(
                        id=i.id,
                        policy_id=policy_id,
                        seq=seq,
                        heading_path=(),
                        title=i.title,
                        text=i.text,
                        region_code=i.region_code,
                        department=i.department,
                        **i.facts,
                    )
                    for seq, i in enumerate(items, 1)
                ]
                extractions = [_StoredConditions(tuple(conditions[i.id]), {}) for i in items]
                store.upsert_policy(document, stored, extractions)
            store.upsert_enterprises(profiles)
            levels: dict[tuple[str, str], str] = {}
            not_listed = 0
            # Each item is read at its own as_of (the set's date) unless the caller fixes one: whether an
            # item is offered at all depends on the day (validity), its conditions' verdicts do not.
            by_day: dict[dt.date | None, list[Any]] = {}
            for item in eset.items:
                day = today or (dt.date.fromisoformat(item.as_of) if item.as_of else None)
                by_day.setdefault(day, []).append(item)
            for day, day_items in by_day.items():
                matcher = Matcher.open(data_dir, store, encoder, build_index=False, today=day)
                matcher.encode_enterprises()
                ids = matcher.columns.ids
                row_of = {str(ids[row]): row for row in range(len(ids)) if matcher.columns.alive[row]}
                rows = np.array([row_of[p.id] for p in profiles], dtype=np.int64)
                for item in day_items:
                    order = matcher.target_order(item.policy_id, item.id, LEVELS, include_excluded=True)
                    # The list's verdicts cover every enterprise; the list itself leaves out those the
                    # service never pushes to (outside the item's region, a non-policy, an item outside
                    # its validity): for them the answer is ineligible, whatever the conditions say.
                    ranks = order.verdicts.level[rows]
                    listed = np.isin(rows, order.rows)
                    not_listed += len(rows) - int(listed.sum())
                    for profile, rank, on in zip(profiles, ranks, listed, strict=True):
                        levels[(profile.id, item.id)] = LEVELS[int(rank)] if on else "ineligible"
                matcher.close()
        finally:
            store.close()
    return ServiceLevels(levels, not_listed)
