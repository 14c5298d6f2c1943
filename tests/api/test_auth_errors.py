"""Roles, keys, the open demo mode, limits and the contract's error shape, over the real app."""

from __future__ import annotations

import logging
import re

import pytest
from api_helpers import assert_error, auth, open_services, with_limits
from fastapi.testclient import TestClient

from api.app import create_app
from api.limits import Limits
from api.logs import JsonFormatter, scrub
from api.services import Services


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["ready"] is True and all(body["checks"].values())
    assert body["model"] and body["index"]


def test_openapi_docs_and_pages_are_served(client):
    schema = client.get("/openapi.json").json()
    for path in ("/v1/policies", "/v1/match", "/v1/policies/{policy_id}/targets", "/v1/feedback", "/readyz"):
        assert path in schema["paths"]
    assert "MatchRequest" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 200
    navs = {}
    for path, title, script in (
        ("/", "智能匹配", "index"),
        ("/admin", "条件校对", "admin"),
        ("/push", "推送时间线", "push"),
        ("/risk", "三色预警", "risk"),
    ):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert title in page.text
        # Assembled from api/templates/: the page's own <main> and script, no placeholder left.
        assert page.text.count("<main") == 1 and f'<script src="/static/{script}.js">' in page.text
        assert "$" not in page.text, path
        assert "default-src 'self'" in page.headers["content-security-policy"]
        nav = re.search(r"<nav>(.*?)</nav>", page.text)
        assert nav, path
        navs[path] = re.findall(r'href="([^"]+)"', nav.group(1))
        assert re.search(rf'href="{re.escape(path)}" class="current"', nav.group(1)), path
    # Every page links every other page, in the same order.
    assert all(links == ["/", "/admin", "/push", "/risk", "/docs"] for links in navs.values()), navs
    assert client.get("/static/common.js").status_code == 200


def test_missing_wrong_and_malformed_keys_are_401(client, keys):
    assert_error(client.get("/v1/policies"), 401, "unauthorized")
    assert_error(client.get("/v1/policies", headers=auth("pk_000000000000.nope")), 401, "unauthorized")
    assert_error(client.get("/v1/policies", headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    assert client.get("/v1/policies", headers={"X-API-Key": keys["push"]}).status_code == 200


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        ("push", "post", "/v1/policies", {"id": "x", "title": "t", "text": "一、对企业给予奖励。"}),
        ("analyst", "put", "/v1/policies/jj-2024-01/items/jj-2024-01%231/conditions", {"conditions": []}),
        ("enterprise", "get", "/v1/policies/jj-2024-02/targets", None),
        ("enterprise", "get", "/v1/policies/jj-2024-02/targets.csv", None),
        ("analyst", "post", "/v1/match", {"enterprise_id": "E001"}),
        ("push", "post", "/v1/match", {"enterprise_id": "E001"}),
        ("push", "post", "/v1/enterprises", {"id": "E900", "name": "某公司"}),
        ("enterprise", "post", "/v1/index/rebuild", None),
        ("push", "get", "/v1/audit", None),
        ("enterprise", "get", "/v1/feedback", None),
        (
            "analyst",
            "post",
            "/v1/feedback",
            {"enterprise_id": "E001", "item_id": "jj-2024-01#1", "kind": "useful"},
        ),
    ],
)
def test_wrong_role_is_403(client, keys, role, method, path, body):
    response = getattr(client, method)(path, headers=auth(keys[role]), **({"json": body} if body else {}))
    error = assert_error(response, 403, "forbidden")
    assert role in error["message"]


def test_enterprise_key_reads_only_itself(client, keys):
    own = auth(keys["enterprise"])  # bound to E001
    assert client.get("/v1/enterprises/E001", headers=own).json()["id"] == "E001"
    assert_error(client.get("/v1/enterprises/E002", headers=own), 403, "forbidden_enterprise")
    assert_error(
        client.post("/v1/match", json={"enterprise_id": "E002"}, headers=own), 403, "forbidden_enterprise"
    )
    assert client.post("/v1/match", json={"enterprise_id": "E001"}, headers=own).status_code == 200
    # A "what if" profile under another enterprise's id is another enterprise too.
    other = {"profile": {"id": "E002", "name": "某公司", "region_code": "331002"}}
    assert_error(client.post("/v1/match", json=other, headers=own), 403, "forbidden_enterprise")
    mine = {"profile": {"name": "假设的我", "region_code": "331002", "revenue": 50000}}
    assert client.post("/v1/match", json=mine, headers=own).status_code == 200
    feedback = {"enterprise_id": "E002", "item_id": "jj-2024-01#1", "kind": "useful"}
    assert_error(client.post("/v1/feedback", json=feedback, headers=own), 403, "forbidden_enterprise")
    listed = client.get("/v1/enterprises", headers=own).json()
    assert [row["id"] for row in listed["data"]] == ["E001"]


