"""``policymatch bench scale``: the service at a city's and a province's size on this machine.

For each size: generate demo enterprises, validate and store them, embed their
texts (measured on a sample of distinct texts and extrapolated, said so in the
table), build and open the matcher, time 智能匹配 and target lists, then serve
the real HTTP app from a separate process and load it with ``wrk`` (Debian) at
16 and 64 connections (:mod:`eval.bench.scale_http`), reading that process's
resident memory. The table is written by :mod:`eval.bench.scale_report`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.bench.encoders import HashEncoder
from eval.bench.scale_http import CONNECTIONS, UNCACHED_PER_SECOND, http_load
from eval.bench.scale_report import ITEM_SAMPLE, scale_markdown
from eval.bench.timing import percentiles_ms, rss_mb, time_target_list
from models.encoder import Encoder

EMBED_SAMPLE = 500
BATCH = 5000


@dataclass(frozen=True)
class ScaleRun:
    """What one size measured (seconds unless named otherwise)."""

    n_enterprises: int
    n_items: int
    generate_store_s: float
    distinct_texts: int
    embed_per_s: float
    embed_sample: int
    embed_all_s: float
    item_encode_per_s: float
    open_s: float
    stored_p50_ms: float
    stored_p99_ms: float
    adhoc_p50_ms: float
    adhoc_p99_ms: float
    first_page_ms: float
    whole_list_ms: float
    list_rows: int
    bench_rss_mb: float
    server_rss_mb: float
    server_hwm_mb: float
    http: tuple[
        tuple[int, float, float, float, int, float], ...
    ]  # (connections, req/s, p50, p99 ms, errors, cpu ms/req)
    load_average: float  # 1-minute load average when the size finished (2 cores: > 2 means contention)
    # The same, each request for a stored enterprise never requested before (the answer cache misses).
    http_uncached: tuple[tuple[int, float, float, float, int, float], ...] = ()
    uncached_pool: int = 0  # distinct enterprises each uncached run cycles over
    uncached_wrapped: bool = False  # a run sent more requests than its pool held (some were repeats)


def store_items(store: Any, corpus: Any, n_items: int) -> int:
    """Store the first ``n_items`` demo items with the generator's true conditions, in one transaction."""
    from matcher.demo import store_items_with_true_conditions

    # True conditions: this times matching, not extraction (its own benchmark).
    with store.transaction():
        return store_items_with_true_conditions(store, corpus, n_items)


