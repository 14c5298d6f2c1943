import pytest

from corpus.conditions import Condition, ConditionError, evaluate_condition, judge_item, level_of


def profile(**kw):
    base = {
        "id": "e1",
        "revenue": 800.0,
        "rd_expense": 28.0,
        "qualifications": ["国家高新技术企业"],
        "region_code": "331002",
        "industry_code": "C3670",
        "established": "2019-05-01",
        "credit_status": "normal",
        "major_violation": False,
    }
    base.update(kw)
    return base


@pytest.mark.parametrize(
    ("op", "value", "verdict"),
    [
        ("gte", 800, "met"),
        ("gte", 800.5, "unmet"),
        ("gt", 800, "unmet"),
        ("lte", 800, "met"),
        ("lt", 800, "unmet"),
        ("lt", 801, "met"),
        ("eq", 800, "met"),
    ],
)
def test_numeric_ops(op, value, verdict):
    assert evaluate_condition(Condition("revenue", op, value), profile()).verdict == verdict


def test_rd_ratio_derived_and_gap_spelled_out():
    result = evaluate_condition(Condition("rd_ratio", "gte", 4.0), profile(revenue=800.0, rd_expense=28.0))
    assert result.verdict == "unmet"
    assert result.actual == pytest.approx(3.5)
    assert "还差 0.5 个百分点" in result.gap


def test_missing_field_is_unknown_never_a_match():
    result = evaluate_condition(Condition("employees", "gte", 10), profile())
    assert result.verdict == "unknown"


def test_industry_section_letter_matches_digit_codes():
    cond = Condition("industry_code", "industry_in", ["C"])
    assert evaluate_condition(cond, profile(industry_code="3670")).verdict == "met"
    assert evaluate_condition(cond, profile(industry_code="I6510")).verdict == "unmet"
    assert (
        evaluate_condition(
            Condition("industry_code", "industry_in", ["I65"]), profile(industry_code="6510")
        ).verdict
        == "met"
    )


def test_levels():
    conds = [Condition("revenue", "gte", 500), Condition("region_code", "within_region", "3310")]
    assert judge_item(conds, profile()).level == "eligible"
    assert judge_item(conds + [Condition("employees", "gte", 5)], profile()).level == "need_info"
    assert judge_item(conds + [Condition("revenue", "gte", 900)], profile()).level == "near_miss"
    two_unmet = conds + [
        Condition("revenue", "gte", 900),
        Condition("qualifications", "has", "省级专精特新中小企业"),
    ]
    assert judge_item(two_unmet, profile()).level == "ineligible"
    exclusion = conds + [Condition("credit_status", "eq", "normal")]
    assert judge_item(exclusion, profile(credit_status="dishonest")).level == "ineligible"
    assert level_of([]) == "eligible"


def test_malformed_condition_is_refused_clearly():
    with pytest.raises(ConditionError, match="unknown condition op"):
        Condition("revenue", "bigger", 1)
    with pytest.raises(ConditionError, match="needs a number"):
        Condition("revenue", "gte", "lots")
