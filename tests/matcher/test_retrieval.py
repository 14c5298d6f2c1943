import numpy as np
import pytest

from matcher.fusion import FusionConfig
from matcher.index_versions import IndexIntegrityError
from matcher.retrieval import Hit, HybridRetriever, RetrievalConfig, chunk_text

DOCS = {
    "p1#1": "对认定为国家级专精特新小巨人企业的，给予一次性奖励50万元",
    "p1#2": "高新技术企业研发费用加计扣除比例提高到百分之百",
    "p2#1": "中小微企业吸纳高校毕业生就业的，给予社会保险补贴",
    "p2#2": "疫情期间减免中小微企业房租，稳岗返还失业保险费",
    "p3#1": "对符合条件的企业给予贷款贴息，贴息比例不超过百分之五十",
    "p3#2": "支持企业开展技术改造，按设备投资额的百分之十给予补助",
}


@pytest.fixture(scope="module")
def text_encoder(request):
    """The project's serving encoder (session-wide)."""
    return request.getfixturevalue("encoder")


@pytest.fixture()
def retriever(text_encoder):
    retriever = HybridRetriever(
        text_encoder, config=RetrievalConfig(chunk_chars=16, max_chunks=3, chunk_stride=12)
    )
    retriever.add(list(DOCS), list(DOCS.values()))
    return retriever


def test_chunk_text_windows():
    assert chunk_text("abcdefg", 3, 2) == ["abc", "def"]
    assert chunk_text("ab", 3, 2) == ["ab"]
    assert chunk_text("", 3, 2) == [""]
    # Overlapping windows stop at the first one that reaches the end of the text.
    assert chunk_text("abcdefghij", 4, 10, 2) == ["abcd", "cdef", "efgh", "ghij"]
    assert chunk_text("abcdefgh", 4, 10, 2) == ["abcd", "cdef", "efgh"]
    assert chunk_text("abcdefghij", 4, 2, 2) == ["abcd", "cdef"]
    with pytest.raises(ValueError, match="chunk_stride"):
        RetrievalConfig(chunk_chars=100, chunk_stride=200)


def test_search_returns_hits_with_every_part(retriever):
    hits = retriever.search("高校毕业生就业社保补贴", k=3)
    assert all(isinstance(h, Hit) for h in hits) and len(hits) == 3
    assert hits[0].id == "p2#1"
    assert hits[0].bm25 > 0 and 0 < hits[0].dense <= 1.0001
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_tag_scores_and_allowed_ids(retriever, text_encoder):
    allowed = ["p1#1", "p3#1", "p3#2"]
    hits = retriever.search("企业补贴", k=5, allowed_ids=allowed)
    assert {h.id for h in hits} <= set(allowed)
    tagged = HybridRetriever(
        text_encoder,
        lexical=retriever.lexical,
        vectors=retriever.vectors,
        config=RetrievalConfig(
            fusion=FusionConfig("zscore", 1.0, 1.0, 10.0), chunk_chars=16, max_chunks=3, chunk_stride=12
        ),
    )
    tagged._slots, tagged._chunks, tagged._doc_of_slot = (
        retriever._slots,
        retriever._chunks,
        retriever._doc_of_slot,
    )
    hits = tagged.search("企业补贴", k=6, tag_scores={"p1#2": 1.0})
    assert hits[0].id == "p1#2" and hits[0].tags == 1.0
    assert retriever.search("企业", k=3, allowed_ids=[]) == []


def test_add_remove_update_are_seen_by_the_next_search(retriever):
    retriever.add(["p9#1"], ["首台套重大技术装备保险补偿，按保费的百分之八十给予补贴"])
    assert retriever.search("首台套装备保险补偿", k=1)[0].id == "p9#1"
    retriever.remove(["p9#1"])
    assert "p9#1" not in [h.id for h in retriever.search("首台套装备保险补偿", k=6)]
    retriever.update(["p1#1"], ["首台套重大技术装备保险补偿"])
    assert retriever.search("首台套装备保险补偿", k=1)[0].id == "p1#1"
    assert len(retriever) == 6
    with pytest.raises(ValueError, match="already"):
        retriever.add(["p2#1"], ["x"])


def test_save_load_round_trip_and_model_check(retriever, text_encoder, tmp_path):
    retriever.save(tmp_path / "r")
    loaded = HybridRetriever.load(tmp_path / "r", text_encoder)
    before = retriever.search("研发费用加计扣除", k=3)
    after = loaded.search("研发费用加计扣除", k=3)
    assert [h.id for h in after] == [h.id for h in before]
    np.testing.assert_allclose([h.score for h in after], [h.score for h in before], rtol=1e-5)

    class OtherModel:
        dim = text_encoder.dim
        model_id = "some-other-model"

    with pytest.raises(IndexIntegrityError, match="rebuild it"):
        HybridRetriever.load(tmp_path / "r", OtherModel())  # type: ignore[arg-type]


def test_question_words_do_not_reach_bm25(retriever):
    # A policy question scores lexically as its content words: 哪些/如何/是否 match nothing.
    asked = {h.id: h.bm25 for h in retriever.search("哪些企业可以申请贷款贴息？如何办理？", k=6)}
    plain = {h.id: h.bm25 for h in retriever.search("企业可以申请贷款贴息，办理", k=6)}
    assert next(iter(asked)) == "p3#1"
    assert asked.keys() == plain.keys()
    for doc_id, score in asked.items():
        assert score == pytest.approx(plain[doc_id], rel=1e-6)


def test_served_fusion_is_the_listwise_model_and_the_grid_holds_the_one_before_it():
    # Fitted by eval.fusion_logistic over NCP and msgabench_qa (docs/benchmarks.md, fusion-listwise); the
    # hand-weighted fusion it replaced was chosen from eval.fusion_choice's grid (fusion-choice).
    from eval.fusion_choice import HAND_WEIGHTED, grid
    from matcher.fusion import LISTWISE_FEATURES

    served = RetrievalConfig().fusion
    assert served.method == "zscore" and len(served.listwise) == len(LISTWISE_FEATURES)
    assert HAND_WEIGHTED in grid()


def test_served_defaults_add_passage_evidence_and_cover_the_whole_text():
    # Chosen on the NCP tuning half: best-sentence BM25 added to the document's, overlapping windows.
    config = RetrievalConfig()
    assert config.fusion.passage_weight > 0
    assert 0 < config.chunk_stride < config.chunk_chars
    text = "政" * 5000
    windows = chunk_text(text, config.chunk_chars, config.max_chunks, config.chunk_stride)
    assert "".join(w[: config.chunk_stride] for w in windows[:-1]) + windows[-1] == text
