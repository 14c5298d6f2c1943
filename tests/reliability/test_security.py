"""Least privilege over every route: enterprise keys see only themselves, push keys write only feedback and their own webhooks,
keys never logged, every read of enterprise data audited. (tests/api covers single routes; this sweeps the whole route table.)"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import unlimited_services

# Routes that read enterprise data: each successful call must leave an audit row by the caller's key.
ENTERPRISE_READS = {
    ("GET", "/v1/enterprises"),
    ("GET", "/v1/enterprises/{enterprise_id}"),
    ("POST", "/v1/match"),
    ("GET", "/v1/policies/{policy_id}/targets"),
    ("GET", "/v1/policies/{policy_id}/targets.csv"),
    ("GET", "/v1/policies/{policy_id}/entitled"),
    ("GET", "/v1/feedback"),
    ("GET", "/v1/ledger"),
    ("GET", "/v1/risk/enterprises"),
    ("GET", "/v1/risk/enterprises/{enterprise_id}"),
    ("GET", "/v1/risk/duplicates"),
    ("GET", "/v1/risk/monitoring"),
    ("GET", "/v1/policies/{policy_id}/items/{item_id}/payout"),
    ("GET", "/v1/ratings"),
}


class Api:
    """The real app over a private served data directory, with one key per role."""

    def __init__(
        self, client: TestClient, services: Any, keys: dict[str, tuple[str, str]], ids: dict[str, Any]
    ):
        self.client, self.services, self.keys, self.ids = client, services, keys, ids


@pytest.fixture(scope="module")
def api(served_template: Path, tmp_path_factory, encoder) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    from api.app import create_app

    services = unlimited_services(served_template, tmp_path_factory.mktemp("security") / "data", encoder)
    store = services.store
    enterprises = sorted(store.iter_enterprises(), key=lambda p: p.id)
    mine, other = enterprises[0], enterprises[1]
    item = sorted(store.iter_items(), key=lambda i: i.id)[0]
    keys = {role: store.create_api_key(role, None, f"sec {role}") for role in ("admin", "push", "analyst")}
    keys["enterprise"] = store.create_api_key("enterprise", mine.id, "sec mine")
    ids = {"mine": mine, "other": other, "others": enterprises[1:], "item": item}
    app = create_app(services.settings, services)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        yield Api(client, services, keys, ids)
    services.close()


def _routes(api: Api) -> list[tuple[str, str]]:
    schema = api.client.get("/openapi.json").json()
    return sorted((method.upper(), path) for path, ops in schema["paths"].items() for method in ops)


def _request(api: Api, role: str, method: str, path: str, target: str) -> Any:
    """Call one route as ``role``, aimed at enterprise ``target`` wherever the route takes an enterprise."""
    item = api.ids["item"]
    url = (
        path.replace("{enterprise_id}", target)
        .replace("{policy_id}", item.policy_id)
        .replace("{item_id}", item.id.replace("#", "%23"))
    )
    params: dict[str, Any] = {}
    if "targets" in path or "entitled" in path:
        params = {"item_id": item.id, "levels": ["eligible", "need_info", "near_miss", "ineligible"]}
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/v1/match"): {"enterprise_id": target},
        ("POST", "/v1/enterprises"): {"id": target, "name": "改写的名称"},
        ("PUT", "/v1/enterprises/{enterprise_id}"): {"name": "改写的名称"},
        ("POST", "/v1/feedback"): {"enterprise_id": target, "item_id": item.id, "kind": "useful"},
        ("POST", "/v1/policies"): {"id": "sec-new", "title": "新政策", "text": "一、对企业给予奖励。"},
        ("PUT", "/v1/policies/{policy_id}/items/{item_id}/conditions"): {"conditions": []},
    }
    secret = api.keys[role][1]
    return api.client.request(
        method,
        url,
        params=params,
        json=bodies.get((method, path)),
        headers={"Authorization": f"Bearer {secret}"},
    )


SKIP = {("POST", "/v1/index/rebuild")}  # re-encodes every item; its role check is in tests/api


def test_enterprise_key_never_sees_another_enterprise_on_any_route(api: Api):
    others = api.ids["others"]
    leaks = []
    for method, path in _routes(api):
        if (method, path) in SKIP:
            continue
        response = _request(api, "enterprise", method, path, api.ids["other"].id)
        body = response.text
        target = api.ids["other"].id
        for other in others:
            # A refusal may repeat the id the caller sent; nothing else of another enterprise may show.
            shown_id = other.id in body and (response.status_code < 400 or other.id != target)
            if shown_id or (other.name and other.name in body):
                leaks.append(f"{method} {path} -> {response.status_code} shows {other.id}")
                break
        assert response.status_code < 500, f"{method} {path}: {response.status_code}"
    assert not leaks, leaks
    assert api.services.store.get_enterprise(api.ids["other"].id).name == api.ids["other"].name


@pytest.mark.parametrize("role", ["push", "analyst", "enterprise"])
def test_only_admin_writes_profiles_and_push_writes_only_feedback(api: Api, role: str):
    store = api.services.store
    before = (store.count_enterprises(), len(store.list_policies()), store.get_enterprise(api.ids["mine"].id))
    for method, path in _routes(api):
        if method == "GET" or (method, path) in SKIP:
            continue
        response = _request(api, role, method, path, api.ids["mine"].id)
        writes_profile_or_policy = "enterprises" in path or path == "/v1/policies" or "conditions" in path
        # The push module's own writes: 闭环反馈 (POST /v1/feedback, shared/spec/api.md) and its own webhook
        # subscriptions and replays (docs/service.md); nothing of profiles, policies, conditions or risk.
        push_own = path == "/v1/feedback" or path.startswith(
            ("/v1/subscriptions", "/v1/events/", "/v1/deliveries")
        )
        if writes_profile_or_policy or (role == "push" and not push_own):
            assert response.status_code == 403, (
                f"{role} {method} {path}: {response.status_code} {response.text}"
            )
    after = (store.count_enterprises(), len(store.list_policies()), store.get_enterprise(api.ids["mine"].id))
    assert after == before


def test_every_read_of_enterprise_data_is_audited_and_no_key_is_logged(api: Api, caplog):
    store = api.services.store
    missing = []
    with caplog.at_level(logging.DEBUG):
        for role in ("admin", "analyst", "push", "enterprise"):
            key_id, _ = api.keys[role]
            for method, path in _routes(api):
                if (method, path) not in ENTERPRISE_READS:
                    continue
                before = len(store.query_audit(actor=key_id, limit=1_000_000))
                response = _request(api, role, method, path, api.ids["mine"].id)
                after = len(store.query_audit(actor=key_id, limit=1_000_000))
                if response.status_code < 300 and after <= before:
                    missing.append(f"{role} {method} {path}")
    assert not missing, f"reads of enterprise data with no audit row: {missing}"
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {getattr(r, '__dict__', {})!r}" for r in caplog.records)
    assert logged, "requests are logged"
    for _, secret in api.keys.values():
        assert secret not in logged and secret.split(".")[-1] not in logged
    audit_text = repr([e.to_dict() for e in store.query_audit(limit=1_000_000)])
    for _, secret in api.keys.values():
        assert secret.split(".")[-1] not in audit_text


def test_every_page_size_and_body_limit_holds_on_every_route(api: Api):
    schema = api.client.get("/openapi.json").json()
    checked_pages, checked_bodies = [], []
    big = b'{"x": "' + b"a" * (api.services.limits.max_body_bytes + 10) + b'"}'
    secret = api.keys["admin"][1]
    headers = {"Authorization": f"Bearer {secret}"}
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            for param in op.get("parameters", []):
                if param["name"] not in ("limit", "top_k") or param["in"] != "query":
                    continue
                declared = [param["schema"], *param["schema"].get("anyOf", [])]
                maxima = [d["maximum"] for d in declared if "maximum" in d]
                # No maximum in the schema: the limit is configurable (api.limits.Limits) and enforced in the route.
                configured = {
                    "limit": api.services.limits.max_page_size,
                    "top_k": api.services.limits.max_top_k,
                }
                maximum = maxima[0] if maxima else configured[param["name"]]
                response = _request_with(api, method, path, {param["name"]: int(maximum) + 1}, headers)
                assert response.status_code == 422, f"{method} {path} {param['name']}={maximum + 1}"
                assert param["name"] in response.text
                checked_pages.append(f"{method} {path}")
            if method in ("post", "put") and (method, path) != ("post", "/v1/index/rebuild"):
                url = _fill(api, path)
                response = api.client.request(
                    method.upper(), url, content=big, headers={**headers, "Content-Type": "application/json"}
                )
                assert response.status_code == 413, f"{method} {path}: {response.status_code}"
                checked_bodies.append(f"{method} {path}")
    assert len(checked_pages) >= 3 and len(checked_bodies) >= 5, (checked_pages, checked_bodies)
    response = api.client.post(
        "/v1/match",
        json={"enterprise_id": api.ids["mine"].id, "top_k": api.services.limits.max_top_k + 1},
        headers=headers,
    )
    assert response.status_code == 422 and "top_k" in response.text


def _fill(api: Api, path: str) -> str:
    item = api.ids["item"]
    return (
        path.replace("{enterprise_id}", api.ids["mine"].id)
        .replace("{policy_id}", item.policy_id)
        .replace("{item_id}", item.id.replace("#", "%23"))
    )


def _request_with(api: Api, method: str, path: str, params: dict[str, Any], headers: dict[str, str]) -> Any:
    item = api.ids["item"]
    if "targets" in path or "entitled" in path:
        params = {"item_id": item.id, **params}
    return api.client.request(method.upper(), _fill(api, path), params=params, headers=headers)
