"""``HybridRetriever``: BM25 + dense vectors (+ tag overlap from the caller), fused, with each part's score.

Documents are string ids. Each document's text is encoded as up to
``max_chunks`` windows of ``chunk_chars`` characters, one every ``chunk_stride``
(long policy texts do not fit one 512-token vector, and a question is usually
about one part of the text) and its dense score is the best of its windows.
BM25 scores the whole text and, when ``fusion.passage_weight`` > 0, each of its
sentences (``matcher.lexical.PassageIndex``), the best sentence's score adding
to the document's. A search takes the union of each part's top candidates among
the allowed ids, scores every candidate on every part exactly (BM25 from its
postings, dense by an exact scan of the candidates' chunks) and fuses them with
``matcher.fusion``. Add, remove and update change every index in place.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from matcher.fusion import FusionConfig, PartScores, fuse, log_windows
from matcher.index_versions import IndexIntegrityError, write_json_durable
from matcher.lexical import BM25Index, LexicalIndex, check_new_ids
from matcher.passages import PassageIndex, split_each
from matcher.vector_index import VectorIndex, load_vector_index, make_vector_index
from models.encoder import Encoder

FORMAT = "policymatch-hybrid/1"
# Vector id of chunk c of the document in slot s: s * CHUNK_STRIDE + c.
CHUNK_STRIDE = 64


@dataclass(frozen=True)
class Hit:
    """One retrieved document: fused score and each part's raw score (``score_breakdown``)."""

    id: str
    score: float
    bm25: float
    dense: float
    tags: float
    passage: float = 0.0  # BM25 of the document's best passage (0 when the retriever keeps no passages)

    def to_dict(self) -> dict[str, float | str]:
        """Return the hit as JSON-ready values."""
        return asdict(self)


# The listwise weights, in ``LISTWISE_FEATURES`` order, fitted by ``python -m eval.fusion_logistic`` on the
# training sides of NCP and msgabench_qa (rounded to 4 places; the figures in ``fusion-listwise`` are these).
SERVED_FUSION = FusionConfig(
    "zscore",
    tags_weight=1.0,
    passage_weight=0.3,
    listwise=(0.4463, 2.1386, 0.1787, -0.5356, 0.0188, -1.0028, -0.0061, -0.2961, 0.51),
)


@dataclass(frozen=True)
class RetrievalConfig:
    """Chunking, candidate pool, BM25 analyzer and fusion of a ``HybridRetriever``.

    Analyzer, passages and windows measured on the NCP questions with the served ONNX int8 encoder
    (``docs/benchmarks.md``, section ``retrieval``), on the tuning half only: jieba words + character
    bigrams with question words dropped from queries; plus 0.3 × the BM25 of the document's best
    single sentence (passage evidence); dense over windows of 300 characters every 200 across the
    whole text, best window. The fusion is fitted on the training sides of *two* real sets at once,
    NCP and msgabench_qa (``python -m eval.fusion_logistic``; section ``fusion-listwise``): a listwise
    linear model (``matcher.fusion.LISTWISE_FEATURES``) over the z-scored parts, each part's top-two
    margin and the log of the candidate's number of dense windows — dense leads on short answer
    passages and defers on long policies read window by window, and to BM25 where BM25 singles one
    document out. It is at least as good as each of its parts on both test sides, recall@10 and MRR;
    the best of 348 hand-weighted fusions before it (``eval.fusion_choice``, dense 3 × exp(−1.5 ×
    BM25's top-two margin)) trailed BM25 on NCP's test side by 0.016 recall@10.
    """

    fusion: FusionConfig = field(default_factory=lambda: SERVED_FUSION)
    candidates: int = 100
    chunk_chars: int = 300
    max_chunks: int = 64
    analyzer: str = "words+bigrams"
    # Characters from one chunk's start to the next (0: ``chunk_chars``, no overlap).
    chunk_stride: int = 200
    # Passages for the passage BM25 (``matcher.lexical.split_passages``): sentences merged to this many
    # characters (0: single sentences); kept only when ``fusion.passage_weight`` > 0.
    passage_chars: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.max_chunks <= CHUNK_STRIDE:
            raise ValueError(f"max_chunks must be between 1 and {CHUNK_STRIDE}, got {self.max_chunks}")
        if self.passage_chars < 0:
            raise ValueError(f"passage_chars must not be negative, got {self.passage_chars}")
        if not 0 <= self.chunk_stride <= self.chunk_chars:
            raise ValueError(
                f"chunk_stride must be between 0 (no overlap) and chunk_chars {self.chunk_chars}, got {self.chunk_stride}"
            )


