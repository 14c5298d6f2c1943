"""The matching service: 智能匹配 (enterprise → items) and 精准推送 (item → enterprises).

``Matcher`` is what the doors (HTTP app, CLI) call. It holds, in memory:

- every policy item with its conditions compiled into one
  :class:`~matcher.eligibility.ConditionTable`, so a match judges *all*
  region-applicable, valid items (retrieval can never lose an item whose
  conditions an enterprise meets) and uses retrieval only to rank;
- the hybrid retriever over item texts (BM25 + vectors, ``matcher.retrieval``),
  loaded from the current index version and rebuilt through the atomic switch
  of ``matcher.index_versions``; its vectors live where the ``VectorBackend``
  says (FAISS files in the version folder by default, or one Milvus collection
  per version, changed in place by incremental updates);
- every enterprise as columns (:class:`~matcher.eligibility.EnterpriseColumns`),
  so a target list is a few numpy passes over all of them.

``policy_changed`` / ``enterprise_changed`` update what a change affects; the
next query sees it. Reads run concurrently; writers swap state under a lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from corpus.conditions import LEVELS, Condition, ConditionResult, ItemVerdict
from matcher.eligibility import (
    LEVEL_RANK,
    ConditionTable,
    EnterpriseColumns,
    Gap,
    exclusion_hits,
    gaps_of,
    judge,
    profile_flags,
)
from matcher.fusion import fuse
from matcher.semantic import (
    DEFAULT_THRESHOLDS,
    SemanticJudge,
    SemanticThresholds,
    VectorCache,
    content_key,
    profile_text,
)
from matcher.targets import (
    DEFAULT_LEVELS,
    EntitledList,
    TargetOrder,
    TargetPage,
    TargetRow,
    build_row,
    check_levels,
    order_targets,
    undecidable_conditions,
)
from matcher.vector_index.backend import VectorBackend, drop_saved, saved_backend
from models.encoder import Encoder

_log = logging.getLogger(__name__)
_NATIONAL = {"", "0", "000000", "100000", "86"}
# Weight of the share of conditions met in the ranking score, beside the fused retrieval score.
RULES_WEIGHT = 0.5


def region_prefix(code: str | None) -> str:
    """Return the prefix an item's region code covers: ``330000`` → ``33``, ``331000`` → ``3310``, national → ``""``."""
    text = str(code or "").strip()
    if text in _NATIONAL:
        return ""
    if len(text) == 6:
        if text.endswith("0000"):
            return text[:2]
        if text.endswith("00"):
            return text[:4]
    return text


@dataclass(frozen=True)
class MatchResult:
    """One policy item for one enterprise (api.md's *result*)."""

    policy_id: str
    item_id: str
    title: str
    level: str
    score: float
    score_breakdown: dict[str, float]
    conditions: tuple[ConditionResult, ...]
    gaps: tuple[Gap, ...]
    fulfilment: str | None
    support: str | None
    excluded: bool = False
    exclusions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the shape of api.md's result."""
        return {
            "policy_id": self.policy_id,
            "item_id": self.item_id,
            "title": self.title,
            "level": self.level,
            "score": round(self.score, 6),
            "score_breakdown": {k: round(v, 6) for k, v in self.score_breakdown.items()},
            "conditions": [c.to_dict() for c in self.conditions],
            "gaps": [g.text for g in self.gaps],
            "fulfilment": self.fulfilment,
            "support": self.support,
            "excluded": self.excluded,
            "exclusions": list(self.exclusions),
        }


