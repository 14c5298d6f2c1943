import math

import numpy as np
import pytest

from matcher.fusion import FusionConfig, PartScores, fuse, lexical_evidence, zscore
from matcher.lexical import BM25Index
from matcher.passages import PassageIndex, split_passages


def _words(text: str) -> list[str]:
    return text.replace("。", " ").split()


def _hand_index(min_chars: int = 0) -> PassageIndex:
    return PassageIndex(min_chars=min_chars, index=BM25Index(k1=1.2, b=0.75, tokenizer=_words))


def test_split_passages_merges_sentences_to_the_minimum_length():
    assert split_passages("一二三。四五。六七八九。十", 0) == ["一二三。", "四五。", "六七八九。", "十"]
    # "四五。" is short and joins the next sentence; the short tail "十" joins the last passage.
    assert split_passages("一二三。四五。六七八九。十", 4) == ["一二三。", "四五。六七八九。十"]
    assert split_passages("第一段\n第二段；第三段", 0) == ["第一段", "第二段；", "第三段"]
    assert split_passages("没有句号的一段话", 80) == ["没有句号的一段话"]
    assert split_passages("", 80) == [""]


def test_best_passage_score_by_hand():
    index = _hand_index()
    index.add(["d1", "d2"], ["a b。c c。", "a c。"])
    # Passages: d1 → "a b", "c c"; d2 → "a c". N = 3 passages, avgdl = 2, df(c) = 2.
    idf = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    ids, best = index.best_scores("c")
    got = dict(zip(ids, best.tolist(), strict=True))
    assert got["d1"] == pytest.approx(idf * 2 / (2 + 1.2), rel=1e-6)  # "c c": tf 2, length 2
    assert got["d2"] == pytest.approx(idf * 1 / (1 + 1.2), rel=1e-6)  # "a c": tf 1, length 2
    # Removing d1 leaves one passage: df, N and the average length follow at the next query.
    assert index.remove(["d1", "unknown"]) == 1 and "d1" not in index
    ids, best = index.best_scores("c")
    assert ids == ["d2"]
    assert best[0] == pytest.approx(math.log(1 + 0.5 / 1.5) * 1 / (1 + 1.2), rel=1e-6)
    index.add(["d3"], ["c。c c c。"])
    ids, best = index.best_scores("c")
    assert set(ids) == {"d2", "d3"} and len(index) == 2
    with pytest.raises(ValueError, match="already"):
        index.add(["d2"], ["x"])


def test_passage_index_round_trip(tmp_path):
    index = PassageIndex(min_chars=10)
    index.add(
        ["p1", "p2"],
        ["对认定为小巨人的企业给予奖励。研发费用加计扣除。", "吸纳高校毕业生就业的，给予社保补贴。"],
    )
    index.remove(["p1"])
    index.add(["p1"], ["研发费用加计扣除比例提高到百分之百。"])
    index.save(tmp_path / "passages")
    loaded = PassageIndex.load(tmp_path / "passages")
    assert loaded.min_chars == 10 and len(loaded) == 2
    before = dict(zip(*index.best_scores("研发费用加计扣除"), strict=True))
    after = dict(zip(*loaded.best_scores("研发费用加计扣除"), strict=True))
    assert before.keys() == after.keys() and before["p1"] > 0
    for doc_id, score in before.items():
        assert after[doc_id] == pytest.approx(score, rel=1e-6)


def test_fuse_adds_passage_evidence_before_normalising():
    bm25 = np.array([4.0, 3.0, 0.0])
    passage = np.array([1.0, 3.0, 0.0])
    np.testing.assert_allclose(lexical_evidence(bm25, passage, 0.5), [4.5, 4.5, 0.0])
    np.testing.assert_allclose(lexical_evidence(bm25, None, 0.5), bm25)
    config = FusionConfig("zscore", 1.0, 0.1, 0.0, passage_weight=0.5)
    dense = np.array([0.2, 0.9, 0.1])
    fused = fuse(PartScores(bm25, passage, dense), config)
    np.testing.assert_allclose(fused.bm25, zscore(np.array([4.5, 4.5, 0.0])))
    # The second candidate's better passage ties it with the first lexically; dense breaks the tie.
    assert int(np.argmax(fused.total)) == 1
    # Without passage scores (callers that have none) the BM25 part is the document's alone.
    np.testing.assert_allclose(fuse(PartScores(bm25, None, dense), config).bm25, zscore(bm25))


def test_incremental_passages_equal_a_fresh_build():
    texts = {
        f"d{i}": f"第{i}条。支持企业{i % 7}开展技术改造。对吸纳就业{i % 5}人的给予补贴。" for i in range(90)
    }
    index = PassageIndex(min_chars=0)
    index.add(list(texts), list(texts.values()))
    doomed = [f"d{i}" for i in range(0, 90, 2)]  # 45 documents, 135 passages: the BM25 rows get compacted
    assert index.remove(doomed) == 45
    index.add(["d0"], ["第0条。重新发布的补贴条款。"])
    kept = {d: t for d, t in texts.items() if d not in doomed} | {"d0": "第0条。重新发布的补贴条款。"}
    fresh = PassageIndex(min_chars=0)
    fresh.add(list(kept), list(kept.values()))
    for query in ("技术改造补贴", "吸纳就业3人", "重新发布"):
        got = dict(zip(*index.best_scores(query), strict=True))
        want = dict(zip(*fresh.best_scores(query), strict=True))
        assert got.keys() == want.keys() == kept.keys()
        for doc_id, score in want.items():
            assert got[doc_id] == pytest.approx(score, rel=1e-5, abs=1e-9)
