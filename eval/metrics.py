"""Evaluation metrics as pure functions over lists and numpy arrays.

Ranking metrics take, per query, the ranked list of returned ids and the
relevant ids (a collection for binary relevance, or a mapping id → grade for
graded relevance) and return the mean over queries. Classification metrics
take parallel sequences of true and predicted labels. Nothing here reads
files or models; every function is tested against hand-computed values.

Conventions (stated once, used everywhere):

- A ratio whose denominator is zero is 1.0 when the other error count is zero
  too (nothing to find and nothing wrongly found) and 0.0 otherwise.
- nDCG uses linear gains, ``grade / log2(rank + 1)`` with ranks from 1
  (Järvelin & Kekäläinen 2002); binary relevance is grade 1.
- A query with no relevant ids is skipped by every ranking metric (it cannot
  be scored); the number of queries actually scored is returned by
  :func:`ranking_summary`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Relevance = Collection[Hashable] | Mapping[Hashable, float]
DEFAULT_KS: tuple[int, ...] = (1, 5, 10, 20, 50)


def _grades(relevant: Relevance) -> dict[Hashable, float]:
    """Relevant ids with their grade (1.0 for binary relevance); grades ≤ 0 are dropped."""
    if isinstance(relevant, Mapping):
        return {key: float(grade) for key, grade in relevant.items() if float(grade) > 0}
    return {key: 1.0 for key in relevant}


def _check(
    ranked: Sequence[Collection[Hashable]], relevant: Sequence[Relevance], k: int | None = None
) -> None:
    if len(ranked) != len(relevant):
        raise ValueError(f"ranked has {len(ranked)} queries but relevant has {len(relevant)}")
    if k is not None and k < 1:
        raise ValueError(f"k must be at least 1, got {k}")


def _mean_over_queries(
    ranked: Sequence[Sequence[Hashable]],
    relevant: Sequence[Relevance],
    k: int | None,
    score: Callable[[Sequence[Hashable], dict[Hashable, float]], float],
) -> float:
    """Mean of ``score(hits, grades)`` over the queries that have a relevant id (0 when none has)."""
    _check(ranked, relevant, k)
    scores = [
        score(hits, grades) for hits, rel in zip(ranked, relevant, strict=True) if (grades := _grades(rel))
    ]
    return float(np.mean(scores)) if scores else 0.0


def recall_at_k(ranked: Sequence[Sequence[Hashable]], relevant: Sequence[Relevance], k: int) -> float:
    """Mean share of each query's relevant ids found in its top ``k`` (hit rate for one relevant id)."""
    return _mean_over_queries(
        ranked, relevant, k, lambda hits, grades: len(set(hits[:k]) & grades.keys()) / len(grades)
    )


def precision_at_k(ranked: Sequence[Sequence[Hashable]], relevant: Sequence[Relevance], k: int) -> float:
    """Mean share of the top ``k`` that is relevant (divided by ``k`` even when fewer were returned)."""
    return _mean_over_queries(
        ranked, relevant, k, lambda hits, grades: sum(1 for hit in hits[:k] if hit in grades) / k
    )


