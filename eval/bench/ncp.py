"""The NCP policy questions, scored offline: BM25 per analyzer and dense chunks per document, once per run.

The set (``../shared/data/retrieval/ncp_policies``) is evaluation-only and never
shipped. Its questions are split by answering document into a tuning half and a
test half (:func:`split_by_document`); :mod:`eval.bench.ncp_eval` chooses fusion
weights on the tuning half and reports every system on the test half.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matcher.fusion import FusionConfig, normalise, ranks, rrf
from matcher.lexical import BM25Index
from matcher.passages import PassageIndex
from matcher.retrieval import RetrievalConfig, chunk_text
from matcher.text import strip_question_words
from models.encoder import Encoder

# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NcpSet:
    """The NCP documents and questions (each question answered by one document)."""

    doc_ids: tuple[str, ...]
    doc_texts: tuple[str, ...]
    questions: tuple[str, ...]
    answers: tuple[str, ...]


def load_ncp(folder: Path) -> NcpSet:
    """Read ``docs.jsonl`` and ``dev_queries.jsonl`` of the NCP retrieval set."""
    folder = Path(folder)
    docs = [
        json.loads(line) for line in (folder / "docs.jsonl").read_text(encoding="utf-8").splitlines() if line
    ]
    queries = [
        json.loads(line)
        for line in (folder / "dev_queries.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    return NcpSet(
        tuple(d["docid"] for d in docs),
        tuple(d["text"] for d in docs),
        tuple(q["question"] for q in queries),
        tuple(q["docid"] for q in queries),
    )


def split_by_document(answers: Sequence[str], salt: str = "policymatch") -> tuple[np.ndarray, np.ndarray]:
    """Split questions into tuning and test indices: a question goes where the hash of its document puts it."""
    in_test = np.array(
        [int(hashlib.sha256(f"{salt}:{doc}".encode()).hexdigest(), 16) % 2 == 1 for doc in answers],
        dtype=bool,
    )
    return np.flatnonzero(~in_test), np.flatnonzero(in_test)


# --- metrics (a question has exactly one relevant document) -------------------------------------


@dataclass(frozen=True)
class SystemScore:
    """Recall@k and MRR of one system on one set of questions (plus recall@10 / MRR on the tuning half)."""

    name: str
    recall_at_1: float
    recall_at_10: float
    recall_at_50: float
    mrr: float
    n_questions: int
    tune_recall_at_10: float = float("nan")
    tune_mrr: float = float("nan")


def score_system(name: str, found_ranks: Sequence[int]) -> SystemScore:
    """Summarise 1-based ranks of the relevant document (0 = not found) as recall@1/10/50 and MRR."""
    r = np.asarray(found_ranks, dtype=np.float64)
    hit = r > 0
    return SystemScore(
        name,
        float(np.mean(hit & (r <= 1))),
        float(np.mean(hit & (r <= 10))),
        float(np.mean(hit & (r <= 50))),
        float(np.mean(np.where(hit, 1.0 / np.maximum(r, 1), 0.0))),
        len(r),
    )


# --- offline scoring of the whole set -----------------------------------------------------------


ANALYZER_LABELS = {
    "words": "BM25, jieba words",
    "bigrams": "BM25, character bigrams",
    "words+bigrams": "BM25, jieba words + character bigrams",
}
SERVABLE_ANALYZERS = ("words", "words+bigrams")
ALL_CHUNKS = 40  # 40 × 480 characters cover the longest NCP document (the retriever allows up to 64)
# Dense over overlapping windows covering the whole text: characters, stride, most windows (64 × 200
# characters reach 12,900, past all but the longest NCP documents). ``WINDOWS`` stands for it where
# the number of 480-character chunks is asked for.
WINDOW_CHUNKING = (300, 200, 64)
WINDOWS = -1
# Passage BM25 settings tried: sentences merged to at least this many characters (0: single sentences).
PASSAGE_CHARS = (0, 80, 200)
PASSAGE_WEIGHTS = (0.1, 0.2, 0.3, 0.5)


def passages_label(chars: int) -> str:
    """Name a passage setting in the report."""
    return "single sentences" if chars == 0 else f"sentences merged to ≥ {chars} characters"


@dataclass(frozen=True)
class NcpScores:
    """Per question: BM25 of every document per analyzer and the dense cosine of every document's chunks."""

    analyzers: tuple[str, ...]
    bm25: np.ndarray  # (analyzers, questions, docs)
    chunk_dense: np.ndarray  # (questions, docs, max_chunks), -inf where a document has fewer chunks
    relevant: np.ndarray  # (questions,) row of the answering document
    passage_chars: tuple[int, ...] = ()
    passage: np.ndarray | None = None  # (settings, questions, docs): best passage BM25, words + bigrams
    window_dense: np.ndarray | None = None  # (questions, docs): best window (``WINDOW_CHUNKING``)

    def lexical(self, analyzer: str, passage_chars: int = 0, passage_weight: float = 0.0) -> np.ndarray:
        """Return the (questions, docs) BM25 matrix of one analyzer, plus ``passage_weight`` × best passage BM25."""
        doc = self.bm25[self.analyzers.index(analyzer)]
        if not passage_weight:
            return doc
        return doc + passage_weight * self.best_passage(passage_chars)

    def best_passage(self, passage_chars: int) -> np.ndarray:
        """Return the (questions, docs) matrix of each document's best passage BM25 (words + bigrams)."""
        if self.passage is None:
            raise LookupError("no passage scores were computed")
        return self.passage[self.passage_chars.index(passage_chars)]

    def dense(self, n_chunks: int) -> np.ndarray:
        """Return the (questions, docs) dense matrix with each document's first ``n_chunks`` chunks, max-pooled.

        ``WINDOWS`` gives the best of the overlapping windows of ``WINDOW_CHUNKING`` instead.
        """
        if n_chunks == WINDOWS:
            if self.window_dense is None:
                raise LookupError("no window scores were computed")
            return self.window_dense
        return self.chunk_dense[:, :, :n_chunks].max(axis=2)


