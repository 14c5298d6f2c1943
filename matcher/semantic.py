"""The judge of ``semantic`` conditions: what an enterprise does, read from its text with the encoder.

A semantic condition (``{"field": "business_scope", "op": "semantic", "value":
"从事集成电路设计"}``) is met when the cosine between the enterprise's business
scope + products (as a query) and the condition's text (as a passage) reaches
``met``; it is unmet only below ``unmet`` (when that is set); in between, and
whenever the enterprise has no such text, it stays ``unknown`` — a guess is
never a verdict. The thresholds are chosen on a labelled set with
:func:`choose_thresholds` (precision first) and reported by ``policymatch bench match``.

Vectors are cached by content hash (model id + text), so an enterprise's text is
encoded once per model, whatever asks for it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from corpus.conditions import Condition, Verdict
from matcher.eligibility import MET, UNKNOWN, UNMET
from matcher.encoder_text import profile_text
from models.cached_encoder import content_key  # the one key of every vector cache, on disk or here
from models.encoder import Encoder


@dataclass(frozen=True)
class SemanticThresholds:
    """Cosine cut-offs: ``>= met`` is met, ``< unmet`` is unmet (never when None), else unknown."""

    met: float
    unmet: float | None = None
    chosen_on: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"met": self.met, "unmet": self.unmet, "chosen_on": self.chosen_on}


# Chosen on demo enterprises whose true line of business the generator knows (`policymatch bench
# match`, section "match" of docs/benchmarks.md): the lowest cut-off with `met` precision >= 0.98
# (600 enterprises × 10 condition texts, e5-small ONNX int8: precision 1.00, recall 0.23, ROC AUC
# 0.97; the full scope + products text reached recall 0.26, the boilerplate-free one is shorter
# and so faster to encode). No `unmet` cut-off: 98% of pairs are unmet, so even "precise" unmet
# verdicts would wrongly fail true matches; a low score is not evidence of absence: unknown.
DEFAULT_THRESHOLDS = SemanticThresholds(
    met=0.921, unmet=None, chosen_on="demo enterprises, met precision >= 0.98"
)


class VectorCache:
    """An in-memory LRU of text vectors keyed by content hash, optionally persisted as one .npz file."""

    def __init__(self, max_size: int = 500_000, path: Path | None = None) -> None:
        """Start empty, or from ``path`` when it exists."""
        self.max_size = max_size
        self.path = path
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._dirty = False
        if path is not None and path.exists():
            with np.load(path) as data:
                keys, vectors = data["keys"], data["vectors"]
                for key, vector in zip(keys.tolist(), vectors, strict=True):
                    self._items[str(key)] = vector

    def __len__(self) -> int:
        """Vectors held."""
        return len(self._items)

    def get(self, key: str) -> np.ndarray | None:
        """Return the vector under ``key``, or None."""
        with self._lock:
            vector = self._items.get(key)
            if vector is not None:
                self._items.move_to_end(key)
            return vector

    def put(self, key: str, vector: np.ndarray) -> None:
        """Keep ``vector`` under ``key`` (evicting the least recently used beyond ``max_size``)."""
        with self._lock:
            self._items[key] = np.asarray(vector, dtype=np.float32)
            self._items.move_to_end(key)
            self._dirty = True
            while len(self._items) > self.max_size:
                self._items.popitem(last=False)

    def save(self) -> None:
        """Write the cache to its path (atomically) when it changed."""
        if self.path is None or not self._dirty:
            return
        with self._lock:
            keys = np.array(list(self._items), dtype="U64")
            vectors = np.stack(list(self._items.values())) if self._items else np.zeros((0, 0), np.float32)
            self._dirty = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(tmp, keys=keys, vectors=vectors)
        os.replace(tmp, self.path)


class SemanticJudge:
    """Judges ``semantic`` conditions with an encoder; callable as ``corpus.conditions.SemanticJudge``."""

    def __init__(
        self,
        encoder: Encoder,
        thresholds: SemanticThresholds = DEFAULT_THRESHOLDS,
        cache: VectorCache | None = None,
    ) -> None:
        """Use ``encoder`` and ``thresholds``; vectors are kept in ``cache`` (a fresh one by default)."""
        self.encoder = encoder
        self.thresholds = thresholds
        self.cache = cache if cache is not None else VectorCache()

    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        model_id = self.encoder.model_id
        keys = [content_key(model_id, kind, t) for t in texts]
        out: list[np.ndarray | None] = [self.cache.get(k) for k in keys]
        todo = sorted({t for t, v in zip(texts, out, strict=True) if v is None})
        if todo:
            encode = self.encoder.encode_queries if kind == "query" else self.encoder.encode_passages
            vectors = np.asarray(encode(list(todo)), dtype=np.float32)
            fresh = dict(zip(todo, vectors, strict=True))
            for text, vector in fresh.items():
                self.cache.put(content_key(model_id, kind, text), vector)
            out = [fresh[t] if v is None else v for t, v in zip(texts, out, strict=True)]
        if not texts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return np.stack([v for v in out if v is not None]).astype(np.float32)

    def condition_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of condition texts (encoded as passages), shape (len(texts), dim)."""
        return self._encode(list(texts), "passage")

    def text_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of enterprise texts (encoded as queries), shape (len(texts), dim).

        The same vector serves the dense part of 智能匹配 (the enterprise searching item
        passages) and semantic conditions, so an ad-hoc profile costs one encoding.
        """
        return self._encode(list(texts), "query")

    def profile_vector(self, profile: Mapping[str, Any]) -> np.ndarray | None:
        """Embed a profile's business scope + products (None when it has neither)."""
        text = profile_text(profile)
        return self.text_vectors([text])[0] if text else None

    def codes(self, scores: np.ndarray) -> np.ndarray:
        """Verdict codes (MET / UNMET / UNKNOWN) of cosine scores under the thresholds."""
        scores = np.asarray(scores, dtype=np.float32)
        codes = np.full(scores.shape, UNKNOWN, dtype=np.int8)
        codes[scores >= self.thresholds.met] = MET
        if self.thresholds.unmet is not None:
            codes[scores < self.thresholds.unmet] = UNMET
        return codes

    def scores(self, condition_texts: Sequence[str], profile: Mapping[str, Any]) -> np.ndarray | None:
        """Cosine of each condition text with the profile's text, or None when the profile has none."""
        vector = self.profile_vector(profile)
        if vector is None:
            return None
        return self.condition_vectors(condition_texts) @ vector

    def __call__(self, condition: Condition, profile: Mapping[str, Any]) -> Verdict:
        """Decide one semantic condition for one profile."""
        scores = self.scores([condition_text(condition)], profile)
        if scores is None:
            return "unknown"
        verdicts: tuple[Verdict, ...] = ("met", "unmet", "unknown")
        return verdicts[int(self.codes(scores)[0])]


