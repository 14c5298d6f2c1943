"""Passage-level evidence: BM25 over each document's sentences, giving a document its best passage's score.

Used by :class:`matcher.retrieval.HybridRetriever` beside the document BM25 of
:mod:`matcher.lexical`; :func:`matcher.fusion.fuse` adds the best passage's score
to the document's before normalising.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from matcher.index_versions import write_json_durable
from matcher.lexical import DEFAULT_ANALYZER, BM25Index, check_new_ids

# --- passage-level evidence --------------------------------------------------------------------
# A policy question usually asks about one sentence of a long text. Scoring the text's passages on
# their own (BM25 with passage statistics) and adding the best passage's score to the document's is
# Callan's combination of document and passage evidence ("Passage-level evidence in document
# retrieval", SIGIR 1994), there with the maximum passage score as well.

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|\s{2,}|\n")
PASSAGE_SEPARATOR = "\x1f"  # passage id = document id + separator + ordinal


def split_passages(text: str, min_chars: int = 80) -> list[str]:
    """Sentences of ``text`` (split after 。！？； or at a line break), merged until each has ``min_chars`` characters.

    A short tail joins the passage before it; a text without a sentence end is one passage.
    """
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]
    passages: list[str] = []
    current = ""
    for sentence in sentences:
        current += sentence
        if len(current) >= min_chars:
            passages.append(current)
            current = ""
    if current:
        if passages:
            passages[-1] += current
        else:
            passages.append(current)
    return passages or [text]


def split_each(texts: Sequence[str], split: Callable[[str], list[str]]) -> tuple[list[str], list[int]]:
    """Every text's pieces (``split``) in one list, and how many pieces each text gave."""
    pieces = [split(text) for text in texts]
    return [piece for one in pieces for piece in one], [len(one) for one in pieces]


class PassageIndex:
    """BM25 over the passages of each document (``split_passages``), giving each document its best passage's score.

    Add and remove work per document, in place, like ``BM25Index``: passage document frequencies and
    lengths follow at the next query.
    """

    def __init__(
        self,
        *,
        min_chars: int = 80,
        k1: float = 1.2,
        b: float = 0.75,
        analyzer: str = DEFAULT_ANALYZER,
        index: BM25Index | None = None,
    ) -> None:
        if min_chars < 0:
            raise ValueError(f"min_chars must not be negative, got {min_chars}")
        self.min_chars = min_chars
        self.index = index if index is not None else BM25Index(k1=k1, b=b, analyzer=analyzer)
        self._counts: dict[str, int] = {}  # document id -> number of passages
        for passage_id in self.index.ids:
            doc_id, _, _ = passage_id.rpartition(PASSAGE_SEPARATOR)
            self._counts[doc_id] = self._counts.get(doc_id, 0) + 1
        self._lock = threading.RLock()
        self._owner_key: tuple[int, int] | None = None  # (own version, the BM25 rows' generation)
        self._owner_ids: list[str] = []
        self._owner_of_row = np.zeros(0, dtype=np.int64)  # BM25 row -> index of its document in _owner_ids
        self._version = 0

    def __len__(self) -> int:
        return len(self._counts)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._counts

    @staticmethod
    def passage_id(doc_id: str, ordinal: int) -> str:
        """Return the id of passage ``ordinal`` of ``doc_id`` in the passage BM25 index."""
        return f"{doc_id}{PASSAGE_SEPARATOR}{ordinal}"

    def add(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        """Split and add new documents; an id already present raises ``ValueError``."""
        with self._lock:
            check_new_ids(ids, len(texts), self._counts, "passage index")
            passage_texts, counts = split_each(texts, lambda text: split_passages(text, self.min_chars))
            passage_ids = [self.passage_id(d, j) for d, n in zip(ids, counts, strict=True) for j in range(n)]
            self.index.add(passage_ids, passage_texts)
            self._counts.update(zip(ids, counts, strict=True))
            self._version += 1

    def remove(self, ids: Iterable[str]) -> int:
        """Remove documents (unknown ids are ignored); returns how many were removed."""
        with self._lock:
            doomed = [i for i in dict.fromkeys(ids) if i in self._counts]
            self.index.remove([self.passage_id(d, j) for d in doomed for j in range(self._counts[d])])
            for doc_id in doomed:
                del self._counts[doc_id]
            self._version += 1
            return len(doomed)

    def _owners(self, generation: int) -> tuple[np.ndarray, list[str]]:
        """Each BM25 row's document (its index in the list; one past the end for a removed row), and the documents."""
        key = (self._version, generation)
        if self._owner_key != key:
            row_ids, generation = self.index.row_ids()
            position: dict[str, int] = {}
            owner = np.empty(len(row_ids), dtype=np.int64)
            for row, passage_id in enumerate(row_ids):
                doc_id = passage_id.rpartition(PASSAGE_SEPARATOR)[0] if passage_id is not None else None
                owner[row] = position.setdefault(doc_id, len(position)) if doc_id is not None else -1
            self._owner_of_row = np.where(owner >= 0, owner, len(position))
            self._owner_ids = list(position)
            self._owner_key = (self._version, generation)
        return self._owner_of_row, self._owner_ids

    def best_scores(self, query: str | Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Every document id and its best passage's BM25 for ``query`` (text or tokens), from one scoring pass."""
        with self._lock:
            scores, hit, generation = self.index.score_hits(query)
            owner_of_row, doc_ids = self._owners(generation)
            # Only rows holding a query term score above 0 (BM25 is never negative): the maximum over those,
            # into zeros, is each document's best passage without visiting every passage.
            best = np.zeros(
                len(doc_ids) + 1, dtype=scores.dtype
            )  # the extra slot: removed rows (they score 0)
            np.maximum.at(best, owner_of_row[hit], scores[hit])
            return doc_ids, best[:-1].astype(np.float64)

    def save(self, folder: Path) -> Path:
        """Write the passage BM25 index and ``passages.json`` (the splitting) into ``folder``."""
        folder = Path(folder)
        with self._lock:
            self.index.save(folder)  # compacts the rows: the row -> document map is rebuilt
            self._version += 1
            write_json_durable(folder / "passages.json", {"min_chars": self.min_chars})
        return folder

    @classmethod
    def load(cls, folder: Path) -> PassageIndex:
        """Read a passage index written by ``save`` (checksums verified by ``BM25Index.load``)."""
        folder = Path(folder)
        settings = json.loads((folder / "passages.json").read_text(encoding="utf-8"))
        return cls(min_chars=int(settings["min_chars"]), index=BM25Index.load(folder))
