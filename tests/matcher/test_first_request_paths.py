"""The first-request fast paths (issue 19) give the same numbers as the plain computations they replace."""

import numpy as np

from matcher.bm25 import bm25_scores
from matcher.lexical import BM25Index
from matcher.passages import PASSAGE_SEPARATOR, PassageIndex

TEXTS = {
    f"d{i}": f"第{i}条。支持企业{i % 7}开展技术改造。对吸纳就业{i % 5}人的给予补贴，奖励{i % 3}万元。"
    for i in range(120)
}
QUERIES = ("技术改造补贴", "吸纳就业3人", "奖励2万元", "重新发布的条款", "")


def plain_scores(index: BM25Index, query: str) -> np.ndarray:
    """BM25 with every posting's term-frequency part computed per query (no weights kept per index state)."""
    matrix = index._ensure_matrix()
    terms, counts = index._query_terms(query)
    return bm25_scores(
        terms, counts, matrix, index._doc_len, index._doc_freq, len(index), index.k1, index.b
    ).scores


def plain_best(index: PassageIndex, query: str) -> dict[str, float]:
    """Each document's best passage score, by visiting every passage row of the BM25 index."""
    scores, row_ids = index.index.score_rows(query)
    best: dict[str, float] = {}
    for score, row_id in zip(scores.tolist(), row_ids, strict=True):
        if row_id is not None:
            doc_id = row_id.rpartition(PASSAGE_SEPARATOR)[0]
            best[doc_id] = max(best.get(doc_id, 0.0), score)
    return best


def test_kept_term_weights_score_bit_for_bit_as_the_formula_through_changes():
    index = BM25Index()
    ids = list(TEXTS)
    index.add(ids[:60], [TEXTS[i] for i in ids[:60]])
    steps = [
        lambda: index.add(ids[60:], [TEXTS[i] for i in ids[60:]]),
        lambda: index.remove(ids[:10]),  # tombstones, no compaction
        lambda: index.update(["d50"], ["重新发布的条款。技术改造补贴。"]),
        lambda: index.remove(ids[10:80]),  # past a quarter of the rows: compacted
    ]
    generations = []
    for step in [lambda: None, *steps]:
        step()
        for query in QUERIES:
            fast, generation = index.score_array(query)
            assert np.array_equal(fast, plain_scores(index, query))
            rows, same = index.row_ids()
            assert same == generation and rows == index.score_rows(query)[1]
            assert np.array_equal(index.score_rows(query)[0], fast)
        generations.append(generation)
    assert len(set(generations)) == len(generations)  # every change is seen by a new generation


def test_passage_best_scores_follow_changes_between_queries():
    index = PassageIndex(min_chars=0)
    kept = dict(TEXTS)
    index.add(list(kept), list(kept.values()))
    changes = [
        ("remove", [f"d{i}" for i in range(0, 20, 2)]),  # rows out of use: the grouped rows are gathered
        ("add", {"d0": "第0条。重新发布的条款。"}),
        ("remove", [f"d{i}" for i in range(20, 120, 2)]),  # compacted
    ]
    for change in [None, *changes]:
        if change is not None and change[0] == "remove":
            index.remove(change[1])
            kept = {d: t for d, t in kept.items() if d not in change[1]}
        elif change is not None:
            index.add(list(change[1]), list(change[1].values()))
            kept |= change[1]
        fresh = PassageIndex(min_chars=0)
        fresh.add(list(kept), list(kept.values()))
        for query in QUERIES:
            got = dict(zip(*index.best_scores(query), strict=True))
            assert got == plain_best(index, query)
            want = dict(zip(*fresh.best_scores(query), strict=True))
            assert got.keys() == want.keys() == kept.keys()
            for doc_id, score in want.items():
                assert np.isclose(got[doc_id], score, rtol=1e-5, atol=1e-9)


