"""The matching service speaks the condition language v2: groups, roles, tiers, amounts and document facts.

Real parts (SQLite store, the real encoder, FAISS, BM25) on a small hand-written
corpus whose conditions are given in v2, so each expectation is worked out by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from v2_entries import NO_REAL_ESTATE

from corpus.conditions import LEVELS, judge_item, parse_conditions
from corpus.schemas import PolicyItem, validate_policy, validate_profile
from corpus.store import open_store
from matcher.service import Matcher

TODAY = dt.date(2025, 6, 1)


@dataclass
class Extraction:
    conditions: tuple
    tags: dict = field(default_factory=dict)


TIERED = {
    "conditions": [
        {"field": "revenue", "op": "gte", "value": 1000, "span": "营业收入1000万元以上"},
        {
            "any": [
                {"field": "invention_patents", "op": "gte", "value": 2, "span": "有效发明专利2件以上"},
                {"field": "qualifications", "op": "has", "value": "国家高新技术企业", "span": "高新技术企业"},
            ],
            "span": "满足下列条件之一",
        },
        {
            "field": "insured_employees",
            "op": "gte",
            "value": 50,
            "span": "参保人数50人以上的优先",
            "role": "bonus",
        },
        NO_REAL_ESTATE,
    ],
    "tiers": [
        {
            "label": "国家级专精特新“小巨人”",
            "conditions": [{"field": "qualifications", "op": "has", "value": "国家级专精特新“小巨人”企业"}],
            "support": "奖励50万元",
            "amount": 50,
        },
        {
            "label": "专精特新中小企业",
            "conditions": [{"field": "qualifications", "op": "has", "value": "专精特新中小企业"}],
            "support": "按设备投资额的8%给予补助，最高不超过20万元",
            "amount": 20,
            "formula": {"rate": 0.08, "base": "investment", "cap": 20},
        },
    ],
}
ALL = {"conditions": []}

POLICIES = [
    # (document, its one item's entries)
    ({"id": "v2-tiers", "title": "专精特新梯度奖励", "region_code": "331002"}, TIERED),
    ({"id": "v2-result", "title": "2024年拟资助名单公示", "is_policy": False, "doc_type": "result"}, ALL),
    ({"id": "v2-expired", "title": "过期政策", "valid_until": "2024-12-31"}, ALL),
    ({"id": "v2-later", "title": "明年起施行的政策", "valid_from": "2026-01-01"}, ALL),
    ({"id": "v2-window", "title": "下半年申报的政策", "window": ["2025-09-01", "2025-10-31"]}, ALL),
]

ENTERPRISES = [
    # A national 小巨人 with patents: the top tier, eligible (小巨人 implies the generic title too).
    {
        "id": "G",
        "name": "巨人公司",
        "region_code": "331002",
        "industry_code": "C3670",
        "revenue": 5000,
        "invention_patents": 3,
        "insured_employees": 80,
        "qualifications": ["国家级专精特新“小巨人”企业"],
        "investment": 500,
    },
    # A 市级 专精特新 with 高企 only: the second tier (generic 专精特新 through the taxonomy), amount by formula.
    {
        "id": "S",
        "name": "专精公司",
        "region_code": "331002",
        "industry_code": "C3484",
        "revenue": 2000,
        "qualifications": ["市级专精特新中小企业", "国家高新技术企业"],
        "investment": 100,
    },
    # Meets one alternative (patents) but no tier: judged on the lowest tier → near miss with that tier's gap.
    {
        "id": "N",
        "name": "普通公司",
        "region_code": "331002",
        "industry_code": "C3484",
        "revenue": 2000,
        "invention_patents": 2,
        "qualifications": [],
    },
    # A property developer meeting everything: excluded by the 除外 clause.
    {
        "id": "K",
        "name": "地产公司",
        "region_code": "331002",
        "industry_code": "K7010",
        "revenue": 9000,
        "invention_patents": 5,
        "qualifications": ["国家级专精特新“小巨人”企业"],
    },
]


@pytest.fixture(scope="module")
def matcher(tmp_path_factory, encoder):
    data_dir = tmp_path_factory.mktemp("matcher_v2")
    store = open_store(data_dir / "policymatch.sqlite3")
    for meta, entries in POLICIES:
        doc = validate_policy({"text": f"{meta['title']}。", **meta})
        item = PolicyItem(
            f"{doc.id}#1",
            doc.id,
            1,
            (),
            doc.title,
            doc.text,
            doc.region_code,
            valid_until=doc.valid_until,
            **doc.facts(),
        )
        store.upsert_policy(doc, [item], [Extraction(parse_conditions(entries))])
    store.upsert_enterprises([validate_profile(p) for p in ENTERPRISES])
    m = Matcher.open(data_dir, store, encoder, today=TODAY)
    yield m
    m.close()
    store.close()


def result_of(matcher, enterprise_id, item_id, **kwargs):
    response = matcher.match(enterprise_id=enterprise_id, levels=LEVELS, top_k=50, **kwargs)
    return next((r for r in response.results if r.item_id == item_id), None)


def test_tiers_groups_bonus_and_amounts_in_a_match(matcher):
    top = result_of(matcher, "G", "v2-tiers#1").to_dict()
    assert top["level"] == "eligible" and top["tier"]["label"] == "国家级专精特新“小巨人”"
    assert top["amount"] == 50 and top["next_tier"] is None
    assert [b["verdict"] for b in top["bonus"]] == ["met"]
    group = next(c for c in top["conditions"] if "any" in c)
    assert group["verdict"] == "met" and [m["verdict"] for m in group["any"]] == ["met", "unmet"]

    second = result_of(matcher, "S", "v2-tiers#1").to_dict()
    assert second["level"] == "eligible" and second["tier"]["label"] == "专精特新中小企业"
    assert second["amount"] == 8.0 and second["amount_formula"] == "投资额 × 8%，最高 20 万元"
    assert second["next_tier"]["label"] == "国家级专精特新“小巨人”"
    assert any("更高一档" in g and "小巨人" in g for g in second["gaps"])
    assert [b["verdict"] for b in second["bonus"]] == ["unknown"]  # a bonus never holds the item back

    near = result_of(matcher, "N", "v2-tiers#1").to_dict()
    assert near["level"] == "near_miss" and near["tier"]["label"] == "专精特新中小企业"  # the nearest door
    assert near["gaps"][0] == "缺少资质：专精特新中小企业" and "更高一档" in near["gaps"][1]

    excluded = result_of(matcher, "K", "v2-tiers#1")
    assert excluded.level == "ineligible"
    assert any("不予支持" in g.text for g in excluded.gaps)


def test_target_list_and_match_agree_on_v2(matcher):
    order = matcher.target_order("v2-tiers", "v2-tiers#1", LEVELS, include_excluded=False)
    listed = {matcher.columns.ids[r]: LEVELS[lv] for r, lv in zip(order.rows, order.level, strict=True)}
    assert listed == {"G": "eligible", "S": "eligible", "N": "near_miss", "K": "ineligible"}
    page = matcher.targets("v2-tiers", "v2-tiers#1", levels=LEVELS)
    rows = {r.enterprise_id: r.to_dict() for r in page.rows}
    assert rows["S"]["tier"]["label"] == "专精特新中小企业" and rows["S"]["amount"] == 8.0
    assert rows["G"]["amount"] == 50
    for enterprise in ENTERPRISES:
        result = result_of(matcher, enterprise["id"], "v2-tiers#1")
        assert result.level == listed[enterprise["id"]]
        stored = matcher.store.get_enterprise(enterprise["id"]).to_dict()
        assert judge_item(matcher.store.item_conditions("v2-tiers#1"), stored).level == result.level


def test_document_facts_and_as_of(matcher):
    offered = {r.item_id for r in matcher.match(enterprise_id="N", levels=LEVELS, top_k=50).results}
    # A non-policy is never matched; expired and not-yet-valid documents are not offered today.
    assert "v2-result#1" not in offered
    assert "v2-expired#1" not in offered and "v2-later#1" not in offered
    window = result_of(matcher, "N", "v2-window#1").to_dict()
    assert window["level"] == "eligible" and window["upcoming"] and window["window_status"] == "upcoming"
    assert window["window"] == ["2025-09-01", "2025-10-31"]
    # Judged as it read at another date: the expired one was offered in 2024, the later one in 2026.
    assert result_of(matcher, "N", "v2-expired#1", as_of=dt.date(2024, 6, 1)) is not None
    assert result_of(matcher, "N", "v2-later#1", as_of=dt.date(2026, 2, 1)) is not None
    assert (
        result_of(matcher, "N", "v2-window#1", as_of=dt.date(2025, 9, 15)).to_dict()["window_status"]
        == "open"
    )
    # The same in 精准推送 and 免申即享 lists.
    assert len(matcher.target_order("v2-expired", "v2-expired#1")) == 0
    assert len(matcher.target_order("v2-expired", "v2-expired#1", as_of=dt.date(2024, 6, 1))) == 4
    assert len(matcher.target_order("v2-result", "v2-result#1", as_of=dt.date(2024, 6, 1))) == 0
    [entitled] = matcher.entitled("v2-later")
    assert entitled.enterprise_ids == ()
    [later] = matcher.entitled("v2-later", as_of=dt.date(2026, 2, 1))
    assert set(later.enterprise_ids) == {"G", "S", "N", "K"}
