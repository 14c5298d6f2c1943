"""``FaissIndex``: exact ``IndexFlatIP`` for small collections, IVF for large ones, filtered before search.

The kind is chosen by size when the index is built (``FaissIndex.build``):
below ``IVF_MIN_VECTORS`` an exact inner-product scan (``IndexIDMap2`` over
``IndexFlatIP``), above it an inverted file (``IndexIVFFlat``, ``nlist ≈
sqrt(n)``) whose recall against exact search is measured in
``docs/benchmarks.md``. Storage can be float32, float16 or 8-bit scalar
quantised (``IndexScalarQuantizer``), trading recall for memory.

Filters go *into* the search as a FAISS ``IDSelectorBatch``. An IVF search
only visits ``nprobe`` lists, so under a selective filter it would find few
allowed vectors; two guards keep filtered recall at exact level: a filter
that allows at most ``exact_cutover`` ids is answered by an exact scan of
just those vectors (reconstructed by id), and above it ``nprobe`` is raised
in proportion to how much the filter removes.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import faiss as _faiss
import numpy as np

from matcher.index_versions import IndexIntegrityError, read_saved_index, sha256_file, write_json_durable
from matcher.vector_index.base import Described, DimensionError, SearchResult, check_ids, check_vectors

# The stubs shipped with faiss-cpu lack SearchParameters(sel=...), DirectMap and the SWIG ``this``.
faiss: Any = _faiss

FORMAT = "policymatch-faiss/1"
MANIFEST = "manifest.json"
KINDS = ("auto", "flat", "ivf")
STORAGES = ("float32", "float16", "sq8")
# Below this many vectors an exact scan is fast enough (≈ 5 ms per query for 50k × 384 on 2 cores).
IVF_MIN_VECTORS = 50_000
# Filters allowing at most this many ids are answered by an exact scan of those vectors: above ~2k
# reconstructing them costs more than an IVF search with scaled nprobe (measured, docs/benchmarks.md).
EXACT_CUTOVER = 2_000
# A few queries run on one OpenMP thread: FAISS's threads cost more than they give for one query,
# and on a busy 2-core machine their spinning made one 2k-vector search 10× slower (measured: 10 ms vs 1 ms).
SINGLE_THREAD_MAX_QUERIES = 4
# Filters with more ids than this use a bitmap selector when ids are below BITMAP_MAX_ID (an 8 MB bitmap).
BITMAP_MIN_ALLOWED = 5_000
BITMAP_MAX_ID = 1 << 26
# Share of the lists an unfiltered IVF search visits (measured: recall@10 ≥ 0.99 vs exact on 300k).
DEFAULT_NPROBE_SHARE = 1 / 16


def _quantizer_type(storage: str) -> int:
    return {"float16": faiss.ScalarQuantizer.QT_fp16, "sq8": faiss.ScalarQuantizer.QT_8bit}[storage]


class FaissIndex(Described):
    """A ``VectorIndex`` on FAISS with int64 ids, inner-product scores and pre-search id filters."""

    def __init__(
        self,
        *,
        dim: int,
        model_id: str,
        kind: str = "auto",
        storage: str = "float32",
        nlist: int | None = None,
        nprobe: int | None = None,
        exact_cutover: int = EXACT_CUTOVER,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown FAISS index kind {kind!r}; valid: {', '.join(KINDS)}")
        if storage not in STORAGES:
            raise ValueError(f"unknown vector storage {storage!r}; valid: {', '.join(STORAGES)}")
        if dim <= 0:
            raise DimensionError(f"index dimension must be positive, got {dim}")
        self._dim = int(dim)
        self._model_id = model_id
        self.kind = "flat" if kind == "auto" else kind
        self.storage = storage
        self.nlist = nlist
        self.nprobe = nprobe
        self.exact_cutover = exact_cutover
        self._lock = threading.RLock()
        self._ids: set[int] = set()
        self._sorted: np.ndarray | None = None  # sorted ids, rebuilt after a change
        self._present: np.ndarray | None = None  # bool per id up to the largest, rebuilt after a change
        self._index: Any = self._new_flat() if self.kind == "flat" else None

    # ---- construction
    @classmethod
    def build(
        cls,
        ids: Sequence[int] | np.ndarray,
        vectors: np.ndarray,
        *,
        model_id: str,
        kind: str = "auto",
        storage: str = "float32",
        nlist: int | None = None,
        nprobe: int | None = None,
        exact_cutover: int = EXACT_CUTOVER,
        seed: int = 0,
    ) -> FaissIndex:
        """Return an index holding ``vectors``; ``kind="auto"`` picks exact below ``IVF_MIN_VECTORS``, IVF above."""
        array = np.asarray(vectors)
        if array.ndim != 2:
            raise DimensionError(f"vectors must be a 2-D array of shape (n, dim), got shape {array.shape}")
        n, dim = array.shape
        if kind == "auto":
            kind = "ivf" if n >= IVF_MIN_VECTORS else "flat"
        index = cls(
            dim=dim,
            model_id=model_id,
            kind=kind,
            storage=storage,
            nlist=nlist,
            nprobe=nprobe,
            exact_cutover=exact_cutover,
        )
        if index.kind == "ivf":
            index._train_ivf(check_vectors(array, dim), seed=seed)
        index.add(ids, array)
        return index

    def _new_flat(self) -> Any:
        if self.storage == "float32":
            inner = faiss.IndexFlatIP(self._dim)
        else:
            inner = faiss.IndexScalarQuantizer(
                self._dim, _quantizer_type(self.storage), faiss.METRIC_INNER_PRODUCT
            )
        return faiss.IndexIDMap2(inner)

    def _train_ivf(self, vectors: np.ndarray, *, seed: int) -> None:
        n = len(vectors)
        if self.nlist is None:
            self.nlist = max(16, int(round(math.sqrt(n))))
        if self.nprobe is None:
            self.nprobe = max(8, int(round(self.nlist * DEFAULT_NPROBE_SHARE)))
        quantizer = faiss.IndexFlatIP(self._dim)
        if self.storage == "float32":
            index = faiss.IndexIVFFlat(quantizer, self._dim, self.nlist, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFScalarQuantizer(
                quantizer, self._dim, self.nlist, _quantizer_type(self.storage), faiss.METRIC_INNER_PRODUCT
            )
        # k-means on a sample: 64 points per list is plenty and keeps training to seconds.
        rng = np.random.default_rng(seed)
        sample = vectors if n <= 64 * self.nlist else vectors[rng.choice(n, 64 * self.nlist, replace=False)]
        index.cp.seed = seed
        index.train(np.ascontiguousarray(sample))
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct / remove by id
        index.own_fields = True
        quantizer.this.disown()
        self._index = index

    # ---- protocol
    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, vector_id: object) -> bool:
        return vector_id in self._ids

    def ids(self) -> np.ndarray:
        """Every id in the index, sorted."""
        with self._lock:
            return self._sorted_ids().copy()

    def _sorted_ids(self) -> np.ndarray:
        if self._sorted is None:
            self._sorted = np.array(sorted(self._ids), dtype=np.int64)
        return self._sorted

    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under new ids; wrong shapes and ids already present raise before FAISS sees them."""
        array = check_vectors(vectors, self._dim)
        id_array = check_ids(ids, len(array))
        with self._lock:
            present = [int(i) for i in id_array if int(i) in self._ids]
            if present:
                raise ValueError(
                    f"id {present[0]} is already in the vector index (remove it first to replace)"
                )
            if len(array):
                if not self._index.is_trained:  # 8-bit storage learns each component's range once
                    self._index.train(array)
                self._index.add_with_ids(array, id_array)
                self._ids.update(int(i) for i in id_array)
                self._sorted = self._present = None

    def remove(self, ids: Sequence[int] | np.ndarray) -> int:
        """Remove ids (unknown ones are ignored); returns how many were removed."""
        with self._lock:
            wanted = np.array(
                [int(i) for i in np.asarray(ids).ravel() if int(i) in self._ids], dtype=np.int64
            )
            if not len(wanted):
                return 0
            # IVF's hashtable direct map removes only through an IDSelectorArray.
            removed = int(self._index.remove_ids(faiss.IDSelectorArray(len(wanted), faiss.swig_ptr(wanted))))
            self._ids.difference_update(int(i) for i in wanted)
            self._sorted = self._present = None
            return removed

    def reconstruct(self, ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Return the stored vectors of ``ids`` (decoded from float16 / 8-bit storage); unknown ids raise."""
        id_array = np.asarray(ids, dtype=np.int64).ravel()
        with self._lock:
            missing = [int(i) for i in id_array if int(i) not in self._ids]
            if missing:
                raise LookupError(f"id {missing[0]} is not in the vector index")
            if not len(id_array):
                return np.zeros((0, self._dim), dtype=np.float32)
            return np.asarray(self._index.reconstruct_batch(id_array), dtype=np.float32)

    def search(
        self, query_vectors: np.ndarray, k: int, allowed_ids: Sequence[int] | np.ndarray | None = None
    ) -> SearchResult:
        """Return the ``k`` best ids per query row by inner product, only among ``allowed_ids`` when given."""
        queries = self._queries(query_vectors, k)
        with self._lock:
            if allowed_ids is None:
                return self._search(queries, k, None, self.nprobe)
            requested = np.asarray(allowed_ids, dtype=np.int64).ravel()
            if len(requested) > BITMAP_MIN_ALLOWED and self._max_id() < BITMAP_MAX_ID:
                # Large filters: a bitmap over the id range is built in ~1 ms where a hash set
                # of 150k ids took ~70 ms, and FAISS tests a bit faster than a hash lookup.
                mask = self._present_mask().copy()
                outside = (requested < 0) | (requested >= len(mask))
                keep = np.zeros(len(mask), dtype=bool)
                keep[requested[~outside]] = True
                mask &= keep
                count = int(mask.sum())
                if count == 0:
                    return _empty(len(queries), k)
                if self.kind == "ivf" and (count <= self.exact_cutover or count <= k):
                    return self._exact_subset(queries, k, np.flatnonzero(mask).astype(np.int64))
                bits = np.packbits(mask, bitorder="little")
                return self._search(
                    queries, k, _Filter("bitmap", bits, len(mask)), self._filtered_nprobe(count)
                )
            allowed = np.unique(requested)
            allowed = allowed[np.isin(allowed, self._sorted_ids(), assume_unique=True)]
            if len(allowed) == 0:
                return _empty(len(queries), k)
            if self.kind == "ivf" and (len(allowed) <= self.exact_cutover or len(allowed) <= k):
                return self._exact_subset(queries, k, allowed)
            return self._search(
                queries, k, _Filter("batch", allowed, len(allowed)), self._filtered_nprobe(len(allowed))
            )

    def _filtered_nprobe(self, n_allowed: int) -> int | None:
        """Visit lists in proportion to what the filter removes (as many allowed vectors as unfiltered)."""
        if self.kind != "ivf" or self.nprobe is None or self.nlist is None:
            return self.nprobe
        share = n_allowed / max(len(self._ids), 1)
        return min(self.nlist, int(math.ceil(self.nprobe / share)))

    def _max_id(self) -> int:
        ids = self._sorted_ids()
        return int(ids[-1]) if len(ids) else 0

    def _present_mask(self) -> np.ndarray:
        if self._present is None:
            mask = np.zeros(self._max_id() + 1, dtype=bool)
            mask[self._sorted_ids()] = True
            self._present = mask
        return self._present

    def _search(
        self, queries: np.ndarray, k: int, allowed: _Filter | None, nprobe: int | None
    ) -> SearchResult:
        if not self._ids:
            return _empty(len(queries), k)
        if len(queries) <= SINGLE_THREAD_MAX_QUERIES:
            with _one_openmp_thread():
                return self._faiss_search(queries, k, allowed, nprobe)
        return self._faiss_search(queries, k, allowed, nprobe)

    def _faiss_search(
        self, queries: np.ndarray, k: int, allowed: _Filter | None, nprobe: int | None
    ) -> SearchResult:
        selector: Any = None
        if allowed is not None and allowed.kind == "bitmap":
            selector = faiss.IDSelectorBitmap(allowed.size, faiss.swig_ptr(allowed.array))
        elif allowed is not None:
            selector = faiss.IDSelectorBatch(allowed.size, faiss.swig_ptr(allowed.array))
        if self.kind == "ivf":
            params: Any = faiss.SearchParametersIVF(sel=selector, nprobe=int(nprobe or 1))
        else:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
        scores, ids = self._index.search(queries, k, params=params)
        return SearchResult(scores.astype(np.float32), ids.astype(np.int64))

    def _exact_subset(self, queries: np.ndarray, k: int, allowed: np.ndarray) -> SearchResult:
        vectors = np.asarray(self._index.reconstruct_batch(allowed), dtype=np.float32)
        scores = queries @ vectors.T
        top = min(k, len(allowed))
        part = np.argpartition(-scores, top - 1, axis=1)[:, :top]
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-part_scores, axis=1, kind="stable")
        out_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        out_ids = np.full((len(queries), k), -1, dtype=np.int64)
        out_scores[:, :top] = np.take_along_axis(part_scores, order, axis=1)
        out_ids[:, :top] = allowed[np.take_along_axis(part, order, axis=1)]
        return SearchResult(out_scores, out_ids)

    # ---- persistence
    def location(self) -> dict[str, str]:
        """Where the vectors live: files in the saved folder (no collection)."""
        return {"backend": "faiss", "collection": ""}

    def drop(self) -> None:
        """Nothing to delete: a FAISS index lives in its folder and in memory only."""

    def save(self, folder: Path) -> Path:
        """Write ``index.faiss``, ``ids.npy`` and a manifest (dimension, count, model id, checksums)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            faiss.write_index(self._index, str(folder / "index.faiss"))
            with open(folder / "ids.npy", "wb") as handle:
                np.save(handle, self.ids())
            manifest = {
                "format": FORMAT,
                "backend": "faiss",
                "faiss_version": faiss.__version__,
                "kind": self.kind,
                "storage": self.storage,
                "dimension": self._dim,
                "count": len(self._ids),
                "model_id": self._model_id,
                "nlist": self.nlist,
                "nprobe": self.nprobe,
                "exact_cutover": self.exact_cutover,
                "checksums": {name: sha256_file(folder / name) for name in ("index.faiss", "ids.npy")},
            }
            write_json_durable(folder / MANIFEST, manifest)
        return folder

    @classmethod
    def load(cls, folder: Path) -> FaissIndex:
        """Read an index written by ``save``; missing files or checksum mismatches raise ``IndexIntegrityError``."""
        folder = Path(folder)
        manifest = read_saved_index(
            folder,
            MANIFEST,
            FORMAT,
            missing="no vector index manifest (not a saved FaissIndex)",
            corrupted="the vector index is corrupted",
        )
        index = cls(
            dim=manifest["dimension"],
            model_id=manifest["model_id"],
            kind=manifest["kind"],
            storage=manifest["storage"],
            nlist=manifest["nlist"],
            nprobe=manifest["nprobe"],
            exact_cutover=manifest["exact_cutover"],
        )
        index._index = faiss.read_index(str(folder / "index.faiss"))
        if index.kind == "ivf":
            index._index.set_direct_map_type(faiss.DirectMap.Hashtable)
        index._ids = {int(i) for i in np.load(folder / "ids.npy")}
        index._sorted = index._present = None
        if index._index.ntotal != len(index._ids) or index._index.d != index._dim:
            raise IndexIntegrityError(
                f"{folder}: index.faiss does not match its manifest (count or dimension)"
            )
        return index


class _Filter(NamedTuple):
    """Allowed ids as FAISS will test them: a sorted id array (hash set) or a bitmap over the id range."""

    kind: str  # "batch" | "bitmap"
    array: np.ndarray
    size: int  # ids in the batch, or bits in the bitmap


@contextmanager
def _one_openmp_thread() -> Iterator[None]:
    """Run FAISS on the calling thread only (the OpenMP setting is per calling thread)."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


def _empty(n_queries: int, k: int) -> SearchResult:
    return SearchResult(
        np.full((n_queries, k), -np.inf, dtype=np.float32), np.full((n_queries, k), -1, dtype=np.int64)
    )
