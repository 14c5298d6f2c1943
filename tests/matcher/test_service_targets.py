"""精准推送 through the service, and how changes to profiles, policies and the index move its answers.

The same hand-written corpus as test_service.py (:mod:`service_corpus`); each test module gets its own matcher.
"""

from __future__ import annotations

import pytest
from service_corpus import E3_LEVELS, ENTERPRISES, POLICIES, TODAY, Extraction, item, levels_by_item

from corpus.conditions import LEVELS, Condition
from corpus.schemas import PolicyDocument, validate_profile
from matcher.service import ItemNotFound, Matcher


def test_both_directions_agree(matcher):
    for doc, specs in POLICIES:
        for seq in range(1, len(specs) + 1):
            item_id = f"{doc.id}#{seq}"
            order = matcher.target_order(doc.id, item_id, LEVELS, include_excluded=False)
            listed = {
                matcher.columns.ids[r]: LEVELS[lv] for r, lv in zip(order.rows, order.level, strict=True)
            }
            for enterprise in ENTERPRISES:
                found = levels_by_item(matcher.match(enterprise_id=enterprise["id"], levels=LEVELS, top_k=50))
                assert found.get(item_id) == listed.get(enterprise["id"]), (item_id, enterprise["id"])


def test_targets_order_paging_and_exclusions(matcher):
    page = matcher.targets("jj-keji", "jj-keji#2")
    ids = [r.enterprise_id for r in page.rows]
    assert ids[0] in ("E1", "E4")  # both eligible: revenue ≥ 2000, normal credit
    assert set(ids) == {"E1", "E4", "E2"}
    dishonest = next(r for r in page.rows if r.enterprise_id == "E2")
    assert dishonest.excluded and dishonest.flags == ("失信",) and dishonest.level == "ineligible"
    assert ids[-1] == "E2"  # flagged rows come after every chosen level, never dropped
    keys = [
        (LEVELS.index(r.level) if not r.excluded else 9, -round(r.score, 9), r.enterprise_id)
        for r in page.rows
    ]
    assert keys == sorted(keys)
    pages = [matcher.targets("jj-keji", "jj-keji#2", offset=o, limit=1) for o in range(page.total)]
    assert [p.rows[0].enterprise_id for p in pages] == ids
    assert pages[-1].next_offset is None and pages[0].next_offset == 1
    assert [r.enterprise_id for r in matcher.iter_targets("jj-keji", "jj-keji#2")] == ids
    with pytest.raises(ValueError, match="name one with item_id"):
        matcher.targets("jj-keji")
    with pytest.raises(ItemNotFound):
        matcher.targets("jj-keji", "wl-shangye#1")
    with pytest.raises(ValueError, match="unknown level"):
        matcher.targets("jj-keji", "jj-keji#2", levels=["great"])


def test_entitled_needs_decidable_conditions(matcher):
    decidable, semantic = matcher.entitled("tz-zhizao")
    assert decidable.decidable and decidable.enterprise_ids == ("E1",)  # E4 has 350 people
    assert not semantic.decidable and semantic.undecidable[0].op == "semantic"
    (national,) = matcher.entitled("cn-zjtx", "cn-zjtx#1")
    # A national item: E3 (温岭, 省级专精特新) is entitled wherever it is registered.
    assert national.decidable and national.enterprise_ids == ("E3",)
    assert national.to_dict()["enterprise_ids"] == ["E3"]


def test_profile_change_moves_target_membership(matcher):
    store = matcher.store
    before = {
        r.enterprise_id: r.level for r in matcher.targets("tz-zhizao", "tz-zhizao#1", levels=LEVELS).rows
    }
    assert before["E4"] == "near_miss"  # 350 people > 300
    changed = dict(ENTERPRISES[3], employees=200)
    try:
        store.upsert_enterprises([validate_profile(changed)])
        matcher.enterprise_changed(["E4"])
        after = {
            r.enterprise_id: r.level for r in matcher.targets("tz-zhizao", "tz-zhizao#1", levels=LEVELS).rows
        }
        assert after["E4"] == "eligible"
        assert "E4" in matcher.entitled("tz-zhizao", "tz-zhizao#1")[0].enterprise_ids
    finally:
        store.upsert_enterprises([validate_profile(ENTERPRISES[3])])
        matcher.enterprise_changed(["E4"])
    assert {
        r.enterprise_id: r.level for r in matcher.targets("tz-zhizao", "tz-zhizao#1", levels=LEVELS).rows
    }["E4"] == "near_miss"


def test_policy_change_moves_matches_and_index_version(matcher):
    version = matcher.index_version
    doc = PolicyDocument(
        id="wl-shangye", title="温岭市商贸企业扶持办法（修订）", text="", region_code="331002"
    )
    new_item = item(doc, 1, "商贸企业奖励", "年销售额5000万元以上的商贸企业奖励5万元。")
    try:
        matcher.store.upsert_policy(doc, [new_item], [Extraction([Condition("revenue", "gte", 5000)])])
        matcher.policy_changed("wl-shangye")
        assert matcher.index_version != version and matcher.index_version.startswith(version.split("+")[0])
        got = levels_by_item(matcher.match(enterprise_id="E1", levels=LEVELS))
        assert got["wl-shangye#1"] == "near_miss"  # now 椒江, and 3000 < 5000
        assert "wl-shangye#1" not in levels_by_item(matcher.match(enterprise_id="E3", levels=LEVELS))
    finally:
        old_doc, specs = POLICIES[2]
        title, text, conds = specs[0]
        matcher.store.upsert_policy(old_doc, [item(old_doc, 1, title, text)], [Extraction(list(conds))])
        matcher.policy_changed("wl-shangye")


def test_rebuild_switches_index_version(matcher):
    before = matcher.index_version
    name = matcher.rebuild_index()
    assert name != before.split("+")[0] and matcher.index_version == name
    assert (matcher.data_dir / "indexes" / name / "items").is_dir()
    assert levels_by_item(matcher.match(enterprise_id="E3")) == E3_LEVELS
    reopened = Matcher.open(matcher.data_dir, matcher.store, matcher.encoder, today=TODAY)
    assert reopened.index_version == name