def test_matcher_paths_equal_the_plain_computations(tmp_path, encoder):  # type: ignore[no-untyped-def]
    from golden_demo import ALL_LEVELS, demo_matcher

    with demo_matcher(tmp_path, encoder) as matcher:
        index, catalog = matcher.index, matcher.catalog
        retriever = index.retriever
        assert retriever is not None and len(catalog.prefixes) > 1
        ids = [matcher.columns.ids[r] for r in range(len(matcher.columns)) if matcher.columns.alive[r]][:12]
        everything = np.arange(len(catalog.items))
        # The plain dense part: every window in catalog order, one dot product per row, the best window per item.
        blocks = [retriever.chunk_vectors([item.id])[0] for item in catalog.items]
        starts = np.r_[0, np.cumsum([len(b) for b in blocks])]
        for enterprise_id in ids:
            profile = matcher.profile_for(enterprise_id, None)
            vector = matcher.judge.text_vectors([profile.get("business_scope") or enterprise_id])
            plain = np.maximum.reduceat(
                np.vecdot(np.concatenate(blocks), vector.ravel().astype(np.float32)), starts[:-1]
            )
            region = str(profile.get("region_code") or "")
            own = np.flatnonzero([region.startswith(catalog.prefixes[p]) for p in catalog.prefix_of])
            assert np.array_equal(index._dense(catalog, retriever, vector, own), plain[own])
            assert np.array_equal(index._dense(catalog, retriever, vector, everything), plain)
            # Sorting only the levels that reach into top_k: the same first results as sorting them all.
            few = matcher.match(enterprise_id=enterprise_id, top_k=5, levels=ALL_LEVELS).to_dict()
            every = matcher.match(enterprise_id=enterprise_id, top_k=10_000, levels=ALL_LEVELS).to_dict()
            assert few["results"] == every["results"][:5] and few["counts"] == every["counts"]


def test_bounded_comparisons_give_the_codes_of_compare():
    from matcher.eligibility.common import UNKNOWN, _bound, _compare, _compare_codes

    want = np.array([0.0, 1.0, 1.0, 1.0, 5.5, -3.0, 1e9, 2.0, np.nan])
    tiny = 1e-10
    actual = np.array([0.0, 1.0 + tiny, 1.0 - 2e-9, 1.0 + 2e-9, np.nan, -3.0 - tiny, 1e9 + 1, 1.5, 2.0])
    for op in ("gte", "gt", "lte", "lt", "eq"):
        got = np.empty(len(want), dtype=np.int8)
        _compare_codes(actual, op, _bound(op, want), got)
        got += np.isnan(actual).view(np.int8) * np.int8(UNKNOWN)
        # A numeric row's own value is a finite number; a date row's unreadable one the table makes unknown itself.
        known = ~np.isnan(want)
        assert np.array_equal(got[known], _compare(actual, op, want)[known]), op
        for value in (1.0, 1.0 + tiny, 0.5):  # one actual against every row (the date rows)
            one = np.empty(len(want), dtype=np.int8)
            _compare_codes(value, op, _bound(op, want), one)
            plain = _compare(np.full(len(want), value), op, want)
            assert np.array_equal(one[known], plain[known]), (op, value)


def test_leaf_memo_answers_as_evaluate_condition_and_remembers_by_value():
    from corpus.conditions import Condition, evaluate_condition
    from matcher.eligibility import LeafMemo

    leaves = [
        Condition("size_class", "in", ["small", "micro"]),
        Condition("region_code", "within_region", "3301"),
        Condition("qualifications", "has", "高新技术企业"),
        Condition("credit_status", "eq", "dishonest", role="exclude"),
        Condition("industry_code", "industry_in", ["C39"], role="bonus"),
        Condition("revenue", "gte", 500),  # a number: judged afresh every time
        Condition("rd_ratio", "gte", 3),  # derived from rd_expense / revenue when absent
    ]
    memo = LeafMemo(leaves)
    profiles = [
        {"size_class": "small", "region_code": "330102", "qualifications": ["高新技术企业"], "revenue": 800},
        {"size_class": "large", "region_code": "310101", "qualifications": [], "credit_status": "dishonest"},
        {"industry_code": "C3911", "rd_expense": 40, "revenue": 1000, "qualifications": ("高新技术企业",)},
        {"size_class": None, "credit_status": "", "revenue": 1, "rd_ratio": 5},
    ]
    for profile in profiles * 2:
        for leaf in leaves:
            assert memo(leaf, profile, None) == evaluate_condition(leaf, profile)
    first, again = profiles[0], dict(profiles[0], revenue=900)
    assert memo(leaves[0], first, None) is memo(leaves[0], again, None)  # the field's value decides
    assert memo(leaves[5], first, None) is not memo(leaves[5], first, None)  # numbers are not remembered


