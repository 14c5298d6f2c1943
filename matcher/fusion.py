"""Fusion of lexical, dense and tag-overlap scores: pure functions over aligned numpy arrays.

Every function takes one score array per part, aligned on the same candidates,
and returns arrays; nothing here knows about indexes. :func:`fuse` is the one
served scoring function: 智能匹配, target lists and ``eval``'s served system rank
with it (then :func:`rank_score` mixes in the share of conditions met). The
served method and weights (``matcher.retrieval.RetrievalConfig``) were chosen by
cross-validation over two real retrieval sets, NCP and msgabench_qa
(``eval.fusion_choice``; section ``fusion-choice`` of ``docs/benchmarks.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

METHODS = ("zscore", "minmax", "rrf", "raw")


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] by the candidates' minimum and maximum (all zeros when they are equal)."""
    values = np.asarray(scores, dtype=np.float64)
    if values.size == 0:
        return values
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-12:
        return np.zeros_like(values)
    return (values - low) / (high - low)


def zscore(scores: np.ndarray) -> np.ndarray:
    """Standardise to mean 0 and standard deviation 1 over the candidates (zeros when constant)."""
    values = np.asarray(scores, dtype=np.float64)
    if values.size == 0:
        return values
    # ``values.std()`` and ``values.mean()`` spelt out with the same operations in the same order (numpy's
    # _var: one add.reduce for the mean, the squared deviations summed by another, divided by n, sqrt),
    # so the same bits, with the deviations computed once and no Python layers (≈ 2× faster at 2k items).
    n = values.size
    mean = float(np.add.reduce(values, axis=None)) / n
    deviation = values - mean
    std = math.sqrt(float(np.add.reduce(deviation * deviation, axis=None)) / n)
    if std <= 1e-12:
        return np.zeros_like(values)
    return deviation / std


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score, best (highest) first; ties keep candidate order."""
    values = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-values, kind="stable")
    out = np.empty(len(values), dtype=np.int64)
    out[order] = np.arange(1, len(values) + 1)
    return out


def rrf(rank: np.ndarray, k: int = 60) -> np.ndarray:
    """Reciprocal-rank fusion term ``1 / (k + rank)`` (Cormack, Clarke and Büttcher, SIGIR 2009); rank ≤ 0 → 0."""
    values = np.asarray(rank, dtype=np.float64)
    return np.where(values > 0, 1.0 / (k + values), 0.0)


def normalise(scores: np.ndarray, method: str, *, rrf_k: int = 60) -> np.ndarray:
    """One part's scores mapped by ``method`` (one of ``METHODS``) before weighting."""
    if method == "zscore":
        return zscore(scores)
    if method == "minmax":
        return minmax(scores)
    if method == "rrf":
        return rrf(ranks(scores), rrf_k)
    if method == "raw":
        return np.asarray(scores, dtype=np.float64)
    raise ValueError(f"unknown fusion method {method!r}; valid: {', '.join(METHODS)}")


def weighted_sum(parts: tuple[np.ndarray, ...], weights: tuple[float, ...]) -> np.ndarray:
    """``Σ weight_i · part_i`` over aligned arrays."""
    if len(parts) != len(weights):
        raise ValueError(f"got {len(parts)} score parts for {len(weights)} weights")
    total = np.zeros(len(parts[0]) if parts else 0, dtype=np.float64)
    for part, weight in zip(parts, weights, strict=True):
        if weight:
            total += weight * np.asarray(part, dtype=np.float64)
    return total


def top_margin(scores: np.ndarray) -> float:
    """Return the lead of the best score over the second best (0 with fewer than two candidates)."""
    values = np.asarray(scores, dtype=np.float64)
    if values.size < 2:
        return 0.0
    top_two = np.partition(values, values.size - 2)[-2:]
    return float(top_two[1] - top_two[0])


