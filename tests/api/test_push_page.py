"""The push timeline page in a real browser, over a real server whose dispatcher delivers to a real receiver."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import open_services
from browser_helpers import assert_picture, serve

from events.receiver import Receiver
from events.runtime import start_for_services

pytestmark = pytest.mark.browser
SECRET = "push-page-secret-0123456789"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    """The push module's receiver."""
    with Receiver(SECRET) as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, api_encoder: Any, receiver: Receiver) -> Iterator[str]:
    """A real uvicorn server, running open, with the event dispatcher `policymatch serve` starts."""
    services = open_services(tmp_path_factory.mktemp("push-page-data"), api_encoder)
    services.store.create_subscription(receiver.url, ["*"], SECRET, label="区推送平台")
    start_for_services(services, interval_s=0.1)
    with serve(services) as url:
        yield url


def test_push_timeline_page_shows_items_against_the_rule(
    server: str,
    page: Any,
    shots: Path,
    receiver: Receiver,
) -> None:
    time.sleep(0.5)  # the producer's first round places its cursor at the end of the feed
    body = {
        "id": "jj-2026-push",
        "title": "椒江区2026年度科技型企业研发补助",
        "text": "一、对营业收入超过1000万元的科技型中小企业，给予研发补助10万元。\n二、对新认定的国家高新技术企业，奖励20万元。",
        "region_code": "331002",
        "issued": "2026-01-05",
    }
    assert httpx.post(server + "/v1/policies", json=body, timeout=120).status_code == 201
    deadline = time.monotonic() + 60
    while not any(b["type"] == "targets.ready" for b in receiver.received.bodies.values()):
        assert time.monotonic() < deadline, "targets.ready never arrived"
        time.sleep(0.1)
    page.goto(server + "/push")
    page.wait_for_selector("#timeline tbody tr")
    rows = page.locator("#timeline tbody tr")
    text = page.locator("#timeline").inner_text()
    assert "jj-2026-push#1" in text and "jj-2026-push#2" in text
    # Counted from the 发布 date (2026-01-05), the push came long after 5 working days.
    assert "逾期送达" in rows.filter(has_text="jj-2026-push#1").inner_text()
    page.select_option("#clock", "ingested")
    page.locator("#timeline tbody tr", has_text="按时").first.wait_for()
    assert "按时" in rows.filter(has_text="jj-2026-push#1").inner_text()
    deliveries = page.locator("#deliveries tbody").inner_text()
    assert "targets.ready" in deliveries and "已送达" in deliveries
    page.screenshot(path=str(shots / "push.png"), full_page=True)
    assert_picture(shots / "push.png")
