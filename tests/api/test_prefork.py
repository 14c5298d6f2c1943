"""Pre-forked workers (``policymatch serve --workers N``): same answers from every worker, writes through any."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import LEVELS_ALL_QUERY, auth, open_services, seed

from api.app import create_app
from api.prefork import is_one_worker_only
from api.settings import Settings
from corpus.store import open_store
from eval.bench.serving import free_port, stop, wait_until_up
from events.receiver import Receiver

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SECRET = "prefork-events-secret-0123456789"


@pytest.fixture(scope="module")
def prefork(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[tuple[str, Path]]:
    """Two pre-forked workers over the API tests' corpus; yields (base URL, data directory)."""
    data_dir = tmp_path_factory.mktemp("prefork-data")
    server, base = _serve(data_dir, models_dir, 2)
    try:
        yield base, data_dir
    finally:
        stop(server)


def _serve(
    data_dir: Path, models_dir: Path, workers: int, *, events: bool = False
) -> tuple[subprocess.Popen[str], str]:
    """Start ``prefork_server.py`` over ``data_dir`` with ``workers`` workers; return it and its base URL once up."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "prefork_server.py"),
            str(data_dir),
            str(models_dir),
            str(port),
            str(workers),
            *(["events"] if events else []),
        ],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(server, base, 300, 0.5)
    except RuntimeError as exc:
        stop(server)
        pytest.fail(f"the pre-forked server: {exc}")
    return server, base


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("request_id",)}


def test_two_workers_give_the_same_answers_as_one_process(
    prefork: tuple[str, Path], api_encoder: Any, tmp_path: Path
) -> None:
    base, _ = prefork
    answers: dict[str, list[dict[str, Any]]] = {}
    workers: set[str] = set()
    for attempt in range(60):
        # A new connection each time: the kernel hands it to whichever worker accepts first.
        response = httpx.post(
            f"{base}/v1/match", json={"enterprise_id": "E00" + str(1 + attempt % 3)}, timeout=30
        )
        assert response.status_code == 200, response.text
        workers.add(response.headers["x-policymatch-worker"])
        answers.setdefault(response.json()["enterprise_id"], []).append(_answer(response.json()))
        if len(workers) >= 2 and attempt >= 12:
            break
    assert len(workers) == 2, f"answers came from {sorted(workers)} only"
    # One process over the same corpus answers the same (index versions are named per directory: left out).
    single = open_services(tmp_path / "single", api_encoder)
    try:
        from fastapi.testclient import TestClient

        with TestClient(create_app(single.settings, single), client=("127.0.0.1", 50000)) as client:
            for enterprise_id, seen in answers.items():
                expected = _answer(client.post("/v1/match", json={"enterprise_id": enterprise_id}).json())
                for got in seen:
                    assert {**got, "index": None} == {**expected, "index": None}
    finally:
        single.close()


def _names_in_targets(base: str, enterprise_id: str) -> tuple[str, set[str]]:
    """(the answering worker, the names ``enterprise_id`` has in both demo policies' target lists, every level)."""
    names: set[str] = set()
    worker = ""
    for policy in ("jj-2024-01", "jj-2024-02"):
        response = httpx.get(
            f"{base}/v1/policies/{policy}/targets",
            params={"levels": LEVELS_ALL_QUERY, "limit": 500},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        worker = response.headers["x-policymatch-worker"]
        names |= {row["name"] for row in response.json()["data"] if row["enterprise_id"] == enterprise_id}
    return worker, names


def _rename(base: str, enterprise_id: str, name: str) -> httpx.Response:
    """Rename an enterprise with a JSON merge patch (the body sent as bytes, as a client would)."""
    return httpx.patch(
        f"{base}/v1/enterprises/{enterprise_id}",
        content=json.dumps({"name": name}, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/merge-patch+json"},
        timeout=30,
    )


def test_a_write_through_one_worker_reaches_every_worker(prefork: tuple[str, Path]) -> None:
    base, _ = prefork
    profile = httpx.get(f"{base}/v1/enterprises/E001", timeout=30).json()
    assert _names_in_targets(base, "E001")[1] == {profile["name"]}
    response = _rename(base, "E001", "椒江改名科技有限公司")
    assert response.status_code == 200, response.text
    # Every worker — the one that wrote and the one that did not — lists the new name within seconds.
    seen: dict[str, set[str]] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        worker, names = _names_in_targets(base, "E001")
        seen[worker] = names
        if len(seen) == 2 and all(n == {"椒江改名科技有限公司"} for n in seen.values()):
            break
        time.sleep(0.2)
    assert len(seen) == 2, f"answers came from {sorted(seen)} only"
    assert all(n == {"椒江改名科技有限公司"} for n in seen.values()), seen


def test_an_index_rebuild_is_refused_by_pre_forked_workers(prefork: tuple[str, Path]) -> None:
    base, _ = prefork
    response = httpx.post(f"{base}/v1/index/rebuild", timeout=30)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "one_worker_only"


def test_a_stopped_worker_writes_the_refusals_it_was_still_counting(tmp_path: Path, models_dir: Path) -> None:
    """SIGTERM to the parent stops each worker through its own shutdown, which writes the open window's refusals."""
    data_dir = tmp_path / "data"
    store = open_store(Settings(data_dir=data_dir).store_path)
    seed(store)
    store.create_api_key("admin", None, "test admin")
    store.close()
    server, base = _serve(data_dir, models_dir, 1)
    try:
        for _ in range(3):
            refused = httpx.get(f"{base}/v1/policies", headers=auth("not-a-key"), timeout=30)
            assert refused.status_code == 401, refused.text
    finally:
        stop(server)
    assert server.returncode == 0
    # The refusals are counted in memory for a 60-second window: only the worker's shutdown wrote them.
    store = open_store(Settings(data_dir=data_dir).store_path)
    try:
        rows = store.query_audit(action="request.refused")
    finally:
        store.close()
    # (Two rows when the requests straddle a window's end; the closed one may be written by the log's thread.)
    assert {row.details["status"] for row in rows} == {401}
    assert sum(row.details["count"] for row in rows) == 3


def test_with_events_on_every_worker_answers_and_one_process_delivers(
    tmp_path: Path, models_dir: Path
) -> None:
    """``serve --workers 2`` with webhooks (the default): audited requests answer, each event is delivered once.

    The dispatcher once ran in the parent beside its open database connections, and every
    forked worker inherited their lock state: its first audited request waited forever.
    """
    data_dir = tmp_path / "data"
    store = open_store(Settings(data_dir=data_dir).store_path)
    seed(store)
    store.close()
    server, base = _serve(data_dir, models_dir, 2, events=True)
    try:
        with Receiver(SECRET) as receiver:
            store = open_store(Settings(data_dir=data_dir).store_path)
            try:
                store.create_subscription(receiver.url, ["*"], SECRET)
            finally:
                store.close()
            workers = set()
            for attempt in range(60):  # audited requests, through both workers
                # A new connection each time: the kernel hands it to whichever worker accepts
                # first, so eight in a row can all land on one worker on a busy host.
                response = httpx.get(f"{base}/v1/enterprises", params={"limit": 1}, timeout=30)
                assert response.status_code == 200, response.text
                workers.add(response.headers["x-policymatch-worker"])
                if len(workers) == 2 and attempt >= 7:
                    break
            assert len(workers) == 2, f"answers came from {sorted(workers)} only"
            # Every worker's /readyz reports the events process's dispatcher (it once said null: no dispatcher here).
            seen = _events_status_from_workers(base)
            assert set(seen) == workers
            for worker, events in seen.items():
                assert events is not None and events["running"] is True, (worker, events)
                assert events["pid"] != int(worker) and events["age_s"] < 5, (worker, events)
            assert len({events["pid"] for events in seen.values()}) == 1  # one events process for both
            # The parent, which forks every worker (and a new one for each that dies), holds no connection.
            assert _open_database_files(server.pid) == []
            # A write through a worker: its events are produced from the change feed and delivered.
            patched = _rename(base, "E001", "椒江事件科技有限公司")
            assert patched.status_code == 200, patched.text
            assert receiver.wait_for(1, timeout_s=60)
            time.sleep(1.0)  # a second dispatcher, had one run, would have sent its copies by now
            kinds = {body["type"] for body in receiver.received.bodies.values()}
            assert "enterprise.matches_changed" in kinds, kinds
            assert receiver.received.duplicates == 0
            assert receiver.received.bad_signatures == 0
    finally:
        stop(server)
    assert server.returncode == 0


def _events_status_from_workers(base: str) -> dict[str, dict | None]:
    """``events`` of ``/readyz`` as each worker answers it, by worker pid (asked until both have answered)."""
    seen: dict[str, dict | None] = {}
    deadline = time.monotonic() + 30
    while len(seen) < 2 and time.monotonic() < deadline:
        response = httpx.get(f"{base}/readyz", timeout=30)
        assert response.status_code == 200, response.text
        events = response.json()["events"]
        if events is not None and events["running"]:
            seen[response.headers["x-policymatch-worker"]] = events
        else:
            time.sleep(0.2)  # the events process publishes its first status within half a second of starting
    return seen


def _open_database_files(pid: int) -> list[str]:
    """The SQLite files (database, WAL, shared memory) process ``pid`` holds open."""
    names = (os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir())
    return sorted(name for name in names if ".sqlite3" in name)


def test_which_requests_need_one_worker() -> None:
    assert is_one_worker_only("POST", "/v1/index/rebuild")
    assert not is_one_worker_only("POST", "/v1/policies")
    assert not is_one_worker_only("PUT", "/v1/enterprises/E1")
    assert not is_one_worker_only("POST", "/v1/match")
    assert not is_one_worker_only("GET", "/v1/index/rebuild")