def run_size(n: int, args: argparse.Namespace, real: Any, say: Any) -> ScaleRun:
    """Measure one size: store, embed (sampled), open, match, target lists and (unless --no-http) HTTP load."""
    import numpy as np

    from corpus.demo import generate
    from corpus.schemas import validate_profile
    from corpus.store import open_store
    from corpus.store.records import chunks
    from matcher.semantic import profile_text
    from matcher.service import Matcher
    from models.cached_encoder import content_key

    data_dir = Path(tempfile.mkdtemp(prefix=f"policymatch-scale-{n}-"))
    store = open_store(data_dir / "policymatch.sqlite3")
    corpus = generate(args.seed, max(1, args.items // 6 + 1), n)
    n_items = store_items(store, corpus, args.items)

    # Ingest: generate → validate → store, in batches; keep the texts to embed (content hashes dedupe).
    # Enterprises after the first `queries` form the uncached HTTP pools, one disjoint pool per run.
    pool = uncached_pool_size(n, args)
    pool_end = args.queries + pool * len(CONNECTIONS)
    all_ids: list[str] = []
    pool_profiles: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    texts: dict[str, str] = {}
    for records in chunks(corpus.iter_enterprises(n), BATCH):
        batch = [validate_profile(record) for record in records]
        for record, profile in zip(records, batch, strict=True):
            if pool and args.queries <= len(all_ids) < pool_end:
                pool_profiles.append(profile.to_dict())
            all_ids.append(profile.id)
            text = profile_text(record)
            if text:
                texts.setdefault(content_key(real.model_id, "query", text), text)
        store.upsert_enterprises(batch)
    generate_store_s = time.perf_counter() - t0
    say(f"{n}: stored in {generate_store_s:.1f} s, {len(texts)} distinct texts")

    # Embedding: a sample of distinct texts, batched by length, through the serving encoder.
    distinct = list(texts.values())
    rng = np.random.default_rng(0)
    sample = [distinct[i] for i in rng.choice(len(distinct), min(EMBED_SAMPLE, len(distinct)), replace=False)]
    sample.sort(key=len)
    t0 = time.perf_counter()
    real.encode_queries(sample, batch_size=64)
    embed_per_s = len(sample) / (time.perf_counter() - t0)
    item_texts = [i.text for i in corpus.items[:ITEM_SAMPLE]]
    item_texts.sort(key=len)
    t0 = time.perf_counter()
    real.encode_passages(item_texts, batch_size=16)
    item_per_s = len(item_texts) / (time.perf_counter() - t0)
    say(f"{n}: embedding {embed_per_s:.0f} texts/s, item passages {item_per_s:.1f}/s")

    # Open: items, item index (hashing passages), enterprises into columns.
    encoder = bench_encoder(real)
    t0 = time.perf_counter()
    matcher = Matcher.open(data_dir, store, encoder)
    open_s = time.perf_counter() - t0

    ids = [p["id"] for p in corpus.iter_enterprises(min(n, args.queries))]
    for enterprise_id in ids:  # first call encodes the enterprise text (ingest's job): time the cached path
        matcher.match(enterprise_id=enterprise_id)
    stored_times = []
    for enterprise_id in ids:
        t0 = time.perf_counter()
        matcher.match(enterprise_id=enterprise_id)
        stored_times.append(time.perf_counter() - t0)
    adhoc_times = []
    profiles = list(corpus.iter_enterprises(min(n, args.queries * 2)))
    for i in range(args.queries):
        adhoc = dict(profiles[(args.queries + i) % len(profiles)])
        adhoc["id"] = f"adhoc-{i}"
        adhoc["products"] = f"{adhoc.get('products') or ''}，第{i}号产品线"  # never cached
        t0 = time.perf_counter()
        matcher.match(profile=adhoc)
        adhoc_times.append(time.perf_counter() - t0)
    if pool_profiles:
        # Ingest embeds every profile (content hash): the uncached pools' texts are encoded now, so a
        # first request over HTTP costs the match, not an encoding. Saved with the cache by close().
        from matcher.service import query_text

        pool_texts = sorted({profile_text(p) or query_text(p) for p in pool_profiles}, key=len)
        t0 = time.perf_counter()
        matcher.judge.text_vectors(pool_texts)
        say(
            f"{n}: {len(pool_texts)} distinct texts of the uncached pools encoded in {time.perf_counter() - t0:.1f} s"
        )
    matcher.close()

    lists = time_target_list(matcher, repeats=3)
    first, whole, rows = lists.first_page_s, lists.whole_list_s, lists.rows
    bench_rss, _ = rss_mb()
    sp50, sp99 = percentiles_ms(stored_times)
    ap50, ap99 = percentiles_ms(adhoc_times)
    say(
        f"{n}: open {open_s:.1f} s, stored p50 {sp50:.1f} ms p99 {sp99:.1f} ms, list {min(whole) * 1000:.0f} ms"
    )
    del matcher
    store.close()

    server_rss = server_hwm = 0.0
    http: list[tuple[int, float, float, float, int, float]] = []
    uncached: list[tuple[int, float, float, float, int, float]] = []
    wrapped = False
    if not args.no_http:
        pools = [
            all_ids[args.queries + k * pool : args.queries + (k + 1) * pool] for k in range(len(CONNECTIONS))
        ]
        server_rss, server_hwm, http, uncached, wrapped = http_load(data_dir, ids, pools, args, say)
    import shutil

    shutil.rmtree(data_dir, ignore_errors=True)
    return ScaleRun(
        n_enterprises=n,
        n_items=n_items,
        generate_store_s=generate_store_s,
        distinct_texts=len(texts),
        embed_per_s=embed_per_s,
        embed_sample=len(sample),
        embed_all_s=len(texts) / embed_per_s,
        item_encode_per_s=item_per_s,
        open_s=open_s,
        stored_p50_ms=sp50,
        stored_p99_ms=sp99,
        adhoc_p50_ms=ap50,
        adhoc_p99_ms=ap99,
        first_page_ms=min(first) * 1000,
        whole_list_ms=min(whole) * 1000,
        list_rows=rows,
        bench_rss_mb=bench_rss,
        server_rss_mb=server_rss,
        server_hwm_mb=server_hwm,
        http=tuple(http),
        load_average=os.getloadavg()[0],
        http_uncached=tuple(uncached),
        uncached_pool=pool if uncached else 0,
        uncached_wrapped=wrapped,
    )


def uncached_pool_size(n: int, args: argparse.Namespace) -> int:
    """Distinct enterprises per uncached run: what a load window could request, within what the size holds."""
    if getattr(args, "no_http", False):
        return 0
    return max(0, min((n - args.queries) // len(CONNECTIONS), UNCACHED_PER_SECOND * args.load_seconds))


def targets_at(n: int, args: argparse.Namespace, real: Any, say: Any) -> str:
    """Time the whole target list over ``n`` enterprises held as columns; returns one table row."""
    import shutil

    from corpus.demo import generate
    from corpus.store import open_store
    from corpus.store.records import chunks
    from matcher.eligibility import EnterpriseColumns
    from matcher.service import Matcher

    data_dir = Path(tempfile.mkdtemp(prefix=f"policymatch-targets-{n}-"))
    try:
        store = open_store(data_dir / "policymatch.sqlite3")
        corpus = generate(args.seed, max(1, args.items // 6 + 1), n)
        store_items(store, corpus, args.items)
        matcher = Matcher.open(data_dir, store, bench_encoder(real))
        columns = EnterpriseColumns(capacity=n)
        t0 = time.perf_counter()
        for chunk in chunks(corpus.iter_enterprises(n), 20_000):
            columns.upsert(chunk)
        load_s = time.perf_counter() - t0
        matcher.columns = columns
        lists = time_target_list(matcher, repeats=3)
        first, whole, rows = lists.first_page_s, lists.whole_list_s, lists.rows
        rss, hwm = rss_mb()
        store.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    say(f"targets {n}: whole list {min(whole) * 1000:.0f} ms ({rows} rows)")
    goal = "≤ 3 s" if n >= 1_000_000 else ""
    return (
        f"| {n:,} | {load_s:.1f} s | {min(first) * 1000:.0f} ms | {min(whole) * 1000:.0f} ms | {rows:,} "
        f"| {rss:.0f} MB (peak {hwm:.0f}) | {goal} |"
    )


def run(args: argparse.Namespace, real: Encoder, machine: str) -> tuple[str, str]:
    """Run ``bench scale`` with the served encoder ``real``; returns (section name, markdown)."""
    sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    if not sizes or min(sizes) <= 0:
        raise ValueError(f"--sizes needs positive enterprise counts, got {args.sizes!r}")

    def say(message: str) -> None:
        print(f"bench scale: {message}", file=sys.stderr, flush=True)

    if args.targets_only:
        lines = [targets_at(n, args, real, say) for n in sizes]
        report = "\n".join(
            [
                "## Scale: target lists at size (`policymatch bench scale --targets-only`)",
                "",
                f"Machine: {machine}; load average {os.getloadavg()[0]:.1f} (shared cores). "
                "Profiles go straight from the generator into the matcher's columns (no store), "
                f"{args.items} items; the busiest item without semantic conditions; best of 3 cold runs.",
                "",
                "| enterprises | load into columns | first page of 50 | whole ordered list | rows | process RSS | goal |",
                "|---|---|---|---|---|---|---|",
                *lines,
            ]
        )
        return "scale-targets", report
    runs = []
    for n in sizes:
        runs.append(run_size(n, args, real, say))
        print(json.dumps(runs[-1].__dict__), file=sys.stderr, flush=True)  # raw figures, one line per size
    return "scale", scale_markdown(runs, machine, args)


def bench_encoder(real: Encoder) -> HashEncoder:
    """Wrap the served encoder: it encodes queries (enterprise texts), hashing for item passages (their rate is sampled)."""
    return HashEncoder(int(real.dim), f"bench-hash+{real.model_id}", real)
