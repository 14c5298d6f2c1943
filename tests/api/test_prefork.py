"""Pre-forked workers (``policymatch serve --workers N``): same answers from every worker, one writer."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import open_services

from api.app import create_app
from api.prefork import is_matcher_write
from eval.bench.serving import free_port, stop, wait_until_up

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


@pytest.fixture(scope="module")
def prefork(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[tuple[str, Path]]:
    """Two pre-forked workers over the API tests' corpus; yields (base URL, data directory)."""
    data_dir = tmp_path_factory.mktemp("prefork-data")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(HERE / "prefork_server.py"), str(data_dir), str(models_dir), str(port), "2"],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_until_up(server, base, 300, 0.5)
        except RuntimeError as exc:
            pytest.fail(f"the pre-forked server: {exc}")
        yield base, data_dir
    finally:
        stop(server)


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


def test_workers_refuse_matcher_writes_and_take_reads(prefork: tuple[str, Path]) -> None:
    base, _ = prefork
    response = httpx.put(
        f"{base}/v1/enterprises/E001",
        json={"id": "E001", "name": "改名", "region_code": "331002"},
        timeout=30,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "read_only_worker"
    # Refused before the store: the stored profile is unchanged.
    stored = httpx.get(f"{base}/v1/enterprises/E001", timeout=30)
    assert stored.status_code == 200 and stored.json().get("name") != "改名"


def test_which_requests_are_matcher_writes() -> None:
    assert is_matcher_write("POST", "/v1/policies")
    assert is_matcher_write("PUT", "/v1/policies/P1/items/P1%231/conditions")
    assert is_matcher_write("POST", "/v1/enterprises/E1/merge")
    assert is_matcher_write("POST", "/v1/index/rebuild")
    assert not is_matcher_write("POST", "/v1/match")
    assert not is_matcher_write("POST", "/v1/feedback")
    assert not is_matcher_write("GET", "/v1/enterprises/E1")
