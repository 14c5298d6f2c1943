"""The item index: BM25, passages and vectors of every item's text, in versions switched atomically.

:class:`ItemIndex` holds the :class:`~matcher.retrieval.HybridRetriever` over
item texts, loaded from the current index version (``matcher.index_versions``)
or built into a new one, and kept in line with the item catalog by in-place
updates (``+N`` in :attr:`ItemIndex.version` counts them). Its vectors live
where the :class:`~matcher.vector_index.VectorBackend` says. It scores the
parts of the one fusion (``matcher.fusion.fuse``) for every item at once, each
part exactly: document BM25, best-passage BM25 and the best window's cosine.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matcher.fusion import FusionConfig, PartScores, log_windows
from matcher.index_versions import IndexIntegrityError, IndexVersions
from matcher.item_catalog import CatalogItem, ItemCatalog
from matcher.query_tokens import tokens_of, tokens_version
from matcher.retrieval import HybridRetriever, RetrievalConfig, chunk_text
from matcher.semantic import SemanticJudge
from matcher.vector_index.backend import VectorBackend, drop_saved, saved_backend
from models.cached_encoder import content_key
from models.encoder import Encoder, EncoderWrapper

_log = logging.getLogger(__name__)


class CachedPassages(EncoderWrapper):
    """The matcher's encoder with item passages cached by content hash (in the semantic judge's cache).

    A rebuild then encodes only passages it has not seen (all of them after a model change),
    and :meth:`ItemIndex.rebuild` does that before it takes the write lock, so writers wait
    for the build, not for the encoder.
    """

    def __init__(self, encoder: Encoder, judge: SemanticJudge) -> None:
        super().__init__(encoder)
        self._judge = judge

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Encode passages, reusing every vector the cache holds."""
        return self._judge.condition_vectors(texts)


