"""Memory and throughput of pre-forked workers (``policymatch serve --workers N``), measured as PSS / USS.

RSS counts every shared page in every process; PSS divides a shared page among the
processes sharing it, USS counts only a process's private pages: what one more worker
really costs. Run: ``python -m eval.bench.prefork --enterprises 100000 --workers 2``.
It stores synthetic enterprises (the demo generator, as ``bench scale``), serves them
from N pre-forked workers (hashing encoder: no model load), sends every worker first
requests for distinct enterprises (wrk at 16 connections when installed) and reads
``/proc/<pid>/smaps_rollup`` of the parent and each worker.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.bench.scale_http import _wrk_script, run_wrk
from eval.bench.serving import cpu_seconds, free_port, stop, wait_until_up


def smaps_mb(pid: int) -> dict[str, float]:
    """Rss, Pss and USS (private clean + dirty) of a process in MB, from ``/proc/<pid>/smaps_rollup``."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[-1] == "kB":
            fields[key.strip()] = int(parts[0]) / 1024
    return {
        "rss": fields.get("Rss", 0.0),
        "pss": fields.get("Pss", 0.0),
        "uss": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0),
    }


def context_switches(pid: int, thread: int | None = None) -> int:
    """Voluntary + involuntary context switches of a process's threads so far (or of one thread, by thread id)."""
    tasks = [thread] if thread is not None else [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    total = 0
    for task in tasks:
        try:
            status = Path(f"/proc/{pid}/task/{task}/status").read_text()
        except OSError:  # a thread that ended meanwhile
            continue
        total += sum(int(line.split()[1]) for line in status.splitlines() if "ctxt_switches:" in line)
    return total


def children_of(pid: int) -> list[int]:
    """Direct child processes of ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out.append(int(entry.name))
    return sorted(out)


def serve(data_dir: str, port: int, workers: int) -> int:
    """Open the bench data directory with the hashing encoder and serve it from ``workers`` pre-forked workers."""
    from api.limits import Limits
    from api.prefork import serve_prefork
    from api.settings import Settings
    from corpus.store import open_store
    from eval.bench.encoders import HashEncoder
    from matcher.service import Matcher

    settings = Settings(data_dir=Path(data_dir), host="127.0.0.1", port=port)
    store = open_store(Path(data_dir) / "policymatch.sqlite3")
    matcher = Matcher.open(Path(data_dir), store, HashEncoder(384, "bench-hash"))
    # Capacity, not the per-caller limiter, is measured: one caller sends every request.
    limits = Limits(rate_per_minute=10**9, burst=10**6)
    return serve_prefork(
        settings, store, matcher, workers, lambda m: print(m, file=sys.stderr), limits=limits
    )


def prepare(n: int, items: int, seed: int) -> tuple[Path, list[str]]:
    """Store ``items`` demo items and ``n`` demo enterprises (with hashed text vectors); returns the folder and ids."""
    from corpus.demo import generate
    from corpus.schemas import validate_profile
    from corpus.store import open_store
    from corpus.store.records import chunks
    from eval.bench.encoders import HashEncoder
    from eval.bench.scale import store_items
    from matcher.service import Matcher

    data_dir = Path(tempfile.mkdtemp(prefix=f"policymatch-prefork-{n}-"))
    store = open_store(data_dir / "policymatch.sqlite3")
    corpus = generate(seed, max(1, items // 6 + 1), n)
    store_items(store, corpus, items)
    ids: list[str] = []
    for batch in chunks((validate_profile(r) for r in corpus.iter_enterprises(n)), 5000):
        ids.extend(p.id for p in batch)
        store.upsert_enterprises(batch)
    matcher = Matcher.open(data_dir, store, HashEncoder(384, "bench-hash"))
    matcher.encode_enterprises()  # every profile's text vector, as ingest leaves them
    matcher.close()
    store.close()
    return data_dir, ids


def measure(data_dir: Path, ids: list[str], workers: int, seconds: int, delay_ms: int = 0) -> dict[str, Any]:
    """Serve with ``workers`` workers, load them with first requests, and read their memory.

    ``delay_ms``: each of wrk's connections waits this long between answer and next request (a paced load, below
    saturation; the achieved rate is what ``rate`` reports); 0 saturates the server.
    """
    import shutil

    import httpx

    port = free_port()
    code = f"from eval.bench.prefork import serve; serve({str(data_dir)!r}, {port}, {workers})"
    server = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(server, base, 900)
        before = {pid: smaps_mb(pid) for pid in [server.pid, *children_of(server.pid)]}
        result: dict[str, Any] = {"workers": workers, "delay_ms": delay_ms}
        wrk = shutil.which("wrk")
        pool = ids[1000:]
        if wrk:
            script = _wrk_script(data_dir, pool[: 1000 * seconds], f"prefork-{workers}.lua", delay_ms)
            pids = children_of(server.pid)
            cpu0 = sum(cpu_seconds(p) for p in pids)
            # A worker's main thread runs the event loop (HTTP, routing, validation); the others match and audit.
            loop0 = sum(cpu_seconds(p, p) for p in pids)
            # Every hand-over between threads (event loop, matching, audit writer) is a wake-up: counted per request.
            switches0 = sum(context_switches(p) for p in pids)
            loop_switches0 = sum(context_switches(p, p) for p in pids)
            requests, duration_s, errors, p50, p99 = run_wrk(wrk, script, base, 16, seconds)
            cpu = sum(cpu_seconds(p) for p in pids) - cpu0
            loop_cpu = sum(cpu_seconds(p, p) for p in pids) - loop0
            switches = sum(context_switches(p) for p in pids) - switches0
            loop_switches = sum(context_switches(p, p) for p in pids) - loop_switches0
            result.update(
                rate=requests / duration_s,
                p50_ms=p50,
                p99_ms=p99,
                errors=errors,
                cpu_ms_per_request=cpu * 1000 / max(requests, 1),
                event_loop_cpu_ms_per_request=loop_cpu * 1000 / max(requests, 1),
                context_switches_per_request=switches / max(requests, 1),
                event_loop_context_switches_per_request=loop_switches / max(requests, 1),
                requests=requests,
            )
        else:
            with httpx.Client(base_url=base, timeout=30) as client:
                for enterprise_id in pool[:2000]:
                    client.post("/v1/match", json={"enterprise_id": enterprise_id, "top_k": 20})
        after = {pid: smaps_mb(pid) for pid in [server.pid, *children_of(server.pid)]}
        result["memory_before_load"] = before
        result["memory_after_load"] = after
        result["parent"] = server.pid
        result["load_average"] = os.getloadavg()[0]
        return result
    finally:
        stop(server)


def main(argv: list[str] | None = None) -> int:
    """Prepare once, measure each worker count, print one JSON line per run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts to measure")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--delay-ms",
        default="0",
        help="comma-separated pauses (ms) each connection takes between answer and next request; 0 saturates",
    )
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    data_dir, ids = prepare(args.enterprises, args.items, args.seed)
    print(f"prepared {args.enterprises} enterprises in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    for workers in (int(w) for w in args.workers.split(",")):
        for delay_ms in (int(d) for d in args.delay_ms.split(",")):
            print(json.dumps(measure(data_dir, ids, workers, args.seconds, delay_ms)), flush=True)
    import shutil

    shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
