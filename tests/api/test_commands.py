"""``policymatch keys``, ``audit``, ``feedback export`` and ``serve``'s open-mode guard, on a real store."""

from __future__ import annotations

import json

import pytest
from api_helpers import seed

from api.cli import main
from api.settings import get_settings
from corpus.store import open_store
from eval.sets import read_feedback


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture()
def seeded_dir(tmp_path, models_dir):
    """A data dir as ``policymatch serve`` finds it: the test models beside a store holding the small corpus."""
    (tmp_path / "models").symlink_to(models_dir, target_is_directory=True)
    store = open_store(tmp_path / "policymatch.sqlite3")
    seed(store)
    store.close()
    return tmp_path


def test_keys_create_list_revoke(data_dir, capsys):
    store = open_store(get_settings().store_path)
    seed(store)
    store.close()
    assert main(["keys", "create", "--role", "enterprise", "--enterprise", "E001", "--label", "乙公司"]) == 0
    printed = capsys.readouterr().out
    secret = next(line.split()[-1] for line in printed.splitlines() if line.startswith("secret:"))
    key_id = next(line.split()[-1] for line in printed.splitlines() if line.startswith("key id:"))
    store = open_store(get_settings().store_path)
    found = store.find_api_key(secret)
    assert found is not None and (found.role, found.enterprise_id) == ("enterprise", "E001")
    store.close()

    assert main(["keys", "create", "--role", "enterprise"]) == 2
    assert "--enterprise" in capsys.readouterr().err
    assert main(["keys", "create", "--role", "enterprise", "--enterprise", "E999"]) == 2
    assert "E999" in capsys.readouterr().err
    assert main(["keys", "create", "--role", "analyst"]) == 0
    capsys.readouterr()

    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing and "analyst" in listing and secret.split(".")[1] not in listing

    assert main(["keys", "revoke", key_id]) == 0
    assert main(["keys", "revoke", key_id]) == 2
    store = open_store(get_settings().store_path)
    assert store.find_api_key(secret) is None
    store.close()

    capsys.readouterr()
    assert main(["audit", "--action", "key.create", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and {r["details"]["role"] for r in rows} == {"enterprise", "analyst"}
    assert main(["audit", "--target", key_id]) == 0
    assert "key.revoke" in capsys.readouterr().out


def test_feedback_export_writes_training_pairs(data_dir, capsys):
    store = open_store(get_settings().store_path)
    seed(store)
    store.add_feedback("E001", "jj-2024-02#1", "useful", 5, "有用")
    store.add_feedback("E002", "jj-2024-01#1", "not_useful")
    store.close()
    out = data_dir / "pairs.jsonl"
    assert main(["feedback", "export", str(out)]) == 0
    assert "2 training pairs" in capsys.readouterr().out
    records = read_feedback(out)
    assert [(r.enterprise_id, r.item_id, r.label) for r in records] == [
        ("E001", "jj-2024-02#1", "useful"),
        ("E002", "jj-2024-01#1", "not_useful"),
    ]
    assert all(r.query_text and r.item_text for r in records)
    assert records[0].positive and not records[1].positive
    assert "主营业务收入" in records[0].item_text


def test_serve_refuses_an_open_service_off_loopback(data_dir, capsys):
    assert main(["serve", "--host", "0.0.0.0", "--no-demo"]) == 2
    err = capsys.readouterr().err
    assert "loopback" in err and "keys create" in err


@pytest.mark.slow
def test_serve_starts_on_the_data_dir_and_says_it_runs_open(seeded_dir):
    """``policymatch serve`` end to end: model from the registry, the store, the index built on first start."""
    import os
    import time

    import httpx

    from eval.bench.serving import free_port, start_serve

    port = free_port()
    env = {**os.environ, "POLICYMATCH_DATA_DIR": str(seeded_dir), "POLICYMATCH_PORT": str(port)}
    log = seeded_dir / "serve.log"
    process = start_serve(env, log)
    try:
        deadline = time.monotonic() + 120
        ready = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert ready is not None and ready.status_code == 200, log.read_text()
        assert ready.json()["ready"] is True
        matched = httpx.post(f"http://127.0.0.1:{port}/v1/match", json={"enterprise_id": "E001"}, timeout=30)
        assert matched.status_code == 200 and matched.json()["index"] == ready.json()["index"]
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = log.read_text()
    assert "running OPEN" in text and "loopback" in text
    request_lines = [
        json.loads(line) for line in text.splitlines() if line.startswith("{") and '"request"' in line
    ]
    assert {line["path"] for line in request_lines} >= {"/readyz", "/v1/match"}
    store = open_store(seeded_dir / "policymatch.sqlite3")
    (start,) = store.query_audit(action="service.start")
    assert start.details["index_version"] == ready.json()["index"] and start.details["open"] is True
    assert store.query_audit(action="match", target="E001")
    store.close()


def test_create_app_opens_the_data_dir_itself(seeded_dir, models_dir):
    """Without ready services the app opens model, store and index under the data dir at startup, and closes them."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.settings import Settings
    from models.registry import ModelRegistry

    app = create_app(Settings(data_dir=seeded_dir))
    with TestClient(app, client=("127.0.0.1", 1)) as client:
        ready = client.get("/readyz").json()
        assert ready["ready"] is True and all(ready["checks"].values())
        # The registry's active version is the one served.
        assert f"@{ModelRegistry(models_dir).active().version}" in ready["model"]
        assert client.get("/v1/policies").json()["total"] == 3
    assert app.state.services is None


def test_index_build_recuts_stale_query_tokens(seeded_dir, monkeypatch, capsys):
    """After an upgrade (rows of before migration 9, another tokenizer), ``index build`` brings the tokens up to date."""
    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(seeded_dir))
    get_settings.cache_clear()
    store = open_store(seeded_dir / "policymatch.sqlite3")
    try:
        with store.transaction():
            store._conn().execute("UPDATE enterprises SET query_tokens = NULL WHERE id = 'E001'")  # noqa: SLF001
    finally:
        store.close()
    try:
        assert main(["index", "build"]) == 0
        assert "recut the stored query tokens of 1 enterprises" in capsys.readouterr().out
        assert main(["index", "build"]) == 0
        assert "recut" not in capsys.readouterr().out  # nothing stale the second time
    finally:
        get_settings.cache_clear()