@dataclass(frozen=True)
class FusionConfig:
    """How to fuse: the per-part normalisation and the weights of BM25, dense and tag overlap."""

    method: str = "zscore"
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    tags_weight: float = 0.0
    rrf_k: int = 60
    # Weight of the best passage's BM25 added to the document's BM25 before normalising (Callan 1994);
    # 0 leaves the BM25 part as the document's score alone.
    passage_weight: float = 0.0
    # Per question, scale each normalised part by its top-two margin (how sharply it singles out one
    # candidate), so a part confident on this question speaks louder than one that is not.
    adaptive: bool = False
    # Per question, the dense weight × exp(-lexical_confidence × the lexical part's top-two margin):
    # when BM25 singles out one candidate sharply, dense defers to it; when BM25 is unsure, dense
    # speaks at its full weight. 0 keeps the dense weight fixed.
    lexical_confidence: float = 0.0
    # A listwise linear model over :data:`LISTWISE_FEATURES` (one weight each, in that order): when given,
    # the z-scored parts are combined by it instead of by the two weights above (``adaptive`` and
    # ``lexical_confidence`` are then not read; the tag part is added as before).
    listwise: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown fusion method {self.method!r}; valid: {', '.join(METHODS)}")
        if self.lexical_confidence < 0:
            raise ValueError(f"lexical_confidence must not be negative, got {self.lexical_confidence}")
        # A saved index's retriever.json holds the weights as a JSON list.
        object.__setattr__(self, "listwise", tuple(float(w) for w in self.listwise))
        if self.listwise and len(self.listwise) != len(LISTWISE_FEATURES):
            raise ValueError(
                f"listwise needs one weight per feature ({', '.join(LISTWISE_FEATURES)}), got {len(self.listwise)}"
            )
        if self.listwise and self.method != "zscore":
            raise ValueError(
                f"a listwise fusion reads z-scored parts; method must be 'zscore', got {self.method!r}"
            )


# The features of a listwise fusion, per candidate of one question: the z-scored lexical part L (document
# BM25 + passage_weight × best passage) and dense part D; each part's top-two margin over the question's
# candidates, mL and mD (how sharply it singles one out); and w = log(number of the candidate's dense
# windows), since dense reads a short answer whole and a long policy only by its best window.
LISTWISE_FEATURES = ("L", "D", "D·e^−mL", "D·w", "D·e^−mL·w", "w", "L·mD", "D·mD", "L·w")


def log_windows(counts: np.ndarray) -> np.ndarray | None:
    """Return log(number of dense windows) per candidate (a count under 1 read as 1); None when every log is 0.

    None lets :func:`fuse` skip the window terms, as for candidates of one window each (short items, profiles).
    """
    logs = np.log(np.maximum(np.asarray(counts, dtype=np.float64), 1.0))
    return logs if logs.any() else None


