"""Policy extraction in worker processes: off the event loop, outside the write lock, under a hard time budget.

Splitting and extracting a document is pure Python and :mod:`re`, and a regular
expression holds the GIL for as long as one scan takes: run in a server thread,
a long document would hold up every other request, health checks included
(issue 18). :class:`ExtractionPool` runs :func:`matcher.ingest.prepare_policy`
in separate processes (``spawn``: the server's threads and loaded model are
not copied), waits at most the budget, and on overrun terminates the workers
(a runaway scan cannot be interrupted any other way) and starts fresh ones.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from multiprocessing.pool import Pool
from typing import Any

from corpus.schemas import PolicyDocument

log = logging.getLogger("policymatch.api")


class ExtractionTimeout(ValueError):
    """A document whose split and extraction ran past its time budget; its worker was stopped."""


def _warm() -> bool:
    # Loading the vocabularies and jieba once per worker keeps that second out of the first request's budget.
    from matcher.extraction import extract_item
    from matcher.extraction.doctype import classify_document

    extract_item("对本市注册的高新技术企业，给予最高10万元奖励。", region_code="4401")
    classify_document(
        "关于印发支持企业发展若干政策的通知", title="若干政策"
    )  # fits the document-type model once
    return True


def _prepare(
    document: PolicyDocument, budget_s: float, max_chars: int, home_region: str | None = None
) -> Any:
    from matcher.ingest import prepare_policy

    return prepare_policy(document, budget_s=budget_s, max_chars=max_chars, home_region=home_region)


class ExtractionPool:
    """``processes`` worker processes (0: read in the calling thread) that prepare policy documents."""

    def __init__(self, processes: int = 1) -> None:
        self.processes = processes
        self._pool: Pool | None = None
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, processes))
        self._closed = False
        self.restarts = 0

    def _get_pool(self) -> Pool:
        with self._lock:
            if self._closed:
                raise RuntimeError("the extraction workers are closed")
            if self._pool is None:
                self._pool = multiprocessing.get_context("spawn").Pool(self.processes)
            return self._pool

    def warm(self) -> None:
        """Start the workers and load the vocabularies now rather than at the first request."""
        if self.processes <= 0:
            return
        try:
            pool = self._get_pool()
            for result in [pool.apply_async(_warm) for _ in range(self.processes)]:
                result.get(timeout=120)
        except Exception as exc:  # noqa: BLE001 - warming is an optimisation; the first request starts it anyway
            log.info("extraction workers not warmed (%s: %s)", type(exc).__name__, exc)

    def prepare(
        self, document: PolicyDocument, *, budget_s: float, max_chars: int, home_region: str | None = None
    ) -> Any:
        """Split and extract ``document`` within ``budget_s`` seconds; raises :class:`ExtractionTimeout` past it."""
        if self.processes <= 0:
            return _prepare(document, budget_s, max_chars, home_region)
        # One document per worker at a time: the budget counts running, never waiting behind another.
        with self._slots:
            pool = self._get_pool()
            result = pool.apply_async(_prepare, (document, budget_s, max_chars, home_region))
            try:
                return result.get(timeout=budget_s + 1.0)
            except multiprocessing.TimeoutError:
                self._restart(pool)
                raise ExtractionTimeout(f"reading it took longer than the budget of {budget_s:g} s") from None

    def _restart(self, pool: Pool) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.terminate()
        self.restarts += 1
        log.warning("extraction worker stopped after running past its budget; a fresh one starts on demand")

    def close(self) -> None:
        """Stop the workers."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._closed = True
        if pool is not None:
            pool.terminate()
            pool.join()
