"""The demo corpus generator's documents: determinism, sizes, spans, wording, the condition language it writes.

Profiles: test_demo_profiles.py; labelled sets and loading: test_demo_sets.py. The ``corpus`` and
``profiles`` fixtures (the default demo, generated once) are in tests/corpus/conftest.py.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from corpus import reference
from corpus.conditions import Condition, Group, Tier, leaves
from corpus.demo import DEFAULT_SEED, generate
from corpus.demo.enterprises import (
    CHUNK,
    iter_profiles,
)
from corpus.demo.sets import true_level
from corpus.demo.vocab import COUNTIES
from corpus.schemas import V2_PROFILE_FIELDS, validate_policy
from corpus.splitting import split_policy

# conditions.md: how the team reads boundary words.
BOUNDARY_WORDS = {
    "gte": ("以上", "不低于", "达到", "及以上"),
    "gt": ("超过", "高于"),
    "lte": ("以下", "不超过", "不高于", "以内"),
    "lt": ("低于", "不足", "未满"),
}


# --- determinism and sizes -------------------------------------------------------------------------


def test_same_seed_same_corpus_and_other_seed_another(corpus) -> None:  # type: ignore[no-untyped-def]
    again = generate(DEFAULT_SEED, 200, 10_000)
    assert [p.text for p in again.policies] == [p.text for p in corpus.policies]
    assert [i.conditions for i in again.items] == [i.conditions for i in corpus.items]
    assert list(again.iter_enterprises(300)) == list(corpus.iter_enterprises(300))
    other = generate(DEFAULT_SEED + 1, 20, 300)
    assert [p.text for p in other.policies] != [p.text for p in corpus.policies[:20]]
    assert list(other.iter_enterprises()) != list(corpus.iter_enterprises(300))


def test_a_smaller_corpus_is_the_start_of_a_larger_one(corpus) -> None:  # type: ignore[no-untyped-def]
    small = generate(DEFAULT_SEED, 15, 50)
    assert small.policies == corpus.policies[:15]
    across_chunks = list(iter_profiles(DEFAULT_SEED, CHUNK + 5))
    assert across_chunks[:50] == list(small.iter_enterprises())
    assert len(across_chunks) == CHUNK + 5
    assert across_chunks[CHUNK]["id"] == f"E{CHUNK + 1:07d}"


def test_default_size_has_200_documents_and_over_1000_items(corpus, profiles) -> None:  # type: ignore[no-untyped-def]
    assert len(corpus.policies) == 200
    assert len(corpus.items) >= 1000
    assert len(profiles) == 10_000
    assert len({p["id"] for p in profiles}) == 10_000
    assert len({p["name"] for p in profiles}) == 10_000
    assert generate(1, 0, 0).items == ()
    with pytest.raises(ValueError):
        generate(1, -1, 0)


# --- policies --------------------------------------------------------------------------------------


def test_every_condition_span_is_the_exact_text_it_came_from(corpus) -> None:  # type: ignore[no-untyped-def]
    policies = {p.id: p for p in corpus.policies}
    for item in corpus.items:
        assert item.text in policies[item.policy_id].text
        own = list(leaves(item.local))
        assert len(item.spans) == len(own)
        for condition, (start, end) in zip(own, item.spans, strict=True):
            assert isinstance(condition, Condition)
            assert condition.span and condition.span in item.text
            assert item.text[start:end] == condition.span
        # What governs the item is stated once, in the document's governing clauses.
        governing = [policies[item.policy_id].text[a:b] for a, b in item.facts.get("governs", ())]
        for condition in leaves(item.governed):
            assert any(condition.span in words for words in governing), condition.span
        assert set(leaves(item.conditions)) == set(own) | set(leaves(item.governed))


def test_numeric_spans_use_the_boundary_word_of_their_op(corpus) -> None:  # type: ignore[no-untyped-def]
    seen: Counter[str] = Counter()
    for item in corpus.items:
        for c in leaves(item.conditions):
            if c.op in BOUNDARY_WORDS and c.field != "undecidable":
                assert any(word in c.span for word in BOUNDARY_WORDS[c.op]), (c.op, c.span)
                # With its own words taken out ("不低于" holds "低于"), no other op's word may remain.
                rest = c.span
                for word in sorted(BOUNDARY_WORDS[c.op], key=len, reverse=True):
                    rest = rest.replace(word, "")
                others = [w for op, words in BOUNDARY_WORDS.items() if op != c.op for w in words]
                assert not any(w in rest for w in others), c.span
                seen[c.op] += 1
                seen.update(w for w in BOUNDARY_WORDS[c.op] if w in c.span)
    for words in BOUNDARY_WORDS.values():
        for word in words:
            assert seen[word] > 0, f"boundary word {word} never written"


def test_amounts_in_the_text_match_the_value_in_万元(corpus) -> None:  # type: ignore[no-untyped-def]
    units: Counter[str] = Counter()
    for item in corpus.items:
        for c in leaves(item.conditions):
            if c.field in (
                "revenue",
                "investment",
                "export_value",
                "tax_paid",
                "output_value",
                "rd_expense",
                "total_assets",
            ):
                number = re.search(r"(\d+(?:\.\d+)?)(亿元|万元|元)", c.span)
                assert number, c.span
                value = float(number.group(1)) * {"亿元": 10000, "万元": 1, "元": 0.0001}[number.group(2)]
                assert abs(value - c.value) < 1e-6, (c.span, c.value)
                units[number.group(2)] += 1
            if c.field in ("rd_ratio", "revenue_growth"):
                assert f"{c.value:g}%" in c.span
    assert units["亿元"] and units["万元"]
    assert any("元" in item.support or re.search(r"\d元", item.text) for item in corpus.items)


def test_the_corpus_varies_issuers_numbering_support_and_fulfilment(corpus) -> None:  # type: ignore[no-untyped-def]
    regions = {p.region_code for p in corpus.policies}
    assert set(COUNTIES) | {"3310", "33"} <= regions
    assert {p.numbering for p in corpus.policies} >= {
        "一、",
        "一、>（一）",
        "第一条",
        "1.",
        "（一）",
        "1.>（1）",
    }
    assert {i.support_type for i in corpus.items} >= {
        "资金奖励",
        "补助",
        "贴息",
        "减免",
        "人才",
        "用地",
        "荣誉",
    }
    assert {i.fulfilment for i in corpus.items} >= {"免申即享", "即申即享", "一般申报", "第三方评审"}
    listed = [i for i in corpus.items if re.search(r"(?:条件|如下)：(?:（1）|①)", i.text)]
    assert len(listed) > 20  # some items state their conditions as a 申报条件 list
    numbers = [p.doc_number for p in corpus.policies]
    assert all(re.fullmatch(r"[\u4e00-\u9fff]+〔20\d\d〕\d+号", n) for n in numbers)
    for dept in (
        "经济和信息化局",
        "科学技术局",
        "商务局",
        "人力资源和社会保障局",
        "财政局",
        "市场监督管理局",
    ):
        assert any(dept in p.department for p in corpus.policies), dept
    for policy in corpus.policies:
        assert policy.issued <= (policy.valid_until or "9999")
        validate_policy(policy.to_record())  # the POST /v1/policies shape


def test_conditions_cover_the_language_with_canonical_titles(corpus) -> None:  # type: ignore[no-untyped-def]
    fields = Counter(c.field for i in corpus.items for c in leaves(i.conditions))
    ops = Counter(c.op for i in corpus.items for c in leaves(i.conditions))
    assert {
        "credit_status",
        "major_violation",
        "qualifications",
        "region_code",
        "industry_code",
        "established",
        "size_class",
    } <= set(fields)
    assert {
        "semantic",
        "within_region",
        "industry_in",
        "has",
        "not_has",
        "in",
        "established_after",
        "established_before",
    } <= set(ops)
    # Mostly decidable: a requirement no profile field holds is a minority (a newly settled headquarters is one).
    assert 0 < fields["undecidable"] < 0.3 * len(corpus.items)
    assert 0 < ops["semantic"] < 0.15 * len(corpus.items)
    aliases_used = set()
    for item in corpus.items:
        for c in leaves(item.conditions):
            if c.field == "qualifications":
                titles = [c.value] if isinstance(c.value, str) else list(c.value)
                for title in titles:
                    assert reference.canonical_qualification(title) == title, title
                if c.op in ("has", "not_has"):
                    alias = (
                        c.span.removeprefix("尚未认定为").removeprefix("未被认定为").removeprefix("已认定为")
                    )
                    alias = alias.removeprefix("已获").removesuffix("认定")
                    assert reference.canonical_qualification(alias) == c.value, c.span
                    aliases_used.add(alias)
            if c.op == "industry_in":
                for code in c.value:
                    assert reference.industry(code) is not None, code
            if c.op == "within_region":
                assert c.value == item.region_code
    assert "高企" in aliases_used  # the text may say 高企 while the condition says 国家高新技术企业


def test_generated_documents_split_into_the_generated_items() -> None:
    corpus = generate(DEFAULT_SEED, 60, 0)
    for policy in corpus.policies:
        items = split_policy(validate_policy(policy.to_record()))
        assert [i.id for i in items] == [i.id for i in policy.items], policy.id
        for split, generated in zip(items, policy.items, strict=True):
            assert generated.text in split.text


# --- realistic shapes (condition language v2) -------------------------------------------------------


def test_realistic_corpus_writes_every_v2_shape_with_its_truth(corpus) -> None:  # type: ignore[no-untyped-def]
    entries = [e for i in corpus.items for e in i.conditions]
    tiers = [e for e in entries if isinstance(e, Tier)]
    groups = [e for e in entries if isinstance(e, Group)] + [
        n for t in tiers for n in t.conditions if isinstance(n, Group)
    ]
    assert len(tiers) > 100 and any(t.formula is not None for t in tiers)
    assert {t.label for t in tiers} >= {"国家级专精特新“小巨人”企业", "省级专精特新中小企业", "A类", "B类"}
    assert len(groups) > 20 and all(g.kind == "any" for g in groups)
    for group in groups:  # a group's span runs from its first member to its last, in the item's text
        assert group.span.startswith(group.members[0].span) and group.span.endswith(group.members[-1].span)
    roles = Counter(leaf.role for i in corpus.items for leaf in leaves(i.conditions))
    assert roles["bonus"] > 10 and roles["exclude"] > 20
    fields = {leaf.field for i in corpus.items for leaf in leaves(i.conditions)}
    assert set(V2_PROFILE_FIELDS) <= fields
    # Tiers are listed best first: fixed amounts fall down the list.
    for item in corpus.items:
        amounts = [t.amount for t in item.conditions if isinstance(t, Tier) and t.amount is not None]
        assert all(a > b for a, b in zip(amounts, amounts[1:], strict=False)), item.id


def test_realistic_documents_state_their_facts_and_governing_clauses(corpus) -> None:  # type: ignore[no-untyped-def]
    policies = [p for p in corpus.policies if p.is_policy]
    others = [p for p in corpus.policies if not p.is_policy]
    assert 0.02 * len(corpus.policies) < len(others) < 0.12 * len(corpus.policies)
    assert all(p.facts["doc_type"] == "result" and not p.items[0].conditions for p in others)
    assert {p.facts["fulfilment_mode"] for p in policies} >= {"免申即享", "即申即享", "快申优享", "即申快享"}
    assert sum(p.facts["window"] is not None for p in policies) > 0.3 * len(policies)
    expired = [p for p in policies if (p.valid_until or "9999") < p.facts["as_of"]]
    assert 0.02 * len(policies) < len(expired) < 0.2 * len(policies)
    governed = [i for i in corpus.items if i.governed]
    assert len(governed) > 0.3 * len(corpus.items)
    for policy in policies:
        for start, end in policy.facts["governs"]:
            assert policy.text[start:end] in policy.items[0].facts["governing_text"]
        window = policy.facts["window"]
        if window:  # the window is stated in the text, as 申报时间
            year, month, day = (int(x) for x in window[0].split("-"))
            assert f"{year}年{month}月{day}日至" in policy.text


def test_document_facts_come_before_the_conditions_in_the_truth(corpus, profiles) -> None:  # type: ignore[no-untyped-def]
    judge = corpus.semantic_judge()
    notice = next(i for i in corpus.items if not i.is_policy)
    expired = next(i for i in corpus.items if (i.valid_until or "9999") < i.facts.get("as_of", ""))
    elsewhere = next(p for p in profiles if not p["region_code"].startswith("3310"))
    county_item = next(i for i in corpus.items if i.is_policy and len(i.region_code) == 6 and i.facts)
    for profile in profiles[:50]:
        assert true_level(notice, profile, judge)[0] == "ineligible"
        assert true_level(expired, profile, judge)[0] == "ineligible"
    assert true_level(county_item, elsewhere, judge) == ("ineligible", ["region_code"], [])


def test_plain_style_keeps_the_first_generators_text() -> None:
    plain = generate(DEFAULT_SEED, 30, 0, style="plain")
    assert all(p.facts == {} and p.is_policy for p in plain.policies)
    assert all(isinstance(c, Condition) and c.role == "require" for i in plain.items for c in i.conditions)
    assert not any("快申优享" in p.text or "索引号" in p.text for p in plain.policies)
    realistic = generate(DEFAULT_SEED, 30, 0)
    # The same issuers and topics: the realistic draws come from a stream of their own.
    assert [p.region_code for p in plain.policies] == [p.region_code for p in realistic.policies]
    with pytest.raises(ValueError):
        generate(DEFAULT_SEED, 1, 0, style="fancy")
