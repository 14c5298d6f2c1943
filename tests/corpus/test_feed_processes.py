"""Two processes: a write made by the CLI reaches a running ``policymatch serve`` within seconds, with no restart.

The server and the CLI are real subprocesses over one store: a SQLite file, then a
PostgreSQL database (the ``pg_database`` fixture of this folder's conftest). The server
runs open (no keys, loopback only), so every caller is an admin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from corpus.store import open_store
from eval.bench.serving import free_port, start_serve

REPO = Path(__file__).resolve().parents[2]
# A write is asserted visible within this; the goal (5 s, p99) is measured by eval/bench/freshness.py.
VISIBLE_WITHIN_S = 15.0

SEED_POLICY = {
    "id": "seed-1",
    "title": "椒江区稳岗补贴",
    "region_code": "331002",
    "issued": "2024-03-01",
    "valid_until": "2099-12-31",
    "text": "对从业人员50人以上的企业，给予稳岗补贴5万元。",
}
NEW_POLICY = {
    "id": "fresh-1",
    "title": "椒江区研发奖励",
    "region_code": "331002",
    "issued": "2024-05-01",
    "valid_until": "2099-12-31",
    "text": "对营业收入达到500万元以上的企业，给予奖励10万元。",
}


def _profile(enterprise_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": enterprise_id,
        "name": f"{enterprise_id} 科技有限公司",
        "region_code": "331002",
        "industry_code": "C3670",
        "employees": 80,
        "revenue": 3000,
        **fields,
    }


@dataclass
class Served:
    """A running server and how to run the CLI beside it."""

    url: str
    env: dict[str, str]
    store_location: str
    log: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``policymatch ARGS`` in its own process against the same store."""
        return subprocess.run(
            [sys.executable, "-m", "api.cli", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def get(self, path: str) -> httpx.Response:
        """GET from the server."""
        return httpx.get(self.url + path, timeout=30)

    def until(self, what: str, check: Callable[[], bool]) -> float:
        """Seconds until ``check()`` holds; fails after ``VISIBLE_WITHIN_S``."""
        started = time.monotonic()
        while time.monotonic() - started < VISIBLE_WITHIN_S:
            if check():
                return time.monotonic() - started
            time.sleep(0.05)
        raise AssertionError(
            f"{what} not visible within {VISIBLE_WITHIN_S} s\n{self.log.read_text()[-3000:]}"
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path: Path, models_dir: Path) -> Iterator[Served]:
    """``policymatch serve`` over a seeded store of the backend, in its own process."""
    from corpus.schemas import validate_profile
    from matcher.ingest import ingest_policies

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "models").symlink_to(models_dir, target_is_directory=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "POLICYMATCH_DATA_DIR": str(data_dir),
        "POLICYMATCH_FEED_INTERVAL_S": "0.5",
    }
    location: str = str(data_dir / "policymatch.sqlite3")
    if request.param == "postgresql":
        location = request.getfixturevalue("pg_database")
        env["POLICYMATCH_STORE_URL"] = location
    store = open_store(location)
    try:
        ingest_policies(store, [SEED_POLICY], strict=True, progress=False)
        store.upsert_enterprises([validate_profile(_profile(f"S{n}")) for n in range(3)])
    finally:
        store.close()
    port = free_port()
    env["POLICYMATCH_PORT"] = str(port)
    log = tmp_path / "serve.log"
    process = start_serve(env, log)
    served = Served(f"http://127.0.0.1:{port}", env, location, log)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if served.get("/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail(f"the server did not start\n{log.read_text()[-3000:]}")
        yield served
    finally:
        process.terminate()
        process.wait(timeout=30)


def _target_ids(served: Served, policy_id: str) -> set[str] | None:
    response = served.get(f"/v1/policies/{policy_id}/targets?levels=eligible,need_info,near_miss&limit=100")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    return {row["enterprise_id"] for row in response.json()["data"]}


def test_cli_writes_reach_the_running_server(served: Served, tmp_path: Path) -> None:
    assert _target_ids(served, "fresh-1") is None  # not written yet: 404
    assert _target_ids(served, "seed-1") == {"S0", "S1", "S2"}

    # A policy ingested by the CLI: its target list answers, without a restart or a rebuild.
    policies = tmp_path / "policies.jsonl"
    policies.write_text(json.dumps(NEW_POLICY, ensure_ascii=False) + "\n", encoding="utf-8")
    done = served.cli("ingest", "policies", str(policies), "--quiet")
    assert done.returncode == 0, done.stderr + done.stdout
    served.until("the CLI's policy", lambda: _target_ids(served, "fresh-1") is not None)
    assert _target_ids(served, "fresh-1") == {"S0", "S1", "S2"}

    # An enterprise upserted by the CLI joins the target lists; one it changes leaves them.
    enterprises = tmp_path / "enterprises.jsonl"
    enterprises.write_text(
        "\n".join(
            json.dumps(p, ensure_ascii=False)
            for p in (_profile("NEW1"), _profile("S2", region_code="330302"))  # S2 moves to 温州
        )
        + "\n",
        encoding="utf-8",
    )
    done = served.cli("ingest", "enterprises", str(enterprises), "--quiet")
    assert done.returncode == 0, done.stderr + done.stdout
    served.until("the CLI's enterprises", lambda: _target_ids(served, "fresh-1") == {"S0", "S1", "NEW1"})
    assert _target_ids(served, "seed-1") == {"S0", "S1", "NEW1"}

    # The server reports the feed position it applied: the store's newest change.
    store = open_store(served.store_location)
    try:
        newest = store.last_change_seq()
    finally:
        store.close()
    feed = served.get("/readyz").json()["feed"]
    assert feed["running"] and feed["applied_seq"] == newest and feed["errors"] == 0

    # A rebuild reads the store: the CLI's policy is in the new index version.
    rebuilt = httpx.post(served.url + "/v1/index/rebuild", timeout=120)
    assert rebuilt.status_code == 200, rebuilt.text
    assert _target_ids(served, "fresh-1") == {"S0", "S1", "NEW1"}
    found = httpx.post(
        served.url + "/v1/match", json={"enterprise_id": "NEW1", "levels": ["eligible"]}, timeout=60
    ).json()
    assert {r["policy_id"] for r in found["results"]} >= {"fresh-1", "seed-1"}
