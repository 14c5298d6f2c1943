import math

import bm25s
import numpy as np
import pytest

from matcher.bm25 import lucene_idf, lucene_tf_weight
from matcher.index_versions import IndexIntegrityError
from matcher.lexical import BM25Index


def test_bm25_matches_a_hand_computed_example():
    index = BM25Index(k1=1.2, b=0.75, tokenizer=str.split).fit(["d1", "d2", "d3"], ["a b", "a c c", "d"])
    # "c": df = 1 of N = 3; d2 has tf 2, length 3; average length (2 + 3 + 1) / 3 = 2.
    idf = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    tf_part = 2 / (2 + 1.2 * (1 - 0.75 + 0.75 * 3 / 2))
    result = index.search("c", k=3)
    assert result.ids == ["d2"]
    assert result.scores[0] == pytest.approx(idf * tf_part, rel=1e-6)
    # "a": df = 2; d1 (length 2) beats d2 (length 3) at equal tf.
    idf_a = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    scores, _ = index.score_rows("a")
    assert scores[0] == pytest.approx(idf_a * 1 / (1 + 1.2 * (0.25 + 0.75 * 2 / 2)), rel=1e-6)
    assert scores[1] == pytest.approx(idf_a * 1 / (1 + 1.2 * (0.25 + 0.75 * 3 / 2)), rel=1e-6)
    assert scores[2] == 0


def test_formula_functions_are_vectorised_and_never_negative():
    assert np.all(lucene_idf(np.array([1, 50, 100]), 100) > 0)
    weights = lucene_tf_weight(np.array([1.0, 2.0, 10.0]), np.array([10.0, 10.0, 10.0]), 10.0, 1.2, 0.75)
    assert np.all(np.diff(weights) > 0) and np.all(weights < 1)


CORPUS = {
    "p1": "对认定为国家级专精特新小巨人企业的，给予一次性奖励50万元",
    "p2": "高新技术企业研发费用加计扣除比例提高到百分之百",
    "p3": "中小微企业吸纳高校毕业生就业的，给予社会保险补贴",
    "p4": "疫情期间减免中小微企业房租，稳岗返还失业保险费",
    "p5": "对符合条件的企业给予贷款贴息，贴息比例不超过百分之五十",
}


def test_scores_equal_bm25s_lucene_on_chinese_text():
    index = BM25Index().fit(list(CORPUS), list(CORPUS.values()))
    tokens = [index.tokenizer(t) for t in CORPUS.values()]
    reference = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    reference.index(tokens, show_progress=False)
    for query in ("中小微企业社会保险补贴", "专精特新小巨人奖励", "贷款贴息"):
        ours, _ = index.score_rows(query)
        theirs = reference.get_scores(index.tokenizer(query))
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_incremental_add_and_remove_equal_a_fresh_fit():
    ids = list(CORPUS)
    index = BM25Index().fit(ids[:3], [CORPUS[i] for i in ids[:3]])
    index.add(ids[3:], [CORPUS[i] for i in ids[3:]])
    index.remove(["p1"])
    fresh = BM25Index().fit(ids[1:], [CORPUS[i] for i in ids[1:]])
    for query in ("中小微企业补贴", "研发费用加计扣除"):
        assert index.search(query, 5).ids == fresh.search(query, 5).ids
        np.testing.assert_allclose(index.search(query, 5).scores, fresh.search(query, 5).scores, rtol=1e-6)
    assert "p1" not in index.search("专精特新小巨人", 5).ids
    index.update(["p2"], ["专精特新小巨人企业贷款贴息"])
    assert index.search("专精特新小巨人", 5).ids[0] == "p2"
    with pytest.raises(ValueError, match="already"):
        index.add(["p3"], ["x"])


def test_allowed_ids_restrict_the_search():
    index = BM25Index().fit(list(CORPUS), list(CORPUS.values()))
    result = index.search("中小微企业", 5, allowed_ids=["p4", "p2"])
    assert result.ids[0] == "p4" and set(result.ids) <= {"p4", "p2"}
    assert "p3" in index.search("中小微企业", 5).ids


def test_bigram_analyzer_and_its_round_trip(tmp_path):
    from matcher.lexical import cjk_bigrams

    assert cjk_bigrams("复工复产，补 50万元") == ["复工", "工复", "复产", "补", "万元"]
    index = BM25Index(analyzer="bigrams").fit(list(CORPUS), list(CORPUS.values()))
    assert index.search("减免房租", 1).ids == ["p4"]
    index.save(tmp_path / "b")
    assert BM25Index.load(tmp_path / "b").analyzer == "bigrams"
    with pytest.raises(ValueError, match="valid: words"):
        BM25Index(analyzer="trigrams")


def test_save_load_round_trip_and_checksum_refusal(tmp_path):
    index = BM25Index(k1=1.5, b=0.6).fit(list(CORPUS), list(CORPUS.values()))
    index.remove(["p5"])
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert (loaded.k1, loaded.b, len(loaded)) == (1.5, 0.6, 4)
    before, after = index.search("中小微企业补贴", 5), loaded.search("中小微企业补贴", 5)
    assert after.ids == before.ids and len(after.ids) >= 2
    np.testing.assert_allclose(after.scores, before.scores, rtol=1e-6)
    with open(tmp_path / "bm25" / "ids.json", "a", encoding="utf-8") as handle:
        handle.write(" ")
    with pytest.raises(IndexIntegrityError, match="ids.json: checksum mismatch"):
        BM25Index.load(tmp_path / "bm25")


def test_question_words_are_dropped_from_queries_not_documents():
    corpus = {**CORPUS, "faq": "常见问题：哪些情形？是否需要材料？如何办理？"}
    index = BM25Index().fit(list(corpus), list(corpus.values()))
    plain = BM25Index(query_stopwords=False).fit(list(corpus), list(corpus.values()))
    question = "哪些企业可以申请贷款贴息？"
    # The FAQ matches the question only through its question word 哪些.
    assert "faq" in plain.search(question, 6).ids
    assert "faq" not in index.search(question, 6).ids
    assert index.search(question, 1).ids == ["p5"]
    # No bigram spans the removed word: the question scores as its content words do.
    np.testing.assert_allclose(index.score_rows(question)[0], index.score_rows("企业，可以申请贷款贴息")[0])


def test_saved_index_keeps_the_query_stopword_choice(tmp_path):
    index = BM25Index(query_stopwords=False).fit(list(CORPUS), list(CORPUS.values()))
    assert BM25Index.load(index.save(tmp_path / "plain")).query_stopwords is False
    assert BM25Index.load(BM25Index().fit(["a"], ["贷款"]).save(tmp_path / "default")).query_stopwords is True
