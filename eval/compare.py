"""Retrieval systems compared side by side on the same set.

Every system scores every (query, document) pair of a set into one dense
matrix (sets here are thousands of documents, not millions), so rankings,
fusions and first-stage recall are all computed from the same numbers:

- ``bm25``: Lucene BM25 over the domain jieba tokens (:class:`matcher.lexical.BM25Index`);
- ``tfidf-char`` / ``tfidf-jieba``: scikit-learn TF-IDF, character 1–3-grams or jieba tokens, cosine;
- ``dense:<model>@<backend>``: an :class:`models.encoder.Encoder`, inner product of unit vectors,
  vectors cached on disk by model id and text hash;
- ``hybrid``: the served fusion of BM25 and dense (:mod:`matcher.fusion` when present).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from eval.sets import RetrievalDoc

DEFAULT_CACHE = Path(".cache/vectors")
# e5-small reads 512 tokens at most; ~1 token per Chinese character, and long documents cost
# quadratic time: the head of a policy (title, who, what) carries most of what questions ask.
DEFAULT_MAX_CHARS = 400


class RetrievalSystem(Protocol):
    """A retrieval system: ``fit`` on documents, then ``scores`` for queries (n_queries × n_docs)."""

    name: str

    def fit(self, docs: Sequence[RetrievalDoc]) -> None:
        """Index the documents (their order is the column order of ``scores``)."""
        ...

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """Score every document for every query; higher is better."""
        ...


def doc_text(doc: RetrievalDoc) -> str:
    """Return the text a system indexes: title (when separate) and text."""
    return f"{doc.title}\n{doc.text}" if doc.title and not doc.text.startswith(doc.title) else doc.text


class BM25System:
    """BM25 over jieba tokens with the domain dictionary (the served lexical part)."""

    name = "bm25"

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        from matcher.lexical import BM25Index

        self.index_ = BM25Index(k1=k1, b=b)
        self._ids: list[str] = []

    def fit(self, docs: Sequence[RetrievalDoc]) -> None:
        """Index the documents."""
        self._ids = [d.docid for d in docs]
        self.index_.fit(self._ids, [doc_text(d) for d in docs])

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """BM25 of every document for every query."""
        out = np.zeros((len(queries), len(self._ids)), dtype=np.float32)
        for row, query in enumerate(queries):
            out[row] = self.index_.scores_for(query, self._ids)
        return out


class TfidfSystem:
    """scikit-learn TF-IDF (sublinear tf, l2) with character n-grams or jieba tokens; cosine similarity."""

    def __init__(self, analyzer: str = "char") -> None:
        if analyzer not in ("char", "jieba"):
            raise ValueError(f"analyzer must be 'char' or 'jieba', got {analyzer!r}")
        self.analyzer = analyzer
        self.name = f"tfidf-{analyzer}"
        self.vectorizer_ = None
        self._matrix = None

    def _make(self):  # type: ignore[no-untyped-def]
        from sklearn.feature_extraction.text import TfidfVectorizer

        if self.analyzer == "char":
            return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=1)
        from matcher.text import tokenize

        return TfidfVectorizer(
            tokenizer=lambda text: tokenize(text, drop_stopwords=True),
            lowercase=False,
            token_pattern=None,
            sublinear_tf=True,
        )

    def fit(self, docs: Sequence[RetrievalDoc]) -> None:
        """Fit the vocabulary and idf on the documents."""
        self.vectorizer_ = self._make()
        self._matrix = self.vectorizer_.fit_transform([doc_text(d) for d in docs])  # type: ignore[attr-defined]

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """Cosine of TF-IDF vectors."""
        assert self.vectorizer_ is not None and self._matrix is not None, "fit first"
        query_matrix = self.vectorizer_.transform(list(queries))  # type: ignore[attr-defined]
        return np.asarray((query_matrix @ self._matrix.T).todense(), dtype=np.float32)


def cached_encode(
    texts: Sequence[str],
    encode: Callable[[list[str]], np.ndarray],
    *,
    model_id: str,
    kind: str,
    cache_dir: Path,
) -> np.ndarray:
    """Encode ``texts``, reusing vectors cached on disk by (model id, kind, text) hash."""
    try:
        from matcher.vector_cache import cached_encode as shared_cache
    except ImportError:
        shared_cache = None
    if shared_cache is not None:
        return shared_cache(texts, encode, model_id=model_id, kind=kind, cache_dir=cache_dir)
    folder = cache_dir / hashlib.sha256(model_id.encode()).hexdigest()[:16] / kind
    folder.mkdir(parents=True, exist_ok=True)
    keys = [hashlib.sha256(f"{model_id}\0{kind}\0{t}".encode()).hexdigest() for t in texts]
    todo = sorted({i for i, key in enumerate(keys) if not (folder / f"{key}.npy").exists()})
    for start in range(0, len(todo), 16):
        batch = todo[start : start + 16]
        for i, vector in zip(
            batch, np.asarray(encode([texts[i] for i in batch]), dtype=np.float32), strict=True
        ):
            tmp = folder / f"{keys[i]}.tmp.npy"
            np.save(tmp, vector)
            os.replace(tmp, folder / f"{keys[i]}.npy")
    return np.stack([np.load(folder / f"{key}.npy") for key in keys]).astype(np.float32)


class DenseSystem:
    """An encoder's vectors, inner product; passages truncated to ``max_chars``; vectors cached on disk."""

    def __init__(
        self,
        encoder: object,
        *,
        name: str | None = None,
        cache_dir: Path = DEFAULT_CACHE,
        max_chars: int = DEFAULT_MAX_CHARS,
        batch_size: int = 16,
    ) -> None:
        self.encoder = encoder
        self.name = name or f"dense:{encoder.model_id}"  # type: ignore[attr-defined]
        self.cache_dir = cache_dir
        self.max_chars = max_chars
        self.batch_size = batch_size
        self.doc_vectors_: np.ndarray | None = None

    @property
    def model_id(self) -> str:
        """The encoder's model id (weights and backend)."""
        return str(self.encoder.model_id)  # type: ignore[attr-defined]

    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        method = self.encoder.encode_passages if kind == "passage" else self.encoder.encode_queries  # type: ignore[attr-defined]
        return cached_encode(
            texts,
            lambda batch: method(batch, batch_size=self.batch_size),
            model_id=self.model_id,
            kind=kind,
            cache_dir=self.cache_dir,
        )

    def fit(self, docs: Sequence[RetrievalDoc]) -> None:
        """Encode the (truncated) documents."""
        self.doc_vectors_ = self._encode([doc_text(d)[: self.max_chars] for d in docs], "passage")

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """Inner products of unit query and document vectors."""
        assert self.doc_vectors_ is not None, "fit first"
        return self._encode(list(queries), "query") @ self.doc_vectors_.T


