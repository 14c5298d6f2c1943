"""Every resource route on the real app: policies, conditions, enterprises, match, targets, CSV, feedback, audit."""

from __future__ import annotations

import csv
import io
import threading

from api_helpers import LEVELS_ALL_QUERY, assert_error, auth, match_everything


def audit_rows(client, keys, **filters):
    response = client.get("/v1/audit", params={"limit": 1000, **filters}, headers=auth(keys["analyst"]))
    assert response.status_code == 200
    return response.json()["data"]


def test_read_policies(client, keys):
    push = auth(keys["push"])
    listing = client.get("/v1/policies", headers=push).json()
    assert listing["total"] == 3 and {p["id"] for p in listing["data"]} == {
        "jj-2024-01",
        "jj-2024-02",
        "tz-2024-03",
    }
    policy = client.get("/v1/policies/jj-2024-01", headers=auth(keys["enterprise"])).json()
    assert policy["version"] == 1 and len(policy["items"]) == 3
    for item in policy["items"]:
        assert item["id"].startswith("jj-2024-01#") and item["text"]
        for condition in item["conditions"]:
            assert condition["source"] == "extracted"
            assert condition["span"] in item["text"]  # the evidence is the item's own words
    # 支持内容 is read from the item (issue 17: it was always null, read from tag keys never written).
    support = client.get("/v1/policies/jj-2024-02", headers=push).json()["items"][0]["support"]
    assert support == "给予一次性奖励10万元"


def test_ingest_new_policy_then_a_new_version(client, keys):
    admin = auth(keys["admin"])
    body = {
        "id": "jj-2024-09",
        "title": "椒江区数字经济专项扶持",
        "text": "一、对软件和信息技术服务业企业营业收入首次超过5000万元的，奖励20万元。\n二、对新认定的科技型中小企业，奖励5万元。",
        "region_code": "331002",
        "fulfilment": "即申即享",
        "issued": "2024-06-01",
    }
    created = client.post("/v1/policies", json=body, headers=admin)
    assert created.status_code == 201, created.text
    policy = created.json()
    assert policy["version"] == 1 and len(policy["items"]) >= 2
    assert any(item["conditions"] for item in policy["items"])
    again = client.post(
        "/v1/policies", json={**body, "title": "椒江区数字经济专项扶持（修订）"}, headers=admin
    )
    assert again.status_code == 200 and again.json()["version"] == 2
    rows = audit_rows(client, keys, action="policy.ingest", target="jj-2024-09")
    assert [r["details"]["policy_version"] for r in rows] == [2, 1]
    assert rows[0]["details"]["previous_version"] == 1
    assert all(r["details"]["model_version"] and r["details"]["index_version"] for r in rows)
    # The new items are matchable at once.
    matched = match_everything(client, admin, enterprise_id="E004").json()["results"]
    assert any(r["policy_id"] == "jj-2024-09" for r in matched)


def test_correct_conditions_survives_and_changes_matching(client, keys, services):
    admin = auth(keys["admin"])
    path = "/v1/policies/jj-2024-01/items/jj-2024-01%231/conditions"
    # E001 has 200 万元 revenue... whatever it is, a threshold above it makes this item a near miss.
    profile = client.get("/v1/enterprises/E001", headers=admin).json()
    threshold = profile["revenue"] + 1000
    conditions = [
        {"field": "revenue", "op": "gte", "value": threshold, "span": "营业收入达到一定规模"},
        {"field": "region_code", "op": "within_region", "value": "331002", "span": "椒江区"},
    ]
    saved = client.put(path, json={"conditions": conditions, "note": "人工校对"}, headers=admin)
    assert saved.status_code == 200, saved.text
    assert [c["source"] for c in saved.json()["conditions"]] == ["edited", "edited"]
    assert saved.json()["conditions_source"] == "edited"
    shown = client.get("/v1/policies/jj-2024-01", headers=admin).json()["items"][0]
    assert shown["conditions"][0]["value"] == threshold and shown["conditions"][0]["source"] == "edited"

    results = match_everything(client, admin, enterprise_id="E001").json()["results"]
    result = next(r for r in results if r["item_id"] == "jj-2024-01#1")
    assert result["level"] == "near_miss"
    verdicts = {c["field"]: c["verdict"] for c in result["conditions"]}
    assert verdicts == {"revenue": "unmet", "region_code": "met"}
    assert any("revenue" in gap for gap in result["gaps"])

    edit = audit_rows(client, keys, action="conditions.edit", target="jj-2024-01#1")[0]
    assert edit["details"]["after"][0]["value"] == threshold and edit["details"]["note"] == "人工校对"
    assert edit["details"]["policy_version"] == 1 and edit["actor"].startswith("pk_")

    reset = client.delete(path, headers=admin)
    assert reset.status_code == 200 and all(c["source"] == "extracted" for c in reset.json()["conditions"])


