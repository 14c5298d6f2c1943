"""What several benchmarks time the same way: percentiles, process memory, a whole target list."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


def percentiles_ms(samples: list[float]) -> tuple[float, float]:
    """Return p50 and p99 in milliseconds of durations in seconds."""
    values = np.asarray(samples) * 1000.0
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def rss_mb(pid: int | None = None) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB."""
    status = Path(f"/proc/{pid or 'self'}/status").read_text()
    values = {}
    for line in status.splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            values[key] = int(value.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


@dataclass(frozen=True)
class TargetListTimes:
    """Cold timings of one item's target list: the first page of 50 and the whole ordered list."""

    item: Any
    first_page_s: list[float]
    whole_list_s: list[float]
    rows: int
    page: Any


def busiest_item(matcher: Any) -> Any:
    """Pick the busiest list: a city-wide item without semantic conditions (their vectors are not in the benches)."""
    candidates = [it for it in matcher.catalog.items if all(c.op != "semantic" for c in it.conditions)]
    return max(candidates, key=lambda it: (len(it.region_prefix) <= 4, len(it.conditions)))


def time_target_list(matcher: Any, repeats: int, levels: tuple[str, ...] | None = None) -> TargetListTimes:
    """Time the busiest item's first page and whole list ``repeats`` times, each with the caches emptied."""
    item = busiest_item(matcher)
    first, whole, rows, page = [], [], 0, None
    for _ in range(repeats):
        matcher.forget_target_orders()
        matcher.columns._cache.clear()
        t0 = time.perf_counter()
        page = matcher.targets(item.policy_id, item.id, limit=50)
        first.append(time.perf_counter() - t0)
        matcher.forget_target_orders()
        matcher.columns._cache.clear()
        t0 = time.perf_counter()
        if levels is None:
            order = matcher.target_order(item.policy_id, item.id)
        else:
            order = matcher.target_order(item.policy_id, item.id, levels)
        whole.append(time.perf_counter() - t0)
        rows = len(order)
    return TargetListTimes(item, first, whole, rows, page)
