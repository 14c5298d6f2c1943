"""The reference evaluator (eval/reference_verdicts.py) on hand-written cases of conditions.md and its v2."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from eval import reference_verdicts as ref
from eval.reference_verdicts import judge_pair, leaf_verdict, level_of

DOC = {"kind": "document", "is_policy": True, "region_code": None, "as_of": "2024-03-01"}
FIRM = {
    "id": "f1",
    "region_code": "331002",
    "industry_code": "C3670",
    "established": "2019-05-01",
    "employees": 120,
    "revenue": 8000.0,
    "qualifications": ["国家高新技术企业", "规上工业企业"],
    "size_class": "中",
    "credit_status": "normal",
    "major_violation": False,
    "tax_credit_grade": "B",
    "invention_patents": 3,
}


def leaf(field: str, op: str, value: object = None, **extra: object) -> dict[str, object]:
    return {"field": field, "op": op, "value": value, "span": [0, 2], **extra}


def item(
    *conditions: dict[str, object], tiers: list[dict[str, object]] | None = None, **extra: object
) -> dict:
    return {"id": "x-01", "conditions": list(conditions), "tiers": tiers or [], **extra}


def test_the_evaluator_imports_the_standard_library_only() -> None:
    tree = ast.parse(Path(ref.__file__).read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    roots = {m.split(".")[0] for m in modules}
    assert roots <= set(sys.stdlib_module_names) | {"__future__"}, roots


@pytest.mark.parametrize(
    ("condition", "verdict"),
    [
        (leaf("revenue", "gte", 8000), "met"),  # 以上 includes the bound
        (leaf("revenue", "gt", 8000), "unmet"),  # 超过 does not
        (leaf("employees", "lte", 120), "met"),
        (leaf("employees", "lt", 120), "unmet"),
        (leaf("tax_paid", "gte", 10), "unknown"),  # missing data is unknown, never unmet
        (leaf("qualifications", "has", "国家高新技术企业"), "met"),
        (leaf("qualifications", "not_has", "国家高新技术企业"), "unmet"),
        (leaf("qualifications", "in", ["科技型中小企业", "规上工业企业"]), "met"),
        (leaf("qualifications", "has", "科技型中小企业"), "unmet"),
        (leaf("size_class", "in", ["中", "小", "微"]), "met"),
        (leaf("region_code", "within_region", "3310"), "met"),
        (leaf("region_code", "within_region", "11"), "unmet"),
        (leaf("industry_code", "industry_in", ["C"]), "met"),
        (leaf("industry_code", "industry_in", ["36"]), "met"),  # digits without the 门类 letter
        (leaf("industry_code", "industry_in", ["H", "G"]), "unmet"),
        (leaf("established", "established_after", "2019-01-01"), "met"),
        (leaf("established", "established_before", "2019-01-01"), "unmet"),
        (leaf("credit_status", "eq", "normal"), "met"),
        (leaf("tax_credit_grade", "in", ["A", "B"]), "met"),
        (leaf("invention_patents", "gte", 2), "met"),
        (leaf("ip_count", "gte", 5), "unknown"),  # a v2 field the firm lacks
        ({"field": "undecidable", "op": "eq", "value_from_span": True, "span": [0, 2]}, "unknown"),
        ({"field": "business_scope", "op": "semantic", "value_from_span": True, "span": [0, 2]}, "unknown"),
    ],
)
def test_leaves(condition: dict, verdict: str) -> None:
    assert leaf_verdict(condition, FIRM) == verdict


def test_missing_qualifications_are_unknown_but_an_empty_list_is_known() -> None:
    has = leaf("qualifications", "has", "国家高新技术企业")
    assert leaf_verdict(has, {"qualifications": None}) == "unknown"
    assert leaf_verdict(has, {"qualifications": []}) == "unmet"


def test_levels_follow_the_base_table() -> None:
    met, unmet, unknown = leaf("revenue", "gte", 1), leaf("revenue", "gte", 9e9), leaf("tax_paid", "gte", 1)
    assert level_of([met], FIRM)[0] == "eligible"
    assert level_of([met, unknown], FIRM)[0] == "need_info"
    assert level_of([unmet, unknown], FIRM)[0] == "near_miss"
    assert level_of([unmet, leaf("employees", "gte", 9e9)], FIRM)[0] == "ineligible"
    assert level_of([], FIRM)[0] == "eligible"


def test_an_any_group_is_one_condition() -> None:
    none_met = {"any": [leaf("revenue", "gte", 9e9), leaf("employees", "gte", 9e9)], "span": [0, 4]}
    one_met = {"any": [leaf("revenue", "gte", 9e9), leaf("employees", "gte", 10)]}
    open_group = {"any": [leaf("revenue", "gte", 9e9), leaf("tax_paid", "gte", 1)]}
    assert level_of([none_met], FIRM)[0] == "near_miss"  # two unmet members: one near miss, not ineligible
    assert level_of([one_met], FIRM)[0] == "eligible"
    assert level_of([open_group], FIRM)[0] == "need_info"
    both = {
        "any": [{"all": [leaf("revenue", "gte", 1), leaf("employees", "gte", 1)]}, leaf("tax_paid", "gte", 1)]
    }
    assert level_of([both], FIRM)[0] == "eligible"
    half = {"any": [{"all": [leaf("revenue", "gte", 1), leaf("employees", "gte", 9e9)]}]}
    assert level_of([half], FIRM)[0] == "near_miss"


def test_roles() -> None:
    bonus = leaf("qualifications", "has", "科技型中小企业", role="bonus")
    assert level_of([bonus], FIRM)[0] == "eligible"  # a bonus is never required
    excluded = leaf("industry_code", "industry_in", ["C"], role="exclude")  # 制造业除外
    assert level_of([excluded, leaf("revenue", "gte", 1)], FIRM)[0] == "ineligible"
    not_hit = leaf("industry_code", "industry_in", ["K"], role="exclude")
    assert level_of([not_hit], FIRM)[0] == "eligible"
    unknown_hit = leaf("tax_paid", "gte", 1, role="exclude")
    assert level_of([unknown_hit], FIRM)[0] == "need_info"


def test_base_exclusions_make_an_item_ineligible_outright() -> None:
    dishonest = dict(FIRM, credit_status="dishonest")
    level, tally = level_of([leaf("credit_status", "eq", "normal"), leaf("revenue", "gte", 1)], dishonest)
    assert level == "ineligible" and tally.excluded == ["credit_status"]
    violating = dict(FIRM, major_violation=True)
    assert level_of([leaf("major_violation", "eq", False)], violating)[0] == "ineligible"
    # An item FOR 失信主体 (信用修复) requires the status: unmet is a plain unmet condition.
    for_dishonest = leaf("credit_status", "eq", "dishonest")
    assert level_of([for_dishonest], FIRM)[0] == "near_miss"
    assert level_of([for_dishonest], dishonest)[0] == "eligible"


def test_tiers_best_first_and_the_nearest_door() -> None:
    tiers = [
        {
            "label": "国家级",
            "conditions": [leaf("qualifications", "has", "国家级专精特新“小巨人”企业")],
            "amount": 50,
        },
        {"label": "高企", "conditions": [leaf("qualifications", "has", "国家高新技术企业")], "amount": 20},
        {"label": "科小", "conditions": [leaf("qualifications", "has", "科技型中小企业")], "amount": 5},
    ]
    truth = judge_pair(DOC, item(leaf("revenue", "gte", 1), tiers=tiers), FIRM)
    assert (truth.level, truth.tier) == ("eligible", 1)  # the best tier the firm reaches
    plain = dict(FIRM, qualifications=[])
    truth = judge_pair(DOC, item(leaf("revenue", "gte", 1), tiers=tiers), plain)
    assert (truth.level, truth.tier) == ("near_miss", 2)  # none reached: judged on the lowest tier
    unknown = dict(FIRM, qualifications=None)
    truth = judge_pair(DOC, item(tiers=tiers), unknown)
    assert (truth.level, truth.tier) == ("need_info", 0)


def test_bracketed_tiers_bound_the_bracket() -> None:
    tiers = [
        {"conditions": [leaf("revenue", "lt", 5000), leaf("rd_ratio", "gte", 5)]},
        {
            "conditions": [
                leaf("revenue", "gte", 5000),
                leaf("revenue", "lte", 20000),
                leaf("rd_ratio", "gte", 4),
            ]
        },
    ]
    firm = dict(FIRM, rd_ratio=4.5)
    truth = judge_pair(DOC, item(tiers=tiers), firm)
    assert (truth.level, truth.tier) == ("eligible", 1)


def test_document_facts_come_first() -> None:
    met = item(leaf("revenue", "gte", 1))
    assert judge_pair(dict(DOC, is_policy=False), met, FIRM).reason == "not_policy"
    assert judge_pair(DOC, dict(met, for_enterprises=False), FIRM).verdict == "ineligible"
    beijing = dict(DOC, region_code="11")
    assert judge_pair(beijing, met, FIRM).reason == "region"
    assert judge_pair(dict(DOC, region_code="3310"), met, FIRM).verdict == "eligible"
    nowhere = dict(FIRM, region_code=None)
    assert judge_pair(beijing, met, nowhere).level == "need_info"  # an unknown region is missing data
    expired = dict(DOC, valid_until="2023-12-31")
    assert judge_pair(expired, met, FIRM).reason == "validity"
    assert judge_pair(expired, met, FIRM, as_of="2023-06-01").verdict == "eligible"
    early = dict(DOC, valid_from="2024-06-01")
    assert judge_pair(early, met, FIRM).reason == "validity"


def test_governing_conditions_join_every_item() -> None:
    document = dict(DOC, governs_conditions=[leaf("size_class", "in", ["小", "微"])])
    truth = judge_pair(document, item(leaf("revenue", "gte", 1)), FIRM)
    assert (truth.level, truth.failed) == ("near_miss", ("size_class",))


def test_semantic_truth_is_said_by_a_person() -> None:
    semantic = {"field": "business_scope", "op": "semantic", "value_from_span": True, "span": [0, 2]}
    assert judge_pair(DOC, item(semantic), dict(FIRM, truth_semantic={"x-01": True})).level == "eligible"
    assert judge_pair(DOC, item(semantic), dict(FIRM, truth_semantic={"x-01": False})).level == "near_miss"