def condition_text(condition: Condition) -> str:
    """Return the text a semantic condition states (its value, else its span)."""
    return str(condition.value or condition.span)


# --- choosing thresholds on a labelled set ---------------------------------------------------


@dataclass(frozen=True)
class ThresholdChoice:
    """A chosen cut-off with what it achieves on the set it was chosen on."""

    threshold: float
    precision: float
    recall: float
    support: int


def choose_met_threshold(
    scores: Sequence[float] | np.ndarray, truth_met: Sequence[bool] | np.ndarray, min_precision: float = 0.98
) -> ThresholdChoice:
    """Pick the lowest cut-off whose ``met`` precision reaches ``min_precision`` (most recall at that precision)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(truth_met, dtype=bool)
    positives = int(y.sum())
    best = ThresholdChoice(float(s.max()) + 1e-6 if len(s) else 1.0, 1.0, 0.0, positives)
    for t in np.unique(s)[::-1]:
        predicted = s >= t
        tp = int((predicted & y).sum())
        precision = tp / int(predicted.sum())
        if precision < min_precision:
            continue
        recall = tp / positives if positives else 0.0
        if recall >= best.recall:
            best = ThresholdChoice(float(t), precision, recall, positives)
    return best


def choose_unmet_threshold(
    scores: Sequence[float] | np.ndarray,
    truth_unmet: Sequence[bool] | np.ndarray,
    min_precision: float = 0.98,
) -> ThresholdChoice | None:
    """Pick the highest cut-off below which ``unmet`` precision reaches ``min_precision`` (None if none does)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(truth_unmet, dtype=bool)
    negatives = int(y.sum())
    best: ThresholdChoice | None = None
    for t in np.unique(s):
        predicted = s < t
        if not predicted.any():
            continue
        tp = int((predicted & y).sum())
        precision = tp / int(predicted.sum())
        if precision >= min_precision and (best is None or tp / max(negatives, 1) >= best.recall):
            best = ThresholdChoice(float(t), precision, tp / max(negatives, 1), negatives)
    return best