def mrr(ranked: Sequence[Sequence[Hashable]], relevant: Sequence[Relevance], k: int | None = None) -> float:
    """Mean reciprocal rank of the first relevant id (0 when none is in the top ``k``, or in the list)."""

    def reciprocal_rank(hits: Sequence[Hashable], grades: dict[Hashable, float]) -> float:
        cut = hits if k is None else hits[:k]
        return next((1.0 / rank for rank, hit in enumerate(cut, start=1) if hit in grades), 0.0)

    return _mean_over_queries(ranked, relevant, k, reciprocal_rank)


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain of gains in rank order: Σ gain_r / log2(r + 1)."""
    return float(sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1)))


def ndcg_at_k(ranked: Sequence[Sequence[Hashable]], relevant: Sequence[Relevance], k: int) -> float:
    """Mean nDCG@k with linear gains; graded when ``relevant`` maps ids to grades, else binary."""

    def ndcg(hits: Sequence[Hashable], grades: dict[Hashable, float]) -> float:
        seen: set[Hashable] = set()
        gains = []
        for hit in hits[:k]:
            # A repeated id earns nothing the second time.
            gains.append(grades.get(hit, 0.0) if hit not in seen else 0.0)
            seen.add(hit)
        return dcg(gains) / dcg(sorted(grades.values(), reverse=True)[:k])

    return _mean_over_queries(ranked, relevant, k, ndcg)


@dataclass(frozen=True)
class FirstStageRecall:
    """How much a candidate stage keeps: recall of relevant ids and the mean share of the corpus kept."""

    recall: float
    share_kept: float
    mean_candidates: float


def first_stage_recall(
    candidates: Sequence[Collection[Hashable]], relevant: Sequence[Relevance], corpus_size: int
) -> FirstStageRecall:
    """Recall of a first (candidate) stage, with the mean share of a corpus of ``corpus_size`` it kept."""
    if corpus_size < 1:
        raise ValueError(f"corpus_size must be at least 1, got {corpus_size}")
    recall = _mean_over_queries(
        [list(kept) for kept in candidates],
        relevant,
        None,
        lambda kept, grades: len(set(kept) & grades.keys()) / len(grades),
    )
    mean_size = float(np.mean([len(set(kept)) for kept in candidates])) if candidates else 0.0
    return FirstStageRecall(recall=recall, share_kept=mean_size / corpus_size, mean_candidates=mean_size)


@dataclass(frozen=True)
class RankingSummary:
    """Every ranking metric of one system on one set."""

    recall: dict[int, float]
    precision: dict[int, float]
    mrr: float
    ndcg_at_10: float
    n_queries: int

    def to_dict(self) -> dict[str, float | int]:
        """Flat JSON keys as ``shared/spec/conditions.md`` names them (``recall@10``, ``mrr``, ``ndcg@10``)."""
        out: dict[str, float | int] = {f"recall@{k}": v for k, v in sorted(self.recall.items())}
        out.update({f"precision@{k}": v for k, v in sorted(self.precision.items())})
        out["mrr"] = self.mrr
        out["ndcg@10"] = self.ndcg_at_10
        out["n_queries"] = self.n_queries
        return out

    def headline(self) -> dict[str, float]:
        """recall@10, nDCG@10, MRR and the number of queries: what the reports show of a ranking."""
        return {
            "recall@10": self.recall[10],
            "ndcg@10": self.ndcg_at_10,
            "mrr": self.mrr,
            "n_queries": float(self.n_queries),
        }


def ranking_summary(
    ranked: Sequence[Sequence[Hashable]], relevant: Sequence[Relevance], ks: Iterable[int] = DEFAULT_KS
) -> RankingSummary:
    """recall@k and precision@k for each k, MRR and nDCG@10, over the queries that have a relevant id."""
    ks = tuple(sorted(set(ks)))
    return RankingSummary(
        recall={k: recall_at_k(ranked, relevant, k) for k in ks},
        precision={k: precision_at_k(ranked, relevant, k) for k in ks},
        mrr=mrr(ranked, relevant),
        ndcg_at_10=ndcg_at_k(ranked, relevant, 10),
        n_queries=sum(1 for rel in relevant if _grades(rel)),
    )


# --- classification: verdicts and levels ------------------------------------------------------


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 with the counts they come from."""

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready dict."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


def prf_from_counts(tp: int, fp: int, fn: int) -> PRF:
    """Precision, recall and F1 from counts (0/0 is 1.0 only when there is no error at all)."""
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PRF(precision, recall, f1, tp, fp, fn)


def prf1(true: Iterable[Hashable], predicted: Iterable[Hashable]) -> PRF:
    """Precision, recall and F1 of a predicted set of keys against the true set."""
    true_set, pred_set = set(true), set(predicted)
    tp = len(true_set & pred_set)
    return prf_from_counts(tp, len(pred_set) - tp, len(true_set) - tp)