def test_enterprise_upsert_and_snapshot(client, keys):
    admin = auth(keys["admin"])
    body = {
        "id": "E500",
        "name": "台州新设科技有限公司",
        "region_code": "331002",
        "industry_code": "3670",
        "revenue": 1200,
    }
    created = client.post("/v1/enterprises", json=body, headers=admin)
    assert created.status_code == 201 and created.json()["created"] is True
    assert created.json()["profile"]["industry_code"] == "C3670"  # canonicalised
    first = client.get("/v1/enterprises/E500", headers=admin).json()["snapshot_id"]
    updated = client.put("/v1/enterprises/E500", json={**body, "revenue": 1500}, headers=admin)
    assert updated.status_code == 200 and updated.json()["created"] is False
    second = client.get("/v1/enterprises/E500", headers=admin).json()
    assert second["revenue"] == 1500 and second["snapshot_id"] != first
    mismatch = client.put("/v1/enterprises/E500", json={**body, "id": "E501"}, headers=admin)
    assert "E501" in assert_error(mismatch, 422, "invalid_request")["message"]
    rows = audit_rows(client, keys, action="enterprise.upsert", target="E500")
    assert [r["details"]["profile_snapshot"] for r in rows] == [second["snapshot_id"], first]
    found = client.get("/v1/enterprises", params={"q": "新设"}, headers=auth(keys["push"])).json()
    assert [row["id"] for row in found["data"]] == ["E500"] and found["data"][0]["region_name"] == "椒江区"


def test_match_by_id_and_by_profile_are_audited(client, keys):
    own = auth(keys["enterprise"])
    answer = client.post("/v1/match", json={"enterprise_id": "E001", "top_k": 5}, headers=own)
    assert answer.status_code == 200
    body = answer.json()
    assert body["model"] and body["index"] and len(body["results"]) <= 5
    for result in body["results"]:
        assert result["level"] in ("eligible", "need_info", "near_miss")
        assert {
            "policy_id",
            "item_id",
            "title",
            "score",
            "score_breakdown",
            "conditions",
            "gaps",
            "fulfilment",
            "support",
        } <= set(result)
        for condition in result["conditions"]:
            assert condition["verdict"] in ("met", "unmet", "unknown")
    row = audit_rows(client, keys, action="match", target="E001")[0]
    details = row["details"]
    assert (
        details["profile_snapshot"] == client.get("/v1/enterprises/E001", headers=own).json()["snapshot_id"]
    )
    assert details["model_version"] == body["model"] and details["index_version"] == body["index"]
    assert [r["item_id"] for r in details["results"]] == [r["item_id"] for r in body["results"]]
    assert all(r["policy_version"] for r in details["results"])

    profile = {
        "name": "表单企业",
        "region_code": "331002",
        "revenue": 12000,
        "industry_code": "C3670",
        "qualifications": ["高企"],
    }
    adhoc = client.post(
        "/v1/match",
        json={"profile": profile, "levels": ["eligible", "need_info"]},
        headers=auth(keys["admin"]),
    )
    assert adhoc.status_code == 200
    assert {r["level"] for r in adhoc.json()["results"]} <= {"eligible", "need_info"}
    row = audit_rows(client, keys, action="match", target="profile")[0]
    assert row["details"]["adhoc_profile"] is True and row["details"]["profile_snapshot"].startswith(
        "sha256:"
    )


def _whole_list(client, headers, policy):
    """A policy's whole target list at every level, on one page."""
    page = client.get(
        f"/v1/policies/{policy}/targets", params={"limit": 500, "levels": LEVELS_ALL_QUERY}, headers=headers
    )
    assert page.status_code == 200, page.text
    return page.json()


