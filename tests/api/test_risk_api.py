"""风险监管 through the real HTTP app on a real store: identity, ledger, duplicates, colours, payout lists, ratings."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from api_helpers import LEVELS_ALL_QUERY, assert_error, auth, enterprises, open_services, role_keys

from api.services import Services
from corpus.schemas import uscc_check_digit
from matcher.ingest import ingest_policies

FREE = [
    {
        "id": "fm-2024-09",
        "title": "营业收入奖励",
        "region_code": "331002",
        "department": "椒江区经济和信息化局",
        "issued": "2024-06-03",
        "valid_until": "2099-12-31",
        "fulfilment": "免申即享",
        "text": "对营业收入达到1000万元以上的企业，给予一次性奖励5万元。失信被执行人不得享受本政策。",
    },
    {
        # No 失信 clause of its own: the payout list must still leave 失信 enterprises off.
        "id": "fm-2024-10",
        "title": "营业收入大户奖励",
        "region_code": "331002",
        "department": "椒江区财政局",
        "issued": "2024-06-03",
        "valid_until": "2099-12-31",
        "fulfilment": "免申即享",
        "text": "对营业收入达到5000万元以上的企业，给予奖励20万元。",
    },
]


def code(n: int) -> str:
    body = f"91331002MA2{n:06d}"
    return body + uscc_check_digit(body)


def open_risk_services(folder: Path, encoder: Any) -> Services:
    """The API corpus plus two 免申即享 policies; E000–E009 carry a 统一社会信用代码, E010/E011 none."""
    from corpus.schemas import validate_profile

    opened = open_services(folder, encoder)
    ingest_policies(opened.store, FREE, strict=True, progress=False)
    profiles = [
        validate_profile({**e, "uscc": code(n)}) if n < 10 else validate_profile(e)
        for n, e in enumerate(enterprises())
    ]
    opened.store.upsert_enterprises(profiles)
    for policy in FREE:
        opened.matcher.policy_changed(policy["id"])
    opened.matcher.enterprise_changed([p.id for p in profiles])
    return opened


@pytest.fixture(scope="module")
def services_opener() -> Callable[[Path, Any], Services]:
    """This module's services: :func:`open_risk_services`."""
    return open_risk_services


@pytest.fixture(scope="module")
def keys(services: Services) -> dict[str, str]:
    return role_keys(
        services, ("admin", "push", "analyst", "finance"), {"enterprise": "E001", "enterprise3": "E003"}
    )


def row(
    enterprise: str, item: str, status: str = "paid", department: str = "椒江区经济和信息化局", **kw: Any
) -> dict[str, Any]:
    return {"enterprise_id": enterprise, "item_id": item, "amount": kw.pop("amount", 5), "department": department,
            "date": kw.pop("date", "2024-06-20"), "status": status, **kw}  # fmt: skip


def test_a_second_record_with_a_held_code_is_refused_naming_the_holder(client, keys, services):
    body = {"id": "E900", "name": "重复法人有限公司", "uscc": code(1), "region_code": "331002"}
    error = assert_error(
        client.post("/v1/enterprises", json=body, headers=auth(keys["admin"])), 409, "uscc_conflict"
    )
    assert error["details"]["holder"] == "E001"
    assert services.store.get_enterprise("E900") is None
    # The holder itself may still change its profile; a record without a code is allowed.
    assert (
        client.put(
            "/v1/enterprises/E001", json={**enterprises()[1], "uscc": code(1)}, headers=auth(keys["admin"])
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/v1/enterprises",
            json={"id": "E901", "name": "无代码企业", "region_code": "331002"},
            headers=auth(keys["admin"]),
        ).status_code
        == 201
    )
    # The store refuses it too, whatever door is used.
    from corpus.schemas import validate_profile

    with pytest.raises(Exception, match="uscc_conflict"):
        services.store.upsert_enterprises([validate_profile(body)])


