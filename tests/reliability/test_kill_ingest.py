"""SIGKILL a real ``policymatch ingest`` at random points: the store keeps exactly the committed batches."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from functools import partial
from pathlib import Path

import pytest

from corpus.store import open_store

from .helpers import committed_rows, kill_midway, run_cli, sigkill, start_cli, wait_for_count

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
        proc = start_cli(data_dir, *args)
        kill_midway(proc, partial(committed_rows, db, "enterprises"), N_PROFILES, rng, round_)

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


def _policy_shape(db: Path) -> dict[str, tuple[int, int]]:
    """Items and conditions per stored policy."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            """SELECT p.id, count(DISTINCT i.id), count(c.item_id)
               FROM policies p LEFT JOIN items i ON i.policy_id = p.id LEFT JOIN conditions c ON c.item_id = i.id
               GROUP BY p.id"""
        ).fetchall()
    return {policy: (n_items, n_conditions) for policy, n_items, n_conditions in rows}


@pytest.mark.slow
def test_sigkill_mid_policy_ingest_keeps_whole_policies(tmp_path: Path):
    from corpus.demo import generate

    corpus = generate(seed=5, n_policies=60, n_enterprises=0)
    source = tmp_path / "policies.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for policy in corpus.policies:
            out.write(json.dumps(policy.to_record(), ensure_ascii=False) + "\n")
    order = [p.id for p in corpus.policies]
    args = ("ingest", "policies", str(source), "--batch-size", "5", "--quiet")
    reference_dir = tmp_path / "reference"
    done = run_cli(reference_dir, *args)
    assert done.returncode == 0, done.stderr
    reference = _policy_shape(reference_dir / "policymatch.sqlite3")
    rng = random.Random(5)
    mid = 0
    for round_ in range(6):
        data_dir = tmp_path / f"p{round_}"
        db = data_dir / "policymatch.sqlite3"
        proc = start_cli(data_dir, *args)
        # Wait for a random number of committed policies, then kill a few milliseconds later.
        target = rng.randrange(1, len(order))
        # Generous: on a loaded machine the CLI's start (imports, jieba) alone can take tens of seconds.
        wait_for_count(proc, partial(committed_rows, db, "policies"), target, timeout=180)
        time.sleep(rng.uniform(0, 0.03))
        sigkill(proc)
        shape = _policy_shape(db) if db.exists() else {}
        stored = sorted(shape, key=order.index)
        assert len(stored) % 5 == 0 or len(stored) == len(order), f"a partial batch was kept: {len(stored)}"
        assert stored == order[: len(stored)], "only whole batches, in file order"
        assert all(shape[p] == reference[p] for p in stored), (
            "every stored policy has all its items and conditions"
        )
        mid += 0 < len(stored) < len(order)
        done = run_cli(data_dir, *args)
        assert done.returncode == 0, done.stderr
        assert _policy_shape(db) == reference, (
            "the rerun completes the rest with no duplicate item or condition"
        )
    assert mid >= 3, f"only {mid} of 6 kills landed mid-ingest"
