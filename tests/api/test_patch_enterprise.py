"""``PATCH /v1/enterprises/{id}``: a JSON merge patch (RFC 7396) changes only the fields it names."""

from __future__ import annotations

import json

from api_helpers import auth


def _patch(client, keys, enterprise_id, body, content_type="application/merge-patch+json", role="admin"):
    data = body if isinstance(body, str | bytes) else json.dumps(body, ensure_ascii=False)
    headers = {**auth(keys[role]), "Content-Type": content_type}
    return client.patch(f"/v1/enterprises/{enterprise_id}", content=data, headers=headers)


def test_a_merge_patch_changes_only_what_it_names(client, keys, services):
    before = services.store.get_enterprise("E003").to_dict()
    snapshot = services.store.enterprise_snapshot_id("E003")
    answer = _patch(client, keys, "E003", {"employees": 999, "business_scope": None})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["id"] == "E003" and body["created"] is False
    after = services.store.get_enterprise("E003").to_dict()
    assert after["employees"] == 999 and after["business_scope"] is None
    assert {k: v for k, v in after.items() if k not in ("employees", "business_scope", "size_class")} == {
        k: v for k, v in before.items() if k not in ("employees", "business_scope", "size_class")
    }
    assert body["profile"] == after
    assert services.store.enterprise_snapshot_id("E003") != snapshot
    # The change is in the feed as a patch, and the served columns already see it.
    last = services.store.changes_since(services.store.last_change_seq() - 1)
    assert [(c.kind, c.key, c.action) for c in last] == [("enterprise", "E003", "patch")]
    (row,) = services.store.query_audit(action="enterprise.patch", target="E003", limit=1)
    assert {"business_scope", "employees"} <= set(row.details["fields"])
    assert row.details["before"]["employees"] == before["employees"]
    # application/json is read as a merge patch too.
    again = _patch(client, keys, "E003", {"employees": before["employees"]}, "application/json")
    assert again.status_code == 200 and again.json()["profile"]["employees"] == before["employees"]


def test_a_merge_patch_is_refused_in_one_sentence_when_wrong(client, keys, services):
    before = services.store.get_enterprise("E004")
    cases = [
        (_patch(client, keys, "E004", {"employees": 1}, "text/plain"), 415, "unsupported_media_type"),
        (_patch(client, keys, "E004", "{not json"), 422, "invalid_request"),
        (_patch(client, keys, "E004", [{"op": "replace"}]), 422, "invalid_request"),
        (_patch(client, keys, "E004", {"employes": 3}), 422, "invalid_request"),
        (_patch(client, keys, "E004", {"employees": -3}), 422, "invalid_request"),
        (_patch(client, keys, "E004", {"name": None}), 422, "invalid_profile"),
        (_patch(client, keys, "E004", {"region_code": "999999"}), 422, "invalid_profile"),
        (_patch(client, keys, "E004", {"id": "E005"}), 422, "invalid_request"),
        (_patch(client, keys, "NOPE", {"employees": 3}), 404, "enterprise_not_found"),
        (_patch(client, keys, "E004", {"employees": 3}, role="enterprise"), 403, "forbidden"),
    ]
    for answer, status, code in cases:
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["code"] == code, answer.text
        assert answer.json()["error"]["message"].endswith("."), answer.text
    assert services.store.get_enterprise("E004") == before
