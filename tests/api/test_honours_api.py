"""Honour lists over HTTP: import (admin), list and show (analyst), grants of an enterprise, reverse."""

from __future__ import annotations

from api_helpers import auth


def test_honour_import_over_http_is_reported_readable_and_reversible(client, keys, services):
    before = services.store.get_enterprise("E004").to_dict()
    body = {
        "source": "2025年省级专精特新中小企业名单",
        "title": "省专精特新",
        "year": 2025,
        "issuer": "浙江省经济和信息化厅",
        "rows": [{"name": before["name"]}, {"name": "不存在的公司"}],
    }
    refused = client.post("/v1/honours/imports", json=body, headers=auth(keys["enterprise"]))
    assert refused.status_code == 403
    dry = client.post("/v1/honours/imports", json={**body, "dry_run": True}, headers=auth(keys["admin"]))
    assert dry.status_code == 200 and dry.json()["import_id"] is None and dry.json()["changed"] == 1

    done = client.post("/v1/honours/imports", json=body, headers=auth(keys["admin"]))
    assert done.status_code == 201, done.text
    report = done.json()
    assert (report["matched_by_name"], report["changed"]) == (1, 1)
    assert report["unmatched"] == [
        {
            "line": 2,
            "uscc": None,
            "name": "不存在的公司",
            "reason": "no stored enterprise has this 统一社会信用代码 or exactly this name",
        }
    ]
    import_id = report["import_id"]
    profile = client.get("/v1/enterprises/E004", headers=auth(keys["admin"])).json()
    assert "省级专精特新中小企业" in profile["qualifications"]
    assert client.get("/v1/enterprises/E004/grants", headers=auth(keys["enterprise"])).status_code == 403
    grants = client.get("/v1/enterprises/E004/grants", headers=auth(keys["admin"])).json()["data"]
    assert grants == [
        {
            "title": "省级专精特新中小企业",
            "level": "省",
            "year": 2025,
            "issuer": "浙江省经济和信息化厅",
            "expires": "2027-12-31",
            "line": 1,
            "import_id": import_id,
        }
    ]
    assert client.get("/v1/enterprises/E001/grants", headers=auth(keys["enterprise"])).json() == {"data": []}
    listed = client.get("/v1/honours/imports", headers=auth(keys["analyst"])).json()["data"]
    assert [r["id"] for r in listed] == [import_id]
    shown = client.get(f"/v1/honours/imports/{import_id}", headers=auth(keys["analyst"])).json()
    assert [e["enterprise_id"] for e in shown["enterprises"]] == ["E004"]

    undone = client.post(f"/v1/honours/imports/{import_id}/reverse", headers=auth(keys["admin"]))
    assert undone.status_code == 200 and undone.json()["restored"] == ["E004"]
    assert services.store.get_enterprise("E004").to_dict() == before
    again = client.post(f"/v1/honours/imports/{import_id}/reverse", headers=auth(keys["admin"]))
    assert again.status_code == 409 and "already reversed" in again.json()["error"]["message"]
    missing = client.post("/v1/honours/imports/hon_nope/reverse", headers=auth(keys["admin"]))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = client.post("/v1/honours/imports", json={"rows": [{"name": "x"}]}, headers=auth(keys["admin"]))
    assert bad.status_code == 200 and bad.json()["errors"] == [
        "api:1: title: is required (a column, or the list's --title)"
    ]