def score_ncp(
    data: NcpSet,
    encoder: Encoder,
    *,
    analyzers: Sequence[str] = tuple(ANALYZER_LABELS),
    chunk_chars: int = 480,
    max_chunks: int = ALL_CHUNKS,
    passage_chars: Sequence[int] = PASSAGE_CHARS,
) -> NcpScores:
    """BM25 (per analyzer), best passage BM25 and dense scores of every (question, document) pair."""
    bm25 = []
    for analyzer in analyzers:
        lexical = BM25Index(analyzer=analyzer).fit(list(data.doc_ids), list(data.doc_texts))
        bm25.append(np.stack([lexical.score_rows(q)[0] for q in data.questions]))
    passage = []
    for chars in passage_chars:
        passage_index = PassageIndex(min_chars=chars)
        passage_index.add(list(data.doc_ids), list(data.doc_texts))
        column = {doc: i for i, doc in enumerate(passage_index.best_scores("")[0])}
        order = np.array([column[doc] for doc in data.doc_ids])
        passage.append(np.stack([passage_index.best_scores(q)[1][order] for q in data.questions]))
    chunks = [chunk_text(t, chunk_chars, max_chunks) for t in data.doc_texts]
    flat = [c for doc in chunks for c in doc]
    owner = np.repeat(np.arange(len(chunks)), [len(c) for c in chunks])
    position = np.concatenate([np.arange(len(c)) for c in chunks])
    passages = encoder.encode_passages(flat)
    queries = encoder.encode_queries(list(data.questions))
    cos = queries @ passages.T
    chunk_dense = np.full((len(queries), len(chunks), max_chunks), -np.inf, dtype=np.float32)
    chunk_dense[:, owner, position] = cos
    width, stride, most = WINDOW_CHUNKING
    windows = [chunk_text(t, width, most, stride) for t in data.doc_texts]
    window_owner = np.repeat(np.arange(len(windows)), [len(w) for w in windows])
    window_cos = queries @ encoder.encode_passages([w for doc in windows for w in doc]).T
    window_dense = np.full((len(queries), len(windows)), -np.inf, dtype=np.float32)
    for doc_row in range(len(windows)):
        window_dense[:, doc_row] = window_cos[:, window_owner == doc_row].max(axis=1)
    row = {doc: i for i, doc in enumerate(data.doc_ids)}
    return NcpScores(
        tuple(analyzers),
        np.stack(bm25),
        chunk_dense,
        np.array([row[a] for a in data.answers]),
        tuple(passage_chars),
        np.stack(passage) if passage else None,
        window_dense,
    )


def bm25_parameter_grid(
    data: NcpSet,
    rows: np.ndarray,
    *,
    analyzer: str = "words+bigrams",
    k1_values: Sequence[float] = (0.8, 1.2, 1.6, 2.0),
    b_values: Sequence[float] = (0.5, 0.75, 0.9),
) -> list[tuple[float, float, SystemScore]]:
    """Recall@10 / MRR of BM25 for each (k1, b) on the questions ``rows`` (the tuning half)."""
    tokenizer = BM25Index(analyzer=analyzer).tokenizer
    doc_tokens = [tokenizer(t) for t in data.doc_texts]
    query_tokens = [tokenizer(strip_question_words(data.questions[i])) for i in rows]
    row_of = {doc: i for i, doc in enumerate(data.doc_ids)}
    relevant = np.array([row_of[data.answers[i]] for i in rows])
    out = []
    for k1 in k1_values:
        for b in b_values:
            index = BM25Index(k1=k1, b=b, tokenizer=str.split)
            index.add_tokens(list(data.doc_ids), doc_tokens)
            matrix = np.stack([index.score_rows(q)[0] for q in query_tokens])
            out.append((k1, b, score_system(f"k1={k1:g} b={b:g}", single_ranks(matrix, relevant))))
    return out


