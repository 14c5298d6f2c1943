"""SIGKILL a real ``policymatch ledger ingest`` at random points: the ledger keeps whole batches with their audit rows."""

from __future__ import annotations

import json
import random
import sqlite3
from functools import partial
from pathlib import Path

import pytest

from .helpers import committed_rows, kill_midway, run_cli, start_cli

# Enough batches that a kill a few milliseconds after a random row count still lands mid-ingest.
N_ROWS = 10_000
BATCH = 100
N_KILLS = 6


def _write_ledger(path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(N_ROWS):
            record = {
                "enterprise_id": f"K{i % 700:05d}",
                "item_id": f"pol-{i % 13}#1",
                "amount": 5 + i % 20,
                "department": f"部门{i % 4}",
                "date": "2026-01-05",
                "status": ("applied", "approved", "paid")[i % 3],
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def _state(db: Path) -> tuple[list[int], int, str]:
    """Line numbers of the stored rows in id order, ledger.append audit rows, integrity_check."""
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "ledger" not in tables:  # killed before the migrations made it (a loaded machine): nothing stored
            return [], 0, str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        sources = [r[0] for r in conn.execute("SELECT source FROM ledger ORDER BY id")]
        audits = int(
            conn.execute("SELECT count(*) FROM audit_log WHERE action = 'ledger.append'").fetchone()[0]
        )
        integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    return [int(s.rsplit(":L", 1)[1]) for s in sources], audits, integrity


@pytest.mark.slow
def test_sigkill_mid_ledger_ingest_keeps_whole_batches_and_resumes_without_duplicates(tmp_path: Path):
    source = tmp_path / "ledger.jsonl"
    _write_ledger(source)
    rng = random.Random(15)
    mid = 0
    args = ("ledger", "ingest", str(source), "--batch-size", str(BATCH))
    for round_ in range(N_KILLS):
        data_dir = tmp_path / f"d{round_}"
        db = data_dir / "policymatch.sqlite3"
        proc = start_cli(data_dir, *args)
        kill_midway(proc, partial(committed_rows, db, "ledger"), N_ROWS, rng, round_, by_time=False)

        if db.exists():
            lines, audits, integrity = _state(db)
            assert integrity == "ok"
            # Whole batches only, in file order, each with its one audit row (written in the same transaction).
            assert len(lines) % BATCH == 0 or len(lines) == N_ROWS, f"a partial batch was kept: {len(lines)}"
            assert lines == list(range(1, len(lines) + 1))
            assert audits == -(-len(lines) // BATCH)
        else:
            lines = []
        if 0 < len(lines) < N_ROWS:
            mid += 1

        done = run_cli(data_dir, *args)
        assert done.returncode == 0, done.stderr
        assert f"{N_ROWS - len(lines)} row(s) appended, {len(lines)} already stored" in done.stdout
        final, audits, integrity = _state(db)
        assert integrity == "ok" and final == list(range(1, N_ROWS + 1)), "every line once, no duplicate"
    assert mid >= N_KILLS // 3, f"only {mid} of {N_KILLS} kills landed mid-ingest"


def test_ledger_ingest_names_bad_lines_and_strict_writes_nothing(tmp_path: Path):
    source = tmp_path / "ledger.csv"
    source.write_text(
        "enterprise_id,item_id,amount,department,date,status\n"
        "E1,p#1,10,科技局,2026-01-02,paid\n"
        "E2,p#1,-1,科技局,2026-01-02,paid\n"
        "E3,p#1,5,科技局,2026-01-02,given\n",
        encoding="utf-8",
    )
    strict = run_cli(tmp_path / "s", "ledger", "ingest", str(source), "--strict")
    assert strict.returncode == 1 and "line 3: amount" in strict.stderr and "line 4: status" in strict.stderr
    assert committed_rows(tmp_path / "s" / "policymatch.sqlite3", "ledger") == 0
    loose = run_cli(tmp_path / "l", "ledger", "ingest", str(source))
    assert loose.returncode == 1 and "1 row(s) appended, 0 already stored, 2 bad line(s)" in loose.stdout
    assert committed_rows(tmp_path / "l" / "policymatch.sqlite3", "ledger") == 1


def test_cli_reports_duplicates_and_the_bench_measures_them(tmp_path: Path):
    source = tmp_path / "ledger.jsonl"
    rows = [
        {
            "enterprise_id": "E1",
            "item_id": "p#1",
            "amount": 5,
            "department": d,
            "date": "2026-01-02",
            "status": "paid",
        }
        for d in ("科技局", "经信局")
    ]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    data_dir = tmp_path / "d"
    ingested = run_cli(data_dir, "ledger", "ingest", str(source))
    assert ingested.returncode == 0 and "1 duplicate benefit(s) among them" in ingested.stdout
    assert "同一法人多部门" in ingested.stderr
    found = run_cli(data_dir, "risk", "duplicates", "--json")
    assert found.returncode == 0, found.stderr
    hits = [json.loads(line) for line in found.stdout.splitlines()]
    assert [(h["kind"], h["person"], h["departments"]) for h in hits] == [
        ("same_item", "id:E1", ["科技局", "经信局"])
    ]
    listed = run_cli(data_dir, "ledger", "list", "--enterprise", "E1")
    assert len(listed.stdout.splitlines()) == 2
    bench = run_cli(
        data_dir, "bench", "duplicates", "--seeds", "1", "--persons", "80", "--plants", "12", "--no-write"
    )
    assert bench.returncode == 0 and "worst precision 1.00, worst recall 1.00" in bench.stdout