def test_level_of_follows_the_rules_of_the_result_properties():
    import itertools

    from corpus.conditions import Condition, ConditionResult, level_of

    def by_properties(results):  # type: ignore[no-untyped-def]
        counted = [r for r in results if r.role != "bonus"]
        if any(r.is_hit for r in counted):
            return "ineligible"
        failed = sum(r.is_failed for r in counted)
        if failed:
            return "ineligible" if failed >= 2 else "near_miss"
        return "need_info" if any(r.is_open for r in counted) else "eligible"

    kinds = [
        (Condition("size_class", "eq", "small", role=role), verdict)
        for role in ("require", "bonus", "exclude")
        for verdict in ("met", "unmet", "unknown")
    ] + [(Condition("credit_status", "eq", "normal"), v) for v in ("met", "unmet", "unknown")]
    results = [ConditionResult(c, v) for c, v in kinds]
    assert any(c.is_exclusion for c, _ in kinds)
    for n in range(4):
        for combo in itertools.product(results, repeat=n):
            assert level_of(combo) == by_properties(combo)


def test_warm_builds_what_the_first_match_would_build(tmp_path, encoder):  # type: ignore[no-untyped-def]
    from golden_demo import demo_matcher

    with demo_matcher(tmp_path, encoder) as matcher:
        retriever = matcher.index.retriever
        assert retriever is not None and retriever.passages is not None
        lexical, passages = retriever.lexical, retriever.passages.index
        assert lexical._matrix is None and passages._matrix is None  # lazily built, until now
        matcher.warm()
        built = (lexical._matrix, lexical._tf_weights, passages._matrix, passages._tf_weights)
        assert all(a is not None and len(a.data if hasattr(a, "nnz") else a) for a in built)
        chunks = matcher.index._chunks_cache
        assert chunks is not None
        parts = dict(matcher.catalog.table._parts)  # each region's level pass
        assert parts
        for enterprise_id in [i for i in matcher.columns.ids if i is not None][:30]:
            matcher.match(enterprise_id=enterprise_id)
        assert matcher.catalog.table._parts == parts  # every region's set was compiled before
        # The first match used the arrays built before it (a pre-forked worker shares them), none of its own.
        after = (lexical._matrix, lexical._tf_weights, passages._matrix, passages._tf_weights)
        assert all(a is b for a, b in zip(built, after, strict=True))
        assert matcher.index._chunks_cache is chunks


def test_items_remembered_whole_judge_as_judge_item_with_their_gaps():
    from corpus.conditions import Condition, Group, Tier, judge_item
    from matcher.eligibility import ConditionTable, exclusion_hits, gaps_of

    size = Condition("size_class", "in", ["small", "micro"])
    region = Condition("region_code", "within_region", "3301")
    honest = Condition("credit_status", "eq", "dishonest", role="exclude")
    items = [
        [size, region, honest],  # remembered whole
        [Group("any", (Condition("qualifications", "has", "高新技术企业"), size)), honest],  # whole too
        [size, Condition("revenue", "gte", 500)],  # a number: judged afresh
        [
            region,
            Tier("一档", (Condition("qualifications", "has", "专精特新中小企业"),), amount=50),
        ],  # a tier
        [],
    ]
    table = ConditionTable(items)
    memo = table.leaf_memo
    profiles = [
        {"size_class": "small", "region_code": "330102", "qualifications": ["高新技术企业"], "revenue": 800},
        {"size_class": "large", "region_code": "310101", "credit_status": "dishonest", "revenue": 100},
        {"size_class": "micro", "qualifications": ("专精特新中小企业",), "revenue": None},
        {"region_code": "330102", "size_class": "small", "qualifications": ["高新技术企业"], "revenue": 1},
    ]
    for profile in profiles * 2:
        for position, entries in enumerate(items):
            verdict, gaps, hits = memo.judged(position, entries, profile, None)
            plain = judge_item(entries, profile)
            assert verdict == plain and gaps == gaps_of(plain) and hits == exclusion_hits(plain)
    # The first item depends on size, region and credit only: the fourth profile reuses the first one's.
    assert memo.judged(0, items[0], profiles[0], None) is memo.judged(0, items[0], profiles[3], None)
    assert memo.judged(2, items[2], profiles[0], None) is not memo.judged(2, items[2], profiles[0], None)
    assert memo.judged(3, items[3], profiles[0], None) is not memo.judged(3, items[3], profiles[0], None)
    # Entries that are not the table's own at that position are judged afresh, never answered from memory.
    other = memo.judged(0, list(items[1]), profiles[0], None)
    assert other[0] == judge_item(items[1], profiles[0]) and other is not memo.judged(
        0, items[0], profiles[0], None
    )


