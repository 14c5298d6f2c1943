"""The /risk page in a real browser: each enterprise's colour with its reasons, the filter, and monitoring per item."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_helpers import assert_picture, serve
from test_risk_api import open_risk_services

from corpus.ledger import validate_entry

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, api_encoder: Any) -> Iterator[str]:
    """A real uvicorn server (open, loopback) over the API corpus, the 免申即享 policies and a small ledger."""
    services = open_risk_services(tmp_path_factory.mktemp("risk-browser"), api_encoder)
    rows = [
        {"enterprise_id": "E002", "item_id": "fm-2024-09#1", "department": "椒江区经济和信息化局"},
        {"enterprise_id": "E002", "item_id": "fm-2024-09#1", "department": "椒江区财政局"},
        {"enterprise_id": "E004", "item_id": "fm-2024-09#1", "department": "椒江区经济和信息化局"},
        {"enterprise_id": "E004", "item_id": "fm-2024-09#1", "department": "椒江区经济和信息化局", "status": "revoked",
         "reason": "恶意套取", "date": "2024-07-01"},
    ]  # fmt: skip
    services.store.append_ledger(
        [validate_entry({"amount": 5, "date": "2024-06-20", "status": "paid", **r}) for r in rows], "test"
    )
    with serve(services) as url:
        yield url


def test_risk_page_shows_each_colour_with_its_reason(server: str, page: Any, shots: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    page.goto(server + "/risk")
    assert page.title() == "政策匹配 · 风险监管"
    page.wait_for_selector("body[data-ready='1']")
    expected = httpx.get(server + "/v1/risk/enterprises").json()
    rows = page.locator("#colours tbody tr[data-enterprise]")
    assert rows.count() == expected["total"]
    for want in expected["data"]:
        row = page.locator(f"#colours tbody tr[data-enterprise='{want['enterprise_id']}']")
        assert row.locator(".colour").get_attribute("data-colour") == want["colour"]
        codes = row.locator("li[data-code]").evaluate_all("nodes => nodes.map(n => n.dataset.code)")
        assert codes == [r["code"] for r in want["reasons"]]
    e004 = page.locator("#colours tbody tr[data-enterprise='E004']")
    assert "恶意套取" in e004.inner_text() and e004.locator(".colour").inner_text() == "红"
    assert "失信" in page.locator("#colours tbody tr[data-enterprise='E005']").inner_text()
    assert "多部门" in page.locator("#colours tbody tr[data-enterprise='E002']").inner_text()
    page.select_option("#colour-filter", "red")
    sync_api.expect(rows).to_have_count(expected["counts"]["red"])
    assert set(rows.locator(".colour").evaluate_all("nodes => nodes.map(n => n.dataset.colour)")) == {"red"}
    monitoring = httpx.get(server + "/v1/risk/monitoring").json()
    item = page.locator("#monitoring tbody tr[data-item='fm-2024-09#1']")
    fm9 = next(m for m in monitoring["items"] if m["key"] == "fm-2024-09#1")
    cells = item.locator("td").all_inner_texts()
    assert cells[3] == str(fm9["multi_paid"]["duplicates"] + fm9["multi_paid"]["over_cap"]) and cells[
        5
    ] == str(fm9["missed"])
    page.select_option("#colour-filter", "")
    sync_api.expect(rows).to_have_count(expected["total"])
    page.screenshot(path=str(shots / "risk.png"), full_page=True)
    assert_picture(shots / "risk.png")
