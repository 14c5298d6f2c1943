"""The demo corpus generator: determinism, sizes, spans, wording, consistent profiles, labelled sets, loading."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from corpus import reference
from corpus.conditions import Condition, Group, Tier, judge_item, leaves, parse_conditions, truth_verdict
from corpus.demo import DEFAULT_SEED, generate, write_eligibility_set, write_retrieval_set
from corpus.demo.enterprises import (
    CHUNK,
    SIZE_CLASSES,
    TITLES,
    generate_chunk,
    iter_chunk_profiles,
    iter_profiles,
)
from corpus.demo.sets import true_level
from corpus.demo.vocab import COUNTIES, LINES
from corpus.schemas import uscc_problem, validate_policy, validate_profile
from corpus.splitting import split_policy

# conditions.md: how the team reads boundary words.
BOUNDARY_WORDS = {
    "gte": ("以上", "不低于", "达到", "及以上"),
    "gt": ("超过", "高于"),
    "lte": ("以下", "不超过", "不高于", "以内"),
    "lt": ("低于", "不足", "未满"),
}


@pytest.fixture(scope="module")
def corpus():  # type: ignore[no-untyped-def]
    return generate(DEFAULT_SEED, 200, 10_000)


@pytest.fixture(scope="module")
def profiles(corpus):  # type: ignore[no-untyped-def]
    return list(corpus.iter_enterprises())


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
    assert 0 < fields["undecidable"] < 0.25 * len(corpus.items)
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


# --- enterprises -----------------------------------------------------------------------------------


def test_every_profile_validates_and_its_size_class_agrees_with_its_figures(profiles) -> None:  # type: ignore[no-untyped-def]
    chunk = generate_chunk(DEFAULT_SEED, 0)
    true_sizes = [SIZE_CLASSES[s] for s in chunk.size.tolist()]
    decided = 0
    for profile, size in zip(profiles, true_sizes, strict=True):
        valid = validate_profile(profile)
        assert reference.is_known_region(valid.region_code or "")
        if valid.size_class is not None:
            assert valid.size_class == size, profile["id"]
            decided += 1
    assert decided > 0.85 * len(profiles)


def test_figures_and_titles_hang_together(profiles) -> None:  # type: ignore[no-untyped-def]
    for p in profiles:
        titles = set(p.get("qualifications", ()))
        code = p.get("industry_code")
        revenue, employees = p.get("revenue"), p.get("employees")
        if code and revenue is not None:
            if code[0] in "BCD" and "qualifications" in p:
                assert ("规上工业企业" in titles) == (revenue >= 2000), p["id"]
            if revenue and "rd_expense" in p and titles & {"国家高新技术企业", "科技型中小企业"}:
                required = 5 if revenue < 5000 else 4 if revenue < 20000 else 3
                assert p["rd_expense"] / revenue * 100 >= required - 0.05, p["id"]
        if "国家级专精特新“小巨人”企业" in titles:
            assert "省级专精特新中小企业" in titles
        if "科技型中小企业" in titles and employees is not None:
            assert employees <= 500
        if code and code[0] not in "BCD":
            assert "output_value" not in p and "mu_jun_class" not in p
        if p.get("uscc"):
            assert uscc_problem(p["uscc"]) is None and p["uscc"][2:8] == p["region_code"][:6]
        line = next(line for line in LINES if any(w in p["name"] for w in line.name_words))
        assert line is not None
        if "products" in p and code:
            owner = [
                x for x in LINES if x.industry_code == code and any(q in p["products"] for q in x.products)
            ]
            assert owner, p["id"]


def test_rates_of_exclusions_missing_fields_and_titles_are_realistic(profiles) -> None:  # type: ignore[no-untyped-def]
    n = len(profiles)
    share = lambda pred: sum(1 for p in profiles if pred(p)) / n  # noqa: E731
    assert 0.01 < share(lambda p: p.get("credit_status") == "dishonest") < 0.05
    assert 0.003 < share(lambda p: p.get("major_violation") is True) < 0.03
    assert 0.03 < share(lambda p: "revenue" not in p) < 0.08
    assert 0.15 < share(lambda p: "rd_expense" not in p) < 0.3
    assert 0.05 < share(lambda p: "国家高新技术企业" in p.get("qualifications", ())) < 0.2
    assert 0.85 < share(lambda p: p["region_code"].startswith("3310")) < 0.99
    assert share(lambda p: len(p["region_code"]) == 9) > 0.7
    counties = Counter(p["region_code"][:6] for p in profiles)
    assert set(COUNTIES) <= set(counties)
    for title in TITLES:
        assert any(title in p.get("qualifications", ()) for p in profiles), title


def test_lines_cluster_in_their_home_counties(profiles) -> None:  # type: ignore[no-untyped-def]
    valves = Counter(p["region_code"][:6] for p in profiles if p.get("industry_code") == "C3443")
    assert valves.most_common(1)[0][0] == "331083"  # 玉环 valves


def test_a_million_profiles_are_cheap_per_chunk() -> None:
    # The generator is O(n) in chunks; one chunk stands for every other one (1M = 100 chunks).
    chunk = generate_chunk(DEFAULT_SEED, 99)
    rows = list(iter_chunk_profiles(chunk))
    assert rows[-1]["id"] == "E1000000"
    assert len({r["name"] for r in rows}) == CHUNK


# --- labelled sets ---------------------------------------------------------------------------------


def _read(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_eligibility_set_truth_is_judge_item_and_every_level_is_common(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = write_eligibility_set(corpus, tmp_path, n_items=120, n_profiles=80)
    items, profiles, truth = (_read(tmp_path / f"{name}.jsonl") for name in ("items", "profiles", "truth"))
    assert (
        (len(items), len(profiles), len(truth))
        == (120, 80, 120 * 80)
        == (report.n_items, report.n_profiles, report.n_pairs)
    )
    assert {(t["profile"], t["item"]) for t in truth} == {(p["id"], i["id"]) for p in profiles for i in items}
    levels = Counter(t["level"] for t in truth)
    for level in ("eligible", "need_info", "near_miss", "ineligible"):
        assert levels[level] > 0.02 * len(truth), levels
    assert Counter(t["verdict"] for t in truth).keys() == {"eligible", "ineligible", "unknown"}
    by_id = {i.id: i for i in corpus.items}
    judge = corpus.semantic_judge()
    conditions = {
        i["id"]: list(parse_conditions(i["conditions"], i["tiers"], source="edited")) for i in items
    }
    assert all(conditions[i["id"]] == list(by_id[i["id"]].conditions) for i in items)
    profile_by_id = {p["id"]: p for p in profiles}
    for row in truth[::37]:
        item = by_id[row["item"]]
        level, failed, unknown = true_level(item, profile_by_id[row["profile"]], judge)
        assert row["verdict"] == truth_verdict(level)
        assert row["failed"] == failed and row["unknown"] == unknown
        if item.is_policy and not failed[:1] == ["valid_until"] and not failed[:1] == ["region_code"]:
            verdict = judge_item(conditions[row["item"]], profile_by_id[row["profile"]], judge)
            assert level == verdict.level  # past the document facts, the truth is judge_item's
    semantic = [t for t in truth if any(c.op == "semantic" for c in leaves(conditions[t["item"]]))]
    assert semantic and not all(
        "business_scope" in t["unknown"] for t in semantic
    )  # the generator settles them
    # Profiles are written as the service holds them: validated, size class derived from the figures.
    # (the v2 fields are kept as generated where the running validation does not know them yet)
    assert all(all(p.get(k) == v for k, v in validate_profile(p).to_dict().items()) for p in profiles)
    assert any(p["size_class"] for p in profiles)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pairs"] == len(truth) and "semantic" in manifest["semantic_truth"]


def test_semantic_truth_follows_the_true_line_of_business(corpus, profiles) -> None:  # type: ignore[no-untyped-def]
    judge = corpus.semantic_judge()
    ic_design = Condition("business_scope", "semantic", "集成电路设计", span="从事集成电路设计")
    designers = [p for p in profiles if p.get("industry_code") == "I6520"][:5]
    others = [p for p in profiles if p.get("industry_code") == "C3670"][:5]
    assert designers and others
    assert {judge(ic_design, p) for p in designers} == {"met"}
    assert {judge(ic_design, p) for p in others} == {"unmet"}
    assert judge(ic_design, {"id": "not-a-demo-id"}) == "unknown"


def test_retrieval_set_has_enterprise_questions_with_their_items(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = write_retrieval_set(corpus, tmp_path, n_queries=120)
    docs, queries = _read(tmp_path / "docs.jsonl"), _read(tmp_path / "queries.jsonl")
    assert len(docs) == len(corpus.items) == report.n_docs and len(queries) == 120
    ids = {d["docid"] for d in docs}
    assert all(d["text"] for d in docs)
    for q in queries:
        assert q["docid"] == q["docids"][0] and set(q["docids"]) <= ids
        assert any(name in q["question"] for name, _, _ in COUNTIES.values())
    assert len({q["question"] for q in queries}) > 110
    assert 1 < report.mean_relevant < 30


# --- loading into a store and the CLI --------------------------------------------------------------


def test_demo_loads_into_an_empty_sqlite_store_once(tmp_path: Path) -> None:
    from corpus.store import open_store
    from matcher.demo import ensure_demo

    store = open_store(tmp_path / "demo.sqlite3")
    try:
        report = ensure_demo(store, seed=DEFAULT_SEED, n_policies=12, n_enterprises=400)
        assert (
            report.loaded and report.policy_report and report.policy_report.ok and report.enterprise_report.ok
        )  # type: ignore[union-attr]
        expected = generate(DEFAULT_SEED, 12, 400)
        assert store.count_enterprises() == 400 and report.enterprises == 400
        assert sorted(i.id for i in store.iter_items()) == sorted(i.id for i in expected.items)
        first = next(expected.iter_enterprises())
        assert store.get_enterprise(first["id"]).name == first["name"]  # type: ignore[union-attr]
        again = ensure_demo(store, seed=DEFAULT_SEED, n_policies=12, n_enterprises=400)
        assert not again.loaded and store.count_enterprises() == 400
    finally:
        store.close()


def test_cli_demo_loads_then_writes_sets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from api.cli import main
    from api.settings import get_settings

    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        assert main(["demo", "--policies", "5", "--enterprises", "50", "--quiet"]) == 0
        assert "5 policies" in capsys.readouterr().out
        assert main(["demo", "--policies", "5", "--enterprises", "50", "--quiet"]) == 0
        assert "not loaded" in capsys.readouterr().out
        out = tmp_path / "sets"
        args = [
            "demo",
            "--policies",
            "20",
            "--write-set",
            str(out),
            "--set-items",
            "30",
            "--set-profiles",
            "10",
        ]
        assert main(args + ["--set-queries", "10"]) == 0
        assert len(_read(out / "eligibility" / "truth.jsonl")) == 300
        assert len(_read(out / "retrieval" / "queries.jsonl")) == 10
        assert main(["demo", "--policies", "-1"]) == 2
    finally:
        get_settings.cache_clear()


def test_sets_read_with_the_evaluation_readers(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from eval.sets import read_eligibility_set, read_retrieval_set

    write_eligibility_set(corpus, tmp_path / "eligibility", n_items=40, n_profiles=15)
    write_retrieval_set(corpus, tmp_path / "retrieval", n_queries=25)
    eligibility = read_eligibility_set(tmp_path / "eligibility")
    retrieval = read_retrieval_set(tmp_path / "retrieval")
    assert (len(eligibility.items), len(eligibility.profiles), len(eligibility.truth)) == (40, 15, 600)
    assert len(retrieval.docs) == len(corpus.items) and len(retrieval.queries) == 25


def test_brands_are_unique_and_never_repeat_a_character() -> None:
    from corpus.demo.enterprises import brand

    numbers = sorted(set(range(0, 400_000, 7)) | set(range(2_850, 2_870)))  # 2 → 3 characters at 2,862
    names = [brand(n) for n in numbers]
    assert len(set(names)) == len(names)
    assert all(a != b for name in names for a, b in zip(name, name[1:], strict=False))


@pytest.mark.slow
def test_the_default_demo_loads_without_a_single_refused_record(tmp_path: Path) -> None:
    from corpus.store import open_store
    from matcher.demo import load_demo

    store = open_store(tmp_path / "default.sqlite3")
    try:
        report = load_demo(store)  # the settings' defaults: seed 20241, 200 policies, 10,000 enterprises
        assert report.policy_report is not None and report.enterprise_report is not None
        assert not report.policy_report.errors
        assert not report.enterprise_report.errors
        assert (report.policies, report.enterprises) == (200, 10_000)
        assert report.items == len(generate(DEFAULT_SEED, 200, 0).items) == store.count_items()
        assert "loaded" in report.summary()
    finally:
        store.close()


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
    assert {
        "invention_patents",
        "ip_count",
        "rd_staff_ratio",
        "hightech_income_ratio",
        "tax_credit_grade",
        "insured_employees",
    } <= fields
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
