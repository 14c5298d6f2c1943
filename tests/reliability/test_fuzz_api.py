"""Fuzz the HTTP API from its own OpenAPI schema (schemathesis): no 5xx, every response matches the schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev extra")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

from .conftest import unlimited_services  # noqa: E402

# Rebuilding the index re-encodes every item (seconds each); its own tests cover it.
SLOW_OPERATIONS = r"^/v1/index/rebuild$"
EXAMPLES = 25  # per operation (about 20 operations): the whole fuzz stays well under a minute


@pytest.fixture(scope="module")
def fuzzed_app(served_template: Path, tmp_path_factory, encoder) -> Iterator[tuple[object, str]]:  # type: ignore[no-untyped-def]
    """The real app over a private copy of the served data directory, with an admin key and no rate limit."""
    from api.app import create_app

    services = unlimited_services(served_template, tmp_path_factory.mktemp("fuzz") / "data", encoder)
    store = services.store
    secret = store.create_api_key("admin", None, "fuzz admin")[1]
    yield create_app(services.settings, services), secret
    services.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed_app):  # type: ignore[no-untyped-def]
    """The app's own OpenAPI schema, as schemathesis reads it."""
    app, _ = fuzzed_app
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=SLOW_OPERATIONS)


def _fuzz(operation, headers: dict[str, str], seen: set[int]) -> None:  # type: ignore[no-untyped-def]
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def fuzz(case):  # type: ignore[no-untyped-def]
        response = case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )
        seen.add(response.status_code)

    fuzz()


@pytest.mark.slow
def test_api_never_5xx_and_matches_its_schema(api_schema, fuzzed_app):  # type: ignore[no-untyped-def]
    _, secret = fuzzed_app
    headers = {"Authorization": f"Bearer {secret}"}
    checked = []
    statuses: dict[str, set[int]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        _fuzz(operation, headers, statuses.setdefault(operation.label, set()))
        checked.append(operation.label)
    assert len(checked) >= 15, f"only {len(checked)} operations fuzzed: {checked}"
    succeeded = [label for label, codes in statuses.items() if any(200 <= c < 300 for c in codes)]
    # The admin key gets through: most operations answered 2xx for some generated input, not only 401/422.
    assert len(succeeded) >= 10, statuses
    print({label: sorted(codes) for label, codes in statuses.items()})  # noqa: T201


# --- issue 18: hostile values at every door of a write -------------------------------------------

HOSTILE_VALUES = [
    float("nan"), float("inf"), -float("inf"), 1e-300, 1e308, 1e10, -1.0, 0, 2**63 - 1, 2**64, -(2**63),
    True, False, "5", "NaN", "", "\x00", "a\x00b", ".", "..", "../x", "=1+1", "\t=1+1", "+1", "@SUM(1)",
    None, [], {}, ["\x00"], {"\x00": 1}, "字" * 600,
]  # fmt: skip
PROFILE_FIELDS = [
    "id", "name", "uscc", "region_code", "industry_code", "established", "employees", "revenue",
    "revenue_growth", "total_assets", "rd_expense", "rd_ratio", "tax_paid", "qualifications",
    "mu_jun_class", "credit_status", "major_violation", "business_scope",
]  # fmt: skip


@pytest.mark.slow
def test_hostile_values_never_5xx_and_a_refusal_stores_nothing(fuzzed_app):  # type: ignore[no-untyped-def]
    """Profiles and match requests with NaN, ±inf, 1e-300 / 1e10, 2^63−1, booleans, numeric strings, NUL, . and ..."""
    import json
    import math

    from fastapi.testclient import TestClient
    from hypothesis import strategies as st

    app, secret = fuzzed_app
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    services = app.state.services
    with TestClient(app, client=("127.0.0.1", 1)) as client:

        @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(
            fields=st.dictionaries(
                st.sampled_from(PROFILE_FIELDS), st.sampled_from(HOSTILE_VALUES), max_size=5
            ),
            number=st.integers(0, 10**6),
            method=st.sampled_from(["POST", "PUT"]),
        )
        def profiles(fields, number, method):  # type: ignore[no-untyped-def]
            body = {"id": f"fz-{number}", "name": "模糊测试企业", **fields}
            target = str(body.get("id"))
            before = services.store.get_enterprise(target) if isinstance(body.get("id"), str) else None
            # allow_nan: NaN and Infinity are sent as the JSON literals a hostile client would send.
            raw = json.dumps(body, allow_nan=True).encode()
            path = "/v1/enterprises" if method == "POST" else f"/v1/enterprises/fz-put-{number}"
            response = client.request(method, path, content=raw, headers=headers)
            assert response.status_code < 500, response.text
            if response.status_code in (200, 201):
                stored = response.json()["profile"]
                json.dumps(stored, allow_nan=False)  # every stored number is finite
                assert all(not isinstance(v, float) or math.isfinite(v) for v in stored.values())
                assert "\x00" not in json.dumps(stored, ensure_ascii=False)
            else:
                assert response.status_code == 422, response.text
                if method == "POST" and isinstance(body.get("id"), str):
                    after = services.store.get_enterprise(target)
                    assert (after.to_dict() if after else None) == (before.to_dict() if before else None)

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(top_k=st.sampled_from(HOSTILE_VALUES), enterprise=st.sampled_from(HOSTILE_VALUES))
        def matches(top_k, enterprise):  # type: ignore[no-untyped-def]
            raw = json.dumps({"enterprise_id": enterprise, "top_k": top_k}, allow_nan=True).encode()
            response = client.post("/v1/match", content=raw, headers=headers)
            assert response.status_code < 500, response.text
            if isinstance(top_k, bool) or isinstance(top_k, str | float):
                assert response.status_code == 422  # a boolean, a string or a float is no top_k

        profiles()
        matches()