def test_ledger_roles_validation_and_append_only(client, keys, services):
    rows = {"rows": [row("E002", "fm-2024-09#1")]}
    for role in ("push", "analyst", "enterprise"):
        assert_error(client.post("/v1/ledger", json=rows, headers=auth(keys[role])), 403)
    bad = {"rows": [row("E002", "fm-2024-09#1"), row("E002", "fm-2024-09#1", date="2024-02-30")]}
    error = assert_error(
        client.post("/v1/ledger", json=bad, headers=auth(keys["finance"])), 422, "invalid_ledger"
    )
    assert error["details"][0]["row"] == 1 and "date" in error["details"][0]["problems"][0]
    assert_error(
        client.post("/v1/ledger", json={"rows": [row("E002", "nope#9")]}, headers=auth(keys["finance"])), 404
    )
    before = services.store.count_ledger()
    assert before == 0
    answer = client.post("/v1/ledger", json=rows, headers=auth(keys["finance"]))
    assert answer.status_code == 201, answer.text
    first = answer.json()["data"][0]
    assert first["recorded_by"] and answer.json()["duplicates"] == []
    audit = services.store.query_audit(action="ledger.append", limit=1)[0]
    assert audit.details["ids"] == [first["id"]]
    # A correction is a new row; one of another benefit is refused; the table refuses UPDATE.
    fix = row("E002", "fm-2024-09#1", amount=6, corrects=first["id"], reason="金额更正")
    assert client.post("/v1/ledger", json={"rows": [fix]}, headers=auth(keys["finance"])).status_code == 201
    wrong = row("E003", "fm-2024-09#1", corrects=first["id"])
    assert_error(
        client.post("/v1/ledger", json={"rows": [wrong]}, headers=auth(keys["finance"])),
        409,
        "ledger_refused",
    )
    with pytest.raises(Exception, match="append-only"):
        with services.store.transaction():
            services.store._conn().execute("UPDATE ledger SET amount = 0")
    assert services.store.count_ledger() == 2


def test_duplicates_are_reported_on_write_and_enterprise_keys_see_their_own_rows(client, keys):
    # The same item from a second department: 同一法人多部门.
    answer = client.post(
        "/v1/ledger",
        json={"rows": [row("E002", "fm-2024-09#1", department="椒江区财政局")]},
        headers=auth(keys["finance"]),
    ).json()
    assert [h["kind"] for h in answer["duplicates"]] == ["same_item"]
    assert answer["duplicates"][0]["departments"] == ["椒江区经济和信息化局", "椒江区财政局"]
    own = client.get("/v1/ledger", headers=auth(keys["enterprise"])).json()["data"]
    assert own == []
    assert_error(client.get("/v1/ledger?enterprise_id=E002", headers=auth(keys["enterprise"])), 403)
    assert len(client.get("/v1/ledger?enterprise_id=E002", headers=auth(keys["analyst"])).json()["data"]) == 3


def test_admin_group_joins_documents_and_lists_give_the_highest(client, keys):
    put = client.put(
        "/v1/risk/groups/营收奖励",
        json={"items": ["fm-2024-09#1", "fm-2024-10#1"], "label": "营收类"},
        headers=auth(keys["admin"]),
    )
    assert put.status_code == 200, put.text
    assert_error(
        client.put("/v1/risk/groups/x", json={"items": ["fm-2024-09#1"]}, headers=auth(keys["analyst"])), 403
    )
    groups = client.get("/v1/risk/groups", headers=auth(keys["analyst"])).json()["data"]
    assert any(g["id"] == "营收奖励" and g["source"] == "admin" for g in groups)
    payout = client.get(
        "/v1/policies/fm-2024-09/items/fm-2024-09%231/payout", headers=auth(keys["push"])
    ).json()
    listed = {r["enterprise_id"] for r in payout["rows"]}
    left = {r["enterprise_id"]: r["reasons"] for r in payout["left_off"]}
    # E003+ reach 5000万 too: 就高 gives them fm-2024-10 (20万) instead; E002 already holds it; E001 is the one to pay.
    assert listed == {"E001"}
    assert any("就高" in r for r in left["E003"]) and any("已享受" in r for r in left["E002"])
    assert payout["rows"][0]["expected_amount"] == 5.0 and payout["rows"][0]["colour"] == "green"


