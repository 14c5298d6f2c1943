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
        # The plain dense part: every window in catalog order, one einsum, the best window per item.
        blocks = [retriever.chunk_vectors([item.id])[0] for item in catalog.items]
        starts = np.r_[0, np.cumsum([len(b) for b in blocks])]
        for enterprise_id in ids:
            profile = matcher.profile_for(enterprise_id, None)
            vector = matcher.judge.text_vectors([profile.get("business_scope") or enterprise_id])
            plain = np.maximum.reduceat(
                np.einsum("ij,j->i", np.concatenate(blocks), vector.ravel()), starts[:-1]
            )
            region = str(profile.get("region_code") or "")
            own = np.flatnonzero([region.startswith(catalog.prefixes[p]) for p in catalog.prefix_of])
            assert np.array_equal(index._dense(catalog, retriever, vector, own), plain[own])
            assert np.array_equal(index._dense(catalog, retriever, vector, everything), plain)
            # Sorting only the levels that reach into top_k: the same first results as sorting them all.
            few = matcher.match(enterprise_id=enterprise_id, top_k=5, levels=ALL_LEVELS).to_dict()
            every = matcher.match(enterprise_id=enterprise_id, top_k=10_000, levels=ALL_LEVELS).to_dict()
            assert few["results"] == every["results"][:5] and few["counts"] == every["counts"]