def verdict_accuracy(true: Sequence[Hashable], predicted: Sequence[Hashable]) -> float:
    """Share of pairs whose predicted label equals the true one."""
    if len(true) != len(predicted):
        raise ValueError(f"{len(true)} true labels but {len(predicted)} predicted")
    if not true:
        return 0.0
    return sum(1 for t, p in zip(true, predicted, strict=True) if t == p) / len(true)


def confusion_matrix(
    true: Sequence[Hashable], predicted: Sequence[Hashable], labels: Sequence[Hashable]
) -> np.ndarray:
    """Count pairs: rows = true label, columns = predicted label, in the order of ``labels``."""
    if len(true) != len(predicted):
        raise ValueError(f"{len(true)} true labels but {len(predicted)} predicted")
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(true, predicted, strict=True):
        if t not in index or p not in index:
            raise ValueError(f"label {t if t not in index else p!r} is not one of {list(labels)}")
        matrix[index[t], index[p]] += 1
    return matrix


@dataclass(frozen=True)
class LevelMetrics:
    """Accuracy, per-label precision/recall/F1 and the confusion matrix of a labelling."""

    labels: tuple[Hashable, ...]
    accuracy: float
    per_label: dict[Hashable, PRF]
    confusion: np.ndarray
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``accuracy``, ``per_label`` (P/R/F1/support), ``confusion`` with its labels."""
        return {
            "accuracy": self.accuracy,
            "n": self.n,
            "per_label": {
                str(label): {**prf.to_dict(), "support": prf.tp + prf.fn}
                for label, prf in self.per_label.items()
            },
            "confusion": {
                "labels": [str(x) for x in self.labels],
                "rows_true_cols_predicted": self.confusion.tolist(),
            },
        }


def level_metrics(
    true: Sequence[Hashable], predicted: Sequence[Hashable], labels: Sequence[Hashable]
) -> LevelMetrics:
    """Accuracy, per-label P/R/F1 (one label against the rest) and the confusion matrix."""
    matrix = confusion_matrix(true, predicted, labels)
    per_label = {}
    for i, label in enumerate(labels):
        tp = int(matrix[i, i])
        per_label[label] = prf_from_counts(tp, int(matrix[:, i].sum()) - tp, int(matrix[i, :].sum()) - tp)
    return LevelMetrics(tuple(labels), verdict_accuracy(true, predicted), per_label, matrix, len(true))


# --- extraction -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtractionScores:
    """Extraction P/R/F1 over (item, field, op, value), overall and per field."""

    overall: PRF
    per_field: dict[str, PRF]

    def to_dict(self) -> dict[str, Any]:
        """JSON keys as conditions.md names them: ``precision``, ``recall``, ``f1``, ``per_field``."""
        return {
            "precision": self.overall.precision,
            "recall": self.overall.recall,
            "f1": self.overall.f1,
            "per_field": {name: prf.to_dict() for name, prf in sorted(self.per_field.items())},
        }


def extraction_scores(
    true: Mapping[Hashable, Iterable[tuple[str, str, Any]]],
    predicted: Mapping[Hashable, Iterable[tuple[str, str, Any]]],
) -> ExtractionScores:
    """Score predicted (field, op, value) keys per item against the truth, overall and per field.

    Items present only in ``predicted`` count their keys as false positives.
    """
    true_keys = {(item, *key) for item, keys in true.items() for key in keys}
    pred_keys = {(item, *key) for item, keys in predicted.items() for key in keys}
    fields = sorted({key[1] for key in true_keys | pred_keys})
    per_field = {
        name: prf1({k for k in true_keys if k[1] == name}, {k for k in pred_keys if k[1] == name})
        for name in fields
    }
    return ExtractionScores(prf1(true_keys, pred_keys), per_field)
