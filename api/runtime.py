"""How the server process spends its cores: a settled heap and a bounded pool for 智能匹配.

Two things measured on 2 cores (``policymatch bench scale``) decide the tail of
``POST /v1/match``:

- The loaded matcher is ~10^5 long-lived Python objects; every full collection of
  the cyclic garbage collector walked them all, 100–260 ms with the GIL held, so
  every request in flight waited. :func:`settle_heap` collects once after loading and
  moves what survives into the permanent generation (``gc.freeze``): later
  collections see only what requests allocate.
- Sixteen connections meant sixteen threads taking turns at the GIL for CPU-bound
  matching. :func:`match_limiter` caps the matching to one thread per core;
  requests beyond that wait in the event loop, not in a GIL convoy.

:func:`warm_up` loads at startup what the first request would otherwise wait for.
"""

from __future__ import annotations

import gc
import os

import anyio


def warm_up() -> None:
    """Load what the first request would otherwise load: the jieba tokenizer with the domain dictionary."""
    from matcher.text import get_tokenizer

    get_tokenizer()


def settle_heap() -> int:
    """Collect garbage, then freeze every surviving object out of later collections; returns how many are frozen."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def match_threads() -> int:
    """Threads that may run matching at once: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def match_limiter() -> anyio.CapacityLimiter:
    """Make a capacity limiter of :func:`match_threads` tokens (inside the running event loop)."""
    return anyio.CapacityLimiter(match_threads())