def test_rows_laid_out_by_position_with_or_without_the_identity_shortcut(tmp_path, encoder):  # type: ignore[no-untyped-def]
    from golden_demo import demo_matcher

    with demo_matcher(tmp_path, encoder) as matcher:
        matcher.warm()
        index, catalog, retriever = matcher.index, matcher.catalog, matcher.index.retriever
        assert retriever is not None and retriever.passages is not None
        # An index built from the catalog holds row n for position n: no layout to apply.
        assert index._rows_cache["bm25"][1] is None and index._rows_cache["passage"][1] is None
        for query in ("技术改造补贴", "高新技术企业 研发费用", "吸纳就业 稳岗"):
            terms = index._query_terms(retriever, query)
            scores, _ = retriever.lexical.score_array(terms)
            ids, _ = retriever.lexical.row_ids()
            plain = index._laid_out(catalog, scores, index._positions_of(catalog, ids))
            fast = index._lexical_by_position(catalog, retriever, terms)
            assert fast.dtype == plain.dtype and np.array_equal(fast, plain)
            doc_ids, best = retriever.passages.best_scores(terms)
            plain = index._laid_out(catalog, best, index._positions_of(catalog, doc_ids))
            fast = index._by_position(catalog, "passage", best, doc_ids)
            assert fast.dtype == plain.dtype and np.array_equal(fast, plain)


def test_round6_gives_the_floats_of_round_for_every_kind_of_value():
    from matcher.facts import round6

    rng = np.random.default_rng(19)
    halves = np.round(rng.standard_normal(20_000), 6) + 5e-7  # a decimal half away: the hard case
    values = np.concatenate(
        [
            rng.standard_normal(50_000),
            rng.random(20_000) * 1e-5,
            rng.standard_normal(20_000) * 1e6,  # past 2³² once scaled: handed to round()
            rng.standard_normal(20_000).astype(np.float32).astype(np.float64),  # scores kept as float32
            halves,
            -halves,
            [0.0, -0.0, 5e-7, -5e-7, 2.5e-7, -2.5e-7, 1.0000005, 4294.9672955, 1e300, -1e-300],
            [np.inf, -np.inf, np.nan],
        ]
    ).tolist()
    fast = round6(values)
    plain = [round(v, 6) for v in values]
    assert len(fast) == len(plain)
    for v, a, b in zip(values, fast, plain, strict=True):
        assert type(a) is float
        assert (a == b and np.signbit(a) == np.signbit(b)) or (a != a and b != b), v
    assert round6([]) == []


def test_condition_dicts_laid_out_once_are_fresh_copies():
    from corpus.conditions import Condition, ConditionResult

    def plain(c: Condition) -> dict:
        value = list(c.value) if isinstance(c.value, tuple) else c.value
        out = {"field": c.field, "op": c.op, "value": value, "span": c.span, "source": c.source}
        if c.role != "require":
            out["role"] = c.role
        return out

    conditions = [
        Condition("size_class", "in", ["小", "微"], "小微企业"),
        Condition("tax_credit_grade", "eq", "A", "纳税信用等级为A级", role="bonus"),
        Condition("employees", "gte", 10, "", source="edited"),
    ]
    for c in conditions:
        first = c.to_dict()
        assert first == plain(c) and list(first) == list(plain(c))  # the same keys in the same order
        first["value"] = "changed"  # a caller writing to an answer never reaches the next one
        if isinstance(c.value, tuple):
            c.to_dict()["value"].append("x")
        assert c.to_dict() == plain(c)
        assert c == Condition(c.field, c.op, c.value, c.span, c.source, c.role)  # the layout is no field
        result = ConditionResult(c, "met", ("小",))
        assert result.to_dict() == {**plain(c), "verdict": "met", "actual": ["小"]}
        # A result's dict is laid out once too: the same keys in the same order, every copy fresh.
        for result, extra in (
            (
                ConditionResult(c, "unmet", ("小",), "缺少"),
                {"verdict": "unmet", "actual": ["小"], "gap": "缺少"},
            ),
            (ConditionResult(c, "unknown", 7.5), {"verdict": "unknown", "actual": 7.5}),
        ):
            first = result.to_dict()
            assert first == {**plain(c), **extra} and list(first) == list({**plain(c), **extra})
            first["verdict"] = "changed"
            for key in ("value", "actual"):
                if isinstance(first[key], list):
                    first[key].append("x")
            again = result.to_dict()
            assert again == {**plain(c), **extra} and again is not first
            assert result == ConditionResult(c, result.verdict, result.actual, result.gap)


