"""Issue 18's hostile requests, run again against the real server on loopback, bounded in time.

``python -m tests.reliability.hostile [--no-write]``

Starts ``policymatch serve`` (uvicorn) over a small demo data directory and,
while a prober reads ``/healthz`` every 50 ms and a client runs 智能匹配, sends:
policies of 200 000 characters without sentence punctuation, 条件 × 100 000,
200 000 digits and numerals, one over the text cap; profiles with
``revenue 1e-300 / rd_expense 1e10``, NaN, 2^63−1 employees, NUL, the ids ``.``
and ``..``, ``top_k: true`` / ``"5"``; enterprises named like formulas, then the
CSV export; floods of unknown keys (401 → 429), an enterprise key reaching for
another enterprise (403), a key past its rate (429); a half-sent body. Then it
reads the audit trail. It also measures, in this process, the worst time per
character of the whole policy read over adversarial texts at the size cap, and a
.docx whose document.xml is 57 MB.

Goals (issue 18): health p99 < 100 ms while they run, 0 5xx, 0 formula cells,
every refusal audited. The table goes to docs/reliability.md (section "Hostile
requests"); exit 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .helpers import replace_doc_section
from .hostile_inprocess import docx_bomb_case, extraction_worst_case
from .hostile_report import QUIET_S, READ_TIMEOUT_S, goals_met, render
from .soak import DOC, KeepAlive, free_port, prepare_data_dir, start_server

START, END = "<!-- hostile:start -->", "<!-- hostile:end -->"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Conn:
    """One keep-alive connection; every answer's status is counted under its kind."""

    def __init__(
        self, port: int, secret: str | None, tally: Counter[tuple[str, int]], timeout: float = 600
    ) -> None:
        self.secret, self.tally = secret, tally
        self.http = KeepAlive(port, timeout)

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        body: Any = None,
        raw: bytes | None = None,
        secret: str | None = None,
    ) -> tuple[int, bytes, float]:
        data = raw if body is None else json.dumps(body, ensure_ascii=False).encode()
        response, payload, seconds, _ = self.http.send(
            method, path, data, secret if secret is not None else self.secret
        )
        status = 0 if response is None else response.status
        self.tally[(kind, status)] += 1
        return status, payload, seconds


# The prober runs in its own process: in this one, the client threads' GIL turns would be measured too.
PROBER = """
import http.client, sys, time
port, out, stop = int(sys.argv[1]), open(sys.argv[2], "w"), sys.argv[3]
import os
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
while not os.path.exists(stop):
    started = time.perf_counter()
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        status = 0
    out.write(f"{(time.perf_counter() - started) * 1000:.3f} {status}\\n")
    out.flush()
    time.sleep(0.05)
"""


class _Prober:
    """``/healthz`` every 50 ms from a separate process, until :meth:`stop`; returns the latencies (ms)."""

    def __init__(self, port: int, folder: Path, name: str) -> None:
        import subprocess

        self.out, self.flag = folder / f"{name}.txt", folder / f"{name}.stop"
        self.proc = subprocess.Popen([sys.executable, "-c", PROBER, str(port), str(self.out), str(self.flag)])

    def stop(self) -> tuple[list[float], list[str]]:
        self.flag.touch()
        self.proc.wait(timeout=60)
        latencies, failures = [], []
        for line in self.out.read_text(encoding="utf-8").splitlines():
            ms, status = line.split()
            latencies.append(float(ms))
            if status != "200":
                failures.append(f"healthz {status}")
        return latencies, failures


def _matcher(
    port: int, secret: str, ids: list[str], stop: threading.Event, out: list[float], tally: Counter
) -> None:
    client = _Conn(port, secret, tally)
    n = 0
    while not stop.is_set():
        status, _, seconds = client.call(
            "match (beside)", "POST", "/v1/match", {"enterprise_id": ids[n % len(ids)]}
        )
        if status == 200:
            out.append(seconds * 1000)
        n += 1
        stop.wait(0.2)