class ItemIndex:
    """BM25 + passages + vectors of the items, versioned on disk; scores every item's fusion parts."""

    def __init__(
        self,
        data_dir: Path,
        encoder: Encoder,
        judge: SemanticJudge,
        backend: VectorBackend,
        write_lock: threading.RLock,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.encoder = encoder
        self.judge = judge
        self.backend = backend
        self._write_lock = write_lock
        self._passages = CachedPassages(encoder, judge)
        self.retriever: HybridRetriever | None = None
        self._name = "none"
        self.changes = 0
        self._item_vectors: dict[str, np.ndarray] = {}
        self._item_chunks: dict[str, np.ndarray] = {}
        self._chunks_cache: tuple[Any, _Chunks] | None = None
        self._rows_cache: dict[str, tuple[Any, np.ndarray | None, Any]] = {}  # None: rows are positions
        self._tokens: OrderedDict[str, Any] = OrderedDict()
        self._version_of: tuple[HybridRetriever, str | None] | None = None

    @property
    def version(self) -> str:
        """The index version in use; ``+N`` counts incremental changes applied since it was built."""
        return self._name if not self.changes else f"{self._name}+{self.changes}"

    @property
    def fusion(self) -> FusionConfig | None:
        """The fusion the loaded index was built with (None without an index)."""
        return self.retriever.config.fusion if self.retriever is not None else None

    # ---- versions
    def load(self, catalog: ItemCatalog, *, build_missing: bool, n_enterprises: int = 0) -> None:
        """Open the current version (or the last good one); build one when there is none that fits."""
        versions = IndexVersions(self.data_dir)
        try:
            current = versions.current()
        except IndexIntegrityError as exc:
            # CURRENT is damaged: say so, and stay on the newest older version that verifies.
            _log.warning("index version %s refused: %s", versions.current_name(), exc)
            current = self._last_good_version(versions)
        folder = current.path / "items" / "vectors" if current is not None else None
        saved = saved_backend(folder) if folder is not None else None
        if current is not None and saved is not None and not self.backend.holds(folder):  # type: ignore[arg-type]
            # Configured for another vector backend (or another Milvus): build anew there, as for another model.
            _log.warning(
                "index version %s keeps its vectors in %s, the service is configured for %s: rebuilding",
                current.version,
                saved.describe(),
                self.backend.describe(),
            )
            current = None
        if current is not None and current.model_id == self.encoder.model_id:
            try:
                vectors = self.backend.load(current.path / "items" / "vectors")
                self.retriever = HybridRetriever.load(current.path / "items", self._passages, vectors=vectors)
                self._name = current.version
                self._reconcile_vectors()
            except (IndexIntegrityError, OSError, KeyError) as exc:
                _log.warning("index version %s refused: %s", current.version, exc)
                self.retriever = None
        if self.retriever is None:
            if build_missing:
                self.rebuild(catalog, n_enterprises)
            return
        self._sync(catalog)

    def _last_good_version(self, versions: IndexVersions) -> Any:
        """Return the newest complete version other than ``CURRENT`` that verifies and fits the encoder, or None."""
        damaged = versions.current_name()
        for name in reversed(versions.versions()):
            if name == damaged:
                continue
            try:
                info = versions.verify(name)
            except (IndexIntegrityError, OSError, KeyError) as exc:
                _log.warning("index version %s refused: %s", name, exc)
                continue
            if info.model_id == self.encoder.model_id:
                _log.warning("serving the last good index version %s until the next build", name)
                return info
        return None

    def _reconcile_vectors(self) -> None:
        """Bring reopened vectors back to the version's id map before syncing with the store.

        Vectors kept outside the version folder (a Milvus collection) are changed in place after
        the build, but the version's id map is the build's: documents whose chunk vectors are
        gone are dropped (``_sync`` adds them again from the store) and vectors no document of
        the map owns are removed. One process serves (and changes) an index version at a time.
        """
        retriever = self.retriever
        assert retriever is not None
        stale, orphans = retriever.reconcile()
        if orphans or stale:
            _log.info(
                "index version %s: %d documents changed since the build, %d vectors removed",
                self._name,
                stale,
                orphans,
            )

    def _sync(self, catalog: ItemCatalog) -> None:
        """Bring the loaded index in line with the catalog (texts changed since the build)."""
        assert self.retriever is not None
        held = set(self.retriever.ids)
        gone = held - set(catalog.position)
        if gone:
            self.retriever.remove(sorted(gone))
            self.changes += 1
        missing = [i for i in catalog.items if i.id not in held]
        if missing:
            self.retriever.add([i.id for i in missing], [i.indexed_text for i in missing])
            self.changes += 1

    def encode(self, catalog: ItemCatalog) -> int:
        """Encode every item window the cache lacks, without the write lock; returns how many were new."""
        config = RetrievalConfig()
        chunks = {
            chunk
            for item in catalog.items
            for chunk in chunk_text(
                item.indexed_text, config.chunk_chars, config.max_chunks, config.chunk_stride
            )
        }
        model_id = self.encoder.model_id
        new = [c for c in chunks if self.judge.cache.get(content_key(model_id, "passage", c)) is None]
        if new:
            self._passages.encode_passages(sorted(new, key=len))
        return len(new)

    def rebuild(self, catalog: ItemCatalog, n_enterprises: int = 0) -> str:
        """Build the index of ``catalog`` into a new version and switch to it atomically; returns its name."""
        self.encode(catalog)  # the slow part, outside the lock: the build below finds every vector cached
        with self._write_lock:
            # A new build gets new vectors: a fresh FAISS index, or a new Milvus collection for the new version.
            vectors = self.backend.new_index(dim=self.encoder.dim, model_id=self.encoder.model_id)
            try:
                retriever = HybridRetriever(self._passages, vectors=vectors)
                if catalog.items:
                    retriever.add([i.id for i in catalog.items], [i.indexed_text for i in catalog.items])
                digest = hashlib.sha256()
                for item in catalog.items:
                    digest.update(f"{item.id}\0{item.indexed_text}\0".encode())
                versions = IndexVersions(self.data_dir)
                meta = {
                    "items": len(catalog.items),
                    "enterprises": n_enterprises,
                    "vectors": vectors.location(),
                }
                with versions.build(
                    model_id=self.encoder.model_id, corpus_snapshot=digest.hexdigest()[:16], meta=meta
                ) as folder:
                    retriever.save(folder / "items")
            except BaseException:
                # The build failed and CURRENT is unchanged: what it put outside its folder is garbage too.
                with contextlib.suppress(Exception):  # the build's own error is the one to report
                    vectors.drop()
                raise
            name = versions.current_name() or "unknown"
            # The new version is complete and CURRENT points at it: swap readers over, keep one old version.
            self.retriever = retriever
            self._name = name
            self.changes = 0
            self._item_vectors.clear()
            self._item_chunks.clear()
            # Versions pruned (never the current one, nor the previous) take their Milvus collections along.
            versions.prune(keep=2, release=self._release_version)
            self.judge.cache.save()
            return name

    def _release_version(self, folder: Path) -> None:
        """Drop what an index version being deleted keeps outside its folder (its Milvus collection)."""
        collection = drop_saved(folder / "items" / "vectors", token=self.backend.token)
        if collection:
            _log.info("dropped Milvus collection %s of pruned index version %s", collection, folder.name)

    def policy_changed(self, old: list[CatalogItem], fresh: list[CatalogItem]) -> None:
        """Apply one policy's change (its items before and after) in place; the caller holds the write lock."""
        if self.retriever is not None:
            old_text = {i.id: i.indexed_text for i in old}
            changed = [i for i in fresh if old_text.get(i.id) != i.indexed_text]
            fresh_ids = {f.id for f in fresh}
            removed = [i.id for i in old if i.id not in fresh_ids]
            if removed:
                self.retriever.remove(removed)
            if changed:
                self.retriever.update([i.id for i in changed], [i.indexed_text for i in changed])
            for item_id in removed + [i.id for i in changed]:
                self._item_vectors.pop(item_id, None)
                self._item_chunks.pop(item_id, None)
        self.changes += 1

    def warm(self, catalog: ItemCatalog) -> None:
        """Build now what the first query would build lazily: BM25 matrices and term weights, row maps, windows.

        ``serve --workers N`` calls it in the parent before forking, so the workers share these arrays
        copy-on-write instead of each building its own copy at its first request.
        """
        retriever = self.retriever
        if retriever is None or not catalog.items:
            return
        vector = np.zeros(self.encoder.dim, dtype=np.float32)
        self.parts(catalog, "", vector, np.arange(len(catalog.items)))

    # ---- scores
    def item_vector(self, item_id: str) -> np.ndarray | None:
        """Return the item's text vector (the normalised mean of its windows), or None when it is not indexed."""
        vector = self._item_vectors.get(item_id)
        if vector is None and self.retriever is not None and item_id in self.retriever:
            mean = self.retriever.chunk_vectors([item_id])[0].mean(axis=0)
            vector = (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
            self._item_vectors[item_id] = vector
        return vector

    def parts(
        self,
        catalog: ItemCatalog,
        query: str,
        query_vector: np.ndarray | None,
        positions: np.ndarray,
        *,
        stored_tokens: str | None = None,
    ) -> PartScores:
        """Score every fusion part of the items at ``positions``, each scored exactly (no pool to miss).

        ``stored_tokens``: the tokens of ``query`` as the store keeps them for a stored enterprise
        (``matcher.query_tokens``), used when they were cut from this query for this index's analyzer;
        otherwise the query is cut here.
        """
        n = len(positions)
        retriever = self.retriever
        if retriever is None or query_vector is None or not n:
            return PartScores(np.zeros(n), None, np.zeros(n))
        terms = tokens_of(stored_tokens, query, self._tokens_version(retriever)) if stored_tokens else None
        if terms is None:
            terms = self._query_terms(retriever, query)
        bm25 = self._lexical_by_position(catalog, retriever, terms)[positions]
        passage = None
        if retriever.passages is not None:
            doc_ids, best = retriever.passages.best_scores(terms)
            passage = self._by_position(catalog, "passage", best, doc_ids)[positions]
        logs = self._chunk_matrix(catalog, retriever).log_windows
        return PartScores(
            bm25,
            passage,
            self._dense(catalog, retriever, query_vector, positions),
            log_windows=None if logs is None else logs[positions],
        )

    def _dense(
        self,
        catalog: ItemCatalog,
        retriever: HybridRetriever,
        query_vector: np.ndarray,
        positions: np.ndarray,
    ) -> np.ndarray:
        """Best window cosine of the items at ``positions``, scoring only the windows of their region groups.

        Windows are held grouped by the item's region prefix, so the items a region can see are a few
        contiguous blocks (national, province, city, district): a request scores those, not every
        window. Each row's dot product is the same whichever rows are scored with it.
        """
        chunks = self._chunk_matrix(catalog, retriever)
        vector = query_vector.ravel().astype(np.float32)
        per_item = np.zeros(len(catalog.items))
        # The groups present, in order (a count per group: no sort, as np.unique would).
        present = np.bincount(catalog.prefix_of[positions], minlength=len(chunks.group_items) - 1)
        for group in np.flatnonzero(present).tolist():
            first, last = chunks.group_items[group], chunks.group_items[group + 1]
            if first == last:
                continue
            starts = chunks.starts[first : last + 1]
            # One dot product per row (``vecdot``: BLAS's sdot, ≈ 2× einsum's speed), not a matvec: OpenBLAS
            # runs a matvec of this size on every core, and it stalls for tens of ms when the cores are busy.
            scores = np.vecdot(chunks.matrix[starts[0] : starts[-1]], vector)
            per_item[chunks.items[first:last]] = np.maximum.reduceat(scores, starts[:-1] - starts[0])
        return per_item[positions]

    def _tokens_version(self, retriever: HybridRetriever) -> str | None:
        """Return the version of stored tokens this retriever scores as its own (None: it cuts each index's text apart)."""
        kept = self._version_of
        if kept is None or kept[0] is not retriever:
            analyzer = retriever.query_analyzer()
            kept = self._version_of = (retriever, tokens_version(*analyzer) if analyzer else None)
        return kept[1]

    def _query_terms(self, retriever: HybridRetriever, query: str) -> Any:
        terms = self._tokens.get(query)
        if terms is None:
            terms = retriever.query_terms(query)
            self._tokens[query] = terms
            while len(self._tokens) > 10_000:
                self._tokens.popitem(last=False)
        return terms

    def _lexical_by_position(
        self, catalog: ItemCatalog, retriever: HybridRetriever, terms: Any
    ) -> np.ndarray:
        """Document BM25 laid out by catalog position; the row → position map is kept per generation of the rows."""
        lexical = retriever.lexical
        scores, generation = lexical.score_array(terms)
        key = (id(catalog), len(catalog.items), self.changes, id(retriever), id(lexical), generation)
        cached = self._rows_cache.get("bm25")
        if cached is None or cached[0] != key:
            ids, now = lexical.row_ids()
            if now != generation:  # the rows changed after scoring: score again with their ids, uncached
                scores, ids = lexical.score_rows(terms)
                return self._laid_out(catalog, scores, self._positions_of(catalog, ids))
            cached = self._rows_cache["bm25"] = (key, self._layout(catalog, ids), ids)
        return self._laid_out(catalog, scores, cached[1])

    def _by_position(self, catalog: ItemCatalog, kind: str, scores: np.ndarray, row_ids: Any) -> np.ndarray:
        """Scores of index rows (document ids per row) laid out by catalog position (0 where not indexed)."""
        key = (id(catalog), len(row_ids), self.changes, id(self.retriever))
        cached = self._rows_cache.get(kind)
        # The passage index hands out the same id list until its documents change: mostly an identity test.
        if cached is None or cached[0] != key or (cached[2] is not row_ids and cached[2] != row_ids):
            cached = self._rows_cache[kind] = (key, self._layout(catalog, row_ids), row_ids)
        return self._laid_out(catalog, scores, cached[1])

    @staticmethod
    def _positions_of(catalog: ItemCatalog, row_ids: Any) -> np.ndarray:
        """Catalog position of each index row's document (-1: removed or not in the catalog)."""
        position = catalog.position
        return np.array([position.get(r, -1) if r is not None else -1 for r in row_ids], dtype=np.int64)

    @classmethod
    def _layout(cls, catalog: ItemCatalog, row_ids: Any) -> np.ndarray | None:
        """``_positions_of``, or None when row n is catalog position n for every n (an index built from the catalog)."""
        rows = cls._positions_of(catalog, row_ids)
        identity = len(rows) == len(catalog.items) and bool((rows == np.arange(len(rows))).all())
        return None if identity else rows

    @staticmethod
    def _laid_out(catalog: ItemCatalog, scores: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        if rows is None:  # the rows are the catalog's positions: the scores as they are, in float64
            return np.asarray(scores)[: len(catalog.items)].astype(np.float64)
        out = np.zeros(len(catalog.items))
        found = rows >= 0
        out[rows[found]] = np.asarray(scores)[: len(rows)][found]
        return out

    def _chunk_matrix(self, catalog: ItemCatalog, retriever: HybridRetriever) -> _Chunks:
        """Window vectors of every item (one zero row for an item not indexed), items grouped by region prefix."""
        key = (id(catalog), id(retriever), self.changes)
        cached = self._chunks_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        zero = np.zeros((1, self.encoder.dim), dtype=np.float32)
        # Items not cached yet are read in one call (one round trip when the vectors live in Milvus).
        todo = [i.id for i in catalog.items if i.id not in self._item_chunks and i.id in retriever]
        if todo:
            self._item_chunks.update(zip(todo, retriever.chunk_vectors(todo), strict=True))
        # Items in order of their region prefix, then of position: each prefix's windows are one block.
        items = np.lexsort((np.arange(len(catalog.items)), catalog.prefix_of)).astype(np.int64)
        blocks, starts = [], [0]
        # Each item's number of windows (an item not indexed has none), by catalog position, as the fusion reads it.
        windows = np.zeros(len(catalog.items))
        for position in items.tolist():
            item = catalog.items[position]
            block = self._item_chunks.get(item.id)
            if block is None:
                block = zero
                if item.id in retriever:
                    block = self._item_chunks[item.id] = retriever.chunk_vectors([item.id])[0]
            windows[position] = 0 if block is zero else len(block)
            blocks.append(block if len(block) else zero)  # every item one row at least: reduceat needs it
            starts.append(starts[-1] + max(len(block), 1))
        matrix = np.ascontiguousarray(np.concatenate(blocks) if blocks else zero[:0], dtype=np.float32)
        group_items = np.searchsorted(catalog.prefix_of[items], np.arange(len(catalog.prefixes) + 1))
        chunks = _Chunks(
            matrix,
            np.asarray(starts, dtype=np.int64),
            items,
            group_items.astype(np.int64),
            log_windows(windows),
        )
        self._chunks_cache = (key, chunks)
        return chunks


@dataclass(frozen=True)
class _Chunks:
    """Window vectors of the catalog's items, held grouped by the items' region prefix."""

    matrix: np.ndarray  # (windows × dim) float32, items in ``items`` order
    starts: np.ndarray  # first window of the n-th item of ``items``; one more entry: the end
    items: np.ndarray  # catalog positions, ordered by (region prefix, position)
    group_items: np.ndarray  # where each prefix's items start in ``items``; one more entry: the end
    # log of each item's number of windows by catalog position (None: one each): what a listwise fusion reads
    log_windows: np.ndarray | None