def _all_pages(client, headers, policy, limit, levels=LEVELS_ALL_QUERY):
    rows, cursor, totals = [], None, set()
    while True:
        params = {"limit": limit, "levels": levels, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/policies/{policy}/targets", params=params, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        rows.extend(body["data"])
        totals.add(body["total"])
        cursor = body["next_cursor"]
        if cursor is None:
            return rows, totals


def test_target_pages_are_stable_and_complete(client, keys):
    push = auth(keys["push"])
    whole = _whole_list(client, push, "jj-2024-02")
    assert whole["next_cursor"] is None and whole["total"] == len(whole["data"]) > 3
    paged, totals = _all_pages(client, push, "jj-2024-02", 3)
    assert totals == {whole["total"]}
    assert [r["enterprise_id"] for r in paged] == [r["enterprise_id"] for r in whole["data"]]
    assert {(r["support"], r["fulfilment"]) for r in whole["data"]} == {("给予一次性奖励10万元", "免申即享")}
    # 温州 (330302) is outside the policy's region: never on the list.
    assert all(r["enterprise_id"] not in ("E010", "E011") for r in paged)
    rows = audit_rows(client, keys, action="targets.read", target="jj-2024-02")
    assert rows[0]["details"]["policy_version"] == 1 and rows[0]["details"]["index_version"]


def test_target_list_errors(client, keys):
    push = auth(keys["push"])
    first = client.get(
        "/v1/policies/jj-2024-02/targets", params={"limit": 2, "levels": LEVELS_ALL_QUERY}, headers=push
    ).json()
    other = client.get(
        "/v1/policies/jj-2024-02/targets",
        params={"cursor": first["next_cursor"], "levels": "eligible"},
        headers=push,
    )
    assert_error(other, 400, "cursor_mismatch")
    assert_error(
        client.get("/v1/policies/jj-2024-02/targets", params={"cursor": "c1.garbage.123"}, headers=push),
        400,
        "cursor_invalid",
    )
    assert_error(
        client.get("/v1/policies/jj-2024-02/targets", params={"limit": 5000}, headers=push),
        422,
        "invalid_request",
    )
    assert_error(
        client.get("/v1/policies/jj-2024-02/targets", params={"levels": "best"}, headers=push),
        422,
        "invalid_request",
    )
    one = client.get("/v1/policies/jj-2024-01/targets", params={"item_id": "jj-2024-01#2"}, headers=push)
    assert one.status_code == 200 and all(r["item_id"] == "jj-2024-01#2" for r in one.json()["data"])
    assert_error(
        client.get("/v1/policies/jj-2024-01/targets", params={"item_id": "jj-2024-02#1"}, headers=push),
        404,
        "item_not_found",
    )


def test_a_policy_with_several_items_lists_them_one_after_another(client, keys):
    push = auth(keys["push"])
    per_item = []
    for seq in (1, 2, 3):
        params = {"item_id": f"jj-2024-01#{seq}", "levels": LEVELS_ALL_QUERY, "limit": 500}
        per_item.extend(
            client.get("/v1/policies/jj-2024-01/targets", params=params, headers=push).json()["data"]
        )
    paged, totals = _all_pages(client, push, "jj-2024-01", 4)
    assert totals == {len(per_item)}
    assert [(r["item_id"], r["enterprise_id"]) for r in paged] == [
        (r["item_id"], r["enterprise_id"]) for r in per_item
    ]
    with client.stream(
        "GET", "/v1/policies/jj-2024-01/targets.csv", params={"levels": LEVELS_ALL_QUERY}, headers=push
    ) as response:
        text = "".join(response.iter_text())
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["item_id"], r["enterprise_id"]) for r in rows] == [
        (r["item_id"], r["enterprise_id"]) for r in per_item
    ]


def test_paging_across_an_index_switch(client, keys):
    push, admin = auth(keys["push"]), auth(keys["admin"])
    params = {"limit": 2, "levels": LEVELS_ALL_QUERY}
    first = client.get("/v1/policies/jj-2024-02/targets", params=params, headers=push).json()
    rebuilt = client.post("/v1/index/rebuild", headers=admin)
    assert rebuilt.status_code == 200 and rebuilt.json()["index"] != first["index"]
    stale = client.get(
        "/v1/policies/jj-2024-02/targets", params={**params, "cursor": first["next_cursor"]}, headers=push
    )
    error = assert_error(stale, 410, "cursor_stale")
    assert error["details"]["cursor_index_version"] == first["index"]
    assert error["details"]["index_version"] == rebuilt.json()["index"]
    again, _ = _all_pages(client, push, "jj-2024-02", 2)
    assert len(again) == first["total"]
    switch = audit_rows(client, keys, action="index.switch")[0]
    assert (
        switch["target"] == rebuilt.json()["index"] and switch["details"]["previous_index"] == first["index"]
    )


