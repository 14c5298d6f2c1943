"""How soon a write made by another process is visible to a running server (``policymatch bench freshness``).

Starts a real ``policymatch serve`` over a fresh data directory (the demo corpus of a
given size, SQLite or a PostgreSQL URL), then makes ``writes`` writes, each with the real
CLI in its own process, alternating:

- ``policymatch ingest policies`` of a new policy — visible when the server answers its
  target list (``GET /v1/policies/{id}/targets``: 404 until the server applied it);
- ``policymatch ingest enterprises`` of a new profile — visible when the server's change
  feed (``GET /readyz`` → ``feed.applied_seq``) reached the write's ``seq`` (the seq is
  applied to the enterprise columns before it is reported).

Latency is from the CLI process's exit (its transaction committed) to the first poll
(every 20 ms) that sees the write. The goal (issue 16): p99 within 5 s.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from eval.bench.serving import free_port, start_serve, wait_ready

REPO = Path(__file__).resolve().parents[2]
GOAL_S = 5.0
POLL_S = 0.02
TIMEOUT_S = 60.0


@dataclass
class FreshnessBench:
    """Per-write latencies (seconds) by kind, and how the run was set up."""

    store: str
    n_policies: int
    n_enterprises: int
    interval_s: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"policy": [], "enterprise": []})
    cli_seconds: list[float] = field(default_factory=list)
    misses: int = 0  # writes not visible within TIMEOUT_S

    @property
    def all(self) -> list[float]:
        """Every write's latency."""
        return self.latencies["policy"] + self.latencies["enterprise"]


def percentile(values: list[float], q: float) -> float:
    """Return the ``q``-quantile (0-1) by the nearest-rank method (p99 of 100 values is the 99th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def _policy(n: int) -> dict[str, Any]:
    return {
        "id": f"fresh-{n:04d}",
        "title": f"椒江区新政策{n}",
        "region_code": "331002",
        "issued": "2025-03-01",
        "valid_until": "2099-12-31",
        "text": f"对从业人员{20 + n}人以上、营业收入达到{500 + n}万元的企业，给予奖励5万元。",
    }


def _profile(n: int) -> dict[str, Any]:
    return {
        "id": f"FRESH{n:04d}",
        "name": f"新入库企业{n}有限公司",
        "region_code": "331002",
        "industry_code": "C3670",
        "employees": 50 + n,
        "revenue": 1000.0 + n,
    }


def run(
    models_dir: Path,
    *,
    writes: int = 100,
    n_policies: int = 20,
    n_enterprises: int = 2000,
    store_url: str | None = None,
    interval_s: float = 0.5,
    seed: int = 20241,
) -> FreshnessBench:
    """Serve a fresh data directory and time ``writes`` CLI writes until the server sees each."""
    from corpus.store import open_store
    from matcher.demo import load_demo

    with tempfile.TemporaryDirectory(prefix="policymatch-fresh-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        (data_dir / "models").symlink_to(Path(models_dir).resolve(), target_is_directory=True)
        location: str = store_url or str(data_dir / "policymatch.sqlite3")
        store = open_store(location)
        try:
            if store.count_enterprises() == 0:
                load_demo(store, seed=seed, n_policies=n_policies, n_enterprises=n_enterprises)
        finally:
            store.close()
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "POLICYMATCH_DATA_DIR": str(data_dir),
            "POLICYMATCH_PORT": str(port),
            "POLICYMATCH_FEED_INTERVAL_S": str(interval_s),
        }
        if store_url:
            env["POLICYMATCH_STORE_URL"] = store_url
        result = FreshnessBench(
            "PostgreSQL" if store_url else "SQLite", n_policies, n_enterprises, interval_s
        )
        log = Path(tmp) / "serve.log"
        server = start_serve(env, log)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                wait_ready(server, port, log, 900)
                for n in range(writes):
                    kind = "policy" if n % 2 == 0 else "enterprise"
                    latency, cli_s = _one_write(client, env, Path(tmp), n, kind, location)
                    result.cli_seconds.append(cli_s)
                    if latency is None:
                        result.misses += 1
                    else:
                        result.latencies[kind].append(latency)
        finally:
            server.terminate()
            server.wait(timeout=60)
    return result


def _one_write(
    client: httpx.Client, env: dict[str, str], tmp: Path, n: int, kind: str, location: str
) -> tuple[float | None, float]:
    """Make one CLI write; returns (seconds until the server saw it or None, seconds the CLI ran)."""
    from corpus.store import open_store

    if kind == "policy":
        record, command = _policy(n), "policies"
    else:
        record, command = _profile(n), "enterprises"
    path = tmp / f"write-{n}.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "ingest", command, str(path), "--quiet"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    committed = time.monotonic()
    if done.returncode != 0:
        raise RuntimeError(f"the CLI write failed: {done.stderr or done.stdout}")
    target_seq = 0
    if kind == "enterprise":
        # Nothing else writes: the newest change is this write's. The read counts against the server (conservative).
        store = open_store(location)
        try:
            target_seq = store.last_change_seq()
        finally:
            store.close()
    while True:
        waited = time.monotonic() - committed
        if waited > TIMEOUT_S:
            return None, committed - started
        if kind == "policy":
            visible = client.get(f"/v1/policies/{record['id']}/targets?limit=1").status_code == 200
        else:
            visible = (
                int((client.get("/readyz").json().get("feed") or {}).get("applied_seq", 0)) >= target_seq
            )
        if visible:
            return waited, committed - started
        time.sleep(POLL_S)


def to_markdown(result: FreshnessBench, machine: str) -> str:
    """Render the benchmark's section of docs/benchmarks.md."""
    rows = []
    for label, values in (
        ("all writes", result.all),
        ("policy (CLI `ingest policies` → target list answers)", result.latencies["policy"]),
        ("enterprise (CLI `ingest enterprises` → feed applied)", result.latencies["enterprise"]),
    ):
        if values:
            rows.append(
                f"| {label} | {len(values)} | {statistics.median(values):.2f} | {percentile(values, 0.95):.2f} "
                f"| {percentile(values, 0.99):.2f} | {max(values):.2f} |"
            )
    p99 = percentile(result.all, 0.99)
    verdict = "met" if result.all and p99 <= GOAL_S and not result.misses else "NOT met"
    return "\n".join(
        [
            "## Freshness: a CLI write visible to a running server (`policymatch bench freshness`)",
            "",
            f"`policymatch bench freshness --writes {len(result.all) + result.misses}` — {result.store}, demo corpus "
            f"({result.n_policies} policies, {result.n_enterprises} enterprises), feed polled every "
            f"{result.interval_s:g} s; {machine}. Seconds from the CLI process's exit (its write committed) to "
            "the first poll (every 20 ms) that sees it.",
            "",
            "| writes | n | p50 s | p95 s | p99 s | max s |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"Goal (issue 16): p99 ≤ {GOAL_S:g} s — **{verdict}** (p99 {p99:.2f} s; {result.misses} writes not seen "
            f"within {TIMEOUT_S:g} s). Each CLI write itself ran {statistics.median(result.cli_seconds):.2f} s "
            "(median, process start included).",
        ]
    )
