"""The server's runtime: a settled heap after loading, and 智能匹配 under a bounded pool of threads (one by default)."""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor

from api_helpers import LEVELS_ALL, auth

from api.runtime import settle_heap


def test_settle_heap_freezes_what_is_alive_and_later_collections_skip_it():
    class Node:
        pass

    old = Node()
    frozen = settle_heap()
    # Not frozen == get_freeze_count(): a thread an earlier test left running (a server, the audit writer)
    # may free a frozen object in between, and a freed object leaves the permanent generation (CI saw −2).
    assert frozen > 0
    assert 0 < gc.get_freeze_count() <= frozen
    young = Node()
    walked = {id(o) for o in gc.get_objects()}  # what a full collection walks
    assert id(young) in walked
    assert id(old) not in walked
    gc.unfreeze()
    assert id(old) in {id(o) for o in gc.get_objects()}


def test_lifespan_installs_the_match_pool_and_warms_the_tokenizer(client):
    from matcher import text

    pool = client.app.state.match_pool
    assert pool.threads == client.app.state.settings.match_threads == 1
    assert gc.get_freeze_count() > 0
    assert text._TOKENIZER is not None


def test_concurrent_matches_answer_as_serial_ones_and_each_is_audited(client, keys, services):
    admin = auth(keys["admin"])
    ids = ["E001", "E002", "E003", "E004", "E005", "E006"]

    def ask(enterprise_id: str) -> tuple[int, bytes]:
        response = client.post(
            "/v1/match", json={"enterprise_id": enterprise_id, "levels": LEVELS_ALL}, headers=admin
        )
        return response.status_code, response.content

    serial = {i: ask(i) for i in ids}
    before = {i: len(services.store.query_audit(action="match", target=i, limit=100000)) for i in ids}
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(ask, ids * 4))
    for enterprise_id, answer in zip(ids * 4, answers, strict=True):
        assert answer == serial[enterprise_id]
        assert answer[0] == 200
    after = {i: len(services.store.query_audit(action="match", target=i, limit=100000)) for i in ids}
    assert all(after[i] == before[i] + 4 for i in ids)


def test_an_error_inside_the_worker_thread_is_answered_in_the_contract_shape(client, keys):
    response = client.post("/v1/match", json={"enterprise_id": "NO-SUCH"}, headers=auth(keys["admin"]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "enterprise_not_found"