@dataclass(frozen=True)
class MatchResponse:
    """The answer to a match: ranked results, level counts, and the model and index versions used."""

    results: tuple[MatchResult, ...]
    model: str
    index: str
    enterprise_id: str | None
    counts: dict[str, int] = field(default_factory=dict)
    candidates: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (POST /v1/match's answer)."""
        return {
            "results": [r.to_dict() for r in self.results],
            "model": self.model,
            "index": self.index,
            "enterprise_id": self.enterprise_id,
            "counts": self.counts,
            "candidates": self.candidates,
        }


@dataclass(frozen=True)
class _Item:
    """A policy item as the matcher holds it."""

    id: str
    policy_id: str
    title: str
    text: str
    region_prefix: str
    valid_until: float  # day number, +inf when open-ended
    fulfilment: str | None
    support: str | None
    conditions: tuple[Condition, ...]
    tag_words: frozenset[str]


@dataclass(frozen=True)
class _ItemState:
    """Everything read from the items, swapped whole when a policy changes."""

    items: tuple[_Item, ...]
    position: dict[str, int]
    table: ConditionTable
    prefixes: tuple[str, ...]
    prefix_of: np.ndarray
    has_region: np.ndarray
    valid_until: np.ndarray
    id_array: np.ndarray
    tag_vocab: dict[str, int]
    tag_matrix: Any  # scipy CSR (items × tag words) or None
    tag_counts: np.ndarray


class EnterpriseNotFound(LookupError):
    """No enterprise with that id in the store."""


class ItemNotFound(LookupError):
    """No policy or item with that id."""


def _support_text(text: str, tags: Mapping[str, Any] | None) -> str | None:
    for key in ("support", "amount_text", "amount"):
        value = (tags or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    # Linear in the text (issue 18): the regex it replaces backtracked quadratically, and every restart reads each item.
    from matcher.extraction.support import support_text

    return support_text(text)


def _tag_words(tags: Mapping[str, Any] | None) -> frozenset[str]:
    words: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if value.strip():
                words.add(value.strip())
        elif isinstance(value, Mapping):
            for v in value.values():
                walk(v)
        elif isinstance(value, Iterable):
            for v in value:
                walk(v)

    for key, value in (tags or {}).items():
        if key not in ("amount", "cap", "deadline", "department", "support", "amount_text"):
            walk(value)
    return frozenset(words)


def enterprise_tag_words(profile: Mapping[str, Any]) -> frozenset[str]:
    """Words an enterprise is tagged with: industry path, qualifications, size class, region path."""
    words: set[str] = set()
    industry = str(profile.get("industry_code") or "").strip().upper()
    if industry:
        letter = industry[0] if industry[0].isalpha() else ""
        digits = industry.lstrip("ABCDEFGHIJKLMNOPQRST")
        words.add(letter)
        words.update(letter + digits[:n] for n in (2, 3, 4) if len(digits) >= n)
        words.update(digits[:n] for n in (2, 3, 4) if len(digits) >= n)
    for title in profile.get("qualifications") or ():
        words.add(str(title))
    if profile.get("size_class"):
        words.add(str(profile["size_class"]))
    region = str(profile.get("region_code") or "")
    words.update(region[:n] for n in (2, 4, 6) if len(region) >= n)
    return frozenset(w for w in words if w)


def query_text(profile: Mapping[str, Any]) -> str:
    """Build the text an enterprise searches policy items with: name, industry, scope, products, qualifications."""
    industry = str(profile.get("industry_code") or "")
    try:
        from corpus import reference

        industry_name = (reference.industry_name(industry) if industry else None) or ""
    except Exception:  # noqa: BLE001 - a missing table only loses a word of the query
        industry_name = ""
    parts = [
        str(profile.get("name") or ""),
        industry_name,
        str(profile.get("business_scope") or ""),
        str(profile.get("products") or ""),
        " ".join(str(q) for q in profile.get("qualifications") or ()),
    ]
    return " ".join(p for p in parts if p.strip())[:1000]


def _tag_index(items: Sequence[_Item]) -> dict[str, Any]:
    """Items × tag-word incidence (CSR), so tag overlap is one sparse product per query."""
    import scipy.sparse as sp

    vocab: dict[str, int] = {}
    rows, cols = [], []
    for n, item in enumerate(items):
        for word in item.tag_words:
            rows.append(n)
            cols.append(vocab.setdefault(word, len(vocab)))
    counts = np.array([len(i.tag_words) for i in items], dtype=np.float64)
    if not vocab:
        return {"tag_vocab": vocab, "tag_matrix": None, "tag_counts": counts}
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(items), len(vocab)))
    return {"tag_vocab": vocab, "tag_matrix": matrix, "tag_counts": counts}


def _day_number(value: Any) -> float:
    if not value:
        return math.inf
    try:
        return float(dt.date.fromisoformat(str(value)[:10]).toordinal())
    except ValueError:
        return math.inf


class _PassageCache:
    """The matcher's encoder with item passages cached by content hash (in the semantic judge's cache).

    A rebuild then encodes only passages it has not seen (all of them after a model change),
    and :meth:`Matcher.rebuild_index` does that before it takes the write lock, so writers wait
    for the build, not for the encoder.
    """

    def __init__(self, encoder: Encoder, judge: SemanticJudge) -> None:
        self._encoder = encoder
        self._judge = judge

    @property
    def dim(self) -> int:
        """Vector dimension of the wrapped encoder."""
        return int(self._encoder.dim)

    @property
    def model_id(self) -> str:
        """Model id of the wrapped encoder (what an index version records)."""
        return str(self._encoder.model_id)

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Encode queries with the wrapped encoder (queries are not cached here)."""
        return self._encoder.encode_queries(texts, batch_size=batch_size)

    def encode_passages(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Encode passages, reusing every vector the cache holds."""
        return self._judge.condition_vectors(texts)


