"""``POST /v1/match``'s shortcut past FastAPI's dependency solving (issue 19) answers as FastAPI's way does.

A body sent as ``application/json`` takes the shortcut; the same body sent as
``application/json; charset=utf-8`` takes FastAPI's handler. Each request below is sent both
ways: the status, the answer's bytes, the headers, the audit row and the refusals counted
must be the same, and only the plain one may skip FastAPI's dependency solving.
"""

from __future__ import annotations

import json
from typing import Any

import fastapi.routing
import pytest
from api_helpers import auth

PLAIN = "application/json"
FASTAPI_WAY = "application/json; charset=utf-8"


@pytest.fixture()
def solved(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the requests whose dependencies FastAPI solved (its handler looks the function up per call)."""
    calls: list[int] = []
    original = fastapi.routing.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return await original(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    return calls


def _send(
    client: Any, services: Any, content_type: str, body: bytes, headers: dict[str, str]
) -> dict[str, Any]:
    """Send one match; return what a caller and the audit trail see of it."""
    assert services.refusals is not None
    refusals = services.refusals.recorded
    last = services.store.query_audit(action="match", limit=1)
    response = client.post("/v1/match", content=body, headers={**headers, "Content-Type": content_type})
    rows = services.store.query_audit(action="match", limit=1)
    row = rows[0] if rows and (not last or rows[0].id != last[0].id) else None
    return {
        "status": response.status_code,
        "body": response.content,
        "headers": sorted((k, v) for k, v in response.headers.items() if k != "content-length"),
        "audit": None if row is None else (row.actor, row.action, row.target, row.details),
        "refusals": services.refusals.recorded - refusals,
    }


def test_the_shortcut_answers_every_kind_of_request_as_fastapis_way(client, keys, services, solved):
    admin, own = auth(keys["admin"]), auth(keys["enterprise"])
    cases: list[tuple[dict[str, str], Any]] = [
        (own, {"enterprise_id": "E001"}),
        (own, {"enterprise_id": "E001", "top_k": 3, "levels": ["eligible", "need_info"]}),
        (admin, {"enterprise_id": "E002", "as_of": "2026-01-15"}),
        (admin, {"profile": {"name": "表单企业", "region_code": "331002", "employees": 40}, "top_k": 5}),
        (own, {"enterprise_id": "E002"}),  # another enterprise: 403
        (auth(keys["push"]), {"enterprise_id": "E001"}),  # a role that may not match: 403
        ({}, {"enterprise_id": "E001"}),  # no key: 401
        (auth("pk_0.nope"), {"enterprise_id": "E001"}),  # unknown key: 401
        (admin, {"enterprise_id": "NOPE-404"}),  # unknown enterprise: 404
        (admin, {"enterprise_id": "E001", "profile": {"name": "x"}}),  # both: 422 from the route
        (admin, {"enterprise_id": "E001", "top_k": 0}),  # fails validation: FastAPI's way both times
        (admin, {"top_k": True}),
        (admin, b"{not json"),
        (admin, b""),
    ]
    not_valid = [{"enterprise_id": "E001", "top_k": 0}, {"top_k": True}]
    for headers, payload in cases:
        body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        solved.clear()
        shortcut = _send(client, services, PLAIN, body, headers)
        took_shortcut = not solved
        solved.clear()
        fastapi_way = _send(client, services, FASTAPI_WAY, body, headers)
        # FastAPI's handler solves the dependencies of every body it can decode (bad JSON fails before).
        assert solved or payload == b"{not json", payload
        assert shortcut == fastapi_way, payload
        if payload != b"{not json":  # (which fails before any solving, both ways)
            assert took_shortcut == (isinstance(payload, dict) and payload not in not_valid), payload
    answered = _send(client, services, PLAIN, b'{"enterprise_id": "E001"}', own)
    assert answered["status"] == 200 and json.loads(answered["body"])["results"]
    assert answered["audit"] is not None and answered["audit"][2] == "E001"
