"""Helpers of the API tests: the small corpus, service opening, auth headers, the error-shape check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.limits import Limits
from api.services import Services
from api.settings import Settings

POLICIES: list[dict[str, Any]] = [
    {
        "id": "jj-2024-01",
        "title": "椒江区关于促进科技创新高质量发展的若干政策",
        "region_code": "331002",
        "department": "椒江区科学技术局",
        "issued": "2024-03-01",
        "valid_until": "2099-12-31",
        "text": (
            "一、对新认定的国家高新技术企业，给予一次性奖励20万元。\n"
            "二、对研发费用占营业收入比例达到4%以上且营业收入超过2000万元的企业，按研发费用的10%给予补助，最高50万元。\n"
            "三、对首次获评省级专精特新中小企业的企业，给予奖励30万元。\n"
        ),
    },
    {
        "id": "jj-2024-02",
        "title": "椒江区工业企业上规升级奖励办法",
        "region_code": "331002",
        "department": "椒江区经济和信息化局",
        "issued": "2024-04-01",
        "valid_until": "2099-12-31",
        "fulfilment": "免申即享",
        "text": "对主营业务收入首次达到1亿元的工业企业，给予一次性奖励10万元。",
    },
    {
        "id": "tz-2024-03",
        "title": "台州市关于支持制造业企业稳岗扩岗的通知",
        "region_code": "3310",
        "department": "台州市人力资源和社会保障局",
        "issued": "2024-05-01",
        "valid_until": "2099-12-31",
        "text": "对从业人员50人以上、纳税总额达到100万元的制造业企业，给予稳岗补贴5万元。",
    },
]

QUALS = ["国家高新技术企业", "省级专精特新中小企业", "科技型中小企业"]

#: Every level of a 智能匹配 answer or a target list (a request names them all to see the ineligible too).
LEVELS_ALL = ["eligible", "need_info", "near_miss", "ineligible"]
#: The same levels as a query parameter (``?levels=eligible,need_info,…``).
LEVELS_ALL_QUERY = ",".join(LEVELS_ALL)


def enterprises() -> list[dict[str, Any]]:
    """Twelve enterprises of 台州: varied revenue, R&D, staff, 资质; two in 温州 (outside every policy)."""
    rows = []
    for n in range(12):
        region = "331002" if n < 8 else ("331003" if n < 10 else "330302")
        rows.append(
            {
                "id": f"E{n:03d}",
                "name": f"台州测试{'甲乙丙丁戊己庚辛壬癸子丑'[n]}科技有限公司",
                "region_code": region,
                "industry_code": "C3670" if n % 3 else "I6513",
                "established": f"{2005 + n}-06-01",
                "employees": 20 + n * 15,
                "revenue": 800.0 + n * 1500,
                "rd_expense": 30.0 + n * 70,
                "tax_paid": 40.0 + n * 20,
                "qualifications": [QUALS[n % 3]] if n % 4 else [],
                "business_scope": "汽车零部件、电子元器件研发制造" if n % 3 else "软件开发、信息技术服务",
                "credit_status": "dishonest" if n == 5 else "normal",
            }
        )
    return rows


def encoder_for(request: pytest.FixtureRequest) -> Any:
    """The session's serving encoder."""
    return request.getfixturevalue("encoder")


def seed(store: Any) -> None:
    """Ingest the corpus the way the service does."""
    from corpus.schemas import validate_profile
    from matcher.ingest import ingest_policies

    ingest_policies(store, POLICIES, strict=True, progress=False)
    store.upsert_enterprises([validate_profile(e) for e in enterprises()])


def open_services(
    data_dir: Path, encoder: Any, limits: Limits | None = None, *, seeded: bool = True
) -> Services:
    """Store + Matcher over ``data_dir`` (seeded with the corpus), as ``policymatch serve`` opens them."""
    from corpus.store import open_store
    from matcher.service import Matcher

    settings = Settings(data_dir=data_dir)
    store = open_store(settings.store_path)
    if seeded and store.count_enterprises() == 0:
        seed(store)
    matcher = Matcher.open(data_dir, store, encoder)
    return Services(settings=settings, store=store, matcher=matcher, limits=limits or Limits())


def role_keys(services: Services, roles: tuple[str, ...], enterprises: dict[str, str]) -> dict[str, str]:
    """One secret per role, and one per name in ``enterprises`` bound to its enterprise id; the keyring reloads."""
    store = services.store
    out = {role: store.create_api_key(role, None, f"test {role}")[1] for role in roles}
    for name, enterprise_id in enterprises.items():
        out[name] = store.create_api_key("enterprise", enterprise_id, f"test {enterprise_id}")[1]
    assert services.keyring is not None
    services.keyring.forget()
    return out


@contextmanager
def loopback_client(services: Services) -> Iterator[TestClient]:
    """A TestClient over the real app, calling from loopback."""
    from api.app import create_app

    with TestClient(create_app(services.settings, services), client=("127.0.0.1", 50000)) as test_client:
        yield test_client


def with_limits(services: Services, limits: Limits) -> Services:
    """The same settings, store and matcher under other ``limits`` (with limiters and workers of their own)."""
    return Services(settings=services.settings, store=services.store, matcher=services.matcher, limits=limits)


def auth(secret: str) -> dict[str, str]:
    """The Authorization header of a key."""
    return {"Authorization": f"Bearer {secret}"}


def match_everything(client: Any, headers: dict[str, str], **body: Any) -> Any:
    """POST /v1/match with ``body`` at every level and the top 100; the answer, asserted 200."""
    response = client.post("/v1/match", json={"levels": LEVELS_ALL, "top_k": 100, **body}, headers=headers)
    assert response.status_code == 200, response.text
    return response


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert the contract's error shape; return the error object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"].strip()
    if code is not None:
        assert error["code"] == code, error
    return error