def zscore_rows(scores: np.ndarray) -> np.ndarray:
    """Standardise each row (query) to mean 0, standard deviation 1 (a constant row becomes 0)."""
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return np.where(std > 0, (scores - mean) / np.where(std > 0, std, 1.0), 0.0)


def rrf_rows(scores: np.ndarray, k: int = 60) -> np.ndarray:
    """Reciprocal-rank score 1 / (k + rank) of each document in each row (Cormack et al. 2009)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(scores.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, scores.shape[1] + 1)[None, :]
    return 1.0 / (k + ranks)


class HybridSystem:
    """Fusion of parts' score matrices: weighted z-score sum (default) or reciprocal-rank fusion."""

    def __init__(
        self,
        parts: Sequence[RetrievalSystem],
        *,
        method: str = "zscore",
        weights: Sequence[float] | None = None,
        name: str | None = None,
    ) -> None:
        if method not in ("zscore", "rrf"):
            raise ValueError(f"fusion method must be 'zscore' or 'rrf', got {method!r}")
        self.parts = list(parts)
        self.method = method
        self.weights = list(weights) if weights is not None else [1.0] * len(self.parts)
        self.name = name or f"hybrid-{method}(" + "+".join(p.name for p in self.parts) + ")"

    def fit(self, docs: Sequence[RetrievalDoc]) -> None:
        """Fit every part (parts already fitted on the same docs are fitted again cheaply from caches)."""
        for part in self.parts:
            part.fit(docs)

    def fuse(self, part_scores: Sequence[np.ndarray]) -> np.ndarray:
        """Fuse the parts' score matrices."""
        normalise = zscore_rows if self.method == "zscore" else rrf_rows
        return sum(w * normalise(s) for w, s in zip(self.weights, part_scores, strict=True))  # type: ignore[return-value]

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """Fused scores."""
        return self.fuse([part.scores(queries) for part in self.parts])


