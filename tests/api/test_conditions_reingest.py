"""A person's correction on the real app follows its clause through re-ingests that renumber items."""

from __future__ import annotations

from api_helpers import auth

POLICY = "jj-2024-77"
HIGH_TECH = "对新认定的国家高新技术企业，给予一次性奖励20万元。"
REVENUE = "对营业收入超过2000万元的企业，给予补助10万元。"
SPECIALISED = "对首次获评省级专精特新中小企业的企业，给予奖励30万元。"
STAFF = "对从业人员50人以上的制造业企业，给予稳岗补贴5万元。"
EDIT = [{"field": "revenue", "op": "gte", "value": 3000, "span": "营业收入超过2000万元"}]


def post(client, admin, clauses):
    text = "\n".join(f"{'一二三四五'[n]}、{clause}" for n, clause in enumerate(clauses))
    body = {"id": POLICY, "title": "椒江区测试政策", "text": text, "region_code": "331002"}
    response = client.post("/v1/policies", json=body, headers=admin)
    assert response.status_code in (200, 201), response.text
    return response.json()


def by_id(policy):
    return {item["id"]: item for item in policy["items"]}


def test_edit_follows_its_clause_and_goes_stale_when_removed(client, keys):
    admin = auth(keys["admin"])
    post(client, admin, [HIGH_TECH, REVENUE, SPECIALISED])
    path = f"/v1/policies/{POLICY}/items/{POLICY}%232/conditions"
    saved = client.put(path, json={"conditions": EDIT, "note": "人工校对"}, headers=admin)
    assert saved.status_code == 200, saved.text

    # A paragraph inserted before it: the edit is now on #3, and #2 (the new clause) has its own conditions.
    items = by_id(post(client, admin, [HIGH_TECH, STAFF, REVENUE, SPECIALISED]))
    assert REVENUE in items[f"{POLICY}#3"]["text"]
    assert [(c["field"], c["value"], c["source"]) for c in items[f"{POLICY}#3"]["conditions"]] == [
        ("revenue", 3000, "edited")
    ]
    assert STAFF in items[f"{POLICY}#2"]["text"]
    second = items[f"{POLICY}#2"]["conditions"]
    assert second and all(c["source"] == "extracted" for c in second)
    assert "employees" in {c["field"] for c in second}

    # The clause removed: the edit applies nowhere, is kept, and the policy view lists it.
    policy = post(client, admin, [HIGH_TECH, SPECIALISED])
    assert all(c["source"] == "extracted" for item in policy["items"] for c in item["conditions"])
    [stale] = policy["stale_edits"]
    assert stale["item_id"] == f"{POLICY}#3" and REVENUE in stale["item_text"]
    assert [(c["field"], c["value"]) for c in stale["conditions"]] == [("revenue", 3000)]
    shown = client.get(f"/v1/policies/{POLICY}", headers=auth(keys["push"])).json()
    assert shown["stale_edits"] == policy["stale_edits"]
    analyst = auth(keys["analyst"])

    def actions(target):
        rows = client.get("/v1/audit", params={"limit": 100, "target": target}, headers=analyst).json()[
            "data"
        ]
        return [(row["action"], row["details"].get("from_item")) for row in rows]

    assert ("conditions.edit", None) in actions(f"{POLICY}#2")
    assert actions(f"{POLICY}#3")[:2] == [("conditions.stale", None), ("conditions.follow", f"{POLICY}#2")]
    ingest = client.get(
        "/v1/audit",
        params={"limit": 1, "action": "policy.ingest", "target": POLICY},
        headers=auth(keys["analyst"]),
    ).json()["data"]
    assert ingest[0]["details"]["stale_edits"] == 1
