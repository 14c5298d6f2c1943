"""What the HTTP app serves from: the store, the matcher, the key ring and the limits.

:func:`open_services` finds everything under the data directory (the model
in the registry, the SQLite store, the index versions) the way ``policymatch
serve`` needs it; tests build a :class:`Services` over a temporary data
directory the same way. :func:`record_audit` writes one append-only audit row,
through :class:`~api.audit.AuditWriter` (group commit: many requests' rows in one
transaction, each request answered only once its row is committed; a coroutine awaits
its row with :meth:`AuditWriter.commit`, and a thread that must not wait hands it on with
:meth:`AuditWriter.submit`, rather than either holding a thread).
:class:`MatchCache` keeps the serialised 智能匹配 answers of stored enterprises.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.audit import AuditWriter
from api.feed import ChangeTailer
from api.limits import Limits, RateLimiter
from api.security import KeyRing, Principal, RefusalLog
from api.settings import Settings
from api.workers import ExtractionPool

log = logging.getLogger("policymatch.api")
# How long the policy-version map a match's audit row uses may be reused (changes made through the app apply at once).
VERSIONS_TTL_S = 2.0
# Serialised 智能匹配 answers kept (≈ 10-40 KB each: 1024 answers ≈ 10-40 MB).
MATCH_CACHE_SIZE = 1024


@dataclass(frozen=True)
class CachedMatch:
    """A serialised 智能匹配 answer and what its audit row needs: (policy id, item id, level) per result."""

    body: bytes
    results: tuple[tuple[str, str, str], ...]


class MatchCache:
    """LRU of stored enterprises' 智能匹配 answers, keyed by everything the answer depends on.

    The key holds the enterprise's snapshot id (a changed profile gets a new one),
    the matcher's model and index versions (every policy change bumps the index
    version), ``top_k``, the levels and the day validity is judged on; a swapped
    matcher (index rebuild, reload) empties the cache. A key that changes is
    never looked up again, so stale answers only age out.
    """

    def __init__(self, size: int = MATCH_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, CachedMatch] = OrderedDict()
        self._owner: Any = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _of(self, owner: Any) -> OrderedDict[Hashable, CachedMatch]:
        """Return the entries matcher ``owner`` computed (lock held), dropping another matcher's answers first."""
        if owner is not self._owner:
            self._entries.clear()
            self._owner = owner
        return self._entries

    def get(self, owner: Any, key: Hashable) -> CachedMatch | None:
        """Return the cached answer for ``key`` computed by matcher ``owner``, or None."""
        with self._lock:
            found = self._of(owner).get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, owner: Any, key: Hashable, value: CachedMatch) -> None:
        """Remember ``value`` (computed by matcher ``owner``), dropping the least recently used beyond ``size``."""
        if self.size <= 0:
            return
        with self._lock:
            self._of(owner)[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        """Return the number of answers held."""
        return len(self._entries)


@dataclass
class Services:
    """The live components behind the app (mutable: the matcher may be swapped by a rebuild)."""

    settings: Settings
    store: Any
    matcher: Any
    limits: Limits = field(default_factory=Limits)
    keyring: KeyRing | None = None
    rate_limiter: RateLimiter | None = None
    write_lock: threading.Lock = field(default_factory=threading.Lock)
    _directory: list[tuple[str, str, str | None, str | None]] | None = field(default=None, repr=False)
    _directory_count: int = field(default=-1, repr=False)
    _versions: tuple[str, float, dict[str, int]] | None = field(default=None, repr=False)
    match_cache: MatchCache = field(default_factory=MatchCache)
    audit_writer: AuditWriter | None = None
    # events.dispatch.Dispatcher once started (policymatch serve): webhooks are delivered from this process.
    dispatcher: Any = None
    #: api.status_board.StatusBoard in a pre-forked worker: the events process's dispatcher status, for /readyz.
    events_board: Any = None
    #: Where the change feed is read from: the newest change when the matcher read the store (None: now).
    feed_cursor: int | None = None
    tailer: ChangeTailer | None = None
    extraction: ExtractionPool | None = None
    unauth_limiter: RateLimiter | None = None
    refusals: RefusalLog | None = None

    def __post_init__(self) -> None:
        if self.extraction is None:
            self.extraction = ExtractionPool(getattr(self.settings, "extraction_processes", 1))
        if self.keyring is None:
            self.keyring = KeyRing(
                self.store, recheck_seconds=float(getattr(self.settings, "key_recheck_s", 2.0))
            )
        if self.rate_limiter is None:
            self.rate_limiter = RateLimiter(self.limits.rate_per_minute, self.limits.burst)
        if self.audit_writer is None:
            self.audit_writer = AuditWriter(self.store)
        if self.unauth_limiter is None:
            # Failed authentications per client address: a flood of bad keys meets 429 before the key lookup.
            self.unauth_limiter = RateLimiter(self.limits.unauth_rate_per_minute, self.limits.unauth_burst)
        if self.refusals is None:
            self.refusals = RefusalLog(self.audit_writer.append, self.limits.refusal_audit_window_s)
            self.refusals.start()
        if self.tailer is None and hasattr(self.store, "changes_since"):
            interval = float(getattr(self.settings, "feed_interval_s", 0.5))
            self.tailer = ChangeTailer(self, self.feed_cursor, interval=interval)

    def start_feed(self) -> None:
        """Start applying writes made by other processes (the serving process's background thread)."""
        if self.tailer is not None:
            self.tailer.start()

    def catch_up(self) -> int:
        """Apply every committed change not applied yet, now, in the caller's thread; returns how many.

        A route calls it after its own write (outside :attr:`write_lock`), so the answer it
        returns already sees the write, and the write is applied once, whichever thread reads it.
        """
        if self.tailer is None:
            return 0
        try:
            return self.tailer.poll()
        except Exception:  # noqa: BLE001 - the write is committed; the feed thread retries the apply
            log.exception("change feed: catching up after a write failed; the feed thread will retry")
            return 0

    def changed(self, *, policies: Iterable[str] = (), enterprises: Iterable[str] = ()) -> None:
        """Make the matcher see a write this process just committed (from the feed; directly without one)."""
        if self.tailer is not None:
            self.catch_up()
            return
        policies, enterprises = list(policies), list(enterprises)
        with self.write_lock:
            for policy_id in policies:
                self.matcher.policy_changed(policy_id)
            if enterprises:
                self.matcher.enterprise_changed(enterprises)
        if enterprises:
            self.directory_changed()

    @property
    def model_version(self) -> str:
        """The served model's version."""
        return str(getattr(self.matcher, "model_version", "") or "")

    @property
    def index_version(self) -> str:
        """The served index's version."""
        return str(getattr(self.matcher, "index_version", "") or "")

    @property
    def enterprises_version(self) -> int:
        """A counter the matcher bumps whenever its enterprise columns change (0 when it keeps none)."""
        columns = getattr(self.matcher, "columns", None)
        return int(getattr(columns, "version", 0) or 0)

    def enterprise_directory(self) -> list[tuple[str, str, str | None, str | None]]:
        """(id, name, region code, industry code) of every enterprise, cached until one changes."""
        count = self.store.count_enterprises()
        directory = self._directory
        if directory is None or count != self._directory_count:
            directory = [
                (p.id, p.name, p.region_code, p.industry_code) for p in self.store.iter_enterprises()
            ]
            self._directory, self._directory_count = directory, count
        return directory

    def policy_versions(self) -> dict[str, int]:
        """Policy id → stored version, re-read when the served index changes and at least every ``VERSIONS_TTL_S``.

        Every match's audit row names the policy versions of its results; reading every
        policy from the store per request cost more CPU than the match itself. The
        matcher bumps its index version on every policy change it is told about, and
        the short TTL covers a store written by another process.
        """
        key, now = self.index_version, time.monotonic()
        cached = self._versions
        if cached is None or cached[0] != key or now - cached[1] > VERSIONS_TTL_S:
            # Ids and versions only: the policy list with its item counts took 12-70 ms per re-read at 834
            # policies, every VERSIONS_TTL_S, with the GIL held (a p99 request waited behind it).
            cached = (key, now, self.store.policy_version_map())
            self._versions = cached
        return cached[2]

    def directory_changed(self) -> None:
        """Forget the cached directory (an enterprise was upserted)."""
        self._directory = None

    def close_writers(self) -> None:
        """Close the refusal log and commit queued audit rows (their threads; done before a fork, too)."""
        if self.refusals is not None:
            self.refusals.close()
        if self.audit_writer is not None:
            self.audit_writer.close()

    def close(self) -> None:
        """Stop the event dispatcher and the feed, commit queued audit rows, then close the store."""
        if self.dispatcher is not None:
            self.dispatcher.stop()
            self.dispatcher = None
        if self.tailer is not None:
            self.tailer.stop()
        self.close_writers()
        if self.extraction is not None:
            self.extraction.close()
        close = getattr(self.store, "close", None)
        if close is not None:
            close()


def open_services(
    settings: Settings,
    *,
    limits: Limits | None = None,
    prepare: bool = True,
    say: Callable[[str], None] = lambda _: None,
) -> Services:
    """Open model, store and index under ``settings.data_dir``; with ``prepare``, bootstrap what is missing.

    Item vectors live where ``settings.vector_url`` says (FAISS files by default, or Milvus).

    Preparing means: build the default model into the registry when none is
    active, load the demo corpus when the store is empty, and build the index
    when none exists (the matcher does that on open).
    """
    from corpus.store import open_store
    from matcher.service import Matcher
    from matcher.vector_index import parse_vector_url
    from models.factory import make_encoder

    # Parsed first: a bad POLICYMATCH_VECTOR_URL fails in one sentence before anything is opened.
    vectors = parse_vector_url(settings.vector_url, token=settings.vector_token)
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if prepare and settings.model == "active":
        from models.bootstrap import ensure_default_model

        say(f"model: ensuring the default model in {settings.models_dir}")
        ensure_default_model(settings.models_dir)
    say(f"store: opening {settings.store_location}")
    store = open_store(settings.store_location)
    feed_cursor = 0
    try:
        if prepare:
            from matcher.demo import ensure_demo

            if settings.demo_policies or settings.demo_enterprises:
                say("demo: loading the demo corpus if the store is empty (the first run takes a while)")
                report = ensure_demo(
                    store,
                    seed=settings.demo_seed,
                    n_policies=settings.demo_policies,
                    n_enterprises=settings.demo_enterprises,
                    progress=True,
                )
                say(report.summary())
        say(f"encoder: {settings.encoder_backend} ({settings.model})")
        encoder = make_encoder(settings.encoder_backend, settings.model, settings.models_dir)
        say(f"index: loading (building it if none exists), vectors in {vectors.name} {vectors.uri}".rstrip())
        # Read before the matcher reads the store: a write committed meanwhile is applied from the feed.
        feed_cursor = store.last_change_seq()
        matcher = Matcher.open(data_dir, store, encoder, vectors=vectors)
    except BaseException:
        store.close()
        raise
    return Services(
        settings=settings,
        store=store,
        matcher=matcher,
        limits=limits or Limits.from_settings(settings),
        feed_cursor=feed_cursor,
    )


def record_audit(
    services: Services, principal: Principal, action: str, target: str = "", **details: Any
) -> None:
    """Append the audit row :func:`audit_event` makes of these arguments (its keywords are the row's details)."""
    event = audit_event(services, principal, action, target, **details)
    if services.audit_writer is not None:
        services.audit_writer.append(event)
    else:
        services.store.append_audit(event)


def submit_audit(services: Services, event: Any, notify: Callable[[BaseException | None], None]) -> None:
    """Append ``event`` (made by :func:`audit_event`) without waiting; ``notify(error)`` once it is committed or failed.

    Through the group commit (:meth:`AuditWriter.submit`); without a writer the row is written here.
    """
    if services.audit_writer is not None:
        services.audit_writer.submit(event, notify)
        return
    try:
        services.store.append_audit(event)
    except BaseException as exc:  # noqa: BLE001 - handed to notify, as the writer does
        notify(exc)
        return
    notify(None)


def audit_event(
    services: Services,
    principal: Principal,
    action: str,
    target: str = "",
    *,
    policy_version: int | str | None = None,
    profile_snapshot: int | str | None = None,
    **details: Any,
) -> Any:
    """Make one audit row (an ``AuditEvent``), unwritten: who, what, on which target, and the versions in force.

    Who is the key id (never the key); the versions are the policy's, the model's, the index's and the profile's.
    Every other keyword that is not None is a detail of the row.
    """
    from corpus.store import AuditEvent

    record: dict[str, Any] = {
        "role": principal.role,
        "model_version": services.model_version or None,
        "index_version": services.index_version or None,
    }
    if principal.enterprise_id:
        record["key_enterprise_id"] = principal.enterprise_id
    if policy_version is not None:
        record["policy_version"] = policy_version
    if profile_snapshot is not None:
        record["profile_snapshot"] = profile_snapshot
    record.update({k: v for k, v in details.items() if v is not None})
    return AuditEvent(actor=principal.key_id, action=action, target=target, details=record)
