"""Numeric thresholds of real policy wording read by the real extractor (own sentences, never corpus text)."""

from __future__ import annotations

from corpus.conditions import Condition, Group, judge_item, leaves
from matcher.extraction import extract_entries


def _groups(text: str) -> list[Group]:
    return [e for e in extract_entries(text) if isinstance(e, Group)]


def test_local_fiscal_contribution_is_tax_paid_and_an_alternative_to_revenue() -> None:
    text = "对年营业收入8亿元以上或地方财政贡献1500万元以上的企业，给予一次性奖励。"
    groups = _groups(text)
    assert len(groups) == 1 and groups[0].kind == "any"
    assert {(m.field, m.op, m.value) for m in groups[0].members if isinstance(m, Condition)} == {
        ("revenue", "gte", 80000),
        ("tax_paid", "gte", 1500),
    }
    # Either one is enough: a small firm that pays enough tax meets the item.
    assert judge_item(extract_entries(text), {"revenue": 9000, "tax_paid": 1800}).level == "eligible"
    # Neither: the unmet group is one unmet condition (差一项).
    assert judge_item(extract_entries(text), {"revenue": 9000, "tax_paid": 100}).level == "near_miss"


def test_or_after_a_comma_still_joins_alternatives() -> None:
    text = "上年度销售收入达到3亿元，或者财政贡献达到800万元的工业企业，可申请奖励。"
    groups = _groups(text)
    assert len(groups) == 1
    assert {m.field for m in groups[0].members if isinstance(m, Condition)} == {"revenue", "tax_paid"}


def test_a_newcomer_stand_in_stays_beside_the_alternatives() -> None:
    # Being newly settled is a requirement no profile field holds: it stays, the or-group forms beside it.
    text = "对新迁入的企业总部，上年度营业收入6亿元以上，或者地方财政贡献2500万元以上的，给予迁入奖励。"
    entries = extract_entries(text)
    assert any(isinstance(e, Condition) and e.field == "undecidable" for e in entries)
    assert len([e for e in entries if isinstance(e, Group) and e.kind == "any"]) == 1
    assert judge_item(entries, {"revenue": 70000}).level == "need_info"
    assert {c.field for c in leaves(entries)} >= {"revenue", "tax_paid"}


def test_a_bracket_of_a_named_metric_bounds_it_on_both_sides() -> None:
    text = "上年度主营业务收入3000万元至1.5亿元的企业，给予8万元奖励。"
    read = {(c.field, c.op, c.value) for c in leaves(extract_entries(text))}
    assert read == {("revenue", "gte", 3000), ("revenue", "lte", 15000)}
    entries = extract_entries(text)
    assert judge_item(entries, {"revenue": 9000}).level == "eligible"
    assert judge_item(entries, {"revenue": 20000}).level != "eligible"


def test_a_bracket_may_leave_the_low_unit_to_the_high_one() -> None:
    assert {(c.field, c.op, c.value) for c in leaves(extract_entries("年开票销售2-3亿元的工业企业。"))} >= {
        ("revenue", "gte", 20000),
        ("revenue", "lte", 30000),
    }
    assert {(c.field, c.op, c.value) for c in leaves(extract_entries("从业人员20至80人的企业。"))} == {
        ("employees", "gte", 20),
        ("employees", "lte", 80),
    }


def test_a_bracket_of_support_or_of_no_metric_is_no_threshold() -> None:
    # The amount given (给予3万-6万元) and dates are no bracket of the enterprise's figures.
    read = leaves(extract_entries("对符合条件的企业给予3万-6万元补助。"))
    assert not [c for c in read if c.field == "revenue"]
    read = leaves(extract_entries("3月1日至3月15日，营业收入2000万元以上的企业复工。"))
    assert {(c.field, c.op, c.value) for c in read if c.field == "revenue"} == {("revenue", "gte", 2000)}


def test_brackets_of_tiers_each_bound_their_own_tier() -> None:
    text = (
        "营业收入3000万元以下的企业，研发费用占营业收入比例不低于6%；"
        "营业收入3000万元至3亿元的企业，研发费用占营业收入比例不低于3%。"
    )
    entries = extract_entries(text)
    assert judge_item(entries, {"revenue": 10000, "rd_ratio": 3.5}).level == "eligible"
    assert judge_item(entries, {"revenue": 40000, "rd_ratio": 3.5}).level != "eligible"


def _read(text: str) -> set[tuple[str, str, object]]:
    return {(c.field, c.op, c.value) for c in leaves(extract_entries(text))}


def test_a_bare_tax_figure_is_tax_paid_but_a_taxpayer_is_not() -> None:
    assert _read("上一年度纳税达到150万元的企业可申报。") == {("tax_paid", "gte", 150)}
    assert ("tax_paid", "gte", 80) in _read("对年度纳税80万元以上的服务业企业给予奖励。")
    # 纳税人 / 纳税信用 name no figure: no tax_paid read from them.
    assert not [f for f, _, _ in _read("一般纳税人按月申报，纳税信用A级企业可领用发票。") if f == "tax_paid"]


def test_an_age_said_as_years_of_founding_is_established() -> None:
    read = extract_entries("申报单位成立年限在2年以上。")
    assert [(c.field, c.op) for c in leaves(read)] == [("established", "established_before")]


def test_breaking_through_a_figure_is_exceeding_it() -> None:
    assert _read("年度营业收入首次突破8亿元的企业，给予奖励。") == {("revenue", "gt", 80000)}


def test_growth_said_after_revenue_is_revenue_growth() -> None:
    assert _read("上年度营业收入3亿元以上且增长12%以上的企业。") == {
        ("revenue", "gte", 30000),
        ("revenue_growth", "gte", 12),
    }
    # A growth of something else (利润) stays undecidable.
    assert "undecidable" in {f for f, _, _ in _read("营业收入3亿元以上，利润增长12%以上的企业。")}


def test_staff_counted_as_insured_are_insured_employees() -> None:
    assert _read("参加社会保险的员工不少于40人的企业。") == {("insured_employees", "gte", 40)}
    assert _read("上年度社保缴纳人数超过60人。") == {("insured_employees", "gt", 60)}
    assert _read("上年末从业人员300人以下的企业。") == {("employees", "lte", 300)}
    entries = extract_entries("申报企业参保员工25人以上。")
    assert judge_item(entries, {"employees": 100, "insured_employees": 30}).level == "eligible"
    assert judge_item(entries, {"employees": 100}).level == "need_info"