def test_paging_while_the_index_switches_concurrently(client, keys, services):
    """Pages read during rebuilds are either one consistent ranking or a clear 410: never mixed, never a 500."""
    push = auth(keys["push"])
    stop = threading.Event()
    errors: list[BaseException] = []

    def rebuild() -> None:
        try:
            while not stop.is_set():
                services.matcher.rebuild_index()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    worker = threading.Thread(target=rebuild)
    worker.start()
    completed = stale = 0
    try:
        for _ in range(6):
            rows, cursor, index = [], None, None
            while True:
                params = {"limit": 3, "levels": LEVELS_ALL_QUERY, **({"cursor": cursor} if cursor else {})}
                page = client.get("/v1/policies/jj-2024-02/targets", params=params, headers=push)
                if page.status_code == 410:
                    assert page.json()["error"]["code"] == "cursor_stale"
                    stale += 1
                    break
                assert page.status_code == 200, page.text
                body = page.json()
                assert index in (None, body["index"])  # every page of one walk comes from one index version
                index = body["index"]
                rows.extend(r["enterprise_id"] for r in body["data"])
                cursor = body["next_cursor"]
                if cursor is None:
                    assert len(rows) == len(set(rows)) == body["total"]
                    completed += 1
                    break
    finally:
        stop.set()
        worker.join()
    assert not errors
    assert completed + stale == 6


def test_csv_export_is_streamed_and_audited(client, keys):
    push = auth(keys["push"])
    whole = _whole_list(client, push, "jj-2024-02")
    with client.stream(
        "GET", "/v1/policies/jj-2024-02/targets.csv", params={"levels": LEVELS_ALL_QUERY}, headers=push
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        assert response.headers["x-index-version"] == whole["index"]
        text = "".join(response.iter_text())
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["enterprise_id"] for r in rows] == [r["enterprise_id"] for r in whole["data"]]
    assert [r["level"] for r in rows] == [r["level"] for r in whole["data"]]
    assert rows[0]["name"].startswith("台州")
    row = audit_rows(client, keys, action="targets.export", target="jj-2024-02")[0]
    assert row["details"]["format"] == "csv" and row["details"]["policy_version"] == 1


def test_entitled_list(client, keys):
    push = auth(keys["push"])
    answer = client.get("/v1/policies/jj-2024-02/entitled", headers=push)
    assert answer.status_code == 200
    (entry,) = answer.json()["data"]
    assert entry["item_id"] == "jj-2024-02#1" and isinstance(entry["enterprise_ids"], list)
    assert audit_rows(client, keys, action="entitled.read", target="jj-2024-02")


def test_feedback_is_stored_with_its_result(client, keys):
    own = auth(keys["enterprise"])
    body = {
        "enterprise_id": "E001",
        "item_id": "jj-2024-02#1",
        "kind": "useful",
        "rating": 4,
        "comment": "很有帮助",
    }
    created = client.post("/v1/feedback", json=body, headers=own)
    assert created.status_code == 201, created.text
    feedback = created.json()
    assert feedback["kind"] == "useful" and feedback["rating"] == 4
    result = feedback["result"]
    assert result["item_id"] == "jj-2024-02#1" and result["level"] in (
        "eligible",
        "need_info",
        "near_miss",
        "ineligible",
    )
    assert result["policy_version"] == 1 and result["profile_snapshot"] and result["model_version"]
    by_push = client.post(
        "/v1/feedback", json={**body, "enterprise_id": "E003", "kind": "received"}, headers=auth(keys["push"])
    )
    assert by_push.status_code == 201
    listed = client.get("/v1/feedback", headers=auth(keys["analyst"])).json()["data"]
    mine = next(f for f in listed if f["id"] == feedback["id"])
    assert mine["result"]["level"] == result["level"] and mine["comment"] == "很有帮助"
    row = audit_rows(client, keys, action="feedback", target="jj-2024-02#1")
    assert {r["details"]["feedback_id"] for r in row} >= {feedback["id"], by_push.json()["id"]}


def test_models_listing(client, keys):
    answer = client.get("/v1/models", headers=auth(keys["analyst"]))
    assert answer.status_code == 200
    assert answer.json()["served"]