@dataclass(frozen=True)
class Ranking:
    """Ranked doc ids (best first, cut at ``depth``) per query, from one system's scores."""

    system: str
    ids: tuple[tuple[str, ...], ...]


def rank(scores: np.ndarray, docids: Sequence[str], depth: int = 100) -> tuple[tuple[str, ...], ...]:
    """Top ``depth`` doc ids of each row, best first (ties broken by document order)."""
    depth = min(depth, scores.shape[1])
    top = (
        np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
        if depth < scores.shape[1]
        else np.tile(np.arange(scores.shape[1]), (scores.shape[0], 1))
    )
    out = []
    for row, candidates in enumerate(top):
        order = candidates[np.lexsort((candidates, -scores[row, candidates]))]
        out.append(tuple(docids[i] for i in order))
    return tuple(out)


@dataclass(frozen=True)
class BuiltSystems:
    """Systems to compare, the served one's name, and the model versions they ran with."""

    systems: tuple[RetrievalSystem, ...]
    served: str
    versions: dict[str, object]


SYSTEM_NAMES = ("bm25", "tfidf-char", "tfidf-jieba", "dense", "hybrid", "hybrid-rrf")


def build_systems(
    names: Sequence[str],
    *,
    backends: Sequence[str],
    models: str = "active",
    models_dir: Path | None = None,
    max_chars: int | None = None,
    cache_dir: Path = DEFAULT_CACHE,
) -> BuiltSystems:
    """Build the named systems; ``dense`` expands to every (model version × backend) asked for.

    The served system is ``hybrid`` (BM25 + the active model on the first backend) when asked
    for, else the first system.
    """
    unknown = [n for n in names if n not in SYSTEM_NAMES]
    if unknown:
        raise ValueError(f"unknown system {unknown[0]!r}; valid systems: {', '.join(SYSTEM_NAMES)}")
    systems: list[RetrievalSystem] = []
    lexical = BM25System() if {"bm25", "hybrid", "hybrid-rrf"} & set(names) else None
    if "bm25" in names and lexical is not None:
        systems.append(lexical)
    for analyzer in ("char", "jieba"):
        if f"tfidf-{analyzer}" in names:
            systems.append(TfidfSystem(analyzer))
    versions: dict[str, object] = {}
    dense: list[DenseSystem] = []
    if {"dense", "hybrid", "hybrid-rrf"} & set(names):
        from models.factory import make_encoder
        from models.registry import ModelRegistry

        registry = ModelRegistry(models_dir) if models_dir is not None else None
        active = registry.active().version if registry is not None else "active"
        if models == "active":
            wanted = [active]
        elif models == "all":
            wanted = [v.version for v in registry.versions()] if registry is not None else [active]
        else:
            wanted = [m.strip() for m in models.split(",") if m.strip()]
        versions = {"model_version": active, "model_versions": wanted, "encoder_backends": list(backends)}
        for version in wanted:
            for backend in backends:
                encoder = make_encoder(backend, version, models_dir)
                dense.append(
                    DenseSystem(
                        encoder,
                        name=f"dense:{version}@{backend}",
                        cache_dir=cache_dir,
                        max_chars=max_chars or DEFAULT_MAX_CHARS,
                    )
                )
        if "dense" in names:
            systems.extend(dense)
    served_dense = dense[0] if dense else None
    served = systems[0].name if systems else ""
    if lexical is not None and served_dense is not None:
        for method, label in (("zscore", "hybrid"), ("rrf", "hybrid-rrf")):
            if label in names:
                systems.append(_served_hybrid(lexical, served_dense, method=method, name=label))
        if "hybrid" in names:
            served = "hybrid"
    if not systems:
        raise ValueError("no system to run; name at least one of " + ", ".join(SYSTEM_NAMES))
    return BuiltSystems(tuple(systems), served, versions)


def _served_hybrid(
    lexical: RetrievalSystem, dense: RetrievalSystem, *, method: str, name: str
) -> HybridSystem:
    """Return the served fusion of BM25 and dense (weights as the matcher serves them, when it says)."""
    return HybridSystem([lexical, dense], method=method, name=name)
