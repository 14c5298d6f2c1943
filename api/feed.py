"""Writes made anywhere reach every serving process: a thread tails the store's change feed and applies it.

Whatever writes the store — this process's routes, the CLI, another API process —
appends to the store's change feed in the write's own transaction
(:meth:`corpus.store.base.Store.changes_since`). :class:`ChangeTailer` is one daemon
thread per serving process that reads the feed from where it left off and applies
each batch to the matcher: ``policy`` changes re-read that policy's items and
conditions into the catalog and the item index (:meth:`matcher.service.Matcher.policy_changed`),
``enterprise`` changes re-read those enterprises into the columns
(:meth:`~matcher.service.Matcher.enterprise_changed`). It waits between polls with
:meth:`~corpus.store.base.Store.wait_for_changes`: a sleep of ``interval`` on SQLite,
a ``LISTEN`` that a commit wakes at once on PostgreSQL.

A change this process made itself is applied twice (once by its route, once from
the feed); both are idempotent re-reads of the store, so that costs a re-read, never
a wrong answer. A failed apply (the store unreachable) is logged and retried from
the same position on the next poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from corpus.store import Change

log = logging.getLogger("policymatch.feed")
# Changes read per poll; a bigger backlog is read in several polls without waiting between them.
BATCH = 1000


class ChangeTailer:
    """Applies the store's change feed to a serving process's matcher, from ``cursor`` on."""

    def __init__(self, services: Any, cursor: int | None = None, *, interval: float = 0.5) -> None:
        """Tail ``services.store`` from ``cursor`` (default: the newest change now), polling every ``interval`` s."""
        self.services = services
        self.interval = interval
        self.cursor = services.store.last_change_seq() if cursor is None else int(cursor)
        self.applied = 0  # changes applied since start
        self.last_applied_at: float | None = None  # time.time() of the last batch applied
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The thread and a route catching up after its own write take turns: each change is applied once.
        self._poll_lock = threading.Lock()

    # ---- lifecycle
    def start(self) -> ChangeTailer:
        """Start the daemon thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="policymatch-feed", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread; returns once it has left (or after ``timeout``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> dict[str, Any]:
        """Return what the health route reports: the position applied, how many changes, errors."""
        return {
            "running": self.running,
            "applied_seq": self.cursor,
            "applied": self.applied,
            "errors": self.errors,
            "interval_s": self.interval,
        }

    # ---- work
    def poll(self) -> int:
        """Read and apply every change after the cursor (in batches); returns how many were applied."""
        total = 0
        with self._poll_lock:
            while not self._stop.is_set():
                changes = self.services.store.changes_since(self.cursor, BATCH)
                if not changes:
                    break
                self.apply(changes)
                self.cursor = changes[-1].seq
                self.applied += len(changes)
                self.last_applied_at = time.time()
                total += len(changes)
                if len(changes) < BATCH:
                    break
        return total

    def apply(self, changes: Sequence[Change]) -> None:
        """Apply one batch: each policy re-read once, the enterprises re-read together."""
        policies = list(dict.fromkeys(c.key for c in changes if c.kind == "policy"))
        enterprises = list(dict.fromkeys(c.key for c in changes if c.kind == "enterprise"))
        matcher = self.services.matcher
        with self.services.write_lock:
            for policy_id in policies:
                matcher.policy_changed(policy_id)
            if enterprises:
                matcher.enterprise_changed(enterprises)
        if enterprises:
            self.services.directory_changed()
        if policies or enterprises:
            log.info(
                "change feed: applied %d changes up to seq %d (%d policies, %d enterprises)",
                len(changes),
                changes[-1].seq,
                len(policies),
                len(enterprises),
            )

    def _run(self) -> None:
        store = self.services.store
        while not self._stop.is_set():
            try:
                if self.poll():
                    continue  # read again at once: more may have come while applying
            except Exception:  # noqa: BLE001 - one bad poll must not end the thread; retried next time
                if getattr(store, "_closed", False):
                    return  # the store was closed under the thread: the service is shutting down
                self.errors += 1
                log.exception("change feed: applying changes after seq %d failed; retrying", self.cursor)
            if self._stop.is_set():
                return
            try:
                store.wait_for_changes(self.interval)
            except Exception:  # noqa: BLE001 - a closed store ends the thread below
                if self._stop.wait(self.interval):
                    return
