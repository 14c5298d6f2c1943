"""Eligibility in bulk (matcher.eligibility) agrees with the scalar language of corpus.conditions."""

from __future__ import annotations

import random

import numpy as np
import pytest
from random_conditions import (  # noqa: E402
    QUALS,
    random_entries_v2,
    random_items,
    random_profile_v2,
    random_profiles,
)

from corpus.conditions import LEVELS, Condition, Group, Tier, judge_item, leaves, parse_conditions
from matcher.eligibility import (
    MET,
    UNKNOWN,
    UNMET,
    ConditionTable,
    EnterpriseColumns,
    exclusion_hits,
    gaps_of,
    profile_flags,
)


@pytest.fixture(scope="module")
def corpus():
    rng = random.Random(7)
    profiles = random_profiles(rng, 300)
    items = random_items(rng, 120, 0, 5)
    return profiles, items


def test_table_levels_agree_with_judge_item(corpus):
    profiles, items = corpus
    table = ConditionTable(items)
    for profile in profiles[:80]:
        got = table.judge_all(profile)
        want = [LEVELS.index(judge_item(conds, profile).level) for conds in items]
        assert got.level.tolist() == want
        for i, conds in enumerate(items):
            results = judge_item(conds, profile).results
            assert got.n_met[i] == sum(r.verdict == "met" for r in results)


@pytest.fixture(scope="module")
def corpus_v2():
    rng = random.Random(14)
    profiles = [random_profile_v2(rng, i) for i in range(300)]
    items = [random_entries_v2(rng) for _ in range(160)]
    return profiles, items


def test_v2_generator_covers_groups_roles_and_tiers(corpus_v2):
    _, items = corpus_v2
    entries = [e for item in items for e in item]
    assert any(isinstance(e, Group) and any(isinstance(m, Group) for m in e.members) for e in entries)
    assert {e.role for e in entries if not isinstance(e, Tier)} == {"require", "bonus", "exclude"}
    assert sum(any(isinstance(e, Tier) for e in item) for item in items) >= 30
    # Every item's entries round-trip through the JSON form without loss.
    from corpus.conditions import conditions_json

    for item in items:
        assert list(parse_conditions(conditions_json(item))) == [
            e for e in item if not isinstance(e, Tier)
        ] + [e for e in item if isinstance(e, Tier)]


def test_v2_table_agrees_with_judge_item(corpus_v2):
    profiles, items = corpus_v2
    table = ConditionTable(items)
    for profile in profiles[:100]:
        got = table.judge_all(profile)
        for i, conds in enumerate(items):
            verdict = judge_item(conds, profile)
            assert LEVELS[got.level[i]] == verdict.level, (i, conds, profile)
            assert got.n_met[i] == verdict.n_satisfied
            assert got.n_conditions[i] == len(verdict.counted)
            assert got.n_bonus_met[i] == verdict.n_bonus_met
            assert got.tier[i] == (-1 if verdict.tier_index is None else verdict.tier_index)


def test_v2_columns_agree_with_judge_item(corpus_v2):
    profiles, items = corpus_v2
    columns = EnterpriseColumns(capacity=16)
    columns.upsert(profiles)
    for conds in items:
        got = columns.judge(conds)
        verdicts = [judge_item(conds, p) for p in profiles]
        assert [LEVELS[x] for x in got.level] == [v.level for v in verdicts]
        assert got.n_met.tolist() == [v.n_satisfied for v in verdicts]
        assert got.n_conditions.tolist() == [len(v.counted) for v in verdicts]
        assert got.tier.tolist() == [-1 if v.tier_index is None else v.tier_index for v in verdicts]
        assert len(got.per_condition) >= len(list(leaves(conds)))


def test_columns_levels_agree_with_judge_item(corpus):
    profiles, items = corpus
    columns = EnterpriseColumns(capacity=16)  # small capacity: exercises growth
    columns.upsert(profiles)
    for conds in items:
        verdicts = columns.judge(conds)
        want = [LEVELS.index(judge_item(conds, p).level) for p in profiles]
        assert verdicts.level.tolist() == want
        for c, codes in zip(conds, verdicts.per_condition, strict=True):  # v1: one leaf per condition
            expected = [
                ("met", "unmet", "unknown").index(judge_item([c], p).results[0].verdict) for p in profiles
            ]
            assert codes.tolist() == expected


def test_semantic_rows_follow_the_rule_and_stay_unknown_without_scores():
    items = [
        [Condition("business_scope", "semantic", "集成电路设计")],
        [Condition("products", "semantic", "光伏组件")],
    ]
    table = ConditionTable(items)
    assert table.semantic_texts == ("集成电路设计", "光伏组件")
    profile = {"id": "e", "business_scope": "集成电路设计与销售"}
    assert table.judge_all(profile).level.tolist() == [1, 1]  # no scores: unknown → need_info

    def rule(scores):
        return np.where(scores >= 0.8, MET, UNKNOWN).astype(np.int8)

    assert table.judge_all(profile, np.array([0.9, 0.3]), rule).level.tolist() == [0, 1]


def test_incremental_update_changes_verdicts():
    columns = EnterpriseColumns()
    columns.upsert([{"id": "a", "revenue": 100.0}, {"id": "b", "revenue": 900.0}])
    cond = Condition("revenue", "gte", 500)
    assert columns.verdict_codes(cond).tolist() == [UNMET, MET]
    has = Condition("qualifications", "has", QUALS[0])
    assert columns.verdict_codes(has).tolist() == [UNKNOWN, UNKNOWN]
    columns.upsert([{"id": "a", "revenue": 600.0, "qualifications": [QUALS[0]]}])
    assert columns.verdict_codes(cond).tolist() == [MET, MET]
    assert columns.verdict_codes(has).tolist() == [MET, UNKNOWN]
    columns.remove(["b"])
    assert columns.alive[: len(columns)].tolist() == [True, False]
    assert columns.n_alive == 1


def test_gaps_spell_out_distance_and_missing_qualification():
    conds = [
        Condition("rd_ratio", "gte", 4.0, span="研发投入占比不低于4%"),
        Condition("qualifications", "has", "国家高新技术企业"),
        Condition("employees", "gte", 10),
    ]
    verdict = judge_item(conds, {"id": "e", "revenue": 800.0, "rd_expense": 28.0, "qualifications": []})
    assert verdict.level == "ineligible"
    gaps = gaps_of(verdict)
    assert [g.kind for g in gaps] == ["unmet", "unmet", "unknown"]
    assert (
        gaps[0].field == "rd_ratio"
        and "还差 0.5 个百分点" in gaps[0].text
        and gaps[0].shortfall == pytest.approx(0.5)
    )
    assert "缺少资质：国家高新技术企业" in gaps[1].text
    assert gaps[2].field == "employees" and "缺少" in gaps[2].text


def test_exclusions_are_named_and_flagged():
    conds = [Condition("credit_status", "eq", "normal"), Condition("revenue", "gte", 100)]
    profile = {"id": "e", "revenue": 500.0, "credit_status": "dishonest", "major_violation": True}
    verdict = judge_item(conds, profile)
    assert verdict.level == "ineligible"
    assert exclusion_hits(verdict) == ("失信",)
    assert profile_flags(profile) == ("失信", "重大违法")
    table = ConditionTable([conds])
    got = table.judge_all(profile)
    assert got.excluded.tolist() == [True] and got.level_without_exclusions.tolist() == [0]