def test_whoami_names_role_and_binding(client, keys):
    for role in ("admin", "push", "analyst"):
        me = client.get("/v1/whoami", headers=auth(keys[role])).json()
        assert me["role"] == role and me["enterprise_id"] is None and me["open"] is False
        assert me["key_id"].startswith("pk_") and keys[role] not in str(me)
    me = client.get("/v1/whoami", headers=auth(keys["enterprise2"])).json()
    assert (me["role"], me["enterprise_id"]) == ("enterprise", "E002")


@pytest.mark.parametrize(
    ("body", "code", "field", "words"),
    [
        ({"enterprise_id": "E001", "top_k": "abc"}, "invalid_request", "top_k", "integer"),
        ({"enterprise_id": "E001", "top_k": 5000}, "invalid_request", "top_k", "at most"),
        ({"enterprise_id": "E001", "levels": ["great"]}, "invalid_request", "levels[0]", "one of"),
        ({"enterprise_idd": "E001"}, "invalid_request", "enterprise_idd", "not a field"),
        ({"enterprise_id": "E001", "profile": {"name": "x"}}, "invalid_request", None, "exactly one"),
        ({}, "invalid_request", None, "exactly one"),
        (
            {"profile": {"name": "某公司", "region_code": "999999"}},
            "invalid_profile",
            "region_code",
            "统计用区划代码",
        ),
        (
            {"profile": {"name": "某公司", "industry_code": "Z99"}},
            "invalid_profile",
            "industry_code",
            "GB/T 4754",
        ),
        (
            {"profile": {"name": "某公司", "employees": "many"}},
            "invalid_request",
            "profile.employees",
            "integer",
        ),
        (
            {"profile": {"name": "某", "business_scope": "字" * 6000}},
            "invalid_request",
            "profile.business_scope",
            "too long",
        ),
    ],
)
def test_bad_match_input_is_422_with_one_sentence(client, keys, body, code, field, words):
    error = assert_error(client.post("/v1/match", json=body, headers=auth(keys["admin"])), 422, code)
    assert words in error["message"]
    if field:
        assert field in error["message"]
    assert error["message"].endswith(".")


def test_unknown_ids_are_404(client, keys):
    admin = auth(keys["admin"])
    assert_error(client.get("/v1/policies/no-such", headers=admin), 404, "policy_not_found")
    assert_error(
        client.post("/v1/match", json={"enterprise_id": "E999"}, headers=admin), 404, "enterprise_not_found"
    )
    assert_error(client.get("/v1/enterprises/E999", headers=admin), 404, "enterprise_not_found")
    put = client.put(
        "/v1/policies/jj-2024-01/items/jj-2024-01%2399/conditions", json={"conditions": []}, headers=admin
    )
    assert_error(put, 404, "item_not_found")
    # An item of another policy is not an item of this one.
    put = client.put(
        "/v1/policies/jj-2024-01/items/jj-2024-02%231/conditions", json={"conditions": []}, headers=admin
    )
    assert_error(put, 404, "item_not_found")
    feedback = {"enterprise_id": "E001", "item_id": "nope#1", "kind": "useful"}
    assert_error(client.post("/v1/feedback", json=feedback, headers=admin), 404, "item_not_found")
    assert_error(client.get("/v1/policies/no-such/targets", headers=admin), 404, "policy_not_found")


def test_malformed_requests_answer_in_the_contract_shape(client, keys):
    admin = auth(keys["admin"])
    raw = client.post(
        "/v1/match", content=b"{not json", headers={**admin, "Content-Type": "application/json"}
    )
    assert "not valid JSON" in assert_error(raw, 422, "invalid_request")["message"]
    assert_error(client.get("/v1/nothing-here", headers=admin), 404, "not_found")
    assert_error(client.delete("/v1/match", headers=admin), 405, "method_not_allowed")
    too_long = {"id": "long-1", "title": "长文", "text": "字" * 200_001}
    error = assert_error(client.post("/v1/policies", json=too_long, headers=admin), 422, "invalid_request")
    assert "text" in error["message"] and "too long" in error["message"]
    bad_region = {"id": "bad-1", "title": "t", "text": "一、对企业给予奖励。", "region_code": "123"}
    assert_error(client.post("/v1/policies", json=bad_region, headers=admin), 422, "invalid_policy")
    bad_fulfilment = {"id": "bad-2", "title": "t", "text": "一、对企业给予奖励。", "fulfilment": "自动"}
    assert (
        "fulfilment"
        in assert_error(client.post("/v1/policies", json=bad_fulfilment, headers=admin), 422)["message"]
    )
    bad_condition = {"conditions": [{"field": "revenue", "op": "bigger", "value": 1}]}
    put = client.put(
        "/v1/policies/jj-2024-01/items/jj-2024-01%231/conditions", json=bad_condition, headers=admin
    )
    assert "bigger" in assert_error(put, 422, "invalid_condition")["message"]
    bad_field = {"conditions": [{"field": "wealth", "op": "gte", "value": 1}]}
    put = client.put("/v1/policies/jj-2024-01/items/jj-2024-01%231/conditions", json=bad_field, headers=admin)
    assert "wealth" in assert_error(put, 422, "invalid_condition")["message"]
    bad_kind = {"enterprise_id": "E001", "item_id": "jj-2024-01#1", "kind": "great", "rating": 9}
    error = assert_error(client.post("/v1/feedback", json=bad_kind, headers=admin), 422, "invalid_request")
    assert len(error["details"]) == 2


