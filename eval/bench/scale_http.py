"""The HTTP half of ``bench scale``: the real app served from its own process, loaded with ``wrk``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from eval.bench.serving import cpu_seconds, free_port, stop, wait_until_up
from eval.bench.timing import rss_mb

LOAD_SECONDS = 10
CONNECTIONS = (16, 64)
WRK_THREADS = 2
# Distinct enterprises per second of an uncached wrk run: more than one server process can answer
# (a first request costs ≈ 3.5 ms of CPU: < 600 req/s even on 2 idle cores), so no id comes round twice.
UNCACHED_PER_SECOND = 1000


def run_wrk(
    wrk: str, script: Path, base: str, connections: int, seconds: int
) -> tuple[int, float, int, float, float]:
    """Run ``wrk`` with a script of :func:`_wrk_script`; return (requests, seconds, errors, p50 ms, p99 ms)."""
    out = subprocess.run(
        [wrk, "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s"]
        + ["-s", str(script), base],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("JSON "))
    requests, duration_us, errors, p50, p99, _status = line.split()[1:]
    return int(requests), int(duration_us) / 1e6, int(errors), float(p50), float(p99)


def _wrk_script(folder: Path, ids: list[str], name: str = "match.lua", delay_ms: int = 0) -> Path:
    """Write a wrk script posting /v1/match for ``ids`` in turn (its threads interleave: an id recurs only after all).

    ``delay_ms``: each connection waits this long after an answer before its next request (wrk's ``delay``), so
    the load is paced below saturation (≈ connections / (latency + delay)); 0 sends as fast as answers come.
    """
    pacing = f"delay = function()\n  return {int(delay_ms)}\nend\n" if delay_ms > 0 else ""
    bodies = ",\n".join(json.dumps(json.dumps({"enterprise_id": i, "top_k": 20})) for i in ids)
    script = folder / name
    script.write_text(
        f"""-- POST /v1/match for stored enterprises, in turn (thread t of {WRK_THREADS} sends bodies t, t+{WRK_THREADS}, ...)
local bodies = {{
{bodies}
}}
local threads = 0
setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = -1
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format(nil, "/v1/match", nil, bodies[(n * {WRK_THREADS} + (tid or 0)) % #bodies + 1])
end
{pacing}done = function(summary, latency, requests)
  io.write(string.format("JSON %d %d %d %.3f %.3f %d\\n", summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))
end
""",
        encoding="utf-8",
    )
    return script


def http_load(
    data_dir: Path, ids: list[str], pools: list[list[str]], args: argparse.Namespace, say: Any
) -> tuple[float, float, list[tuple[int, float, float, float, int, float]], list[Any], bool]:
    """Serve ``data_dir`` from another process; wrk it over cached ``ids``, then over each never-requested pool.

    Returns the server's (VmRSS, VmHWM), the cached runs, the uncached runs and whether an uncached
    run sent more requests than its pool held.
    """
    import shutil

    import httpx

    wrk = shutil.which("wrk")
    if wrk is None:
        say("wrk not found (apt-get install wrk): HTTP load skipped")
        return 0.0, 0.0, [], [], False
    port = free_port()
    code = (
        "from api.bench_server import serve_for_bench; "
        f"serve_for_bench({str(data_dir)!r}, {port}, {str(args.models_dir or '')!r})"
    )
    server = subprocess.Popen(
        ["nice", "-n", "10", sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    results: list[tuple[int, float, float, float, int, float]] = []
    uncached: list[tuple[int, float, float, float, int, float]] = []
    wrapped = False
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(server, base, 600)
        with httpx.Client(base_url=base, timeout=30) as client:
            for enterprise_id in ids:  # warm: every id once
                response = client.post("/v1/match", json={"enterprise_id": enterprise_id, "top_k": 20})
                if response.status_code != 200:
                    raise RuntimeError(
                        f"POST /v1/match answered {response.status_code}: {response.text[:300]}"
                    )
        script = _wrk_script(data_dir, ids)
        for connections in CONNECTIONS:
            run, _ = _wrk_run(wrk, script, base, connections, server.pid, args.load_seconds)
            results.append(run)
            say(f"HTTP cached, {describe(run)}")
        # Uncached: each run cycles over its own pool of enterprises nobody has requested yet.
        for connections, pool in zip(CONNECTIONS, pools, strict=True):
            if not pool:
                continue
            script = _wrk_script(data_dir, pool, f"match-uncached-{connections}.lua")
            run, requests = _wrk_run(wrk, script, base, connections, server.pid, args.load_seconds)
            uncached.append(run)
            wrapped = wrapped or requests > len(pool)
            say(f"HTTP uncached ({requests} requests over {len(pool)} enterprises), {describe(run)}")
        rss, hwm = rss_mb(server.pid)
    finally:
        stop(server, 20)
    return rss, hwm, results, uncached, wrapped


def _wrk_run(
    wrk: str, script: Path, base: str, connections: int, server_pid: int, seconds: int
) -> tuple[tuple[int, float, float, float, int, float], int]:
    """One wrk run: ((connections, req/s, p50 ms, p99 ms, errors, server CPU ms per request), requests)."""
    cpu_before = cpu_seconds(server_pid)
    requests, duration_s, errors, p50, p99 = run_wrk(wrk, script, base, connections, seconds)
    rate = requests / duration_s
    cpu_ms = (cpu_seconds(server_pid) - cpu_before) * 1000 / max(requests, 1)
    return (connections, rate, p50, p99, errors, cpu_ms), requests


def describe(run: tuple[int, float, float, float, int, float]) -> str:
    """Say one wrk run in a line."""
    connections, rate, p50, p99, errors, cpu_ms = run
    return (
        f"{connections} connections: {rate:.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"{errors} errors, server CPU {cpu_ms:.1f} ms/request"
    )
