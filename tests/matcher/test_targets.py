"""精准推送 lists over enterprise columns: selection, stable order, spelled-out rows, exclusions."""

from __future__ import annotations

import random

import numpy as np
import pytest
from random_conditions import random_items, random_profiles

from corpus.conditions import LEVELS, Condition, judge_item
from matcher.eligibility import MET, UNKNOWN, EnterpriseColumns
from matcher.targets import (
    build_row,
    check_levels,
    order_targets,
    undecidable_conditions,
    unknown_region_capped,
)


@pytest.fixture(scope="module")
def population():
    rng = random.Random(11)
    profiles = random_profiles(rng, 400)
    rng.shuffle(profiles)  # row order differs from id order
    columns = EnterpriseColumns(capacity=64)
    columns.upsert(profiles)
    items = random_items(rng, 25, 1, 4)
    return columns, profiles, items


def test_selection_and_order_match_the_scalar_levels(population):
    columns, profiles, items = population
    by_id = {p["id"]: p for p in profiles}
    everyone = np.ones(len(columns), dtype=bool)
    for conditions in items:
        verdicts = columns.judge(conditions)
        order = order_targets("x#1", columns, verdicts, everyone, LEVELS[:3], include_excluded=False)
        listed = [columns.ids[r] for r in order.rows]
        expected = {p["id"] for p in profiles if judge_item(conditions, p).level != "ineligible"}
        assert set(listed) == expected
        keys = [
            (int(lv), -round(float(s), 9), eid)
            for lv, s, eid in zip(order.level, order.score, listed, strict=True)
        ]
        assert keys == sorted(keys)
        for position in range(min(len(order), 15)):
            row = build_row(order, position, columns, "x", conditions)
            truth = judge_item(conditions, by_id[row.enterprise_id])
            assert row.level == truth.level
            assert [r.verdict for r in row.conditions] == [r.verdict for r in truth.results]
            assert [g.text for g in row.gaps if g.kind == "unmet"] == [
                r.gap for r in truth.results if r.verdict == "unmet"
            ]


def test_excluded_rows_are_flagged_after_the_chosen_levels():
    columns = EnterpriseColumns()
    columns.upsert(
        [
            {"id": "a", "revenue": 900.0, "credit_status": "normal"},
            {"id": "b", "revenue": 900.0, "credit_status": "dishonest"},
            {"id": "c", "revenue": 100.0, "credit_status": "dishonest"},  # a near miss but for 失信
            {"id": "d", "revenue": 100.0, "credit_status": "normal"},
        ]
    )
    conditions = [Condition("revenue", "gte", 500), Condition("credit_status", "eq", "normal")]
    verdicts = columns.judge(conditions)
    order = order_targets("x#1", columns, verdicts, np.ones(4, dtype=bool), ("eligible", "near_miss"))
    assert [columns.ids[r] for r in order.rows] == ["a", "d", "b", "c"]
    assert order.excluded.tolist() == [False, False, True, True]
    assert order.counts() == {"eligible": 1, "near_miss": 1, "excluded": 2}
    only_eligible = order_targets("x#1", columns, verdicts, np.ones(4, dtype=bool), ("eligible",))
    assert [columns.ids[r] for r in only_eligible.rows] == [
        "a",
        "b",
    ]  # c would not be eligible even without 失信
    row = build_row(order, 2, columns, "x", conditions)
    assert row.excluded and row.flags == ("失信",) and row.level == "ineligible"
    assert row.to_dict()["flags"] == ["失信"]
    hidden = order_targets(
        "x#1", columns, verdicts, np.ones(4, dtype=bool), ("eligible",), include_excluded=False
    )
    assert [columns.ids[r] for r in hidden.rows] == ["a"]


def test_region_and_deleted_rows_are_not_targets():
    columns = EnterpriseColumns()
    columns.upsert([{"id": "a", "region_code": "331002"}, {"id": "b", "region_code": "331081"}, {"id": "c"}])
    assert columns.region_applicable("3310").tolist() == [True, True, False]
    assert columns.region_applicable("331002").tolist() == [True, False, False]
    assert columns.region_applicable("").tolist() == [True, True, True]
    columns.remove(["a"])
    verdicts = columns.judge([])
    order = order_targets("x#1", columns, verdicts, columns.region_applicable("3310"), ("eligible",))
    assert [columns.ids[r] for r in order.rows] == ["b"]


def test_a_row_of_unknown_region_is_listed_for_a_regional_item_at_best_need_info():
    columns = EnterpriseColumns()
    columns.upsert(
        [
            {"id": "in", "region_code": "331002", "employees": 50},
            {"id": "out", "region_code": "110108", "employees": 50},
            {"id": "nowhere", "employees": 50},  # no region: it may be inside
            {"id": "small", "employees": 5},  # no region, and fails the item anyway
        ]
    )
    assert columns.region_unknown().tolist() == [False, False, True, True]
    conditions = [Condition("employees", "gte", 10)]
    verdicts, applicable = unknown_region_capped(
        columns.judge(conditions), columns.region_applicable("3310"), columns.region_unknown()
    )
    order = order_targets("x#1", columns, verdicts, applicable, LEVELS)
    listed = {columns.ids[r]: LEVELS[int(lv)] for r, lv in zip(order.rows, order.level, strict=True)}
    assert listed == {"in": "eligible", "nowhere": "need_info", "small": "near_miss"}
    position = [columns.ids[r] for r in order.rows].index("nowhere")
    row = build_row(order, position, columns, "x", conditions, region_prefix="3310")
    assert row.level == "need_info"
    assert [(g.field, g.kind) for g in row.gaps] == [("region_code", "unknown")]
    # A national item (no prefix) is not capped: the region decides nothing there.
    assert build_row(order, position, columns, "x", conditions).level == "eligible"


def test_semantic_verdicts_follow_vectors_and_stay_unknown_without():
    columns = EnterpriseColumns()
    columns.upsert([{"id": "a"}, {"id": "b"}, {"id": "c"}])
    columns.set_vectors([0, 1], np.eye(2, 4, dtype=np.float32))
    condition = Condition("products", "semantic", "汽车零部件")
    scores = {"汽车零部件": columns.vectors[:3] @ np.array([1, 0, 0, 0], dtype=np.float32)}

    def rule(s):
        return np.where(s >= 0.8, MET, UNKNOWN).astype(np.int8)

    verdicts = columns.judge([condition], scores, rule)
    assert verdicts.level.tolist() == [0, 1, 1]  # c has no vector: unknown, whatever its score


def test_levels_are_checked_and_undecidable_named():
    assert check_levels(["eligible", "eligible", "near_miss"]) == ("eligible", "near_miss")
    with pytest.raises(ValueError, match="valid levels"):
        check_levels(["maybe"])
    conds = [
        Condition("revenue", "gte", 1),
        Condition("undecidable", "eq", "x"),
        Condition("products", "semantic", "y"),
    ]
    assert [c.field for c in undecidable_conditions(conds)] == ["undecidable", "products"]
