"""The small hand-written corpus of the service tests: four policies with given conditions, four enterprises.

Conditions are given, not extracted, so each expectation can be worked out by hand from the
profile and the condition (tests/matcher/test_service.py, test_service_targets.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.conditions import Condition
from corpus.schemas import PolicyDocument, PolicyItem, validate_profile
from corpus.store import open_store
from matcher.service import Matcher

TODAY = dt.date(2025, 6, 1)


@dataclass
class Extraction:
    conditions: list[Condition]
    tags: dict = field(default_factory=dict)


def item(policy: PolicyDocument, seq: int, title: str, text: str) -> PolicyItem:
    return PolicyItem(
        id=f"{policy.id}#{seq}",
        policy_id=policy.id,
        seq=seq,
        heading_path=(str(seq),),
        title=title,
        text=text,
        region_code=policy.region_code,
        fulfilment=policy.fulfilment,
        valid_until=policy.valid_until,
    )


POLICIES = [
    (
        PolicyDocument(
            id="jj-keji", title="椒江区科技创新政策", text="", region_code="331002", fulfilment="免申即享"
        ),
        [
            (
                "高新技术企业奖励",
                "对新认定的国家高新技术企业，研发投入占比不低于4%的，给予一次性奖励20万元。",
                [
                    Condition("qualifications", "has", "国家高新技术企业", span="国家高新技术企业"),
                    Condition("rd_ratio", "gte", 4.0, span="研发投入占比不低于4%"),
                ],
            ),
            (
                "规上企业培育奖励",
                "营业收入首次达到2000万元的工业企业，无失信记录、无重大违法行为的，奖励10万元。",
                [
                    Condition("revenue", "gte", 2000, span="营业收入首次达到2000万元"),
                    Condition("credit_status", "eq", "normal", span="无失信记录"),
                    Condition("major_violation", "eq", False, span="无重大违法行为"),
                ],
            ),
        ],
    ),
    (
        PolicyDocument(id="tz-zhizao", title="台州市制造业高质量发展若干意见", text="", region_code="331000"),
        [
            (
                "小微企业成长补助",
                "从业人员300人以下、2015年1月1日以后成立的企业，给予补助5万元。",
                [
                    Condition("employees", "lte", 300, span="从业人员300人以下"),
                    Condition("established", "established_after", "2015-01-01", span="2015年1月1日以后成立"),
                ],
            ),
            (
                "汽车零部件产业链奖励",
                "从事汽车零部件制造的制造业企业，按设备投资额的10%给予奖励，最高100万元。",
                [
                    Condition("products", "semantic", "汽车零部件制造", span="从事汽车零部件制造"),
                    Condition("industry_code", "industry_in", ["C"], span="制造业企业"),
                ],
            ),
        ],
    ),
    (
        PolicyDocument(id="wl-shangye", title="温岭市商贸企业扶持办法", text="", region_code="331081"),
        [
            (
                "商贸企业奖励",
                "年销售额100万元以上的商贸企业奖励2万元。",
                [Condition("revenue", "gte", 100, span="年销售额100万元以上")],
            )
        ],
    ),
    (
        PolicyDocument(
            id="jj-old", title="椒江区2019年过期政策", text="", region_code="331002", valid_until="2020-01-01"
        ),
        [("过期补助", "所有企业均可申请补助1万元。", [])],
    ),
    (
        PolicyDocument(id="cn-zjtx", title="专精特新中小企业支持政策", text="", region_code=None),
        [
            (
                "专精特新奖励",
                "对省级专精特新中小企业或国家级专精特新小巨人企业给予奖励。",
                [
                    Condition(
                        "qualifications",
                        "in",
                        ["省级专精特新中小企业", "国家级专精特新“小巨人”企业"],
                        span="省级专精特新中小企业或国家级专精特新小巨人企业",
                    )
                ],
            )
        ],
    ),
]

ENTERPRISES = [
    {
        "id": "E1",
        "name": "台州甲汽配有限公司",
        "region_code": "331002",
        "industry_code": "C3670",
        "established": "2016-03-01",
        "employees": 120,
        "revenue": 3000,
        "rd_expense": 90,
        "qualifications": ["国家高新技术企业"],
        "credit_status": "normal",
        "major_violation": False,
        "business_scope": "汽车零部件及配件的研发、制造与销售",
        "products": "汽车刹车片、离合器",
    },
    {
        "id": "E2",
        "name": "台州乙餐饮有限公司",
        "region_code": "331002",
        "industry_code": "H6210",
        "established": "2012-05-01",
        "employees": 40,
        "revenue": 1500,
        "credit_status": "dishonest",
        "major_violation": False,
        "business_scope": "餐饮服务",
    },
    {
        "id": "E3",
        "name": "温岭丙商贸有限公司",
        "region_code": "331081",
        "industry_code": "F5174",
        "revenue": 800,
        "qualifications": ["省级专精特新中小企业"],
        "credit_status": "normal",
    },
    {
        "id": "E4",
        "name": "台州丁机械有限公司",
        "region_code": "331002",
        "industry_code": "C3484",
        "established": "2018-01-01",
        "employees": 350,
        "revenue": 2500,
        "rd_expense": 150,
        "credit_status": "normal",
        "major_violation": False,
    },
]


E3_LEVELS = {
    "wl-shangye#1": "eligible",
    "cn-zjtx#1": "eligible",
    "tz-zhizao#1": "need_info",
    "tz-zhizao#2": "near_miss",
}


def open_service_matcher(data_dir: Path, encoder: Any) -> Matcher:
    """A matcher over a new SQLite store holding :data:`POLICIES` and :data:`ENTERPRISES` (close ``.store`` after)."""
    store = open_store(data_dir / "policymatch.sqlite3")
    for doc, specs in POLICIES:
        items = [item(doc, n, title, text) for n, (title, text, _) in enumerate(specs, 1)]
        store.upsert_policy(doc, items, [Extraction(list(conds)) for _, _, conds in specs])
    store.upsert_enterprises([validate_profile(p) for p in ENTERPRISES])
    return Matcher.open(data_dir, store, encoder, today=TODAY)


def levels_by_item(response: Any) -> dict[str, str]:
    """Item id → level of a match response."""
    return {r.item_id: r.level for r in response.results}
