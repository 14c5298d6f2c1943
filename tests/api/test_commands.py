"""``policymatch keys``, ``audit``, ``feedback export`` and ``serve``'s open-mode guard, on a real store."""

from __future__ import annotations

import json

import pytest
from api_helpers import seed

from api.cli import main
from corpus.settings import get_settings
from corpus.store import open_store
from eval.sets import read_feedback


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


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