class Matcher:
    """Both directions of matching over one store, one encoder and one data directory."""

    def __init__(
        self,
        data_dir: Path,
        store: Any,
        encoder: Encoder,
        *,
        thresholds: SemanticThresholds = DEFAULT_THRESHOLDS,
        today: dt.date | None = None,
        vectors: VectorBackend | None = None,
    ) -> None:
        """Wire the parts (``vectors``: where item vectors live, FAISS by default); :meth:`open` is the usual way in."""
        self.data_dir = Path(data_dir)
        self.vector_backend = vectors or VectorBackend()
        self.store = store
        self.encoder = encoder
        self._today = today
        self._cache_path = self.data_dir / "cache" / "text_vectors.npz"
        self.judge = SemanticJudge(encoder, thresholds, VectorCache(path=self._cache_path))
        self._passages = _PassageCache(encoder, self.judge)
        self.columns = EnterpriseColumns()
        self._write_lock = threading.RLock()
        self._retriever: Any = None
        self._index_name = "none"
        self._changes = 0
        self._state: _ItemState = self._compile([])
        self._orders: OrderedDict[tuple[Any, ...], TargetOrder] = OrderedDict()
        self._orders_lock = threading.Lock()
        self._item_vectors: dict[str, np.ndarray] = {}
        self._item_chunks: dict[str, np.ndarray] = {}
        self._chunks_cache: tuple[Any, np.ndarray, np.ndarray] | None = None
        self._row_positions: tuple[Any, np.ndarray, list[str | None]] | None = None
        self._tokens: OrderedDict[str, list[str]] = OrderedDict()
        self._semantic_cache: tuple[ConditionTable, np.ndarray] | None = None

    # ---- lifecycle
    @classmethod
    def open(
        cls, data_dir: Path, store: Any, encoder: Encoder, *, build_index: bool = True, **kwargs: Any
    ) -> Matcher:
        """Load items and conditions from ``store``, the current index version (built when missing), and enterprises."""
        matcher = cls(data_dir, store, encoder, **kwargs)
        matcher.reload_items()
        matcher._load_index(build_missing=build_index)
        matcher.reload_enterprises()
        return matcher

    @property
    def model_version(self) -> str:
        """The encoder's model id (registry version and backend)."""
        return str(self.encoder.model_id)

    @property
    def index_version(self) -> str:
        """The index version in use; ``+N`` counts incremental changes applied since it was built."""
        return self._index_name if not self._changes else f"{self._index_name}+{self._changes}"

    @property
    def today(self) -> dt.date:
        """The date validity is judged on."""
        return self._today or dt.date.today()

    def close(self) -> None:
        """Persist the text-vector cache."""
        self.judge.cache.save()

    # ---- items
    def _read_items(self, policy_ids: Iterable[str] | None = None) -> list[_Item]:
        out = []
        for item in self.store.iter_items() if policy_ids is None else self._iter_policy_items(policy_ids):
            tags = self.store.item_tags(item.id)
            out.append(
                _Item(
                    id=item.id,
                    policy_id=item.policy_id,
                    title=item.title,
                    text=item.text,
                    region_prefix=region_prefix(item.region_code),
                    valid_until=_day_number(item.valid_until),
                    fulfilment=item.fulfilment,
                    support=_support_text(item.text, tags),
                    conditions=tuple(self.store.item_conditions(item.id)),
                    tag_words=_tag_words(tags),
                )
            )
        return out

    def _iter_policy_items(self, policy_ids: Iterable[str]) -> Iterator[Any]:
        for policy_id in policy_ids:
            yield from self.store.iter_items(policy_id)

    def _compile(self, items: Sequence[_Item]) -> _ItemState:
        items = tuple(sorted(items, key=lambda i: i.id))
        prefixes = tuple(sorted({i.region_prefix for i in items}))
        prefix_index = {p: n for n, p in enumerate(prefixes)}
        return _ItemState(
            items=items,
            position={item.id: n for n, item in enumerate(items)},
            table=ConditionTable([item.conditions for item in items]),
            prefixes=prefixes,
            prefix_of=np.array([prefix_index[i.region_prefix] for i in items], dtype=np.int64),
            has_region=np.array([bool(i.region_prefix) for i in items], dtype=bool),
            valid_until=np.array([i.valid_until for i in items], dtype=np.float64),
            id_array=np.array([i.id for i in items], dtype=object),
            **_tag_index(items),
        )

    def reload_items(self) -> None:
        """Read every item and its conditions from the store and recompile."""
        with self._write_lock:
            self._state = self._compile(self._read_items())
            self._orders.clear()

    def _item_text(self, item: _Item) -> str:
        return f"{item.title}\n{item.text}" if item.title and item.title not in item.text else item.text

    # ---- index
    def _load_index(self, build_missing: bool) -> None:
        from matcher.index_versions import IndexIntegrityError, IndexVersions
        from matcher.retrieval import HybridRetriever

        versions = IndexVersions(self.data_dir)
        try:
            current = versions.current()
        except IndexIntegrityError as exc:
            # CURRENT is damaged: say so, and stay on the newest older version that verifies.
            _log.warning("index version %s refused: %s", versions.current_name(), exc)
            current = self._last_good_version(versions)
        saved = saved_backend(current.path / "items" / "vectors") if current is not None else None
        if (
            current is not None
            and saved is not None
            and not self.vector_backend.holds(current.path / "items" / "vectors")
        ):
            # Configured for another vector backend (or another Milvus): build anew there, as for another model.
            _log.warning(
                "index version %s keeps its vectors in %s, the service is configured for %s: rebuilding",
                current.version,
                saved.describe(),
                self.vector_backend.describe(),
            )
            current = None
        if current is not None and current.model_id == self.encoder.model_id:
            try:
                vectors = self.vector_backend.load(current.path / "items" / "vectors")
                self._retriever = HybridRetriever.load(
                    current.path / "items", self._passages, vectors=vectors
                )
                self._index_name = current.version
                if self.vector_backend.is_milvus:
                    self._reconcile_vectors()
            except (IndexIntegrityError, OSError, KeyError) as exc:
                _log.warning("index version %s refused: %s", current.version, exc)
                self._retriever = None
        if self._retriever is None:
            if build_missing:
                self.rebuild_index()
            return
        self._sync_retriever()

    def _last_good_version(self, versions: Any) -> Any:
        """Return the newest complete version other than ``CURRENT`` that verifies and fits the encoder, or None."""
        from matcher.index_versions import IndexIntegrityError

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
        """Bring a reopened Milvus collection back to its version's id map before syncing with the store.

        The collection was changed in place after the build (``policy_changed``), but the
        version's id map is the build's: documents whose chunk vectors are gone are dropped
        (``_sync_retriever`` adds them again from the store) and vectors no document of the
        map owns are removed. One process serves (and changes) an index version at a time.
        """
        retriever = self._retriever
        present = set(retriever.vectors.ids().tolist())
        expected: set[int] = set()
        stale = []
        for doc_id in retriever.ids:
            chunk_ids = retriever._chunk_ids([doc_id]).tolist()
            expected.update(chunk_ids)
            if not present.issuperset(chunk_ids):
                stale.append(doc_id)
        orphans = sorted(present - expected)
        if orphans:
            retriever.vectors.remove(orphans)
        if stale:
            retriever.remove(stale)
        if orphans or stale:
            _log.info(
                "index version %s: %d documents changed since the build, %d vectors removed",
                self._index_name,
                len(stale),
                len(orphans),
            )

    def _sync_retriever(self) -> None:
        """Bring the loaded index in line with the store's items (texts changed since the build)."""
        state = self._state
        held = set(self._retriever.ids)
        gone = held - set(state.position)
        if gone:
            self._retriever.remove(sorted(gone))
            self._changes += 1
        missing = [i for i in state.items if i.id not in held]
        if missing:
            self._retriever.add([i.id for i in missing], [self._item_text(i) for i in missing])
            self._changes += 1

    def encode_items(self) -> int:
        """Encode every item's passages the cache lacks, without the write lock; returns how many were new.

        :meth:`rebuild_index` calls it first; a caller holding its own write lock (the HTTP
        rebuild route) calls it before taking that lock.
        """
        from matcher.retrieval import RetrievalConfig, chunk_text

        config = RetrievalConfig()
        chunks = {
            chunk
            for item in self._state.items
            for chunk in chunk_text(
                self._item_text(item), config.chunk_chars, config.max_chunks, config.chunk_stride
            )
        }
        model_id = self.encoder.model_id
        new = [c for c in chunks if self.judge.cache.get(content_key(model_id, "passage", c)) is None]
        if new:
            self._passages.encode_passages(sorted(new, key=len))
        return len(new)

    def rebuild_index(self) -> str:
        """Build the item index from scratch into a new version and switch to it atomically; returns its name."""
        from matcher.index_versions import IndexVersions
        from matcher.retrieval import HybridRetriever

        self.encode_items()  # the slow part, outside the lock: the build below finds every vector cached
        with self._write_lock:
            state = self._state
            # A new build gets new vectors: a fresh FAISS index, or a new Milvus collection for the new version.
            vectors = self.vector_backend.new_index(dim=self.encoder.dim, model_id=self.encoder.model_id)
            try:
                retriever = HybridRetriever(self._passages, vectors=vectors)
                if state.items:
                    retriever.add([i.id for i in state.items], [self._item_text(i) for i in state.items])
                digest = hashlib.sha256()
                for item in state.items:
                    digest.update(f"{item.id}\0{self._item_text(item)}\0".encode())
                versions = IndexVersions(self.data_dir)
                meta = {
                    "items": len(state.items),
                    "enterprises": self.columns.n_alive,
                    "vectors": {
                        **self.vector_backend.describe(),
                        "collection": getattr(vectors, "collection", ""),
                    },
                }
                with versions.build(
                    model_id=self.encoder.model_id, corpus_snapshot=digest.hexdigest()[:16], meta=meta
                ) as folder:
                    retriever.save(folder / "items")
            except BaseException:
                # The build failed and CURRENT is unchanged: its new collection is garbage, as its folder is.
                drop = getattr(vectors, "drop", None)
                if drop is not None:
                    with contextlib.suppress(Exception):  # the build's own error is the one to report
                        drop()
                raise
            name = versions.current_name() or "unknown"
            # The new version is complete and CURRENT points at it: swap readers over, keep one old version.
            self._retriever = retriever
            self._index_name = name
            self._changes = 0
            self._item_vectors.clear()
            self._item_chunks.clear()
            self._orders.clear()
            # Versions pruned (never the current one, nor the previous) take their Milvus collections along.
            versions.prune(keep=2, release=self._release_version)
            self.judge.cache.save()
            return name

    def _release_version(self, folder: Path) -> None:
        """Drop what an index version being deleted keeps outside its folder (its Milvus collection)."""
        collection = drop_saved(folder / "items" / "vectors", token=self.vector_backend.token)
        if collection:
            _log.info("dropped Milvus collection %s of pruned index version %s", collection, folder.name)

    def _item_vector(self, item_id: str) -> np.ndarray | None:
        vector = self._item_vectors.get(item_id)
        if vector is None and self._retriever is not None and item_id in self._retriever:
            chunk_ids = self._retriever._chunk_ids([item_id])
            chunks = self._retriever.vectors.reconstruct(chunk_ids)
            mean = chunks.mean(axis=0)
            vector = (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
            self._item_vectors[item_id] = vector
        return vector

    # ---- enterprises
    def reload_enterprises(self, batch_size: int = 5000) -> int:
        """Load every enterprise from the store into the columns (cached text vectors included)."""
        columns = EnterpriseColumns(capacity=max(1024, int(self.store.count_enterprises() * 1.1)))
        batch: list[dict[str, Any]] = []
        for profile in self.store.iter_enterprises():
            batch.append(profile.to_dict())
            if len(batch) >= batch_size:
                self._add_to_columns(columns, batch, encode=False)
                batch = []
        if batch:
            self._add_to_columns(columns, batch, encode=False)
        with self._write_lock:
            self.columns = columns
            self._orders.clear()
        return columns.n_alive

    def _add_to_columns(
        self, columns: EnterpriseColumns, profiles: list[dict[str, Any]], *, encode: bool
    ) -> None:
        rows = columns.upsert(profiles)
        texts = [profile_text(p) for p in profiles]
        with_text = [(r, t) for r, t in zip(rows, texts, strict=True) if t]
        if not with_text:
            return
        if encode:
            vectors = self.judge.text_vectors([t for _, t in with_text])
            columns.set_vectors([r for r, _ in with_text], vectors)
            return
        # Only what the cache already holds: encoding every enterprise is `index build`'s job.
        from matcher.semantic import content_key

        found = [
            (r, v)
            for r, t in with_text
            if (v := self.judge.cache.get(content_key(self.encoder.model_id, "query", t))) is not None
        ]
        if found:
            columns.set_vectors([r for r, _ in found], np.stack([v for _, v in found]))

    def encode_enterprises(self, batch_size: int = 256) -> int:
        """Encode the text of every enterprise that has none cached yet (for semantic conditions); returns how many."""
        columns = self.columns
        todo = [r for r in range(len(columns)) if columns.alive[r] and not columns.has_vector[r]]
        done = 0
        for start in range(0, len(todo), batch_size):
            rows = todo[start : start + batch_size]
            texts = [profile_text(columns.profile_view(r)) for r in rows]
            keep = [(r, t) for r, t in zip(rows, texts, strict=True) if t]
            if keep:
                columns.set_vectors([r for r, _ in keep], self.judge.text_vectors([t for _, t in keep]))
                done += len(keep)
        with self._write_lock:
            self._orders.clear()
        self.judge.cache.save()
        return done

    def enterprise_changed(self, ids: Iterable[str]) -> None:
        """Re-read these enterprises from the store (deleted ones leave); the next target list sees the change."""
        ids = [str(i) for i in ids]
        profiles, gone = [], []
        for enterprise_id in ids:
            profile = self.store.get_enterprise(enterprise_id)
            if profile is None:
                gone.append(enterprise_id)
            else:
                profiles.append(profile.to_dict())
        with self._write_lock:
            if profiles:
                self._add_to_columns(self.columns, profiles, encode=True)
            if gone:
                self.columns.remove(gone)
            self._orders.clear()

    def policy_changed(self, policy_id: str) -> None:
        """Re-read one policy's items and conditions (gone when deleted); index and verdicts follow."""
        with self._write_lock:
            state = self._state
            fresh = self._read_items([policy_id])
            old = [i for i in state.items if i.policy_id == policy_id]
            kept = [i for i in state.items if i.policy_id != policy_id]
            self._state = self._compile(kept + fresh)
            if self._retriever is not None:
                old_text = {i.id: self._item_text(i) for i in old}
                changed = [i for i in fresh if old_text.get(i.id) != self._item_text(i)]
                removed = [i.id for i in old if i.id not in {f.id for f in fresh}]
                if removed:
                    self._retriever.remove(removed)
                if changed:
                    self._retriever.update([i.id for i in changed], [self._item_text(i) for i in changed])
                for item_id in removed + [i.id for i in changed]:
                    self._item_vectors.pop(item_id, None)
                    self._item_chunks.pop(item_id, None)
            self._changes += 1
            self._orders.clear()

    # ---- 智能匹配
    def profile_for(
        self, enterprise_id: str | None = None, profile: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Return the profile a match runs on: a stored enterprise, or an ad-hoc profile validated by ``validate_profile``."""
        if (enterprise_id is None) == (profile is None):
            raise ValueError("give exactly one of enterprise_id or profile")
        if enterprise_id is not None:
            stored = self.store.get_enterprise(enterprise_id)
            if stored is None:
                raise EnterpriseNotFound(f"no enterprise with id {enterprise_id!r}")
            return dict(stored.to_dict())
        from corpus.schemas import validate_profile

        data = dict(profile or {})
        data.setdefault("id", "ad-hoc")
        data.setdefault("name", "（临时画像）")
        return dict(validate_profile(data).to_dict())

    def match(
        self,
        enterprise_id: str | None = None,
        profile: Mapping[str, Any] | None = None,
        top_k: int = 20,
        levels: Sequence[str] = DEFAULT_LEVELS,
        include_excluded: bool = True,
    ) -> MatchResponse:
        """Rank policy items for an enterprise (by id or ad-hoc profile): eligible, need_info, near_miss; within a level by relevance."""
        if top_k <= 0:
            raise ValueError(f"top_k must be positive, got {top_k}")
        levels = check_levels(levels)
        data = self.profile_for(enterprise_id, profile)
        state, retriever = self._state, self._retriever
        n = len(state.items)
        if not n:
            return MatchResponse((), self.model_version, self.index_version, enterprise_id)

        # Candidates: region-applicable and still valid. Unknown region keeps every item, with the region unknown.
        region = str(data.get("region_code") or "")
        if region:
            per_prefix = np.array([region.startswith(p) for p in state.prefixes], dtype=bool)
            applicable = per_prefix[state.prefix_of]
            region_unknown = np.zeros(n, dtype=bool)
        else:
            applicable = np.ones(n, dtype=bool)
            region_unknown = state.has_region
        applicable &= state.valid_until >= self.today.toordinal()

        semantic_scores = None
        if state.table.semantic_texts:
            vector = self.judge.profile_vector(data)
            if vector is not None:
                semantic_scores = self._semantic_matrix(state) @ vector
        codes = state.table.verdict_codes(data, semantic_scores, self.judge.codes)
        verdicts = state.table.levels_from_codes(codes)
        level = verdicts.level.copy()
        level[region_unknown & (level == 0)] = 1  # an unknown region is missing data: need_info at best

        wanted = np.zeros(len(LEVELS), dtype=bool)
        wanted[[LEVEL_RANK[lvl] for lvl in levels]] = True
        chosen = applicable & wanted[level]
        # Kept out only by an exclusion (失信, 重大违法) from a level asked for: listed, flagged.
        excluded = (
            applicable
            & verdicts.excluded
            & wanted[verdicts.level_without_exclusions]
            & include_excluded
            & ~chosen
        )
        counts: dict[str, int] = {}
        for rank, name in enumerate(LEVELS):
            if n_level := int((chosen & (level == rank)).sum()):
                counts[name] = n_level
        if excluded.any():
            counts["excluded"] = int(excluded.sum())

        # Ranking: level first; within a level by fused retrieval score plus the share of conditions met.
        rules = np.where(
            verdicts.n_conditions > 0, verdicts.n_met / np.maximum(verdicts.n_conditions, 1), 1.0
        )
        tags_mine = enterprise_tag_words(data)
        query = query_text(data)
        # One encoding per profile: its business scope + products (else the whole query text) as a query.
        dense_text = profile_text(data) or query
        query_vector = self.judge.text_vectors([dense_text]) if retriever is not None and dense_text else None
        candidates = np.flatnonzero(chosen | excluded)
        bm25, dense, tags = self._relevance(state, retriever, candidates, query, query_vector, tags_mine)
        config = retriever.config.fusion if retriever is not None else None
        fused = fuse(bm25, dense, tags, config).total if len(candidates) else np.zeros(0)
        relevance = 1.0 / (1.0 + np.exp(-fused))
        score = (1 - RULES_WEIGHT) * relevance + RULES_WEIGHT * rules[candidates]
        level_key = np.where(excluded[candidates], len(LEVELS), level[candidates])
        # Items are held sorted by id, so the position is the id's rank: a stable last key.
        order = np.lexsort((candidates, -np.round(score, 9), level_key))[:top_k]
        picked = [
            (
                int(candidates[j]),
                {
                    "bm25": float(bm25[j]),
                    "dense": float(dense[j]),
                    "tags": float(tags[j]),
                    "rules": float(rules[candidates[j]]),
                },
                float(score[j]),
                bool(excluded[candidates[j]]),
            )
            for j in order
        ]

        results = []
        for position, breakdown, score, is_excluded in picked:
            item = state.items[position]
            verdict = judge(item.conditions, data, self.judge)
            level_name = verdict.level
            if region_unknown[position] and level_name == "eligible":
                level_name = "need_info"
            gaps = gaps_of(verdict)
            if region_unknown[position]:
                gaps += (
                    Gap(
                        "region_code",
                        "unknown",
                        f"缺少注册地数据（region_code），本项适用区域 {item.region_prefix}",
                    ),
                )
            results.append(
                MatchResult(
                    policy_id=item.policy_id,
                    item_id=item.id,
                    title=item.title,
                    level=level_name,
                    score=score,
                    score_breakdown=breakdown,
                    conditions=verdict.results,
                    gaps=gaps,
                    fulfilment=item.fulfilment,
                    support=item.support,
                    excluded=is_excluded,
                    exclusions=exclusion_hits(verdict),
                )
            )
        if enterprise_id is not None:
            self._remember_vector(enterprise_id, data)
        return MatchResponse(
            tuple(results),
            self.model_version,
            self.index_version,
            enterprise_id,
            counts,
            int(applicable.sum()),
        )

    def _relevance(
        self,
        state: _ItemState,
        retriever: Any,
        positions: np.ndarray,
        query: str,
        query_vector: np.ndarray | None,
        tags_mine: frozenset[str],
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """BM25, dense (best chunk) and tag overlap of every candidate, each scored exactly (no pool to miss)."""
        n = len(positions)
        tags = self._tag_overlap(state, tags_mine)[positions]
        if retriever is None or query_vector is None or not n:
            return np.zeros(n), np.zeros(n), tags
        bm25 = self._bm25_all(state, retriever, query)[positions]
        matrix, starts = self._chunk_matrix(state, retriever)
        # einsum, not BLAS: a multi-threaded matvec stalls for tens of ms when the cores are busy.
        chunk_scores = np.einsum("ij,j->i", matrix, query_vector.ravel().astype(np.float32))
        per_item = (
            np.maximum.reduceat(chunk_scores, starts[:-1])
            if len(chunk_scores)
            else np.zeros(len(state.items))
        )
        dense = per_item[positions].astype(np.float64)
        return bm25, dense, tags

    def _semantic_matrix(self, state: _ItemState) -> np.ndarray:
        """Vectors of every semantic condition text of the compiled table (encoded once per state)."""
        cached = self._semantic_cache
        if cached is None or cached[0] is not state.table:
            cached = self._semantic_cache = (
                state.table,
                self.judge.condition_vectors(state.table.semantic_texts),
            )
        return cached[1]

    def _tag_overlap(self, state: _ItemState, tags_mine: frozenset[str]) -> np.ndarray:
        """Share of each item's tag words the enterprise carries (0 for untagged items), over all items."""
        words = [state.tag_vocab[w] for w in tags_mine if w in state.tag_vocab]
        if not words or state.tag_matrix is None:
            return np.zeros(len(state.items))
        indicator = np.zeros(state.tag_matrix.shape[1])
        indicator[words] = 1.0
        hits = state.tag_matrix @ indicator
        return np.asarray(hits / np.maximum(state.tag_counts, 1), dtype=np.float64)

    def _bm25_all(self, state: _ItemState, retriever: Any, query: str) -> np.ndarray:
        """BM25 of ``query`` for every item position (0 for items not in the lexical index)."""
        lexical = retriever.lexical
        tokens = self._tokens.get(query)
        if tokens is None:
            tokens = lexical.tokenizer(query)
            self._tokens[query] = tokens
            while len(self._tokens) > 10_000:
                self._tokens.popitem(last=False)
        scores, row_ids = lexical.score_rows(tokens)
        key = (id(state), id(lexical), len(row_ids), self._changes)
        cached = self._row_positions
        if cached is None or cached[0] != key or cached[2] != row_ids:
            position = state.position
            rows = np.array([position.get(r, -1) if r is not None else -1 for r in row_ids], dtype=np.int64)
            cached = self._row_positions = (key, rows, row_ids)
        rows = cached[1]
        out = np.zeros(len(state.items))
        found = rows >= 0
        out[rows[found]] = scores[: len(rows)][found]
        return out

    def _chunk_matrix(self, state: _ItemState, retriever: Any) -> tuple[np.ndarray, np.ndarray]:
        """Chunk vectors of every item in position order (one zero row for an item not indexed), with item starts."""
        key = (id(state), id(retriever), self._changes)
        cached = self._chunks_cache
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        blocks, starts = [], [0]
        zero = np.zeros((1, self.encoder.dim), dtype=np.float32)
        # Items not cached yet are read in one call (one round trip when the vectors live in Milvus).
        todo = [i.id for i in state.items if i.id not in self._item_chunks and i.id in retriever]
        if todo:
            counts = [len(retriever._chunk_ids([item_id])) for item_id in todo]
            read = retriever.vectors.reconstruct(retriever._chunk_ids(todo))
            bounds = np.cumsum([0, *counts])
            for n, item_id in enumerate(todo):
                self._item_chunks[item_id] = read[bounds[n] : bounds[n + 1]]
        for item in state.items:
            block = self._item_chunks.get(item.id)
            if block is None:
                block = zero
                if item.id in retriever:
                    block = retriever.vectors.reconstruct(retriever._chunk_ids([item.id]))
                    self._item_chunks[item.id] = block
            blocks.append(block)
            starts.append(starts[-1] + len(block))
        matrix = np.ascontiguousarray(np.concatenate(blocks) if blocks else zero[:0], dtype=np.float32)
        start_array = np.asarray(starts, dtype=np.int64)
        self._chunks_cache = (key, matrix, start_array)
        return matrix, start_array

    def _remember_vector(self, enterprise_id: str, profile: Mapping[str, Any]) -> None:
        """Keep the enterprise's text vector in the columns, so its semantic verdicts are known in target lists."""
        row = self.columns.row.get(enterprise_id)
        text = profile_text(profile)
        if row is None or not text or self.columns.has_vector[row]:
            return
        vector = self.judge.profile_vector(profile)
        if vector is not None:
            self.columns.set_vectors([row], vector.reshape(1, -1))

    # ---- 精准推送
    def _find_items(self, policy_id: str, item_id: str | None) -> list[_Item]:
        state = self._state
        if item_id is not None:
            position = state.position.get(item_id)
            if position is None or state.items[position].policy_id != policy_id:
                raise ItemNotFound(f"policy {policy_id!r} has no item {item_id!r}")
            return [state.items[position]]
        items = [i for i in state.items if i.policy_id == policy_id]
        if not items:
            raise ItemNotFound(f"no policy with id {policy_id!r} (or it has no items)")
        return items

    def target_order(
        self,
        policy_id: str,
        item_id: str | None = None,
        levels: Sequence[str] = DEFAULT_LEVELS,
        include_excluded: bool = True,
    ) -> TargetOrder:
        """Compute the whole ordered target list of one item (the policy's only item when ``item_id`` is None)."""
        items = self._find_items(policy_id, item_id)
        if item_id is None and len(items) > 1:
            raise ValueError(
                f"policy {policy_id!r} has {len(items)} items; name one with item_id (e.g. {items[0].id!r})"
            )
        item = items[0]
        levels = check_levels(levels)
        columns = self.columns
        key = (
            item.id,
            levels,
            include_excluded,
            columns.version,
            id(self._state),
            self.index_version,
            self.today,
        )
        with self._orders_lock:
            cached = self._orders.get(key)
        if cached is not None:
            return cached
        semantic_scores = None
        semantic = [c for c in item.conditions if c.op == "semantic"]
        if semantic and columns.vectors is not None:
            texts = [str(c.value or c.span) for c in semantic]
            vectors = self.judge.condition_vectors(texts)
            semantic_scores = {
                t: columns.vectors[: len(columns)] @ v for t, v in zip(texts, vectors, strict=True)
            }
        with columns._lock:
            verdicts = columns.judge(item.conditions, semantic_scores, self.judge.codes)
            applicable = columns.region_applicable(item.region_prefix)
            if item.valid_until < self.today.toordinal():
                applicable = np.zeros_like(applicable)  # an expired item has no one to notify
            dense = None
            vector = self._item_vector(item.id)
            if vector is not None and columns.vectors is not None:
                dense = np.where(
                    columns.has_vector[: len(columns)], columns.vectors[: len(columns)] @ vector, 0.0
                )
            order = order_targets(item.id, columns, verdicts, applicable, levels, dense, include_excluded)
        with self._orders_lock:
            self._orders[key] = order
            while len(self._orders) > 32:
                self._orders.popitem(last=False)
        return order

    def targets(
        self,
        policy_id: str,
        item_id: str | None = None,
        levels: Sequence[str] = DEFAULT_LEVELS,
        offset: int = 0,
        limit: int = 50,
        include_excluded: bool = True,
    ) -> TargetPage:
        """One page of an item's target list, in the stable order (level, score desc, enterprise id)."""
        if offset < 0 or limit <= 0:
            raise ValueError(f"offset must be >= 0 and limit > 0, got offset={offset} limit={limit}")
        order = self.target_order(policy_id, item_id, levels, include_excluded)
        item = self._find_items(policy_id, order.item_id)[0]
        end = min(len(order), offset + limit)
        rows = tuple(
            build_row(order, p, self.columns, item.policy_id, item.conditions) for p in range(offset, end)
        )
        return TargetPage(len(order), rows, offset, limit, order.counts(), self.index_version)

    def iter_targets(
        self,
        policy_id: str,
        item_id: str | None = None,
        levels: Sequence[str] = DEFAULT_LEVELS,
        include_excluded: bool = True,
    ) -> Iterator[TargetRow]:
        """Every row of an item's target list, in order (for CSV export), spelled out lazily."""
        order = self.target_order(policy_id, item_id, levels, include_excluded)
        item = self._find_items(policy_id, order.item_id)[0]
        columns = self.columns
        for position in range(len(order)):
            yield build_row(order, position, columns, item.policy_id, item.conditions)

    def entitled(self, policy_id: str, item_id: str | None = None) -> list[EntitledList]:
        """免申即享 lists: per item, the enterprises meeting every condition, when all its conditions are decidable."""
        out = []
        for item in self._find_items(policy_id, item_id):
            blocked = undecidable_conditions(item.conditions)
            if blocked:
                out.append(EntitledList(item.policy_id, item.id, False, blocked, (), ()))
                continue
            order = self.target_order(item.policy_id, item.id, ("eligible",), include_excluded=False)
            ids = tuple(self.columns.ids[int(r)] for r in order.rows)
            flagged = tuple(
                (self.columns.ids[int(r)], self.columns.flags[int(r)])
                for r in order.rows
                if self.columns.flags[int(r)]
            )
            out.append(EntitledList(item.policy_id, item.id, True, (), ids, flagged))
        return out

    def explain(self, item_id: str, enterprise_id: str) -> ItemVerdict:
        """Judge one item for one stored enterprise (every condition with its evidence)."""
        position = self._state.position.get(item_id)
        if position is None:
            raise ItemNotFound(f"no item with id {item_id!r}")
        data = self.profile_for(enterprise_id=enterprise_id)
        return judge(self._state.items[position].conditions, data, self.judge)

    @property
    def n_items(self) -> int:
        """Items held."""
        return len(self._state.items)

    def flags_of(self, enterprise_id: str) -> tuple[str, ...]:
        """失信 / 重大违法 marks of a stored enterprise."""
        stored = self.store.get_enterprise(enterprise_id)
        return profile_flags(stored.to_dict()) if stored is not None else ()
