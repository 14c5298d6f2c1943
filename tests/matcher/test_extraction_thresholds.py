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
