"""The two pages in a real browser: Debian's chromium driven by Playwright against a real uvicorn server.

An enterprise picks itself and sees its results grouped by level with ✓ ✗ ?
per condition; an admin opens a policy and corrects a condition. Screenshots
of both pages go to a temporary folder; ``make screenshots`` runs this file with
``POLICYMATCH_SCREENSHOTS=docs/img`` to refresh the README's pictures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import open_services
from browser_helpers import assert_picture, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, api_encoder: Any) -> Iterator[str]:
    """A real uvicorn server on a free loopback port, running open (no keys) over a seeded store."""
    with serve(open_services(tmp_path_factory.mktemp("browser-data"), api_encoder)) as url:
        yield url


def test_enterprise_picks_itself_and_sees_results_by_level(server: str, page: Any, shots: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    page.goto(server + "/")
    assert page.title() == "政策匹配 · 智能匹配"
    page.wait_for_selector("#enterprise-list li[data-id='E001']")
    assert "开放模式" in page.inner_text("#whoami")
    page.fill("#enterprise-search", "乙")
    sync_api.expect(page.locator("#enterprise-list li[data-id]")).to_have_count(1)
    page.click("#enterprise-list li[data-id='E001']")
    page.wait_for_selector(".group .card.result")

    expected = httpx.post(server + "/v1/match", json={"enterprise_id": "E001", "top_k": 30}).json()["results"]
    labels = {"eligible": "符合", "need_info": "待补充信息", "near_miss": "差一点"}
    headings = page.locator(".group h3").all_inner_texts()
    for level in dict.fromkeys(r["level"] for r in expected):
        count = sum(r["level"] == level for r in expected)
        assert f"{labels[level]}（{count}）" in headings
    cards = page.locator(".card.result")
    assert cards.count() == len(expected)
    marks = set(page.locator(".card.result .mark").all_inner_texts())
    assert marks and marks <= {"✓", "✗", "?"}
    verdicts = [c["verdict"] for r in expected for c in r["conditions"]]
    assert page.locator(".card.result .mark").all_inner_texts() == [
        {"met": "✓", "unmet": "✗", "unknown": "?"}[v] for v in verdicts
    ]
    first = expected[0]
    first_card = page.locator(f".card.result[data-item='{first['item_id']}']")
    assert first["title"] in first_card.inner_text()
    evidence = first_card.locator(".evidence").all_inner_texts()
    assert [c["span"] for c in first["conditions"] if c["span"]] == [
        text.removeprefix("原文：").strip("「」") for text in evidence
    ]
    for result in expected:
        shown_gaps = page.locator(f".card.result[data-item='{result['item_id']}'] .gaps li").all_inner_texts()
        assert len(shown_gaps) == len(result["gaps"])
        for gap, shown_gap in zip(result["gaps"], shown_gaps, strict=True):
            # A gap that starts with a profile field's name is shown with its Chinese label instead.
            field = re.match(r"^([a-z_]+): ", gap)
            assert shown_gap.endswith(gap[field.end() :] if field else gap)
            assert not field or not shown_gap.startswith(field.group(1))
    page.click(f".card.result[data-item='{first['item_id']}'] .feedback button:has-text('有用')")
    page.wait_for_selector(f".card.result[data-item='{first['item_id']}'] .feedback .ok")

    page.screenshot(path=str(shots / "match.png"), full_page=True)
    assert_picture(shots / "match.png")

    # The profile form: a 表单 enterprise with enough revenue.
    page.click("#tab-form")
    page.fill("input[name=name]", "表单测试企业")
    page.fill("input[name=region_code]", "331002")
    page.fill("input[name=industry_code]", "C3670")
    page.fill("input[name=revenue]", "12000")
    page.click("#profile-form button[type=submit]")
    page.wait_for_selector("h2:has-text('表单测试企业 的匹配结果')")
    page.fill("input[name=region_code]", "999999")
    page.click("#profile-form button[type=submit]")
    assert "统计用区划代码" in page.wait_for_selector(".error").inner_text()


def test_admin_corrects_a_condition(server: str, page: Any, shots: Path) -> None:
    page.goto(server + "/admin")
    page.wait_for_selector("#policy-list li[data-id='jj-2024-01']")
    page.click("#policy-list li[data-id='jj-2024-01']")
    item = page.locator(".card.item[data-item='jj-2024-01#2']")
    item.wait_for()
    assert "研发费用" in item.locator(".item-text").inner_text()
    shown = httpx.get(server + "/v1/policies/jj-2024-01").json()["items"][1]
    before, tiers = shown["conditions"], shown.get("tiers") or []
    rows = item.locator("tr.cond-row")
    assert rows.count() == len(before) + len(tiers)  # a row per condition, then a JSON row per tier
    # Replace the first condition with a revenue threshold of 3000 万元, and add one.
    first = rows.nth(0)
    first.locator("select[name=field]").select_option("revenue")
    first.locator("select[name=op]").select_option("gte")
    first.locator("input[name=value]").fill("3000")
    first.locator("input[name=span]").fill("营业收入超过2000万元")
    item.locator("button:has-text('新增条件')").click()
    added = item.locator("tr.cond-row").last
    added.locator("select[name=field]").select_option("employees")
    added.locator("select[name=op]").select_option("gte")
    added.locator("input[name=value]").fill("10")
    item.locator("button.save").click()
    assert "已保存" in item.locator(".saved").inner_text()
    assert item.locator("tr.cond-row:not(.json-row) .badge.edited").count() == len(before) + 1

    after = httpx.get(server + "/v1/policies/jj-2024-01").json()["items"][1]["conditions"]
    assert after[0] == {
        "field": "revenue",
        "op": "gte",
        "value": 3000,
        "span": "营业收入超过2000万元",
        "source": "edited",
    }
    assert after[-1]["field"] == "employees" and after[-1]["value"] == 10
    assert len(after) == len(before) + 1
    page.screenshot(path=str(shots / "admin.png"), full_page=False)
    assert_picture(shots / "admin.png")

    # A bad value is refused with the server's sentence, not saved.
    item.locator("tr.cond-row").nth(0).locator("input[name=value]").fill("很多")
    item.locator("button.save").click()
    page.wait_for_selector(".card.item[data-item='jj-2024-01#2'] .row .error")
    assert httpx.get(server + "/v1/policies/jj-2024-01").json()["items"][1]["conditions"] == after

    # 恢复自动提取 drops the correction.
    item.locator("button.reset").click()
    page.wait_for_selector(".card.item[data-item='jj-2024-01#2'] .restored")
    assert item.locator(".badge.edited").count() == 0
    assert httpx.get(server + "/v1/policies/jj-2024-01").json()["items"][1]["conditions"] == before


V2_SET = {
    "conditions": [
        {
            "any": [
                {"field": "revenue", "op": "gte", "value": 0, "span": "有营业收入"},
                {"field": "employees", "op": "gte", "value": 1, "span": "有从业人员"},
            ],
            "span": "满足下列条件之一",
        },
        {
            "field": "insured_employees",
            "op": "gte",
            "value": 10,
            "span": "参保人数10人以上的优先",
            "role": "bonus",
        },
    ],
    "tiers": [
        {
            "label": "A档",
            "conditions": [
                {"field": "revenue", "op": "gte", "value": 10000000, "span": "营业收入10亿元以上"}
            ],
            "support": "奖励50万元",
            "amount": 50,
            "span": "",
        },
        {
            "label": "B档",
            "conditions": [],
            "support": "按设备投资额的8%给予补助，最高不超过10万元",
            "amount": 10,
            "formula": {"rate": 0.08, "base": "investment", "cap": 10},
            "span": "",
        },
    ],
}


def test_v2_groups_tiers_and_bonus_on_both_pages(server: str, page: Any) -> None:
    base = server + "/v1/policies/jj-2024-01"
    put = httpx.put(base + "/items/jj-2024-01%231/conditions", json=V2_SET)
    assert put.status_code == 200, put.text
    stored = httpx.get(base).json()["items"][0]
    try:
        assert stored["tiers"][1]["formula"] == {"rate": 0.08, "base": "investment", "cap": 10}
        # The editor shows the group and the tiers as JSON rows and saves them back without loss.
        page.goto(server + "/admin?policy=jj-2024-01")
        item = page.locator(".card.item[data-item='jj-2024-01#1']")
        item.wait_for()
        assert item.locator("tr.json-row").count() == 3  # the group, two tiers
        assert item.locator("tr.cond-row select[name=role]").first.input_value() == "bonus"
        item.locator("button.save").click()
        assert "2 个档次" in item.locator(".saved").inner_text()
        again = httpx.get(base).json()["items"][0]
        assert (again["conditions"], again["tiers"]) == (stored["conditions"], stored["tiers"])

        # The match page shows the tier reached, the group's members and the bonus apart.
        expected = httpx.post(server + "/v1/match", json={"enterprise_id": "E001", "top_k": 30}).json()[
            "results"
        ]
        result = next((r for r in expected if r["item_id"] == "jj-2024-01#1"), None)
        assert result is not None and result["tier"] is not None
        page.goto(server + "/")
        page.wait_for_selector("#enterprise-list li[data-id='E001']")
        page.click("#enterprise-list li[data-id='E001']")
        card = page.locator(".card.result[data-item='jj-2024-01#1']")
        card.wait_for()
        assert result["tier"]["label"] in card.locator(".tier").inner_text()
        assert card.locator("li.cond.group .members li").count() == 2
        assert "加分项" in card.locator(".bonus").inner_text()
    finally:
        httpx.delete(base + "/items/jj-2024-01%231/conditions")


def test_docs_page_is_served_by_the_service_under_its_csp(server: str, page: Any) -> None:
    """/docs: swagger-ui from the fastapi-offline package on this origin, nothing from elsewhere, no CSP violation."""
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    response = page.goto(server + "/docs")
    assert response is not None and "default-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .opblock")
    assert page.locator(".swagger-ui .opblock").count() >= 10
    assert all(url.startswith(server) or url.startswith("data:") for url in requested), requested
    assert not [p for p in problems if "Content Security Policy" in p], problems
