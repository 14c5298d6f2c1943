"""A bounded soak on loopback: the real server under concurrent 智能匹配, target paging and ingest, with an index switch.

``python -m tests.reliability.soak [--duration 180] [--workers 6] [--no-write]``

Builds a demo data directory (or uses ``--data-dir``), creates keys, starts
``policymatch serve`` as a subprocess (uvicorn), and runs three kinds of client
threads against it: ``POST /v1/match`` for random enterprises, ``GET
/v1/policies/{id}/targets`` paged to the end with the cursor, and ``POST
/v1/enterprises`` with new profiles. Halfway through, ``POST /v1/index/rebuild``
switches the index. At the end every acknowledged profile write is counted in the
store. Zero 5xx and zero lost writes pass; latency percentiles and error counts go
to docs/reliability.md (section "Soak").
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.bench.serving import data_dir_or_scratch, free_port, serve_on, served_model, wait_ready

from .helpers import replace_doc_section

REPO = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO / ".cache" / "test-models"
DOC = REPO / "docs" / "reliability.md"
START, END = "<!-- soak:start -->", "<!-- soak:end -->"


@dataclass(frozen=True)
class SoakResult:
    """What a soak saw: requests, statuses and latencies per kind, writes acknowledged and found, index versions."""

    duration_s: float
    workers: int
    latencies_ms: dict[str, list[float]]
    statuses: dict[str, dict[int, int]]
    transport_errors: dict[str, int]
    acknowledged_writes: int
    stored_writes: int
    index_versions: tuple[str, ...]
    n_policies: int
    n_enterprises: int
    notes: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        """Responses with a 5xx status."""
        return sum(n for codes in self.statuses.values() for code, n in codes.items() if code >= 500)

    @property
    def lost_writes(self) -> int:
        """Acknowledged profile writes not found in the store afterwards."""
        return max(self.acknowledged_writes - self.stored_writes, 0)

    @property
    def ok(self) -> bool:
        """Zero 5xx, zero transport errors, zero lost writes, and the index switched."""
        return (
            self.server_errors == 0
            and not sum(self.transport_errors.values())
            and self.lost_writes == 0
            and len(self.index_versions) >= 2
        )


def prepare_data_dir(
    data_dir: Path, n_policies: int, n_enterprises: int, n_keys: int
) -> tuple[list[str], list[str], list[str]]:
    """Load the demo corpus and create ``n_keys`` admin and push keys; returns (admin secrets, push secrets, ids).

    One key per client thread: the per-key rate limit (api.limits) is tested in tests/api, not here.
    """
    from corpus.store import open_store
    from matcher.demo import load_demo

    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(data_dir / "policymatch.sqlite3")
    try:
        if store.count_enterprises() == 0:
            load_demo(store, seed=20241, n_policies=n_policies, n_enterprises=n_enterprises)
        admin = [store.create_api_key("admin", None, f"soak admin {n}")[1] for n in range(n_keys)]
        push = [store.create_api_key("push", None, f"soak push {n}")[1] for n in range(n_keys)]
        ids = [p.id for p in store.iter_enterprises()]
    finally:
        store.close()
    return admin, push, ids


def start_server(data_dir: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``policymatch serve`` on loopback and wait until ``/readyz`` answers 200."""
    model = served_model(
        MODEL_DIR,
        f"no bootstrapped model in {MODEL_DIR}; run the test suite once (or policymatch models bootstrap)",
    )
    proc = serve_on(data_dir, port, model, log_path)
    wait_ready(proc, port, log_path, 900)
    return proc