def test_payout_list_is_only_for_free_apply_and_never_carries_a_flagged_enterprise(client, keys, services):
    assert_error(
        client.get("/v1/policies/jj-2024-01/items/jj-2024-01%231/payout", headers=auth(keys["push"])),
        409,
        "not_free_apply",
    )
    payout = client.get(
        "/v1/policies/fm-2024-10/items/fm-2024-10%231/payout", headers=auth(keys["push"])
    ).json()
    listed = {r["enterprise_id"] for r in payout["rows"]}
    left = {r["enterprise_id"]: r["reasons"] for r in payout["left_off"]}
    # E005 is 失信 and the item's text says nothing about it: still left off, with the reason.
    assert "E005" not in listed and any("失信" in r for r in left["E005"])
    entitled = client.get(
        "/v1/policies/fm-2024-10/entitled?item_id=fm-2024-10%231", headers=auth(keys["push"])
    ).json()
    assert "E005" in json.dumps(entitled)  # the plain entitled list still shows it (flagged)
    assert listed and all(r["colour"] == "green" for r in payout["rows"])
    for eid in listed:
        facts = services.store.get_enterprise(eid)
        assert facts.uscc and facts.credit_status != "dishonest" and not facts.major_violation
    assert_error(
        client.post("/v1/policies/fm-2024-10/items/fm-2024-10%231/payout/export", headers=auth(keys["push"])),
        403,
    )
    export = client.post(
        "/v1/policies/fm-2024-10/items/fm-2024-10%231/payout/export", headers=auth(keys["finance"])
    )
    assert export.status_code == 201
    body = export.json()
    canonical = json.dumps(body["rows"], ensure_ascii=False, sort_keys=True).encode("utf-8")
    assert body["sha256"] == hashlib.sha256(canonical).hexdigest()
    audit = services.store.query_audit(action="payout.export", limit=1)[0]
    assert audit.details["sha256"] == body["sha256"] and audit.details["export_id"] == body["export_id"]
    text = client.get(
        f"/v1/policies/fm-2024-10/items/fm-2024-10%231/payout/exports/{body['export_id']}.csv",
        headers=auth(keys["finance"]),
    ).text
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert {line[0] for line in lines[1:-1]} == listed and lines[-1][0] == f"# sha256={body['sha256']}"


def test_colours_reasons_and_the_enterprise_own_view(client, keys):
    assert_error(client.get("/v1/risk/enterprises", headers=auth(keys["push"])), 403)
    data = client.get("/v1/risk/enterprises", headers=auth(keys["analyst"])).json()
    colours = {r["enterprise_id"]: r for r in data["data"]}
    assert colours["E005"]["colour"] == "red" and colours["E005"]["reasons"][0]["code"] == "dishonest"
    assert (
        colours["E002"]["colour"] == "yellow"
        and colours["E002"]["reasons"][0]["code"] == "duplicate_same_item"
    )
    assert colours["E010"]["colour"] == "yellow" and colours["E010"]["reasons"][0]["code"] == "no_uscc"
    assert colours["E001"]["colour"] == "green"
    assert data["counts"]["red"] >= 1
    # One enterprise's answer (read from its legal person's rows only) equals its line in the whole list.
    for eid, line in colours.items():
        one = client.get(f"/v1/risk/enterprises/{eid}", headers=auth(keys["analyst"])).json()
        assert (one["colour"], one["reasons"]) == (line["colour"], line["reasons"]), eid
    # Target lists carry the colour with its reasons, and what the legal person already holds.
    page = client.get(
        "/v1/policies/fm-2024-10/targets",
        params={"item_id": "fm-2024-10#1", "levels": LEVELS_ALL_QUERY, "limit": 50},
        headers=auth(keys["push"]),
    ).json()["data"]
    risk = {r["enterprise_id"]: r["risk"] for r in page}
    assert risk["E005"]["colour"] == "red" and risk["E005"]["reasons"][0]["code"] == "dishonest"
    assert risk["E001"] == {"colour": "green", "reasons": [], "already": []}
    # The CSV export carries the same colour and reasons (issue 15: colours show in target lists and exports).
    export = client.get(
        "/v1/policies/fm-2024-10/targets.csv",
        params={"item_id": "fm-2024-10#1", "levels": LEVELS_ALL_QUERY},
        headers=auth(keys["push"]),
    )
    table = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    header, body = table[0], {r[0]: dict(zip(table[0], r, strict=True)) for r in table[1:]}
    assert header[-2:] == ["risk_colour", "risk_reasons"]
    assert body["E005"]["risk_colour"] == "red" and "失信" in body["E005"]["risk_reasons"]
    assert (body["E001"]["risk_colour"], body["E001"]["risk_reasons"]) == ("green", "")
    # The plain 免申即享 list of an item that is not 免申即享 is empty and says so.
    entitled = client.get("/v1/policies/jj-2024-01/entitled", headers=auth(keys["push"])).json()["data"]
    assert all(e["not_free_apply"] and e["enterprise_ids"] == [] for e in entitled)
    mine = client.get("/v1/risk/enterprises/E001", headers=auth(keys["enterprise"])).json()
    assert mine["colour"] == "green"
    assert_error(client.get("/v1/risk/enterprises/E002", headers=auth(keys["enterprise"])), 403)


