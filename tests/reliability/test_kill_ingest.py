"""SIGKILL a real ``policymatch ingest`` at random points: the store keeps exactly the committed batches."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from corpus.store import open_store

from .helpers import REPO, cli_command, cli_env, run_cli

N_PROFILES = 3000
BATCH = 100
N_KILLS = 8


def _write_profiles(path: Path) -> list[str]:
    ids = [f"K{i:05d}" for i in range(N_PROFILES)]
    with path.open("w", encoding="utf-8") as out:
        for i, key in enumerate(ids):
            record = {"id": key, "name": f"台州测试企业{i}", "employees": i % 400, "revenue": 500.0 + i}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return ids


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.05) as conn:
            return int(conn.execute("SELECT count(*) FROM enterprises").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created or mid-migration: nothing committed yet


def _stored_ids(data_dir: Path) -> list[str]:
    store = open_store(data_dir / "policymatch.sqlite3")
    try:
        return [p.id for p in store.iter_enterprises()]
    finally:
        store.close()


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.slow
def test_sigkill_mid_ingest_keeps_whole_batches_and_resumes(tmp_path: Path):
    source = tmp_path / "profiles.jsonl"
    ids = _write_profiles(source)
    rng = random.Random(9)
    mid_ingest = 0
    for round_ in range(N_KILLS):
        data_dir = tmp_path / f"d{round_}"
        db = data_dir / "policymatch.sqlite3"
        args = ("ingest", "enterprises", str(source), "--batch-size", str(BATCH), "--quiet")
        proc = subprocess.Popen(
            cli_command(*args),
            cwd=REPO,
            env=cli_env(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # Half the kills wait for a random number of committed rows, half at a random time.
        if round_ % 2 == 0:
            target = rng.randrange(1, N_PROFILES)
            deadline = time.monotonic() + 30
            while proc.poll() is None and _count(db) < target and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.05))
        else:
            time.sleep(rng.uniform(0.8, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)

        # Killed before the store was created: nothing committed, and the next run creates it.
        stored = _stored_ids(data_dir) if db.exists() else []  # the store opens after the kill
        if db.exists():
            assert _integrity(db) == "ok"
        assert len(stored) % BATCH == 0 or len(stored) == N_PROFILES, (
            f"a partial batch was kept: {len(stored)}"
        )
        assert sorted(stored) == ids[: len(stored)], "only whole batches, in file order, were committed"
        if 0 < len(stored) < N_PROFILES:
            mid_ingest += 1

        done = run_cli(data_dir, *args)
        assert done.returncode == 0, done.stderr
        assert f"{N_PROFILES - len(stored)} new" in done.stdout
        assert f"{len(stored)} unchanged" in done.stdout
        final = _stored_ids(data_dir)
        assert sorted(final) == ids
        with sqlite3.connect(db) as conn:
            snapshots = conn.execute(
                "SELECT count(*), count(DISTINCT enterprise_id) FROM enterprise_snapshots"
            ).fetchone()
        assert snapshots == (N_PROFILES, N_PROFILES), "no duplicate snapshots after the resumed ingest"
    assert mid_ingest >= N_KILLS // 3, f"only {mid_ingest} of {N_KILLS} kills landed mid-ingest"
