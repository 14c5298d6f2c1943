"""BM25 over jieba tokens: an incremental ``BM25Index`` (the formulas, pure, in :mod:`matcher.bm25`).

The index keeps raw term frequencies (a term-major scipy CSC matrix), not
precomputed weights, so adding or removing a document changes only counts:
document frequencies, the average length and therefore every score follow
exactly at the next search, with no refit. Scoring a query touches only the
postings of its terms (``lucene_idf`` × ``lucene_tf_weight`` over the
nonzeros, summed per document with ``np.bincount``). Measured against
``bm25s`` (same Lucene variant, same scores) in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Container, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np
import scipy.sparse as sp

from matcher.bm25 import bm25_scores, lucene_tf_weight
from matcher.index_versions import read_saved_index, sha256_file, write_json_durable

FORMAT = "policymatch-bm25/1"
MANIFEST = "manifest.json"


# --- the index ---------------------------------------------------------------------------------


def check_new_ids(
    ids: Sequence[str], n_texts: int, known: Container[str], where: str, what: str = "texts"
) -> None:
    """Raise ``ValueError`` unless there is one id per text and no id is in ``known`` or given twice."""
    if len(ids) != n_texts:
        raise ValueError(f"got {len(ids)} ids for {n_texts} {what}")
    present = [i for i in ids if i in known]
    if present or len(set(ids)) != len(ids):
        raise ValueError(f"document id already in the {where} or repeated: {(present or list(ids))[0]!r}")


class LexicalResults(NamedTuple):
    """Top documents of one query, best first."""

    ids: list[str]
    scores: np.ndarray


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def jieba_words(text: str) -> list[str]:
    """Tokenize with the domain jieba tokenizer (``matcher.text.tokenize``) with function words dropped."""
    from matcher.text import tokenize

    return tokenize(text, drop_stopwords=True)


def cjk_bigrams(text: str) -> list[str]:
    """Overlapping character bigrams of every run of Chinese characters (a lone character stays a unigram)."""
    from matcher.text import normalize_text

    out: list[str] = []
    for run in _CJK_RUN.findall(normalize_text(text)):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def words_and_bigrams(text: str) -> list[str]:
    """Jieba words plus Chinese character bigrams: a question's 复工复产 still meets a text's 复工、复产."""
    return jieba_words(text) + cjk_bigrams(text)


# Analyzers by name (saved in the manifest so a loaded index tokenises queries as it was built).
ANALYZERS: dict[str, Callable[[str], list[str]]] = {
    "words": jieba_words,
    "bigrams": cjk_bigrams,
    "words+bigrams": words_and_bigrams,
}
DEFAULT_ANALYZER = "words+bigrams"


def default_tokenizer(text: str) -> list[str]:
    """Tokenize with the default analyzer (jieba words plus character bigrams)."""
    return ANALYZERS[DEFAULT_ANALYZER](text)


class BM25Index:
    """Incremental Lucene-BM25 index over string document ids; thread-safe for one writer, many readers.

    ``fit`` replaces the contents; ``add`` / ``remove`` / ``update`` change them in place and
    the next ``search`` sees the change. Removed rows are tombstones, compacted when they
    exceed a quarter of the rows.
    """

    def __init__(
        self,
        *,
        k1: float = 1.2,
        b: float = 0.75,
        analyzer: str = DEFAULT_ANALYZER,
        tokenizer: Callable[[str], list[str]] | None = None,
        query_stopwords: bool = True,
    ) -> None:
        if tokenizer is None and analyzer not in ANALYZERS:
            raise ValueError(f"unknown BM25 analyzer {analyzer!r}; valid: {', '.join(ANALYZERS)}")
        self.k1 = k1
        self.b = b
        self.analyzer = "custom" if tokenizer is not None else analyzer
        self.tokenizer = tokenizer or ANALYZERS[analyzer]
        # Query text loses its question words (什么/如何/哪些…) before tokenising; documents keep theirs.
        self.query_stopwords = query_stopwords
        self._vocab: dict[str, int] = {}
        self._ids: list[str | None] = []  # row -> id (None: removed)
        self._rows: dict[str, int] = {}
        self._doc_terms: list[np.ndarray] = []  # row -> term ids
        self._doc_counts: list[np.ndarray] = []  # row -> counts
        self._lock = threading.RLock()
        self._matrix: sp.csc_matrix | None = None
        self._doc_len = np.zeros(0, dtype=np.float64)
        self._doc_freq = np.zeros(0, dtype=np.int64)
        self._tf_weights = np.zeros(0, dtype=np.float64)  # per stored posting, with the matrix
        self._generation = 0  # bumped by every change of rows or ids: what callers key their caches on

    # ---- contents
    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._rows

    @property
    def ids(self) -> list[str]:
        """The ids in the index, in insertion order."""
        return [i for i in self._ids if i is not None]

    def fit(self, ids: Sequence[str], texts: Sequence[str]) -> BM25Index:
        """Index ``texts`` under ``ids``, replacing everything; returns self."""
        with self._lock:
            self._vocab, self._ids, self._rows = {}, [], {}
            self._doc_terms, self._doc_counts = [], []
            self.add(ids, texts)
        return self

    def add(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Add new documents; an id already present raises ``ValueError`` (use ``update``)."""
        self.add_tokens(ids, [self.tokenizer(t) for t in texts])

    def add_tokens(self, ids: Sequence[str], token_lists: Sequence[Sequence[str]]) -> None:
        """Add documents that are already tokenised."""
        with self._lock:
            check_new_ids(ids, len(token_lists), self._rows, "BM25 index", "documents")
            for doc_id, tokens in zip(ids, token_lists, strict=True):
                term_ids = np.fromiter(
                    (self._vocab.setdefault(t, len(self._vocab)) for t in tokens),
                    dtype=np.int64,
                    count=len(tokens),
                )
                terms, counts = np.unique(term_ids, return_counts=True)
                self._rows[doc_id] = len(self._ids)
                self._ids.append(doc_id)
                self._doc_terms.append(terms.astype(np.int32))
                self._doc_counts.append(counts.astype(np.float32))
            self._matrix = None
            self._generation += 1

    def remove(self, ids: Iterable[str]) -> int:
        """Remove documents by id (unknown ids are ignored); returns how many were removed."""
        removed = 0
        with self._lock:
            for doc_id in ids:
                row = self._rows.pop(doc_id, None)
                if row is None:
                    continue
                self._ids[row] = None
                self._doc_terms[row] = np.zeros(0, dtype=np.int32)
                self._doc_counts[row] = np.zeros(0, dtype=np.float32)
                removed += 1
            if removed:
                if len(self._ids) - len(self._rows) > max(64, len(self._ids) // 4):
                    self._compact()
                self._matrix = None
                self._generation += 1
        return removed

    def update(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Replace (or add) documents."""
        with self._lock:
            self.remove(ids)
            self.add(ids, texts)

    def _compact(self) -> None:
        keep = [row for row, doc_id in enumerate(self._ids) if doc_id is not None]
        self._ids = [self._ids[r] for r in keep]
        self._doc_terms = [self._doc_terms[r] for r in keep]
        self._doc_counts = [self._doc_counts[r] for r in keep]
        self._rows = {doc_id: row for row, doc_id in enumerate(self._ids) if doc_id is not None}
        self._generation += 1

    def _ensure_matrix(self) -> sp.csc_matrix:
        with self._lock:
            if self._matrix is None:
                n_rows = len(self._ids)
                lengths = np.fromiter((len(t) for t in self._doc_terms), dtype=np.int64, count=n_rows)
                indptr = np.concatenate([[0], np.cumsum(lengths)])
                indices = np.concatenate(self._doc_terms) if n_rows else np.zeros(0, dtype=np.int32)
                data = np.concatenate(self._doc_counts) if n_rows else np.zeros(0, dtype=np.float32)
                csr = sp.csr_matrix((data, indices, indptr), shape=(n_rows, max(len(self._vocab), 1)))
                self._doc_len = np.asarray(csr.sum(axis=1)).ravel().astype(np.float64)
                self._doc_freq = np.bincount(indices, minlength=csr.shape[1]).astype(np.int64)
                matrix = csr.tocsc()
                # Every posting's term-frequency part once per index state, not once per query.
                avg_doc_len = float(self._doc_len.sum()) / max(len(self._rows), 1)
                self._tf_weights = lucene_tf_weight(
                    matrix.data, self._doc_len[matrix.indices], avg_doc_len, self.k1, self.b
                )
                self._matrix = matrix
            return self._matrix

    # ---- search
    def query_tokens(self, query: str) -> list[str]:
        """Tokens of a query text as this index scores it (question words dropped when ``query_stopwords``)."""
        from matcher.text import strip_question_words

        return self.tokenizer(strip_question_words(query) if self.query_stopwords else query)

    def _query_terms(self, query: str | Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        tokens = self.query_tokens(query) if isinstance(query, str) else list(query)
        # Counted in a dict, not by np.unique: a query has tens of tokens, where numpy's overhead dominates.
        vocab = self._vocab
        known: dict[int, int] = {}
        for token in tokens:
            term = vocab.get(token)
            if term is not None:
                known[term] = known.get(term, 0) + 1
        terms = sorted(known)
        return np.array(terms, dtype=np.int64), np.array([known[t] for t in terms], dtype=np.float64)

    def score_rows(self, query: str | Sequence[str]) -> tuple[np.ndarray, list[str | None]]:
        """BM25 of ``query`` (text or tokens) for every row, with the row → id list (None: removed)."""
        with self._lock:
            return self.score_array(query)[0], list(self._ids)

    def score_array(self, query: str | Sequence[str]) -> tuple[np.ndarray, int]:
        """BM25 of ``query`` for every row, with the generation of the rows (see :meth:`row_ids`), no id list copied."""
        scores, _, generation = self.score_hits(query)
        return scores, generation

    def score_hits(self, query: str | Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
        """``score_array`` plus the rows holding a query term (with repeats): no other row scores above 0."""
        with self._lock:
            matrix = self._ensure_matrix()
            terms, counts = self._query_terms(query)
            scores, hits = bm25_scores(
                terms,
                counts,
                matrix,
                self._doc_len,
                self._doc_freq,
                len(self._rows),
                self.k1,
                self.b,
                self._tf_weights,
            )
            return scores, hits, self._generation

    def row_ids(self) -> tuple[list[str | None], int]:
        """Return the row → id list (None: removed) and its generation, which every change of rows or ids bumps."""
        with self._lock:
            return list(self._ids), self._generation

    def scores_for(self, query: str | Sequence[str], ids: Sequence[str]) -> np.ndarray:
        """BM25 of ``query`` for the given ids (0 for ids not in the index)."""
        return self.search_and_score(query, 0, ids)[1]

    def search(
        self, query: str | Sequence[str], k: int = 10, allowed_ids: Iterable[str] | None = None
    ) -> LexicalResults:
        """Return the ``k`` best documents (score > 0) for ``query``, optionally only among ``allowed_ids``."""
        return self.search_and_score(query, k, (), allowed_ids)[0]

    def search_and_score(
        self,
        query: str | Sequence[str],
        k: int,
        score_ids: Sequence[str],
        allowed_ids: Iterable[str] | None = None,
    ) -> tuple[LexicalResults, np.ndarray]:
        """Top ``k`` (as ``search``) and the BM25 of ``score_ids``, from one scoring pass."""
        scores, row_ids = self.score_rows(query)
        wanted = np.array([self._rows.get(i, -1) for i in score_ids], dtype=np.int64)
        picked = np.where(wanted >= 0, scores[np.maximum(wanted, 0)] if len(scores) else 0.0, 0.0)
        if k <= 0:
            return LexicalResults([], np.zeros(0, dtype=np.float32)), picked.astype(np.float32)
        if allowed_ids is not None:
            mask = np.zeros(len(scores), dtype=bool)
            mask[[self._rows[i] for i in allowed_ids if i in self._rows]] = True
            scores = np.where(mask, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if len(positive) > k:
            positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
        order = positive[np.lexsort((positive, -scores[positive]))]
        top = LexicalResults([str(row_ids[r]) for r in order], scores[order])
        return top, picked.astype(np.float32)

    # ---- persistence
    def save(self, folder: Path) -> Path:
        """Write the index (arrays, vocabulary, ids) and a manifest with checksums into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._compact()
            self._matrix = None
            lengths = np.fromiter((len(t) for t in self._doc_terms), dtype=np.int64, count=len(self._ids))
            arrays = folder / "bm25.npz"
            with open(arrays, "wb") as handle:
                np.savez(
                    handle,
                    indptr=np.concatenate([[0], np.cumsum(lengths)]),
                    terms=np.concatenate(self._doc_terms) if self._ids else np.zeros(0, np.int32),
                    counts=np.concatenate(self._doc_counts) if self._ids else np.zeros(0, np.float32),
                )
            words = sorted(self._vocab, key=self._vocab.__getitem__)
            write_json_durable(folder / "vocab.json", words)
            write_json_durable(folder / "ids.json", self._ids)
            manifest = {
                "format": FORMAT,
                "k1": self.k1,
                "b": self.b,
                "analyzer": self.analyzer,
                "query_stopwords": self.query_stopwords,
                "count": len(self._rows),
                "vocabulary": len(words),
                "checksums": {
                    name: sha256_file(folder / name) for name in ("bm25.npz", "vocab.json", "ids.json")
                },
            }
            write_json_durable(folder / MANIFEST, manifest)
        return folder

    @classmethod
    def load(cls, folder: Path, *, tokenizer: Callable[[str], list[str]] | None = None) -> BM25Index:
        """Read an index written by ``save``; a checksum mismatch raises ``IndexIntegrityError``."""
        folder = Path(folder)
        manifest = read_saved_index(
            folder,
            MANIFEST,
            FORMAT,
            missing="no BM25 manifest (not a saved BM25 index)",
            corrupted="the BM25 index is corrupted",
        )
        analyzer = manifest.get("analyzer", DEFAULT_ANALYZER)
        if analyzer == "custom" and tokenizer is None:
            raise ValueError(
                f"{folder / MANIFEST}: built with a custom tokenizer; pass it to BM25Index.load(tokenizer=...)"
            )
        index = cls(
            k1=manifest["k1"],
            b=manifest["b"],
            analyzer=analyzer if tokenizer is None else "words",
            tokenizer=tokenizer,
            query_stopwords=bool(manifest.get("query_stopwords", True)),
        )
        with np.load(folder / "bm25.npz") as arrays:
            indptr, terms, counts = arrays["indptr"], arrays["terms"], arrays["counts"]
        words = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        index._vocab = {w: i for i, w in enumerate(words)}
        index._ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        index._rows = {str(doc_id): row for row, doc_id in enumerate(index._ids)}
        index._doc_terms = [terms[indptr[r] : indptr[r + 1]] for r in range(len(index._ids))]
        index._doc_counts = [counts[indptr[r] : indptr[r + 1]] for r in range(len(index._ids))]
        return index


class LexicalIndex(Protocol):
    """A lexical index over string document ids (implementation: :class:`BM25Index`).

    What the retriever and the item index call: add, remove and update documents in
    place, read a query as the index does, score every row or given ids, search, save.
    Reopening a saved index is the implementation's ``load``.
    """

    analyzer: str
    query_stopwords: bool
    tokenizer: Callable[[str], list[str]]

    def __len__(self) -> int: ...

    def __contains__(self, doc_id: object) -> bool: ...

    @property
    def ids(self) -> list[str]:
        """The document ids held."""
        ...

    def add(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Add new documents (an id already present raises ``ValueError``)."""
        ...

    def remove(self, ids: Iterable[str]) -> int:
        """Remove documents (unknown ids are ignored); returns how many were removed."""
        ...

    def update(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Replace (or add) documents."""
        ...

    def query_tokens(self, query: str) -> list[str]:
        """Tokens of a query text as this index scores it."""
        ...

    def score_rows(self, query: str | Sequence[str]) -> tuple[np.ndarray, list[str | None]]:
        """Score every row, with the row → id list (None: removed)."""
        ...

    def score_array(self, query: str | Sequence[str]) -> tuple[np.ndarray, int]:
        """Score every row, with the generation of the rows (no id list copied)."""
        ...

    def row_ids(self) -> tuple[list[str | None], int]:
        """Return the row → id list (None: removed) and its generation."""
        ...

    def scores_for(self, query: str | Sequence[str], ids: Sequence[str]) -> np.ndarray:
        """Score the given ids (0 for ids not held)."""
        ...

    def search(
        self, query: str | Sequence[str], k: int = 10, allowed_ids: Iterable[str] | None = None
    ) -> LexicalResults:
        """Return the ``k`` best documents (score > 0), optionally only among ``allowed_ids``."""
        ...

    def search_and_score(
        self,
        query: str | Sequence[str],
        k: int,
        score_ids: Sequence[str],
        allowed_ids: Iterable[str] | None = None,
    ) -> tuple[LexicalResults, np.ndarray]:
        """Top ``k`` (as ``search``) and the scores of ``score_ids``, from one scoring pass."""
        ...

    def save(self, folder: Path) -> Path:
        """Write the index with a manifest of checksums into ``folder``."""
        ...
