"""Absent 资质 is unknown, never "holds none": through validation, the store, bulk matching and the demo truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.conditions import Condition, judge_item
from corpus.schemas import validate_profile
from corpus.store import open_store
from matcher.eligibility import ConditionTable, EnterpriseColumns, level_name

HAS_GAOXIN = Condition("qualifications", "has", "国家高新技术企业", "国家高新技术企业", "edited")


@pytest.mark.parametrize(
    "raw", [{}, {"qualifications": None}, {"qualifications": ""}, {"qualifications": "  "}]
)
def test_absent_qualifications_validate_to_none(raw):
    profile = validate_profile({"id": "e1", "name": "甲公司", **raw})
    assert profile.qualifications is None
    assert profile.to_dict()["qualifications"] is None
    assert judge_item([HAS_GAOXIN], profile.to_dict()).level == "need_info"


def test_explicit_empty_list_means_holds_none():
    profile = validate_profile({"id": "e1", "name": "甲公司", "qualifications": []})
    assert profile.qualifications == ()
    assert judge_item([HAS_GAOXIN], profile.to_dict()).level == "near_miss"


def test_store_round_trip_keeps_unknown_apart_from_none(tmp_path: Path):
    store = open_store(tmp_path / "s.sqlite3")
    try:
        store.upsert_enterprises(
            [
                validate_profile({"id": "unknown", "name": "甲"}),
                validate_profile({"id": "none", "name": "乙", "qualifications": []}),
                validate_profile({"id": "has", "name": "丙", "qualifications": ["高新技术企业"]}),
            ]
        )
        assert store.get_enterprise("unknown").qualifications is None
        assert store.get_enterprise("none").qualifications == ()
        assert store.get_enterprise("has").qualifications == ("国家高新技术企业",)
    finally:
        store.close()


def test_bulk_paths_judge_unknown_titles_as_unknown():
    profiles = [
        validate_profile({"id": "unknown", "name": "甲"}).to_dict(),
        validate_profile({"id": "none", "name": "乙", "qualifications": []}).to_dict(),
        validate_profile({"id": "has", "name": "丙", "qualifications": ["国家高新技术企业"]}).to_dict(),
    ]
    columns = EnterpriseColumns()
    rows = columns.upsert(profiles)
    verdicts = columns.judge([HAS_GAOXIN])
    levels = {p["id"]: level_name(verdicts.level[row]) for p, row in zip(profiles, rows, strict=True)}
    assert levels == {"unknown": "need_info", "none": "near_miss", "has": "eligible"}
    table = ConditionTable([[HAS_GAOXIN]])
    for profile in profiles:
        single = level_name(table.judge_all(profile).level[0])
        assert single == levels[profile["id"]] == judge_item([HAS_GAOXIN], profile).level


def test_demo_truth_follows_validated_profiles(tmp_path: Path):
    from corpus.conditions import Condition as Cond
    from corpus.demo import generate, write_eligibility_set

    # The plain demo: this test reads v1 records and judges with judge_item alone (the realistic
    # demo's truth applies its document facts first: corpus.demo.sets.true_level).
    corpus = generate(seed=7, n_policies=8, n_enterprises=200, style="plain")
    write_eligibility_set(corpus, tmp_path, n_items=20, n_profiles=40)
    items = {}
    for line in (tmp_path / "items.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        items[record["id"]] = [
            Cond(c["field"], c["op"], c["value"], c["span"], c["source"]) for c in record["conditions"]
        ]
    profiles = {}
    for line in (tmp_path / "profiles.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        profiles[record["id"]] = record
    judge = corpus.semantic_judge()
    checked_unknown = 0
    for line in (tmp_path / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        profile = validate_profile(profiles[row["profile"]]).to_dict()
        assert judge_item(items[row["item"]], profile, judge).level == row["level"]
        titles_asked = any(c.field == "qualifications" for c in items[row["item"]])
        if titles_asked and profile["qualifications"] is None:
            assert "qualifications" in row["unknown"] and "qualifications" not in row["failed"]
            checked_unknown += 1
    assert checked_unknown > 0, "the demo set should hold profiles whose 资质 are unknown"
