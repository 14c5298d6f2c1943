"""BM25 speed: the own index against bm25s (Lucene variant) on the same tokens of the NCP documents."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from eval.bench.ncp import NcpSet
from matcher.lexical import BM25Index

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
