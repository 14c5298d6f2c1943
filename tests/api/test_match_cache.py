"""The 智能匹配 answer cache and the group-committed audit log: what changes shows at once, every match is audited."""

from __future__ import annotations

import threading
import time

import pytest
from api_helpers import auth, match_everything

from api.audit import AuditWriter
from api.errors import ApiError
from api.security import KeyRing
from api.services import Services
from api.settings import Settings
from corpus.store import AuditEvent, open_store

ITEM = "jj-2024-01#1"
CONDITIONS_PATH = "/v1/policies/jj-2024-01/items/jj-2024-01%231/conditions"


def _item_result(client, headers, enterprise_id):
    body = match_everything(client, headers, enterprise_id=enterprise_id)
    return next(r for r in body.json()["results"] if r["item_id"] == ITEM), body.content


def _require_revenue(client, headers, threshold):
    """Set the item's one condition to 营业收入 >= ``threshold``."""
    condition = {"field": "revenue", "op": "gte", "value": threshold, "span": "营业收入"}
    saved = client.put(CONDITIONS_PATH, json={"conditions": [condition]}, headers=headers)
    assert saved.status_code == 200, saved.text


def _audit_count(services, target):
    return len(services.store.query_audit(action="match", target=target, limit=100000))


def test_repeated_match_is_served_from_cache_and_still_audited(client, keys, services):
    admin = auth(keys["admin"])
    before_rows, before_hits = _audit_count(services, "E003"), services.match_cache.hits
    _, first = _item_result(client, admin, "E003")
    _, second = _item_result(client, admin, "E003")
    assert second == first
    assert services.match_cache.hits == before_hits + 1
    assert _audit_count(services, "E003") == before_rows + 2


def test_match_after_a_profile_change_reflects_it(client, keys, services):
    admin = auth(keys["admin"])
    profile = client.get("/v1/enterprises/E002", headers=admin).json()
    threshold = profile["revenue"] + 1000
    _require_revenue(client, admin, threshold)
    result, _ = _item_result(client, admin, "E002")
    assert result["level"] == "near_miss"
    assert [c["verdict"] for c in result["conditions"]] == ["unmet"]

    record = {k: v for k, v in profile.items() if k not in ("snapshot_id", "created_at", "updated_at")}
    updated = client.put("/v1/enterprises/E002", json={**record, "revenue": threshold + 1}, headers=admin)
    assert updated.status_code == 200, updated.text
    result, _ = _item_result(client, admin, "E002")
    assert result["level"] == "eligible"
    assert [c["verdict"] for c in result["conditions"]] == ["met"]
    row = services.store.query_audit(action="match", target="E002", limit=1)[0]
    assert (
        row.details["profile_snapshot"]
        == client.get("/v1/enterprises/E002", headers=admin).json()["snapshot_id"]
    )


def test_match_after_a_condition_edit_reflects_it(client, keys, services):
    admin = auth(keys["admin"])
    revenue = client.get("/v1/enterprises/E004", headers=admin).json()["revenue"]
    for threshold, level, verdict in ((revenue - 1, "eligible", "met"), (revenue + 1, "near_miss", "unmet")):
        _require_revenue(client, admin, threshold)
        result, _ = _item_result(client, admin, "E004")
        assert (result["level"], [c["verdict"] for c in result["conditions"]]) == (level, [verdict])
        version = client.get("/v1/policies/jj-2024-01", headers=admin).json()["version"]
        row = services.store.query_audit(action="match", target="E004", limit=1)[0]
        assert {r["policy_version"] for r in row.details["results"] if r["item_id"] == ITEM} == {version}


def test_every_match_of_a_concurrent_burst_is_audited(client, keys, services):
    own = auth(keys["enterprise"])
    before = _audit_count(services, "E001")
    statuses: list[int] = []

    def call() -> None:
        for _ in range(5):
            statuses.append(client.post("/v1/match", json={"enterprise_id": "E001"}, headers=own).status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 40
    # Answered means committed: the rows are there as soon as the responses are.
    assert _audit_count(services, "E001") == before + 40


def test_audit_writer_commits_every_row_of_a_burst_and_after_close(tmp_path):
    store = open_store(tmp_path / "audit.sqlite3")
    try:
        writer = AuditWriter(store)

        def burst(worker: int) -> None:
            for n in range(50):
                writer.append(AuditEvent(actor=f"k{worker}", action="match", target=f"E{worker}-{n}"))

        threads = [threading.Thread(target=burst, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(store.query_audit(action="match", limit=10000)) == 400
        assert writer.rows == 400 and 1 <= writer.batches <= 400
        writer.close()
        writer.append(AuditEvent(actor="k", action="match", target="after-close"))  # written directly
        targets = {e.target for e in store.query_audit(action="match", limit=10000)}
        assert len(targets) == 401 and "after-close" in targets
    finally:
        store.close()
    reopened = open_store(tmp_path / "audit.sqlite3")
    try:
        assert len(reopened.query_audit(action="match", limit=10000)) == 401
    finally:
        reopened.close()


def test_a_revoked_key_stops_working_within_the_recheck_time(tmp_path):
    store = open_store(tmp_path / "keys.sqlite3")
    try:
        store.create_api_key("admin", None, "keeps the service closed")
        ring = KeyRing(store, recheck_seconds=0.3)
        key_id, secret = store.create_api_key("enterprise", "E001", "revoked soon")
        assert ring.authenticate(secret, "127.0.0.1").key_id == key_id
        assert ring.authenticate(secret, "127.0.0.1").key_id == key_id  # remembered
        assert store.revoke_api_key(key_id)
        time.sleep(0.35)
        with pytest.raises(ApiError) as refused:
            ring.authenticate(secret, "127.0.0.1")
        assert refused.value.status == 401
        other_id, other = store.create_api_key("push", None, "forgotten")
        assert ring.authenticate(other, "127.0.0.1").key_id == other_id
        store.revoke_api_key(other_id)
        ring.forget()  # a revocation made through the app takes effect at once
        with pytest.raises(ApiError):
            ring.authenticate(other, "127.0.0.1")
    finally:
        store.close()


def test_the_recheck_time_is_a_setting_and_zero_reads_the_store_every_time(tmp_path):
    store = open_store(tmp_path / "keys.sqlite3")
    services = Services(settings=Settings(data_dir=tmp_path, key_recheck_s=0), store=store, matcher=None)
    try:
        store.create_api_key("admin", None, "keeps the service closed")
        key_id, secret = store.create_api_key("enterprise", "E001", "revoked from the CLI")
        assert services.keyring.authenticate(secret, "127.0.0.1").key_id == key_id
        assert store.revoke_api_key(key_id)  # as `policymatch keys revoke` does, from another process
        with pytest.raises(ApiError) as refused:
            services.keyring.authenticate(secret, "127.0.0.1")
        assert refused.value.status == 401
    finally:
        services.close()
