"""How the server process spends its cores: a settled heap and a bounded pool for 智能匹配.

Two things measured on 2 cores (``policymatch bench scale``) decide the tail of
``POST /v1/match``:

- The loaded matcher is ~10^5 long-lived Python objects; every full collection of
  the cyclic garbage collector walked them all, 100–260 ms with the GIL held, so
  every request in flight waited. :func:`settle_heap` collects once after loading and
  moves what survives into the permanent generation (``gc.freeze``): later
  collections see only what requests allocate.
- Sixteen connections meant sixteen threads taking turns at the GIL for CPU-bound
  matching. :class:`MatchPool` runs matching in ``POLICYMATCH_MATCH_THREADS`` threads
  (default 1); requests beyond that wait in its queue, not in a GIL convoy. One
  thread beat two on 2 cores for first requests (10k: 262 against 155 req/s; 300k: 257
  against 190) and matched them for cached answers: matching is Python under one GIL, and
  the parts that release it (numpy, ONNX) are short.

:func:`warm_up` loads at startup what the first request would otherwise wait for.
:func:`responsive_switching` shortens the GIL switch interval (issue 18): while a worker thread
runs pure Python for seconds (re-indexing a 200 000-character policy: jieba), the event loop
still answers ``/healthz`` in milliseconds rather than waiting 5 ms for each of its GIL turns.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def warm_up(matcher: Any = None) -> None:
    """Load what the first request would otherwise load: jieba's dictionary, and the matcher's lazy arrays.

    ``matcher``: its index arrays (BM25 term weights per posting, row maps, item windows) are built
    here, so pre-forked workers share the parent's copy rather than each building its own.
    """
    from matcher.text import get_tokenizer

    get_tokenizer()
    if matcher is not None:
        matcher.warm()


# Seconds a thread may hold the GIL while another waits (Python's default: 0.005).
SWITCH_INTERVAL_S = 0.001


def responsive_switching(interval: float = SWITCH_INTERVAL_S) -> float:
    """Set the GIL switch interval to ``interval`` seconds; returns the previous one."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    return previous


def settle_heap() -> int:
    """Collect garbage, then freeze every surviving object out of later collections; returns how many are frozen."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class MatchPool:
    """The threads that run 智能匹配: ``threads`` of them; work beyond that waits in the pool's queue, first come first served.

    A request hands its work over and awaits one future that the work resolves when its answer
    and its audit row are done (``api.routes.match``): the event loop wakes once per request for
    it, where a hand-over that returns (``anyio.to_thread``) woke it once for the answer and
    once more for the row's commit. Threads start on first use.
    """

    def __init__(self, threads: int = 1) -> None:
        self.threads = max(1, int(threads))
        self._executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="policymatch-match")

    def submit(self, work: Callable[[], None]) -> None:
        """Run ``work`` in one of the pool's threads, after the work queued before it; returns at once."""
        self._executor.submit(work)

    def close(self) -> None:
        """Let queued work finish, then stop the threads."""
        self._executor.shutdown(wait=True)


def match_pool(state: Any, threads: int = 1) -> MatchPool:
    """Return the app's :class:`MatchPool` (``state.match_pool``), made with ``threads`` threads when it has none."""
    pool = getattr(state, "match_pool", None)
    if pool is None:
        pool = state.match_pool = MatchPool(threads)
    return pool