def config_of(picked: tuple[str, int, int, FusionConfig], pool: int) -> RetrievalConfig:
    """Return the ``RetrievalConfig`` of one grid entry (analyzer, passage characters, chunking, fusion)."""
    analyzer, chars, n_chunks, fusion = picked
    if n_chunks == WINDOWS:
        width, stride, most = WINDOW_CHUNKING
        return RetrievalConfig(
            fusion=fusion,
            candidates=pool,
            chunk_chars=width,
            chunk_stride=stride,
            max_chunks=most,
            analyzer=analyzer,
            passage_chars=chars,
        )
    return RetrievalConfig(
        fusion=fusion,
        candidates=pool,
        chunk_chars=480,
        chunk_stride=0,
        max_chunks=n_chunks,
        analyzer=analyzer,
        passage_chars=chars,
    )


def dense_key(config: RetrievalConfig, measured_chunks: int = ALL_CHUNKS) -> int:
    """Return the ``NcpScores.dense`` key of a chunking: ``WINDOWS`` or a number of 480-character chunks."""
    if (config.chunk_chars, config.chunk_stride, config.max_chunks) == WINDOW_CHUNKING:
        return WINDOWS
    if config.chunk_chars == 480 and config.chunk_stride in (0, 480):
        return min(config.max_chunks, measured_chunks)
    raise LookupError(f"the chunking of {config} was not measured on the NCP set")


def chunks_label(n_chunks: int) -> str:
    """Name a dense chunking in the report."""
    if n_chunks == WINDOWS:
        width, stride, most = WINDOW_CHUNKING
        return f"windows of {width} characters every {stride} over the whole text (≤ {most}), best one"
    if n_chunks >= ALL_CHUNKS:
        return "every 480-character chunk, best one"
    return "first 480 characters" if n_chunks == 1 else f"first {n_chunks} chunks of 480 characters, best one"


def fused_ranks(
    bm25: np.ndarray, dense: np.ndarray, relevant: np.ndarray, config: FusionConfig, pool: int
) -> list[int]:
    """Rank of the relevant document per question when the union of each part's top ``pool`` is fused."""
    out = []
    for q in range(len(bm25)):
        top_b = np.argsort(-bm25[q], kind="stable")[:pool]
        top_d = np.argsort(-dense[q], kind="stable")[:pool]
        candidates = np.array(list(dict.fromkeys([*top_b.tolist(), *top_d.tolist()])))
        if config.method == "rrf":
            # RRF ranks within each part's own list; a candidate missing from a list gets no term.
            b_rank = np.where(np.isin(candidates, top_b), ranks(bm25[q][candidates]), 0)
            d_rank = np.where(np.isin(candidates, top_d), ranks(dense[q][candidates]), 0)
            total = config.bm25_weight * rrf(b_rank, config.rrf_k) + config.dense_weight * rrf(
                d_rank, config.rrf_k
            )
        else:
            total = config.bm25_weight * normalise(
                bm25[q][candidates], config.method
            ) + config.dense_weight * normalise(dense[q][candidates], config.method)
        where = np.flatnonzero(candidates == relevant[q])
        if not len(where):
            out.append(0)
            continue
        order = np.lexsort((np.arange(len(candidates)), -total))
        out.append(int(np.flatnonzero(order == where[0])[0]) + 1)
    return out


def single_ranks(scores: np.ndarray, relevant: np.ndarray) -> list[int]:
    """Rank of the relevant document per question under one score matrix."""
    return [int((s > s[r]).sum()) + 1 for s, r in zip(scores, relevant, strict=True)]


@dataclass(frozen=True)
class NcpReport:
    """Every system on the test half, the chosen fusion, and the served retriever's own numbers."""

    systems: tuple[SystemScore, ...]
    chosen: RetrievalConfig
    reverse_chosen: RetrievalConfig
    two_fold: tuple[SystemScore, ...]
    served_config: RetrievalConfig
    bm25_grid: tuple[tuple[float, float, SystemScore], ...]
    served: SystemScore
    served_parts: tuple[SystemScore, ...]
    n_tune: int
    n_test: int
    build_seconds: float
    query_ms_p50: float
    served_ablation: tuple[SystemScore, ...] = ()
