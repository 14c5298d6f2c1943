"""The matching service: 智能匹配 (enterprise → items) and 精准推送 (item → enterprises).

``Matcher`` is what the doors (HTTP app, CLI) call: a thin facade over parts
with one job each —

- :class:`~matcher.item_catalog.ItemCatalog`: every item, its conditions compiled
  (one immutable snapshot, swapped whole when a policy changes);
- :class:`~matcher.item_index.ItemIndex`: BM25 + passages + vectors of the item
  texts, in index versions switched atomically, vectors on the configured backend;
- :class:`~matcher.enterprise_directory.EnterpriseDirectory`: every enterprise as columns;
- :class:`~matcher.target_lists.TargetLists`: 精准推送 and 免申即享 over those columns;
- :func:`~matcher.matching.match_items`: 智能匹配, ranked by the one served fusion.

``policy_changed`` / ``enterprise_changed`` update what a change affects; the
next query sees it. Reads run concurrently; writers swap state under one lock.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from corpus.conditions import ItemVerdict, judge_item
from matcher.eligibility import EnterpriseColumns, profile_flags
from matcher.encoder_text import query_text
from matcher.enterprise_directory import EnterpriseDirectory
from matcher.item_catalog import ItemCatalog, ItemNotFound, read_items, region_prefix
from matcher.item_index import ItemIndex
from matcher.matching import (
    MatchRequest,
    MatchResponse,
    MatchResult,
    SemanticMatrix,
    enterprise_tag_words,
    match_items,
)
from matcher.semantic import DEFAULT_THRESHOLDS, SemanticJudge, SemanticThresholds, VectorCache
from matcher.target_lists import TargetLists
from matcher.targets import DEFAULT_LEVELS, check_levels
from matcher.vector_index.backend import VectorBackend
from models.encoder import Encoder

__all__ = [
    "EnterpriseNotFound",
    "ItemNotFound",
    "MatchResponse",
    "MatchResult",
    "Matcher",
    "enterprise_tag_words",
    "query_text",
    "region_prefix",
]


class EnterpriseNotFound(LookupError):
    """No enterprise with that id in the store."""


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
        self.store = store
        self.encoder = encoder
        self._today = today
        self._write_lock = threading.RLock()
        cache = VectorCache(path=self.data_dir / "cache" / "text_vectors.npz")
        self.judge = SemanticJudge(encoder, thresholds, cache)
        self.catalog = ItemCatalog.compile([])
        self.index = ItemIndex(
            self.data_dir, encoder, self.judge, vectors or VectorBackend(), self._write_lock
        )
        self.directory = EnterpriseDirectory(store, self.judge, self._write_lock)
        self.target_lists = TargetLists(
            lambda: self.catalog, self.directory, self.index, self.judge, lambda: self.today
        )
        self._semantic = SemanticMatrix(self.judge)
        # 精准推送 and 免申即享 are TargetLists' own methods, named on the facade (no wrapper to keep in step).
        self.target_order = self.target_lists.order
        self.targets = self.target_lists.page
        self.iter_targets = self.target_lists.rows
        self.entitled = self.target_lists.entitled

    # ---- lifecycle
    @classmethod
    def open(
        cls, data_dir: Path, store: Any, encoder: Encoder, *, build_index: bool = True, **kwargs: Any
    ) -> Matcher:
        """Load items and conditions from ``store``, the current index version (built when missing), and enterprises."""
        matcher = cls(data_dir, store, encoder, **kwargs)
        matcher.reload_items()
        matcher.index.load(matcher.catalog, build_missing=build_index)
        matcher.reload_enterprises()
        return matcher

    @property
    def model_version(self) -> str:
        """The encoder's model id (registry version and backend)."""
        return str(self.encoder.model_id)

    @property
    def index_version(self) -> str:
        """The index version in use; ``+N`` counts incremental changes applied since it was built."""
        return self.index.version

    @property
    def today(self) -> dt.date:
        """The date validity is judged on."""
        return self._today or dt.date.today()

    @property
    def columns(self) -> EnterpriseColumns:
        """Every enterprise as columns (the directory's)."""
        return self.directory.columns

    @columns.setter
    def columns(self, columns: EnterpriseColumns) -> None:
        """Serve these columns instead (benchmarks load synthetic enterprises straight into columns)."""
        with self._write_lock:
            self.directory.columns = columns
            self.target_lists.clear()

    @property
    def n_items(self) -> int:
        """Items held."""
        return len(self.catalog.items)

    def forget_target_orders(self) -> None:
        """Drop the cached target-list orders (benchmarks time a list computed afresh)."""
        self.target_lists.clear()

    def close(self) -> None:
        """Persist the text-vector cache."""
        self.judge.cache.save()

    def warm(self) -> None:
        """Build the index arrays the first match would build lazily (``serve --workers N``: before forking).

        Nothing that runs the encoder: a model runtime's thread pool must not be started in a parent
        that forks (the condition texts' vectors are encoded by each worker's first match, as before).
        """
        self.index.warm(self.catalog)
        catalog = self.catalog
        # The level pass of each region's items (match_items' ``in_region``): a region's set is the one of
        # the longest item prefix it starts with, so these are all of them ("\0": a region under none).
        for region in (*catalog.prefixes, "\0"):
            seen = catalog.in_region(region)
            if not catalog.table.structure.simple and not seen.all():
                catalog.table.compile_items(np.flatnonzero(seen))

    # ---- changes
    def reload_items(self) -> None:
        """Read every item and its conditions from the store and recompile."""
        with self._write_lock:
            self.catalog = ItemCatalog.compile(read_items(self.store))
            self.target_lists.clear()

    def encode_items(self) -> int:
        """Encode every item window the cache lacks, without the write lock; returns how many were new.

        :meth:`rebuild_index` calls it first; a caller holding its own write lock (the HTTP
        rebuild route) calls it before taking that lock.
        """
        return self.index.encode(self.catalog)

    def rebuild_index(self) -> str:
        """Read every item from the store, build the index from scratch into a new version, switch to it atomically.

        The store, not what this process holds: a policy another process wrote is in the new version.
        """
        fresh = ItemCatalog.compile(read_items(self.store))
        self.index.encode(fresh)  # the slow part, before the write lock
        with self._write_lock:
            # Read again under the lock: a write applied meanwhile is in this catalog too.
            self.catalog = ItemCatalog.compile(read_items(self.store))
            self.target_lists.clear()
        name = self.index.rebuild(self.catalog, self.columns.n_alive)
        self.target_lists.clear()
        return name

    def reload_enterprises(self, batch_size: int = 5000) -> int:
        """Load every enterprise from the store into the columns (cached text vectors included)."""
        n = self.directory.reload(batch_size)
        self.target_lists.clear()
        return n

    def encode_enterprises(self, batch_size: int = 256) -> int:
        """Encode the text of every enterprise that has none cached yet (for semantic conditions); returns how many."""
        done = self.directory.encode_all(batch_size)
        self.target_lists.clear()
        return done

    def enterprise_changed(self, ids: Iterable[str]) -> None:
        """Re-read these enterprises from the store (deleted ones leave); the next target list sees the change."""
        with self._write_lock:
            self.directory.changed(ids)
            self.target_lists.clear()

    def policy_changed(self, policy_id: str) -> None:
        """Re-read one policy's items and conditions (gone when deleted); index and verdicts follow."""
        with self._write_lock:
            fresh = read_items(self.store, [policy_id])
            old = self.catalog.of_policy(policy_id)
            self.catalog = self.catalog.with_policy(policy_id, fresh)
            self.index.policy_changed(old, fresh)
            self.target_lists.clear()

    # ---- 智能匹配
    def profile_for(
        self, enterprise_id: str | None = None, profile: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Return the profile a match runs on: a stored enterprise, or an ad-hoc profile validated by ``validate_profile``."""
        return self._profile_and_tokens(enterprise_id, profile)[0]

    def _profile_and_tokens(
        self, enterprise_id: str | None, profile: Mapping[str, Any] | None
    ) -> tuple[dict[str, Any], str | None]:
        """``profile_for`` with the stored enterprise's BM25 query tokens (``matcher.query_tokens``), one read.

        An ad-hoc profile has no stored tokens (None: the match cuts its query).
        """
        if (enterprise_id is None) == (profile is None):
            raise ValueError("give exactly one of enterprise_id or profile")
        if enterprise_id is None:
            return self._ad_hoc(profile), None
        found = self.store.get_enterprise_for_match(enterprise_id)
        if found is None:
            raise EnterpriseNotFound(f"no enterprise with id {enterprise_id!r}")
        return dict(found[0].to_dict()), found[1]

    @staticmethod
    def _ad_hoc(profile: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validate an ad-hoc profile as a match runs on it, with an id and a name."""
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
        *,
        as_of: dt.date | None = None,
    ) -> MatchResponse:
        """Rank policy items for an enterprise (by id or ad-hoc profile): eligible, need_info, near_miss; within a level by relevance."""
        if top_k <= 0:
            raise ValueError(f"top_k must be positive, got {top_k}")
        data, query_tokens = self._profile_and_tokens(enterprise_id, profile)
        request = MatchRequest(
            data, top_k, check_levels(levels), include_excluded, as_of or self.today, query_tokens
        )
        catalog = self.catalog
        if not catalog.items:
            return MatchResponse((), self.model_version, self.index_version, enterprise_id)
        results, counts, candidates = match_items(request, catalog, self.index, self.judge, self._semantic)
        if enterprise_id is not None:
            self.directory.remember_vector(enterprise_id, request.profile)
        return MatchResponse(
            tuple(results), self.model_version, self.index_version, enterprise_id, counts, candidates
        )

    def explain(self, item_id: str, enterprise_id: str) -> ItemVerdict:
        """Judge one item for one stored enterprise (every condition with its evidence)."""
        item = self.catalog.item(item_id)
        return judge_item(item.conditions, self.profile_for(enterprise_id=enterprise_id), self.judge)

    def flags_of(self, enterprise_id: str) -> tuple[str, ...]:
        """失信 / 重大违法 marks of a stored enterprise."""
        stored = self.store.get_enterprise(enterprise_id)
        return profile_flags(stored.to_dict()) if stored is not None else ()