def _half_sent_body(port: int) -> tuple[int, float]:
    """Send headers announcing 1000 bytes and only 10; return the status the server answers and when."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT_S * 5) as sock:
        sock.sendall(
            b"POST /v1/match HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"enterpr'
        )
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            return 0, time.perf_counter() - started
    match = re.match(rb"HTTP/1\.1 (\d{3})", data)
    return (int(match.group(1)) if match else 0), time.perf_counter() - started


def run(data_dir: Path) -> dict[str, Any]:
    """Start the server, send the hostile requests beside the prober and a 智能匹配 client, read the audit trail."""
    import os

    from corpus.store import open_store

    admin_keys, push_keys, ids = prepare_data_dir(data_dir, n_policies=5, n_enterprises=300, n_keys=2)
    store = open_store(data_dir / "policymatch.sqlite3")
    try:
        enterprise_key = store.create_api_key("enterprise", ids[0], "hostile enterprise")[1]
        analyst_key = store.create_api_key("analyst", None, "hostile analyst")[1]
    finally:
        store.close()
    load = os.getloadavg()[0]
    port = free_port()
    os.environ["POLICYMATCH_READ_TIMEOUT_S"] = str(READ_TIMEOUT_S)
    proc = start_server(data_dir, port, data_dir / "server.log")
    tally: Counter[tuple[str, int]] = Counter()
    notes: list[str] = []
    beside: list[float] = []
    slow: dict[str, float] = {}
    try:
        admin = _Conn(port, admin_keys[0], tally)
        # The reading worker starts beside serving; wait for it so the first hostile post is not also its start.
        admin.call(
            "warm-up policy",
            "POST",
            "/v1/policies",
            {"id": "warm", "title": "t", "text": "一、对企业给予奖励10万元。"},
        )
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=_matcher, args=(port, admin_keys[1], ids, stop, beside, tally), daemon=True
            ),
        ]
        for thread in threads:
            thread.start()
        # Reference: the same prober beside the same 智能匹配 client, before any hostile request.
        quiet_prober = _Prober(port, data_dir, "quiet")
        time.sleep(QUIET_S)
        quiet, _ = quiet_prober.stop()
        prober = _Prober(port, data_dir, "hostile")
        # A fresh connection: the server closed the idle one after its keep-alive timeout.
        admin = _Conn(port, admin_keys[0], tally)
        started = time.perf_counter()

        texts = {
            "200k without punctuation": ("企业研发投入支持资金" * 20_000),
            "条件 × 100 000": "条件" * 100_000,
            "200k digits": "1" * 200_000,
            "200k numerals": "一" * 200_000,
        }
        for n, (name, text) in enumerate(texts.items()):
            status, _, seconds = admin.call(
                "hostile policy", "POST", "/v1/policies", {"id": f"hostile-{n}", "title": name, "text": text}
            )
            slow[name] = seconds
            notes.append(f"POST /v1/policies {name}: {status} in {seconds:.1f} s")
        admin.call(
            "over the text cap",
            "POST",
            "/v1/policies",
            {"id": "hostile-cap", "title": "t", "text": "字" * 200_001},
        )

        bad_profiles = [
            {"id": "h-rd", "name": "n", "revenue": 1e-300, "rd_expense": 1e10},
            {"id": "h-big", "name": "n", "employees": 2**63 - 1},
            {"id": "h-nul", "name": "甲\x00乙"},
            {"id": ".", "name": "n"},
            {"id": "..", "name": "n"},
        ]
        for body in bad_profiles:
            admin.call("bad profile", "POST", "/v1/enterprises", body)
            admin.call("bad profile", "PUT", "/v1/enterprises/h-put", {**body, "id": "h-put"})
        admin.call(
            "bad profile", "POST", "/v1/enterprises", raw=b'{"id": "h-nan", "name": "n", "revenue": NaN}'
        )
        for top_k in (True, "5"):
            admin.call("bad top_k", "POST", "/v1/match", {"enterprise_id": ids[0], "top_k": top_k})

        policy = json.loads(admin.call("read", "GET", "/v1/policies")[1])["data"][0]["id"]
        for n, name in enumerate(
            ['=HYPERLINK("http://x/?"&A1,"点")', "+1+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "-2+3"]
        ):
            admin.call(
                "formula-named enterprise", "POST", "/v1/enterprises", {"id": f"h-csv-{n}", "name": name}
            )
        status, payload, _ = _Conn(port, push_keys[0], tally).call(
            "targets.csv",
            "GET",
            f"/v1/policies/{policy}/targets.csv?levels=eligible,need_info,near_miss,ineligible",
        )
        cells = [cell for row in csv.reader(io.StringIO(payload.decode("utf-8-sig"))) for cell in row]
        formula_cells = sum(cell.startswith(FORMULA_STARTS) for cell in cells)
        named = sum(1 for cell in cells if cell.startswith("'"))

        refused = Counter()
        stranger = _Conn(port, None, tally)
        for n in range(300):
            status, _, _ = stranger.call("unknown key", "GET", "/v1/policies", secret=f"pk_nokey{n}.guess{n}")
            refused[status] += 1
        nokey = _Conn(port, None, tally)
        enterprise = _Conn(port, enterprise_key, tally)
        for other in ids[1:21]:
            status, _, _ = enterprise.call("another enterprise", "GET", f"/v1/enterprises/{other}")
            refused[status] += 1
        push = _Conn(port, push_keys[0], tally)
        for _ in range(100):
            status, _, _ = push.call("past the rate", "GET", "/v1/policies")
            refused[status] += 1
        del nokey
        half_status, half_seconds = _half_sent_body(port)
        tally[("half-sent body", half_status)] += 1
        hostile_s = time.perf_counter() - started
        health, health_failures = prober.stop()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

        analyst = _Conn(port, analyst_key, tally)
        rows = json.loads(analyst.call("audit", "GET", "/v1/audit?action=request.refused&limit=1000")[1])[
            "data"
        ]
        audited = Counter()
        for row in rows:
            audited[int(row["details"]["status"])] += int(row["details"]["count"])
        sent = Counter()
        for (_, status), count in tally.items():
            if status in (401, 403, 429):
                sent[status] += count
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - a server that will not stop is killed
            proc.kill()
    return {
        "health": health,
        "quiet": quiet,
        "load": load,
        "health_failures": health_failures,
        "beside": beside,
        "tally": tally,
        "formula_cells": formula_cells,
        "neutralised": named,
        "refusals_sent": dict(sent),
        "refusals_audited": dict(audited),
        "audit_rows": len(rows),
        "half_sent": (half_status, half_seconds),
        "slow": slow,
        "hostile_s": hostile_s,
        "notes": notes,
    }


def write_doc(markdown: str) -> None:
    """Replace the hostile-requests section of docs/reliability.md."""
    replace_doc_section(DOC, "Hostile requests", START, END, markdown)


def main(argv: list[str] | None = None) -> int:
    """Run it from the command line; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.reliability.hostile", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/reliability.md alone")
    parser.add_argument(
        "--skip-extraction", action="store_true", help="skip the in-process worst-case measurement"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="policymatch-hostile-") as tmp:
        result = run(Path(tmp) / "data")
        worst = [] if args.skip_extraction else extraction_worst_case()
        bomb = docx_bomb_case(Path(tmp))
    markdown = render(result, worst, bomb)
    print(markdown)  # noqa: T201
    if not args.no_write:
        write_doc(markdown)
    return 0 if goals_met(result) else 1


if __name__ == "__main__":
    sys.exit(main())
