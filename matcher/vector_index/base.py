"""The ``VectorIndex`` protocol: what every vector-index backend provides.

Ids are int64 chosen by the caller; vectors are L2-normalised float32 rows of
``dim`` and the score is the inner product (cosine). ``allowed_ids`` restricts a
search *before* it runs (region, industry, validity dates, levels are turned
into allowed ids by the caller), so a filtered search returns the best allowed
vectors, not the allowed remainder of an unfiltered top k.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from models.encoder import VectorSpace


class DimensionError(ValueError):
    """Vectors of the wrong shape or dimension were given to an index."""


class SearchResult(NamedTuple):
    """Per query row: scores (float32, best first) and ids (int64, -1 where fewer than k were found)."""

    scores: np.ndarray
    ids: np.ndarray


def check_vectors(vectors: object, dim: int, *, what: str = "vectors") -> np.ndarray:
    """Return ``vectors`` as a C-contiguous float32 (n, dim) array, or raise ``DimensionError`` saying why."""
    array = np.asarray(vectors)
    if array.ndim != 2:
        raise DimensionError(f"{what} must be a 2-D array of shape (n, {dim}), got shape {array.shape}")
    if array.shape[1] != dim:
        raise DimensionError(f"{what} have dimension {array.shape[1]}, the index expects {dim}")
    if not np.issubdtype(array.dtype, np.number):
        raise DimensionError(f"{what} must be numeric, got dtype {array.dtype}")
    array = np.ascontiguousarray(array, dtype=np.float32)
    if not np.isfinite(array).all():
        raise DimensionError(f"{what} contain NaN or infinite values")
    return array


def check_ids(ids: Sequence[int] | np.ndarray, n_vectors: int | None = None) -> np.ndarray:
    """Return ``ids`` as a 1-D int64 array of distinct non-negative ids (matching ``n_vectors``)."""
    array = np.asarray(ids)
    if array.ndim != 1 or (array.size and not np.issubdtype(array.dtype, np.integer)):
        raise ValueError(
            f"ids must be a 1-D sequence of integers, got shape {array.shape} dtype {array.dtype}"
        )
    array = array.astype(np.int64)
    if n_vectors is not None and len(array) != n_vectors:
        raise ValueError(f"got {len(array)} ids for {n_vectors} vectors")
    if array.size and array.min() < 0:
        raise ValueError("ids must be non-negative (-1 marks 'no result')")
    if len(np.unique(array)) != len(array):
        raise ValueError("ids must be distinct")
    return array


class Described:
    """What every backend says of itself the same way: its dimension and the encoder of its vectors."""

    _dim: int
    _model_id: str

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    @property
    def model_id(self) -> str:
        """The encoder whose vectors these are."""
        return self._model_id

    def _queries(self, query_vectors: object, k: int) -> np.ndarray:
        """Check a search's query vectors (2-D, of this dimension) and ``k`` (positive)."""
        queries = check_vectors(query_vectors, self._dim, what="query vectors")
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        return queries


@runtime_checkable
class VectorIndex(VectorSpace, Protocol):
    """A store of id-keyed vectors searched by inner product; implementations: ``FaissIndex``, ``MilvusIndex``.

    Its ``dim`` and ``model_id`` (:class:`~models.encoder.VectorSpace`) are the encoder's whose vectors it holds.
    """

    def __len__(self) -> int: ...

    def __contains__(self, vector_id: object) -> bool: ...

    def ids(self) -> np.ndarray:
        """Every id held, sorted."""
        ...

    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under new ids (an id already present raises ``ValueError``)."""
        ...

    def reconstruct(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Return the stored vectors of ``ids``, in that order (unknown ids raise ``LookupError``)."""
        ...

    def remove(self, ids: Sequence[int] | np.ndarray) -> int:
        """Remove ids (unknown ones are ignored); returns how many were removed."""
        ...

    def search(
        self, query_vectors: np.ndarray, k: int, allowed_ids: Sequence[int] | np.ndarray | None = None
    ) -> SearchResult:
        """Return the ``k`` best ids per query row, only among ``allowed_ids`` when given."""
        ...

    def save(self, folder: Path) -> Path:
        """Write the index and a JSON manifest (dimension, count, model id, checksums) into ``folder``."""
        ...

    def location(self) -> dict[str, str]:
        """Where the vectors live, for an index version's manifest: backend, and URI and collection when remote."""
        ...

    def drop(self) -> None:
        """Delete what the index keeps outside a saved folder (a Milvus collection; nothing for FAISS)."""
        ...

    # Reopening a saved index is the factory's job (``matcher.vector_index.load_vector_index``).
