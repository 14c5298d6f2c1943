"""Webhook delivery across a SIGKILL of the server (``policymatch bench events``).

The goal (issue #16): ≥ 99.9 % of events reach a local receiver within 10 s, and
100 % eventually, across a SIGKILL of the server. Set-up: a small demo store, a
real ``policymatch serve`` subprocess (its dispatcher delivers), a signature-checking
receiver (:class:`events.receiver.Receiver`) and an emitter in this process that
writes events into the store's outbox at a steady rate — another process writing,
as the CLI does. Policy writes made here too (``ingest_policies``, another process
again) must come back as ``targets.ready`` through the server's change feed. Part
way through, the server is killed with SIGKILL and started again at once; the
emitter never stops. An event's latency is its receipt time minus the time its
outbox row was written.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench.serving import data_dir_or_scratch, free_port, ready, serve_on, served_model, wait_ready

REPO = Path(__file__).resolve().parents[2]
SECRET = "bench-events-secret-0123456789"
GOAL_S = 10.0


@dataclass
class EventsResult:
    """What the run measured."""

    emitted: int = 0
    received: int = 0
    duplicates: int = 0
    bad_signatures: int = 0
    truncated: int = 0
    latencies: list[float] = field(default_factory=list)
    kill_at_s: float = 0.0
    resumed_after_s: float | None = None  # SIGKILL → first delivery by the restarted server
    ready_after_s: float | None = None  # SIGKILL → /readyz 200 again
    writes: int = 0
    write_latencies: list[float] = field(default_factory=list)  # policy write → its targets.ready received
    rate: float = 0.0
    late_in_downtime: int = (
        0  # late events written between the kill and the restarted server's first delivery
    )
    duration_s: float = 0.0
    wall_s: float = 0.0

    @property
    def within_goal(self) -> float:
        """Share of emitted events received within the goal."""
        return sum(lat <= GOAL_S for lat in self.latencies) / self.emitted if self.emitted else 0.0


def _policy(n: int) -> dict[str, Any]:
    return {
        "id": f"bench-events-{n}",
        "title": f"椒江区第{n}批科技型企业研发补助",
        "text": f"对营业收入超过{1000 + n * 100}万元的科技型中小企业，给予研发补助10万元。",
        "region_code": "331002",
        "issued": "2026-01-05",
    }


def run(
    *,
    models_dir: Path,
    rate: float = 25.0,
    duration_s: float = 40.0,
    kill_at: float = 0.4,
    writes: int = 8,
    n_enterprises: int = 300,
    data_dir: Path | None = None,
) -> EventsResult:
    """Emit events at ``rate``/s for ``duration_s``, SIGKILL the server at ``kill_at`` of it, and wait for them all."""
    from corpus.store import open_store
    from events.receiver import Receiver
    from matcher.demo import load_demo
    from matcher.ingest import ingest_policies

    data_dir, tmp = data_dir_or_scratch(data_dir, "policymatch-bench-events-")
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir.parent / "serve.log"
    model = served_model(
        models_dir, f"no bootstrapped model in {models_dir}; run `policymatch models bootstrap` first"
    )
    store: Any = open_store(data_dir / "policymatch.sqlite3")
    result = EventsResult(rate=rate, duration_s=duration_s)
    started_wall = time.monotonic()
    try:
        if store.count_enterprises() == 0:
            load_demo(store, seed=20241, n_policies=3, n_enterprises=n_enterprises)
        port = free_port()
        with Receiver(SECRET) as receiver:
            store.create_subscription(receiver.url, ["*"], SECRET, label="bench events")
            proc = serve_on(data_dir, port, model, log, append=True)
            wait_ready(proc, port, log, 600, 0.2)  # the first start builds the index: not measured
            time.sleep(1.5)  # the feed producer's first round places its cursor
            created: dict[str, float] = {}
            written_at: dict[str, float] = {}
            stop = threading.Event()

            def emit() -> None:
                # Its own connection: this thread is "another process" writing the outbox.
                interval = 1.0 / rate
                t0 = time.monotonic()
                n = 0
                while not stop.is_set() and time.monotonic() - t0 < duration_s:
                    event = store.emit_event("ping", {"n": n, "bench": True}, subject="bench")
                    assert event is not None
                    created[event.id] = dt.datetime.fromisoformat(event.created_at).timestamp()
                    n += 1
                    time.sleep(max(0.0, t0 + n * interval - time.monotonic()))

            def write_policies() -> None:
                for n in range(writes):
                    if stop.wait(duration_s / max(1, writes)):
                        return
                    ingest_policies(store, [_policy(n)], strict=True, progress=False)
                    written_at[_policy(n)["id"]] = time.time()

            threads = [threading.Thread(target=emit), threading.Thread(target=write_policies)]
            for t in threads:
                t.start()
            time.sleep(duration_s * kill_at)
            before = len(receiver.received.first_at)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            killed = time.time()
            result.kill_at_s = duration_s * kill_at
            proc = serve_on(data_dir, port, model, log, append=True)
            # Resumed: a new receipt after the kill that the dead process cannot have made.
            while result.resumed_after_s is None or result.ready_after_s is None:
                if result.resumed_after_s is None and any(
                    t > killed + 0.5 for t in receiver.received.first_at.values()
                ):
                    result.resumed_after_s = (
                        min(t for t in receiver.received.first_at.values() if t > killed + 0.5) - killed
                    )
                if result.ready_after_s is None and ready(port):
                    result.ready_after_s = time.time() - killed
                if time.time() - killed > 300:
                    break
                time.sleep(0.05)
            for t in threads:
                t.join()
            # Wait for everything: "100 % eventually".
            deadline = time.monotonic() + 180
            wanted = set(created)
            while time.monotonic() < deadline:
                got = set(receiver.received.first_at)
                ready_for = {
                    b["data"].get("policy_id")
                    for b in receiver.received.bodies.values()
                    if b["type"] == "targets.ready"
                }
                if wanted <= got and set(written_at) <= ready_for:
                    break
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            r = receiver.received
            result.emitted = len(created)
            result.received = len(set(created) & set(r.first_at))
            result.duplicates = r.duplicates
            result.bad_signatures = r.bad_signatures
            result.truncated = r.truncated
            result.latencies = [r.first_at[e] - created[e] for e in created if e in r.first_at]
            resumed_at = killed + (result.resumed_after_s or 0.0)
            result.late_in_downtime = sum(
                1
                for e, at in created.items()
                if e in r.first_at and r.first_at[e] - at > GOAL_S and killed - 1.0 <= at <= resumed_at
            )
            result.writes = len(written_at)
            for body_id, body in r.bodies.items():
                if body["type"] == "targets.ready" and body["data"].get("policy_id") in written_at:
                    result.write_latencies.append(r.first_at[body_id] - written_at[body["data"]["policy_id"]])
            del before
    finally:
        store.close()
        result.wall_s = time.monotonic() - started_wall
        if tmp is not None:
            tmp.cleanup()
    return result


def render(result: EventsResult, machine: str) -> str:
    """Write the markdown section of docs/benchmarks.md."""
    lat = np.array(result.latencies) if result.latencies else np.array([np.nan])
    writes = np.array(result.write_latencies) if result.write_latencies else np.array([np.nan])
    ok = result.within_goal >= 0.999 and result.received == result.emitted
    lines = [
        "## Webhook delivery across a SIGKILL (`policymatch bench events`)",
        "",
        f"Machine: {machine}; 1-minute load average {os.getloadavg()[0]:.1f} when it finished (the tails grow "
        "with the load: a restarted server takes longer to start delivering).",
        f"A real `policymatch serve` delivers to a signature-checking receiver on loopback; events are written "
        f"into the outbox by another process at {result.rate:.0f}/s for {result.duration_s:.0f} s; the server is "
        f"killed with SIGKILL at {result.kill_at_s:.0f} s and started again at once. Latency: receipt − outbox write.",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| events written / received (distinct ids) | {result.emitted} / {result.received} |",
        f"| received within {GOAL_S:.0f} s | **{100 * result.within_goal:.2f} %** (goal ≥ 99.9 %) |",
        f"| latency p50 / p99 / max | {np.nanpercentile(lat, 50):.2f} s / {np.nanpercentile(lat, 99):.2f} s / "
        f"{np.nanmax(lat):.2f} s |",
        f"| delivered twice (in flight at the kill; receivers dedupe on the id) | {result.duplicates} |",
        f"| bad signatures / bodies cut short by the kill | {result.bad_signatures} / {result.truncated} |",
        f"| SIGKILL → deliveries resume (restarted server, before its model loads) | "
        f"{result.resumed_after_s if result.resumed_after_s is not None else float('nan'):.1f} s |",
        f"| SIGKILL → `/readyz` 200 again | "
        f"{result.ready_after_s if result.ready_after_s is not None else float('nan'):.1f} s |",
        f"| policy writes by another process → their `targets.ready` received: n, p50, max | {result.writes}, "
        f"{np.nanpercentile(writes, 50):.2f} s, {np.nanmax(writes):.2f} s |",
        "",
        f"Goal met: {'yes' if ok else 'no'} (≥ 99.9 % within {GOAL_S:.0f} s and 100 % eventually). "
        f"Run took {result.wall_s:.0f} s. Of the {sum(lat > GOAL_S for lat in result.latencies)} events later than "
        f"{GOAL_S:.0f} s, {result.late_in_downtime} were written while no server ran (from the kill to the restarted "
        "server's first delivery): what bounds them is how fast a new process starts delivering (Python, the "
        "settings and the store: the server starts its dispatcher before the app's imports and the model), which "
        "on this shared machine depends on the load.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m eval.bench.events``: run, print, write the section."""
    import argparse

    from eval.benchfile import machine_description, update_section

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models-dir", type=Path, default=REPO / ".cache" / "test-models")
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--duration", type=float, default=40.0)
    parser.add_argument("--writes", type=int, default=8)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    result = run(models_dir=args.models_dir, rate=args.rate, duration_s=args.duration, writes=args.writes)
    report = render(result, machine_description())
    print(report)
    if not args.no_write:
        update_section("events", report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
