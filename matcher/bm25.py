"""Lucene BM25 as pure numpy functions: idf, the term-frequency part, and one query's scores over a CSC matrix."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

# --- scoring formulas -------------------------------------------------------------------------
# Lucene's BM25 (BM25Similarity, Lucene ≥ 8), as written in Kamphuis, de Vries, Boytsov and Lin,
# "Which BM25 Do You Mean? A Large-Scale Reproducibility Study of Scoring Variants", ECIR 2020,
# table 1: idf = log(1 + (N - df + 0.5) / (df + 0.5)) (never negative) and the term-frequency part
# without the constant (k1 + 1) factor, which does not change the ranking.


def lucene_idf(doc_freq: np.ndarray, n_docs: int) -> np.ndarray:
    """Lucene's BM25 idf: ``log(1 + (N - df + 0.5) / (df + 0.5))`` (Kamphuis et al. 2020, table 1)."""
    df = np.asarray(doc_freq, dtype=np.float64)
    return np.log1p((n_docs - df + 0.5) / (df + 0.5))


def lucene_tf_weight(
    term_freq: np.ndarray, doc_len: np.ndarray, avg_doc_len: float, k1: float, b: float
) -> np.ndarray:
    """Lucene's BM25 term-frequency part: ``tf / (tf + k1 (1 - b + b·dl/avgdl))`` (Kamphuis et al. 2020)."""
    tf = np.asarray(term_freq, dtype=np.float64)
    norm = k1 * (1.0 - b + b * np.asarray(doc_len, dtype=np.float64) / max(avg_doc_len, 1e-9))
    return tf / (tf + norm)


class BM25Scores(NamedTuple):
    """BM25 of one query for every row, and the rows of its postings (with repeats)."""

    scores: np.ndarray
    rows: np.ndarray


def bm25_scores(
    query_terms: np.ndarray,
    query_counts: np.ndarray,
    term_doc: sp.csc_matrix,
    doc_len: np.ndarray,
    doc_freq: np.ndarray,
    n_docs: int,
    k1: float,
    b: float,
    tf_weights: np.ndarray | None = None,
) -> BM25Scores:
    """Lucene BM25 of one query against every row of the (docs × terms) frequency matrix ``term_doc``.

    A query term repeated ``c`` times counts ``c`` times, as Lucene's boolean query sums its clauses.
    ``tf_weights``, when given, is ``lucene_tf_weight`` of every stored posting (``term_doc.data``
    order) with these ``k1``, ``b`` and lengths, computed once per index state: the same numbers.
    ``rows`` are the rows of the query's postings (with repeats): every row that can score above 0.
    """
    n_rows = term_doc.shape[0]
    if len(query_terms) == 0 or n_docs == 0:
        return BM25Scores(np.zeros(n_rows, dtype=np.float32), np.zeros(0, dtype=np.int64))
    # The query's columns read straight from the CSC arrays, in query-term order (what ``term_doc[:, terms]``
    # returns, without scipy building a matrix: a third of a first request's lexical scoring).
    indptr = term_doc.indptr
    terms = np.asarray(query_terms)
    first, end = indptr[terms], indptr[terms + 1]
    spans = [slice(a, z) for a, z in zip(first.tolist(), end.tolist(), strict=True)]
    rows = np.concatenate([term_doc.indices[s] for s in spans])
    per_column = (end - first).astype(np.int64)
    idf = lucene_idf(doc_freq[query_terms], n_docs) * query_counts
    if tf_weights is not None:
        tf_part = np.concatenate([tf_weights[s] for s in spans])
    else:
        data = np.concatenate([term_doc.data[s] for s in spans])
        tf_part = lucene_tf_weight(data, doc_len[rows], float(doc_len.sum()) / n_docs, k1, b)
    weights = tf_part * np.repeat(idf, per_column)
    return BM25Scores(np.bincount(rows, weights=weights, minlength=n_rows).astype(np.float32), rows)