def test_revoked_for_fraud_turns_red_and_monitoring_is_reproducible(client, keys):
    revoke = row(
        "E004", "fm-2024-09#1", "revoked", amount=0, reason="恶意套取: 虚报营业收入", date="2024-07-01"
    )
    client.post(
        "/v1/ledger",
        json={"rows": [row("E004", "fm-2024-09#1", date="2024-06-25"), revoke]},
        headers=auth(keys["finance"]),
    )
    assert client.get("/v1/risk/enterprises/E004", headers=auth(keys["analyst"])).json()["colour"] == "red"
    first = client.get("/v1/risk/monitoring", headers=auth(keys["analyst"])).json()
    again = client.get("/v1/risk/monitoring", headers=auth(keys["analyst"])).json()
    assert first == again
    items = {m["key"]: m for m in first["items"]}
    fm9 = items["fm-2024-09#1"]
    assert fm9["multi_paid"]["duplicates"] == 1  # E002 from two departments
    assert fm9["missed"] >= 1 and fm9["days_to_push"] is not None
    assert {d["key"] for d in first["departments"]} >= {"椒江区经济和信息化局", "椒江区财政局"}


def test_ratings_only_for_paid_benefits_and_satisfaction_per_item(client, keys):
    body = {"enterprise_id": "E001", "item_id": "fm-2024-09#1", "convenience": 5, "progress": 4, "usage": 3}
    assert_error(client.post("/v1/ratings", json=body, headers=auth(keys["enterprise"])), 409, "not_paid")
    client.post("/v1/ledger", json={"rows": [row("E001", "fm-2024-09#1")]}, headers=auth(keys["finance"]))
    assert client.post("/v1/ratings", json=body, headers=auth(keys["enterprise"])).status_code == 201
    assert_error(
        client.post("/v1/ratings", json={**body, "enterprise_id": "E002"}, headers=auth(keys["enterprise"])),
        403,
    )
    summary = client.get("/v1/ratings", headers=auth(keys["push"])).json()["items"]
    assert summary == [
        {
            "item_id": "fm-2024-09#1",
            "satisfaction": 4.0,
            "ratings": 1,
            "means": {"convenience": 5.0, "progress": 4.0, "usage": 3.0},
        }
    ]
    monitoring = client.get("/v1/risk/monitoring", headers=auth(keys["analyst"])).json()
    assert {m["key"]: m["satisfaction"] for m in monitoring["items"]}["fm-2024-09#1"] == 4.0


def test_merge_is_an_audited_admin_action(client, keys, services):
    from corpus.schemas import validate_profile

    services.store.upsert_enterprises(
        [validate_profile({"id": "E950", "name": "待合并", "region_code": "331002"})]
    )
    assert_error(
        client.post("/v1/enterprises/E950/merge", json={"into": "E001"}, headers=auth(keys["analyst"])), 403
    )
    answer = client.post("/v1/enterprises/E950/merge", json={"into": "E001"}, headers=auth(keys["admin"]))
    assert answer.status_code == 200, answer.text
    assert services.store.get_enterprise("E950") is None
    assert services.store.merges() == {"E950": "E001"}
    assert services.store.query_audit(action="enterprise.merge", limit=1)[0].target == "E950"