def _listwise_parts(
    lexical: np.ndarray, semantic: np.ndarray, logs: np.ndarray | None, weights: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """``listwise_features(...) @ weights`` split into the lexical features' sum and the rest (dense and the window prior).

    Factored per part (the margins are one number per question), so a request over thousands of items
    makes a few array passes instead of a (candidates × 9) matrix.
    """
    t = dict(zip(LISTWISE_FEATURES, weights, strict=True))
    lexical_margin, dense_margin = top_margin(lexical), top_margin(semantic)
    shrink = math.exp(-lexical_margin)
    lexical_weight = t["L"] + t["L·mD"] * dense_margin
    dense_weight = t["D"] + t["D·e^−mL"] * shrink + t["D·mD"] * dense_margin
    if logs is None:
        return lexical_weight * lexical, dense_weight * semantic
    w = logs
    bm25_part = lexical * (lexical_weight + t["L·w"] * w)
    dense_part = semantic * (dense_weight + (t["D·w"] + t["D·e^−mL·w"] * shrink) * w) + t["w"] * w
    return bm25_part, dense_part


def listwise_features(lexical: np.ndarray, semantic: np.ndarray, logs: np.ndarray | None) -> np.ndarray:
    """Return the (candidates, features) array of :data:`LISTWISE_FEATURES` from z-scored parts.

    ``logs``: :func:`log_windows` of each candidate's number of dense windows (None: one each, as a profile).
    """
    w = np.zeros(len(lexical)) if logs is None else np.asarray(logs, dtype=np.float64)
    lexical_margin, dense_margin = top_margin(lexical), top_margin(semantic)
    shrink = math.exp(-lexical_margin)
    return np.stack(
        [
            lexical,
            semantic,
            semantic * shrink,
            semantic * w,
            semantic * shrink * w,
            w,
            lexical * dense_margin,
            semantic * dense_margin,
            lexical * w,
        ],
        axis=1,
    )


@dataclass(frozen=True)
class PartScores:
    """Each part's raw score of the same candidates, aligned: what :func:`fuse` ranks."""

    bm25: np.ndarray  # document BM25
    passage: np.ndarray | None  # BM25 of each candidate's best passage (None: the retriever keeps none)
    dense: np.ndarray  # best window's cosine
    tags: np.ndarray | None = None  # the caller's tag overlap in [0, 1]
    log_windows: np.ndarray | None = (
        None  # :func:`log_windows` of each candidate's dense windows (None: one each)
    )


@dataclass(frozen=True)
class FusedScores:
    """The fused score per candidate and each part's weighted contribution to it (``score_breakdown``)."""

    total: np.ndarray
    bm25: np.ndarray
    dense: np.ndarray
    tags: np.ndarray


def lexical_evidence(bm25: np.ndarray, passage: np.ndarray | None, passage_weight: float) -> np.ndarray:
    """Document BM25 plus ``passage_weight`` × the best passage's BM25 (Callan 1994); the document's alone without passages."""
    values = np.asarray(bm25, dtype=np.float64)
    if passage is None or not passage_weight:
        return values
    return values + passage_weight * np.asarray(passage, dtype=np.float64)


def fuse(parts: PartScores, config: FusionConfig | None = None) -> FusedScores:
    """Fuse every part's score of the same candidates: the one served scoring function.

    ``POST /v1/match``, target lists and ``eval``'s served system all rank with it. The best
    passage's BM25 joins the document BM25 by ``lexical_evidence`` before normalising (without
    passages the BM25 part is the document's). With ``lexical_confidence`` the dense weight of
    this question shrinks as the lexical part's top-two margin grows. Tag overlap is already on [0, 1] and is weighted
    as given, not re-normalised: a candidate set where every tag matches must not lose the
    signal to a zero spread.
    """
    config = config or FusionConfig()
    lexical = normalise(
        lexical_evidence(parts.bm25, parts.passage, config.passage_weight), config.method, rrf_k=config.rrf_k
    )
    semantic = normalise(parts.dense, config.method, rrf_k=config.rrf_k)
    tags_array = np.zeros(len(lexical)) if parts.tags is None else np.asarray(parts.tags, dtype=np.float64)
    tags_part = config.tags_weight * tags_array
    if config.listwise:
        bm25_part, dense_part = _listwise_parts(lexical, semantic, parts.log_windows, config.listwise)
        return FusedScores(bm25_part + dense_part + tags_part, bm25_part, dense_part, tags_part)
    dense_weight = config.dense_weight
    if config.lexical_confidence:
        dense_weight *= float(np.exp(-config.lexical_confidence * top_margin(lexical)))
    if config.adaptive:
        lexical = lexical * top_margin(lexical)
        semantic = semantic * top_margin(semantic)
    bm25_part = config.bm25_weight * lexical
    dense_part = dense_weight * semantic
    return FusedScores(bm25_part + dense_part + tags_part, bm25_part, dense_part, tags_part)


def rank_score(fused: np.ndarray, rules: np.ndarray, rules_weight: float) -> np.ndarray:
    """Return the within-level ranking score: ``rules_weight`` × share of conditions met + the rest × relevance.

    Relevance is the logistic of the fused score (``fuse(...).total``), so it lies in (0, 1)
    like the share of conditions met. 智能匹配 and target lists both rank with it.
    """
    relevance = 1.0 / (1.0 + np.exp(-np.asarray(fused, dtype=np.float64)))
    return (1.0 - rules_weight) * relevance + rules_weight * np.asarray(rules, dtype=np.float64)