def test_body_size_limit_is_413(services: Services, keys):
    small = with_limits(services, Limits(max_body_bytes=2_000))
    with TestClient(create_app(small.settings, small), client=("127.0.0.1", 1)) as client:
        body = {"id": "big-1", "title": "大", "text": "字" * 3_000}
        error = assert_error(
            client.post("/v1/policies", json=body, headers=auth(keys["admin"])), 413, "payload_too_large"
        )
        assert "2000 bytes" in error["message"]

        # A body without Content-Length (chunked) is counted as it arrives.
        def chunks():
            for _ in range(10):
                yield b"x" * 500

        streamed = client.post(
            "/v1/match", content=chunks(), headers={**auth(keys["admin"]), "Content-Type": "application/json"}
        )
        assert_error(streamed, 413, "payload_too_large")


def test_rate_limit_per_key_is_429(services: Services, keys):
    tight = with_limits(services, Limits(rate_per_minute=1, burst=2))
    with TestClient(create_app(tight.settings, tight), client=("127.0.0.1", 1)) as client:
        push = auth(keys["push"])
        assert client.get("/v1/policies", headers=push).status_code == 200
        assert client.get("/v1/policies", headers=push).status_code == 200
        limited = client.get("/v1/policies", headers=push)
        assert_error(limited, 429, "rate_limited")
        assert int(limited.headers["Retry-After"]) >= 1
        # Another key has its own bucket.
        assert client.get("/v1/policies", headers=auth(keys["analyst"])).status_code == 200


def test_open_mode_serves_loopback_only(tmp_path, api_encoder):
    opened = open_services(tmp_path, api_encoder, seeded=False)
    try:
        app = create_app(opened.settings, opened)
        with TestClient(app, client=("127.0.0.1", 1)) as local:
            me = local.get("/v1/whoami").json()
            assert me["open"] is True and me["role"] == "admin"
        with TestClient(app, client=("10.1.2.3", 1)) as remote:
            error = assert_error(remote.get("/v1/whoami"), 403, "open_loopback_only")
            assert "loopback" in error["message"]
        # Once a key exists the service is closed: the keyless caller gets 401 even from loopback.
        opened.store.create_api_key("admin", None, "first")
        assert opened.keyring is not None
        opened.keyring.forget()
        with TestClient(app, client=("127.0.0.1", 1)) as local:
            assert_error(local.get("/v1/whoami"), 401, "unauthorized")
    finally:
        opened.close()


def test_logs_are_json_and_never_hold_keys(client, keys, caplog):
    secret = keys["admin"]
    with caplog.at_level(logging.INFO, logger="policymatch.api"):
        client.get("/v1/policies", headers=auth(secret))
        client.get("/v1/policies", headers={"X-API-Key": secret + "x"})
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert lines, "one request line per request"
    import json

    parsed = [json.loads(line) for line in lines]
    request_lines = [p for p in parsed if p["msg"] == "request"]
    assert {p["status"] for p in request_lines} >= {200, 401}
    assert all(secret not in line and secret.split(".")[1] not in line for line in lines)
    assert scrub(f"Bearer {secret}") == "Bearer ***"
    assert secret.split(".")[1] not in scrub(f"key={secret}")


def test_every_route_identifies_its_caller_at_most_once(client):
    """A route takes ``PrincipalDep`` or one ``require(...)`` check, never both: each would take a rate-limit token."""
    from fastapi.routing import APIRoute

    from api.deps import current_principal

    def callers(dependant) -> int:
        own = (
            dependant.call is current_principal
            or getattr(dependant.call, "__qualname__", "") == "require.<locals>.check"
        )
        return int(own) + sum(callers(d) for d in dependant.dependencies)

    def api_routes(routes, prefix=""):  # FastAPI keeps an included router as one entry of the app's routes
        for route in routes:
            if isinstance(route, APIRoute):
                yield prefix + route.path, route
            elif hasattr(route, "original_router"):
                yield from api_routes(route.original_router.routes, prefix + route.include_context.prefix)

    counted = {
        path + " " + ",".join(sorted(r.methods)): callers(r.dependant)
        for path, r in api_routes(client.app.routes)
    }
    assert len(counted) > 40 and max(counted.values()) == 1
    assert counted["/v1/match POST"] == 1