class KeepAlive:
    """One keep-alive HTTP connection to the server on ``port``, opened again after a failed call."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def send(
        self, method: str, path: str, data: bytes | None, secret: str | None
    ) -> tuple[http.client.HTTPResponse | None, bytes, float, str | None]:
        """One request: the response (None when the call failed, with why), its body and the seconds it took."""
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        if data is not None:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            return None, b"", time.perf_counter() - started, repr(exc)
        return response, payload, time.perf_counter() - started, None


class _Client:
    """One keep-alive HTTP connection per thread, recording every call."""

    def __init__(self, port: int, secret: str, record: Any) -> None:
        self.secret, self.record = secret, record
        self.http = KeepAlive(port, timeout=120)

    def call(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        response, raw, seconds, error = self.http.send(method, path, data, self.secret)
        if response is None:
            self.record(kind, None, seconds, error)
            return 0, None
        self.record(kind, response.status, seconds, None)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        if response.status == 429:
            # A well-behaved client waits as told; the limiter itself is tested in tests/api.
            time.sleep(float(response.getheader("Retry-After") or 1))
        return response.status, parsed


def run_soak(
    duration_s: float = 180,
    workers: int = 6,
    n_policies: int = 20,
    n_enterprises: int = 2000,
    data_dir: Path | None = None,
) -> SoakResult:
    """Run the soak and return what it saw (the server is stopped before returning)."""
    from corpus.store import open_store

    data_dir, tmp = data_dir_or_scratch(data_dir, "policymatch-soak-")
    admin, push, ids = prepare_data_dir(data_dir, n_policies, n_enterprises, workers + 2)
    store = open_store(data_dir / "policymatch.sqlite3")
    items = [(i.policy_id, i.id) for i in store.iter_items()]
    store.close()
    port = free_port()
    server = start_server(data_dir, port, data_dir.parent / "soak-server.log")
    lock = threading.Lock()
    latencies: dict[str, list[float]] = {}
    statuses: dict[str, Counter[int]] = {}
    transport: Counter[str] = Counter()
    acknowledged: list[str] = []
    versions: list[str] = []
    stop = threading.Event()

    def record(kind: str, status: int | None, seconds: float, error: str | None) -> None:
        with lock:
            if status is None:
                transport[kind] += 1
                return
            latencies.setdefault(kind, []).append(seconds * 1000)
            statuses.setdefault(kind, Counter())[status] += 1

    def note_version(body: Any) -> None:
        version = body.get("index") if isinstance(body, dict) else None
        if version:
            base = str(version).split("+")[0]
            with lock:
                if not versions or versions[-1] != base:
                    versions.append(base)

    def matcher_worker(seed: int) -> None:
        rng, client = random.Random(seed), _Client(port, admin[seed], record)
        while not stop.is_set():
            _, body = client.call(
                "match", "POST", "/v1/match", {"enterprise_id": rng.choice(ids), "top_k": 20}
            )
            note_version(body)

    def pager_worker(seed: int) -> None:
        rng, client = random.Random(seed), _Client(port, push[seed], record)
        while not stop.is_set():
            policy_id, item_id = rng.choice(items)
            cursor = None
            for _ in range(20):
                query = f"item_id={item_id.replace('#', '%23')}&limit=100" + (
                    f"&cursor={cursor}" if cursor else ""
                )
                status, body = client.call("targets page", "GET", f"/v1/policies/{policy_id}/targets?{query}")
                cursor = body.get("next_cursor") if status == 200 and isinstance(body, dict) else None
                if not cursor or stop.is_set():
                    break

    def ingest_worker(seed: int) -> None:
        client, n = _Client(port, admin[seed], record), 0
        while not stop.is_set():
            key = f"SOAK{seed:02d}{n:06d}"
            n += 1
            profile = {"id": key, "name": f"压测企业{key}", "region_code": "331002", "employees": n % 500}
            status, _ = client.call("ingest", "POST", "/v1/enterprises", profile)
            if 200 <= status < 300:
                with lock:
                    acknowledged.append(key)

    kinds = [matcher_worker, pager_worker, ingest_worker]
    threads = [threading.Thread(target=kinds[i % 3], args=(i,), daemon=True) for i in range(workers)]
    started = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        time.sleep(duration_s / 2)
        switch = _Client(port, admin[workers], record)
        status, body = switch.call("index rebuild", "POST", "/v1/index/rebuild")
        time.sleep(max(duration_s - (time.monotonic() - started), 0))
        stop.set()
        for thread in threads:
            thread.join(timeout=180)
        final = _Client(port, admin[workers + 1], record)
        _, body = final.call("match", "POST", "/v1/match", {"enterprise_id": ids[0]})
        note_version(body)
    finally:
        stop.set()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    elapsed = time.monotonic() - started
    store = open_store(data_dir / "policymatch.sqlite3")
    try:
        stored = {p.id for p in store.iter_enterprises() if p.id.startswith("SOAK")}
    finally:
        store.close()
    notes = [] if status == 200 else [f"index rebuild answered {status}: {body}"]
    result = SoakResult(
        duration_s=elapsed,
        workers=workers,
        latencies_ms=latencies,
        statuses={k: dict(v) for k, v in statuses.items()},
        transport_errors=dict(transport),
        acknowledged_writes=len(acknowledged),
        stored_writes=len(stored & set(acknowledged)),
        index_versions=tuple(versions),
        n_policies=n_policies,
        n_enterprises=n_enterprises,
        notes=notes,
    )
    if tmp is not None:
        tmp.cleanup()
    return result


def render(result: SoakResult) -> str:
    """Markdown of a soak result: percentiles, status counts, writes, index versions and the machine."""
    import numpy as np

    from eval.benchfile import machine_description

    lines = [
        f"Soak of {result.duration_s:.0f} s on loopback, {result.workers} client threads "
        f"(match / target paging / ingest in turn), demo corpus of {result.n_policies} policies and "
        f"{result.n_enterprises} enterprises, `POST /v1/index/rebuild` halfway. Machine: {machine_description()}.",
        "",
        "| kind | requests | p50 ms | p95 ms | p99 ms | max ms | statuses | transport errors |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for kind in sorted(set(result.latencies_ms) | set(result.transport_errors)):
        values = np.array(result.latencies_ms.get(kind, [0.0]))
        p50, p95, p99 = np.percentile(values, [50, 95, 99])
        codes = ", ".join(f"{c}: {n}" for c, n in sorted(result.statuses.get(kind, {}).items()))
        lines.append(
            f"| {kind} | {len(result.latencies_ms.get(kind, []))} | {p50:.0f} | {p95:.0f} | {p99:.0f} | "
            f"{values.max():.0f} | {codes} | {result.transport_errors.get(kind, 0)} |"
        )
    lines += [
        "",
        f"- 5xx responses: **{result.server_errors}**; lost writes: **{result.lost_writes}** "
        f"({result.acknowledged_writes} profile writes acknowledged, {result.stored_writes} found in the store).",
        f"- Index versions seen by 智能匹配 responses: {' → '.join(result.index_versions) or 'none'}.",
        *(f"- {note}" for note in result.notes),
        f"- Verdict: {'PASS' if result.ok else 'FAIL'}.",
    ]
    return "\n".join(lines)


def write_doc(markdown: str) -> None:
    """Replace the soak section of docs/reliability.md."""
    replace_doc_section(DOC, "Soak", START, END, markdown)


def main(argv: list[str] | None = None) -> int:
    """Run the soak from the command line; exit 1 on any 5xx, transport error or lost write."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.reliability.soak", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--duration", type=float, default=180, help="seconds of load (default 180)")
    parser.add_argument("--workers", type=int, default=6, help="client threads (default 6)")
    parser.add_argument("--policies", type=int, default=20, help="demo policies (default 20)")
    parser.add_argument("--enterprises", type=int, default=2000, help="demo enterprises (default 2000)")
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="reuse a data directory (default: a temporary one)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/reliability.md alone")
    args = parser.parse_args(argv)
    result = run_soak(args.duration, args.workers, args.policies, args.enterprises, args.data_dir)
    markdown = render(result)
    print(markdown)  # noqa: T201
    if not args.no_write:
        write_doc(markdown)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