def chunk_text(text: str, chunk_chars: int = 480, max_chunks: int = 4, stride: int = 0) -> list[str]:
    """Windows of ``chunk_chars`` characters starting every ``stride`` (0: ``chunk_chars``), at most ``max_chunks``.

    Windows stop once one reaches the end of ``text``, so the last window may be shorter and no
    window lies wholly inside the one before it.
    """
    step = stride or chunk_chars
    if chunk_chars <= 0 or max_chunks <= 0 or not 0 < step <= chunk_chars:
        raise ValueError("chunk_chars and max_chunks must be positive and stride at most chunk_chars")
    starts = [0]
    while len(starts) < max_chunks and starts[-1] + chunk_chars < len(text):
        starts.append(starts[-1] + step)
    return [text[start : start + chunk_chars] for start in starts]


class HybridRetriever:
    """Lexical + dense retrieval over one collection of documents (policy items or enterprises)."""

    def __init__(
        self,
        encoder: Encoder,
        *,
        lexical: LexicalIndex | None = None,
        vectors: VectorIndex | None = None,
        config: RetrievalConfig | None = None,
        passages: PassageIndex | None = None,
    ) -> None:
        self.encoder = encoder
        self.config = config or RetrievalConfig()
        self.lexical: LexicalIndex = (
            lexical if lexical is not None else BM25Index(analyzer=self.config.analyzer)
        )
        self.passages = passages
        if passages is None and self.config.fusion.passage_weight > 0:
            self.passages = PassageIndex(min_chars=self.config.passage_chars, analyzer=self.config.analyzer)
        self.vectors = (
            vectors
            if vectors is not None
            else make_vector_index("faiss", dim=encoder.dim, model_id=encoder.model_id)
        )
        if self.vectors.dim != encoder.dim:
            raise ValueError(f"vector index has dimension {self.vectors.dim}, the encoder {encoder.dim}")
        self._slots: dict[str, int] = {}
        self._chunks: dict[int, int] = {}  # slot -> number of chunk vectors
        self._doc_of_slot: dict[int, str] = {}
        self._next_slot = 0
        self._lock = threading.RLock()

    # ---- contents
    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._slots

    @property
    def ids(self) -> list[str]:
        """The document ids held."""
        return list(self._slots)

    def chunk_vectors(self, doc_ids: Sequence[str]) -> list[np.ndarray]:
        """Each held document's window vectors (one read of the vector index for all of them)."""
        with self._lock:
            counts = [self._chunks.get(self._slots.get(d, -1), 0) for d in doc_ids]
            read = self.vectors.reconstruct(self.chunk_ids(doc_ids))
        bounds = np.cumsum([0, *counts])
        return [read[bounds[n] : bounds[n + 1]] for n in range(len(doc_ids))]

    def reconcile(self) -> tuple[int, int]:
        """Drop documents whose window vectors are gone and vectors no document owns; returns (documents, vectors).

        Vectors kept outside a saved version (a Milvus collection changed in place after the
        build) may disagree with the version's id map; FAISS files never do.
        """
        with self._lock:
            present = set(self.vectors.ids().tolist())
            expected: set[int] = set()
            stale = []
            for doc_id in self.ids:
                chunk_ids = self.chunk_ids([doc_id]).tolist()
                expected.update(chunk_ids)
                if not present.issuperset(chunk_ids):
                    stale.append(doc_id)
            orphans = sorted(present - expected)
            if orphans:
                self.vectors.remove(orphans)
            if stale:
                self.remove(stale)
            return len(stale), len(orphans)

    def windows(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Each document's number of dense windows (0 for one not held): what a listwise fusion reads."""
        with self._lock:
            return np.array([self._chunks.get(self._slots.get(d, -1), 0) for d in doc_ids], dtype=np.float64)

    def chunk_ids(self, doc_ids: Iterable[str]) -> np.ndarray:
        """Vector ids of the held documents' windows, document by document (unknown ids give none)."""
        out: list[int] = []
        for doc_id in doc_ids:
            slot = self._slots.get(doc_id)
            if slot is not None:
                base = slot * CHUNK_STRIDE
                out.extend(range(base, base + self._chunks[slot]))
        return np.asarray(out, dtype=np.int64)

    def add(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Add new documents to both indexes (an id already present raises ``ValueError``)."""
        with self._lock:
            check_new_ids(ids, len(texts), self._slots, "retriever")
            config = self.config
            chunk_texts, counts = split_each(
                texts,
                lambda text: chunk_text(text, config.chunk_chars, config.max_chunks, config.chunk_stride),
            )
            chunk_ids = [
                (self._next_slot + offset) * CHUNK_STRIDE + j
                for offset, n in enumerate(counts)
                for j in range(n)
            ]
            vectors = (
                self.encoder.encode_passages(chunk_texts)
                if chunk_texts
                else np.zeros((0, self.encoder.dim), np.float32)
            )
            # Vectors first: if encoding or FAISS fails, BM25 and the id map stay unchanged.
            self.vectors.add(np.asarray(chunk_ids, dtype=np.int64), vectors)
            self.lexical.add(ids, texts)
            if self.passages is not None:
                self.passages.add(ids, texts)
            for offset, (doc_id, count) in enumerate(zip(ids, counts, strict=True)):
                slot = self._next_slot + offset
                self._slots[doc_id] = slot
                self._doc_of_slot[slot] = doc_id
                self._chunks[slot] = count
            self._next_slot += len(ids)

    def remove(self, ids: Iterable[str]) -> int:
        """Remove documents from both indexes (unknown ids are ignored); returns how many were removed."""
        with self._lock:
            doomed = [i for i in dict.fromkeys(ids) if i in self._slots]
            self.vectors.remove(self.chunk_ids(doomed))
            self.lexical.remove(doomed)
            if self.passages is not None:
                self.passages.remove(doomed)
            for doc_id in doomed:
                slot = self._slots.pop(doc_id)
                self._chunks.pop(slot)
                self._doc_of_slot.pop(slot)
            return len(doomed)

    def update(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Replace (or add) documents: their new text is what the next search sees."""
        with self._lock:
            self.remove(ids)
            self.add(ids, texts)

    # ---- search
    def query_terms(self, query_text: str) -> str | list[str]:
        """Return the query as both BM25 indexes read it: tokens once when they share the analyzer, else the text."""
        if self.query_analyzer() is not None:
            return self.lexical.query_tokens(query_text)
        return query_text

    def query_analyzer(self) -> tuple[str, bool] | None:
        """(analyzer, question words dropped) when :meth:`query_terms` gives tokens, None when it gives the text."""
        if self.passages is None:
            return None
        passage_index = self.passages.index
        if (passage_index.analyzer, passage_index.query_stopwords) == (
            self.lexical.analyzer,
            self.lexical.query_stopwords,
        ) and self.lexical.analyzer != "custom":
            return self.lexical.analyzer, self.lexical.query_stopwords
        return None

    def part_scores(
        self,
        query_text: str,
        query_vector: np.ndarray,
        doc_ids: Sequence[str],
        tag_scores: Mapping[str, float] | None = None,
    ) -> PartScores:
        """Score every part exactly on ``doc_ids`` (unheld ones score 0): what :func:`fuse` ranks."""
        with self._lock:
            held = [d for d in doc_ids if d in self._slots]
            query = self.query_terms(query_text)
            bm25 = self.lexical.scores_for(query, doc_ids)
            passage = None
            if self.passages is not None:
                passage_ids, best = self.passages.best_scores(query)
                of = dict(zip(passage_ids, best.tolist(), strict=True))
                passage = np.array([of.get(d, 0.0) for d in doc_ids], dtype=np.float64)
            dense_of = dict(zip(held, self._dense_scores(query_vector, held).tolist(), strict=True))
        dense = np.array([dense_of.get(d, 0.0) for d in doc_ids], dtype=np.float64)
        tags = None if tag_scores is None else np.array([float(tag_scores.get(d, 0.0)) for d in doc_ids])
        return PartScores(
            np.asarray(bm25, dtype=np.float64), passage, dense, tags, log_windows(self.windows(doc_ids))
        )

    def search(
        self,
        query_text: str,
        k: int = 10,
        allowed_ids: Iterable[str] | None = None,
        tag_scores: Mapping[str, float] | None = None,
    ) -> list[Hit]:
        """Return the ``k`` best documents for ``query_text`` among ``allowed_ids`` (all when None), best first.

        ``tag_scores`` (document id → tag overlap in [0, 1]) is the caller's third part of the fusion.
        """
        query_vector = self.encoder.encode_queries([query_text])
        return self.search_vector(query_text, query_vector, k, allowed_ids, tag_scores)

    def search_vector(
        self,
        query_text: str,
        query_vector: np.ndarray,
        k: int = 10,
        allowed_ids: Iterable[str] | None = None,
        tag_scores: Mapping[str, float] | None = None,
    ) -> list[Hit]:
        """``search`` with the query already encoded (one row)."""
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        pool = max(self.config.candidates, k)
        with self._lock:
            allowed = (
                None if allowed_ids is None else [i for i in dict.fromkeys(allowed_ids) if i in self._slots]
            )
            if not self._slots or allowed == []:
                return []
            chunk_filter = None if allowed is None else self.chunk_ids(allowed)
            dense_hits = self.vectors.search(query_vector, pool * 2, allowed_ids=chunk_filter)
            dense_ids = list(
                dict.fromkeys(self._doc_of_slot[int(v) // CHUNK_STRIDE] for v in dense_hits.ids[0] if v >= 0)
            )
            passage_of: dict[str, float] = {}
            passage_ids: list[str] = []
            query = self.query_terms(query_text)
            if self.passages is not None:
                # The passage part nominates its own top documents, as the other two parts do.
                doc_ids, best = self.passages.best_scores(query)
                if allowed is not None:
                    keep = set(allowed)
                    best = np.where([d in keep for d in doc_ids], best, 0.0)
                top = np.flatnonzero(best > 0)
                top = top[np.lexsort((top, -best[top]))][:pool]
                passage_ids = [doc_ids[i] for i in top]
                passage_of = dict(zip(doc_ids, best.tolist(), strict=True))
            others = list(dict.fromkeys([*dense_ids, *passage_ids]))
            # One BM25 pass gives the lexical top and the BM25 of the other parts' candidates.
            lexical, other_bm25 = self.lexical.search_and_score(query, pool, others, allowed)
            bm25_of = dict(zip(others, other_bm25.tolist(), strict=True))
            bm25_of.update(zip(lexical.ids, lexical.scores.tolist(), strict=True))
            candidates = list(dict.fromkeys([*lexical.ids, *dense_ids, *passage_ids]))
            bm25 = np.array([bm25_of[c] for c in candidates], dtype=np.float64)
            passage = np.array([passage_of.get(c, 0.0) for c in candidates], dtype=np.float64)
            dense = self._dense_scores(query_vector, candidates)
        tags = np.array([float((tag_scores or {}).get(c, 0.0)) for c in candidates])
        parts = PartScores(
            bm25,
            passage if self.passages is not None else None,
            dense,
            tags,
            log_windows(self.windows(candidates)),
        )
        fused = fuse(parts, self.config.fusion)
        order = np.lexsort((np.arange(len(candidates)), -fused.total))[:k]
        return [
            Hit(
                candidates[i],
                float(fused.total[i]),
                float(bm25[i]),
                float(dense[i]),
                float(tags[i]),
                float(passage[i]),
            )
            for i in order
        ]

    def _dense_scores(self, query_vector: np.ndarray, doc_ids: Sequence[str]) -> np.ndarray:
        """Exact max-over-chunks cosine of each document (an exact scan of just their chunks)."""
        chunk_ids = self.chunk_ids(doc_ids)
        result = self.vectors.search(query_vector, len(chunk_ids), allowed_ids=chunk_ids)
        found = result.ids[0] >= 0
        slots = np.array([self._slots[d] for d in doc_ids], dtype=np.int64)
        order = np.argsort(slots, kind="stable")
        # Each found chunk's document, as a position in ``doc_ids`` (every found chunk is one of theirs).
        owner = order[np.searchsorted(slots[order], result.ids[0][found] // CHUNK_STRIDE)]
        best = np.full(len(doc_ids), -np.inf)
        np.maximum.at(best, owner, result.scores[0][found].astype(np.float64))
        return np.where(np.isfinite(best), best, 0.0)

    # ---- persistence
    def save(self, folder: Path) -> Path:
        """Write ``lexical/``, ``vectors/`` and ``retriever.json`` (id map, chunking, fusion) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self.lexical.save(folder / "lexical")
            self.vectors.save(folder / "vectors")
            if self.passages is not None:
                self.passages.save(folder / "passages")
            write_json_durable(
                folder / "retriever.json",
                {
                    "format": FORMAT,
                    "model_id": self.encoder.model_id,
                    "slots": self._slots,
                    "chunks": {str(s): n for s, n in self._chunks.items()},
                    "next_slot": self._next_slot,
                    "config": {
                        "fusion": asdict(self.config.fusion),
                        "candidates": self.config.candidates,
                        "chunk_chars": self.config.chunk_chars,
                        "max_chunks": self.config.max_chunks,
                        "chunk_stride": self.config.chunk_stride,
                        "analyzer": self.config.analyzer,
                        "passage_chars": self.config.passage_chars,
                    },
                },
            )
        return folder

    @classmethod
    def load(cls, folder: Path, encoder: Encoder, *, vectors: VectorIndex | None = None) -> HybridRetriever:
        """Read a retriever written by ``save`` (``vectors``: its vector index, already reopened); refuses another encoder's."""
        folder = Path(folder)
        path = folder / "retriever.json"
        if not path.exists():
            raise IndexIntegrityError(f"{path}: no retriever manifest (not a saved HybridRetriever)")
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise IndexIntegrityError(f"{path}: unknown format {data.get('format')!r}, expected {FORMAT}")
        if data["model_id"] != encoder.model_id:
            raise IndexIntegrityError(
                f"{folder}: index built with model {data['model_id']!r}, not the encoder's {encoder.model_id!r}; rebuild it"
            )
        raw = data["config"]
        config = RetrievalConfig(
            fusion=FusionConfig(**raw["fusion"]),
            candidates=raw["candidates"],
            chunk_chars=raw["chunk_chars"],
            max_chunks=raw["max_chunks"],
            chunk_stride=raw.get("chunk_stride", 0),
            analyzer=raw.get("analyzer", "words"),
            passage_chars=raw.get("passage_chars", RetrievalConfig.passage_chars),
        )
        passages_folder = folder / "passages"
        if config.fusion.passage_weight > 0 and not passages_folder.exists():
            raise IndexIntegrityError(
                f"{folder}: the fusion weights passages but no passage index was saved; rebuild it"
            )
        retriever = cls(
            encoder,
            lexical=BM25Index.load(folder / "lexical"),
            vectors=vectors if vectors is not None else load_vector_index(folder / "vectors"),
            config=config,
            passages=PassageIndex.load(passages_folder) if passages_folder.exists() else None,
        )
        retriever._slots = {str(k): int(v) for k, v in data["slots"].items()}
        retriever._doc_of_slot = {slot: doc_id for doc_id, slot in retriever._slots.items()}
        retriever._chunks = {int(k): int(v) for k, v in data["chunks"].items()}
        retriever._next_slot = int(data["next_slot"])
        return retriever
