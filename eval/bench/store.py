"""Measure the store: validation and upsert of enterprise profiles, a full read, re-upsert, key lookups.

Profiles are synthetic but valid (Taizhou counties, GB/T 4754 manufacturing codes, 资质 aliases), made
from a seed; the measurement runs on a fresh SQLite file in a temporary folder.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.schemas import validate_profile
from corpus.store.sqlite import SQLiteStore

_COUNTIES = ("331002", "331003", "331004", "331022", "331023", "331024", "331081", "331082", "331083")
_INDUSTRIES = ("3670", "3484", "2927", "3824", "3511", "C3952", "2710", "1811", "6513", "5174")
_TITLES = ("高企", "科技型中小企业", "专精特新", "小巨人", "规上", "隐形冠军")


@dataclass(frozen=True)
class StoreBench:
    """Timings of one run (seconds, and records per second where it says so)."""

    n_enterprises: int
    batch_size: int
    validate_per_s: float
    upsert_per_s: float
    reupsert_unchanged_per_s: float
    iterate_per_s: float
    find_api_key_ms: float
    file_mb: float


def synthetic_profile(rng: random.Random, index: int) -> dict[str, Any]:
    """One plausible profile dict (not validated)."""
    employees = int(rng.lognormvariate(4, 1.1))
    revenue = round(employees * rng.uniform(30, 120), 1)
    return {
        "id": f"bench-{index:07d}",
        "name": f"台州测试{index}有限公司",
        "region_code": rng.choice(_COUNTIES),
        "industry_code": rng.choice(_INDUSTRIES),
        "established": f"{rng.randint(1995, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "employees": employees,
        "revenue": revenue,
        "rd_expense": round(revenue * rng.uniform(0, 0.08), 1),
        "total_assets": round(revenue * rng.uniform(0.5, 2), 1),
        "qualifications": rng.sample(_TITLES, rng.randint(0, 2)),
        "credit_status": "normal",
        "business_scope": "机械零部件、汽车配件的研发、制造、销售",
    }


def run(n_enterprises: int = 10_000, *, batch_size: int = 5000, seed: int = 7) -> StoreBench:
    """Time the store on ``n_enterprises`` synthetic profiles."""
    rng = random.Random(seed)
    raw = [synthetic_profile(rng, i) for i in range(n_enterprises)]
    started = time.perf_counter()
    profiles = [validate_profile(r) for r in raw]
    validate_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "bench.sqlite3")
        try:
            started = time.perf_counter()
            for start in range(0, n_enterprises, batch_size):
                store.upsert_enterprises(profiles[start : start + batch_size])
            upsert_s = time.perf_counter() - started
            started = time.perf_counter()
            for start in range(0, n_enterprises, batch_size):
                store.upsert_enterprises(profiles[start : start + batch_size])
            reupsert_s = time.perf_counter() - started
            started = time.perf_counter()
            count = sum(1 for _ in store.iter_enterprises(batch_size=2000))
            iterate_s = time.perf_counter() - started
            assert count == n_enterprises
            secrets = [store.create_api_key("push", label=f"k{i}")[1] for i in range(50)]
            started = time.perf_counter()
            for secret in secrets * 20:
                store.find_api_key(secret)
            key_ms = (time.perf_counter() - started) / (len(secrets) * 20) * 1000
            file_mb = sum(p.stat().st_size for p in Path(folder).iterdir()) / 1e6
        finally:
            store.close()
    return StoreBench(
        n_enterprises,
        batch_size,
        n_enterprises / validate_s,
        n_enterprises / upsert_s,
        n_enterprises / reupsert_s,
        n_enterprises / iterate_s,
        key_ms,
        file_mb,
    )


def to_markdown(result: StoreBench, machine: str) -> str:
    """Render the benchmark's section of docs/benchmarks.md."""
    return "\n".join(
        [
            "## Store (SQLite): enterprise profiles",
            "",
            f"`policymatch bench store --enterprises {result.n_enterprises}` — {machine}.",
            "",
            "| step | rate |",
            "|---|---|",
            f"| `validate_profile` | {result.validate_per_s:,.0f} profiles/s |",
            f"| `upsert_enterprises`, new (batches of {result.batch_size}, one transaction each) "
            f"| {result.upsert_per_s:,.0f} profiles/s |",
            f"| `upsert_enterprises`, unchanged (no new snapshot) | {result.reupsert_unchanged_per_s:,.0f} profiles/s |",
            f"| `iter_enterprises` (full read) | {result.iterate_per_s:,.0f} profiles/s |",
            f"| `find_api_key` | {result.find_api_key_ms:.3f} ms per lookup |",
            f"| file size (profiles + snapshots, WAL) | {result.file_mb:.1f} MB |",
        ]
    )