def test_level_pass_over_some_items_gives_their_numbers_of_the_pass_over_all(tmp_path, encoder):  # type: ignore[no-untyped-def]
    from golden_demo import demo_matcher

    with demo_matcher(tmp_path, encoder) as matcher:
        catalog = matcher.catalog
        table = catalog.table
        n = len(catalog.items)
        assert table.structure.has_tiers and not table.structure.simple  # the general pass is the one tried
        rng = np.random.default_rng(19)
        regions = [
            np.flatnonzero([catalog.prefixes[p] == "" or p == q for p in catalog.prefix_of])
            for q in range(len(catalog.prefixes))
        ]
        subsets = [
            *regions,
            np.arange(n),
            np.zeros(0, dtype=np.int64),
            np.sort(rng.choice(n, n // 3, replace=False)),
        ]
        ids = [matcher.columns.ids[r] for r in range(len(matcher.columns)) if matcher.columns.alive[r]][:8]
        for enterprise_id in ids:
            codes = table.verdict_codes(matcher.profile_for(enterprise_id, None))
            every = table.levels_from_codes(codes)
            for items in subsets:
                some = table.levels_of_items(codes, items)
                for name in ("level", "n_met", "n_conditions", "excluded", "level_without_exclusions"):
                    assert np.array_equal(getattr(some, name), getattr(every, name)[items]), name
                for name in ("tier", "n_bonus_met", "n_bonus"):
                    if len(items):
                        assert np.array_equal(getattr(some, name), getattr(every, name)[items]), name
                assert np.array_equal(some.rules_share(), every.rules_share()[items])
        # Compiled once per set of items, and bounded.
        assert len(table._parts) <= 64
        before = dict(table._parts)
        table.levels_of_items(codes, subsets[0])
        assert all(table._parts[k] is v for k, v in before.items())


def test_level_pass_over_some_items_of_a_table_of_plain_leaves():
    from corpus.conditions import Condition
    from matcher.eligibility import ConditionTable

    size = Condition("size_class", "in", ["small", "micro"])
    revenue = Condition("revenue", "gte", 500)
    honest = Condition("credit_status", "eq", "normal")
    table = ConditionTable([[size], [revenue, honest], [], [size, revenue], [honest]])
    assert table.structure.simple  # the bincount pass: some items are taken from the pass over all
    for profile in ({"size_class": "small", "revenue": 800}, {"credit_status": "dishonest"}, {}):
        codes = table.verdict_codes(profile)
        every = table.levels_from_codes(codes)
        for items in ([4, 0, 3], [1], [], [0, 1, 2, 3, 4]):
            some = table.levels_of_items(codes, np.array(items, dtype=np.int64))
            judged = table.judge_items(profile, np.array(items, dtype=np.int64))
            assert np.array_equal(judged.level, every.level[items])
            assert np.array_equal(judged.rules_share(), every.rules_share()[items])
            assert np.array_equal(some.level, every.level[items])
            assert np.array_equal(some.rules_share(), every.rules_share()[items])
            assert np.array_equal(some.excluded, every.excluded[items])


def test_top_items_judged_with_one_request_s_keys_as_judge_item_with_plain_gaps_and_extras():
    import datetime as dt
    import random

    from random_conditions import random_entries_v2, random_profile_v2

    from corpus.conditions import Condition, judge_item
    from matcher.eligibility import ConditionTable, Gap, ProfileKeys, exclusion_hits, gaps_of
    from matcher.facts import ItemFacts, result_extras

    def plain_gaps(verdict):
        """The gaps as the result properties say them: failed first, then missing, each in result order."""
        out = []
        for wanted, test in (("unmet", "is_failed"), ("unknown", "is_open")):
            for r in verdict.counted:
                if getattr(r, test):
                    cond = r.condition
                    fld = cond.field if isinstance(cond, Condition) else ",".join(r.fields())
                    text = r.gap or f"{fld}：{cond.describe()}"
                    out.append((fld, wanted, r.gap is None, text if r.gap else None))
        return out

    def plain_extras(verdict):
        tier = verdict.tier
        if tier is None:
            return {"tier": None}
        return {
            "tier": tier.to_dict(),
            "next_tier": None if verdict.next_tier is None else verdict.next_tier.to_dict(),
            "tiers": [t.to_dict() for t in verdict.tiers],
        }

    rng = random.Random(23)
    profiles = [random_profile_v2(rng, i) for i in range(120)]
    items = [random_entries_v2(rng) for _ in range(160)]
    table = ConditionTable(items)
    memo = table.leaf_memo
    day = dt.date(2026, 12, 4)
    n_tiered = 0
    for profile in profiles + profiles[:20]:  # the second pass answers whole items from memory
        keys = ProfileKeys(profile)
        for position, entries in enumerate(items):
            verdict, gaps, hits = memo.judged(position, entries, profile, None, keys)
            plain = judge_item(entries, profile)
            assert verdict == plain and hits == exclusion_hits(plain)
            assert gaps == gaps_of(plain)
            said = [(g.field, g.kind, False, g.text) for g in gaps if g.kind != "tier"]
            want = plain_gaps(plain)
            assert [(f, k) for f, k, _, _ in said] == [(f, k) for f, k, _, _ in want]
            assert all(w[3] is None or s[3] == w[3] for s, w in zip(said, want, strict=True))
            assert all(isinstance(g, Gap) for g in gaps)
            extras = result_extras(verdict, ItemFacts(), day)
            want_extras = plain_extras(plain)
            assert {k: extras.get(k) for k in ("tier", "next_tier", "tiers") if k in extras} == want_extras
            if extras["tier"] is not None:
                n_tiered += 1
                # The tier reached and the next one are copies: no list is shared with the tiers' dicts.
                assert extras["tier"]["gaps"] is not extras["tiers"][verdict.tier_index]["gaps"]
    assert n_tiered > 100
    # A keys object of another profile is not used: the item is judged for the profile given.
    other = ProfileKeys(profiles[1])
    assert memo.judged(3, items[3], profiles[0], None, other)[0] == judge_item(items[3], profiles[0])
    # One request's keys handed to the memos of two tables: each judges its own items.
    keys, second = ProfileKeys(profiles[2]), ConditionTable(items[::-1]).leaf_memo
    for position in range(len(items)):
        mirrored = len(items) - 1 - position
        assert memo.judged(position, items[position], profiles[2], None, keys)[0] == judge_item(
            items[position], profiles[2]
        )
        assert second.judged(position, items[mirrored], profiles[2], None, keys)[0] == judge_item(
            items[mirrored], profiles[2]
        )
    # The memo as a leaf judge of its own (``judge_item``'s ``leaf``) answers as evaluate_condition.
    assert judge_item(items[5], profiles[3], None, memo) == judge_item(items[5], profiles[3])


def test_window_dot_products_are_each_row_s_own_whatever_rows_are_scored_with_it():
    # ``ItemIndex._dense`` scores a region's blocks of windows by ``np.vecdot`` (one dot product per row):
    # a row's score must not depend on which rows share its block, and stays einsum's up to float32 rounding.
    rng = np.random.default_rng(5)
    matrix = rng.standard_normal((301, 384)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    vector = matrix[7] * np.float32(0.5) + matrix[8] * np.float32(0.5)
    whole = np.vecdot(matrix, vector)
    for first, last in ((0, 301), (7, 9), (8, 9), (100, 250), (300, 301)):
        assert np.array_equal(np.vecdot(matrix[first:last], vector), whole[first:last])
    assert np.allclose(whole, np.einsum("ij,j->i", matrix, vector), rtol=0, atol=1e-6)
    assert whole.dtype == np.float32
