"""The served fusion (a listwise model over both real sets' parts) on the real encoder, FAISS and BM25.

``RetrievalConfig().fusion`` is what ``eval.fusion_logistic`` fitted on the NCP and
msgabench_qa training sides; these tests check its score by hand from the parts, that it
reads each document's number of dense windows, that it loads back from a saved retriever
and ranks a small real example sensibly, and that ``eval retrieval``'s "hybrid" and the
retriever's own search are the same scoring function.
"""

from __future__ import annotations

import numpy as np
import pytest

from eval.compare import ServedSystem, doc_text
from eval.sets import RetrievalDoc
from matcher.fusion import LISTWISE_FEATURES, PartScores, fuse, log_windows, top_margin, zscore
from matcher.retrieval import HybridRetriever, RetrievalConfig, chunk_text

DOCS = {
    "d1": "对吸纳高校毕业生就业的中小微企业，按每人每月500元给予社会保险补贴，期限不超过12个月。",
    "d2": "支持企业开展技术改造，按设备投资额的百分之十给予补助，单个项目最高300万元。",
    "d3": "新认定的国家级高新技术企业，一次性奖励20万元。",
    "d4": "受疫情影响暂时无法营业的餐饮企业，可申请减免三个月房租。",
    "d5": "首台套重大技术装备投保的，按保费的百分之八十给予补贴。",
}
# Shares many words with d1 only: BM25 singles out d1.
LEXICAL = "吸纳高校毕业生就业的中小微企业社会保险补贴"
# Shares almost no word with d4: a paraphrase dense must carry.
PARAPHRASE = "饭馆因为新冠停业了，租金能不能少交一些"


@pytest.fixture(scope="module")
def retriever(request) -> HybridRetriever:
    """The served retriever over the five documents, with the real serving encoder."""
    encoder = request.getfixturevalue("encoder")
    built = HybridRetriever(encoder, config=RetrievalConfig())
    built.add(list(DOCS), list(DOCS.values()))
    return built


def test_served_fusion_scores_by_hand_and_survives_save_load(retriever, tmp_path) -> None:
    fusion = retriever.config.fusion
    assert fusion.listwise and fusion.passage_weight > 0
    vector = retriever.encoder.encode_queries([LEXICAL])
    parts = retriever.part_scores(LEXICAL, vector, list(DOCS))
    assert parts.log_windows is None and retriever.windows(list(DOCS)).tolist() == [1.0] * len(
        DOCS
    )  # short texts: one window
    fused = fuse(parts, fusion)
    # Written out term by term: with one window each, w = log 1 = 0 and every window term vanishes.
    lexical = zscore(parts.bm25 + fusion.passage_weight * parts.passage)
    dense = zscore(parts.dense)
    m_lexical, m_dense = top_margin(lexical), top_margin(dense)
    t = dict(zip(LISTWISE_FEATURES, fusion.listwise, strict=True))
    expected = (
        t["L"] * lexical
        + t["D"] * dense
        + t["D·e^−mL"] * dense * np.exp(-m_lexical)
        + t["L·mD"] * lexical * m_dense
        + t["D·mD"] * dense * m_dense
    )
    np.testing.assert_allclose(fused.total, expected, atol=1e-12)
    np.testing.assert_allclose(fused.bm25, (t["L"] + t["L·mD"] * m_dense) * lexical, atol=1e-12)
    assert retriever.search(LEXICAL, k=1)[0].id == "d1"
    assert retriever.search(PARAPHRASE, k=1)[0].id == "d4"
    loaded = HybridRetriever.load(retriever.save(tmp_path / "r"), retriever.encoder)
    assert loaded.config.fusion == fusion
    before = [(h.id, round(h.score, 9)) for h in retriever.search(PARAPHRASE, k=5)]
    assert [(h.id, round(h.score, 9)) for h in loaded.search(PARAPHRASE, k=5)] == before


def test_a_long_document_is_read_by_its_windows_and_weighed_by_their_number(encoder) -> None:
    config = RetrievalConfig()
    built = HybridRetriever(encoder, config=config)
    long_text = "。".join([DOCS["d2"]] * 40)  # one measure said forty times: many windows, the same words
    built.add(["short", "long"], [DOCS["d2"], long_text])
    windows = built.windows(["short", "long", "absent"]).tolist()
    assert windows == [
        1.0,
        float(len(chunk_text(long_text, config.chunk_chars, config.max_chunks, config.chunk_stride))),
        0.0,
    ]
    assert windows[1] > 3
    # Same dense and lexical evidence, more windows: the window prior (a negative weight) puts the short one first.
    parts = PartScores(
        np.array([1.0, 1.0, 0.0]),
        None,
        np.array([0.8, 0.8, 0.1]),
        None,
        log_windows(np.array([1.0, windows[1], 1.0])),
    )
    total = fuse(parts, config.fusion).total
    assert dict(zip(LISTWISE_FEATURES, config.fusion.listwise, strict=True))["w"] < 0
    assert total[0] > total[1]


def test_eval_hybrid_is_the_served_search(retriever, tmp_path) -> None:
    docs = [RetrievalDoc(docid=d, title="", text=t) for d, t in DOCS.items()]
    system = ServedSystem(retriever.encoder, cache_dir=tmp_path / "vectors", depth=5)
    system.fit(docs)
    queries = [LEXICAL, PARAPHRASE]
    scores = system.scores(queries)
    # The same (cached) encoder, so both read identical vectors; the rest is the served retriever.
    served = HybridRetriever(system.encoder, config=RetrievalConfig())
    served.add([d.docid for d in docs], [doc_text(d) for d in docs])
    for row, query in enumerate(queries):
        hits = served.search(query, k=5)
        np.testing.assert_allclose(
            [scores[row, list(DOCS).index(h.id)] for h in hits], [h.score for h in hits], rtol=1e-6
        )
        # The hits' scores are fuse() over the candidates' parts (here every document): one scoring function.
        vector = served.encoder.encode_queries([query])
        total = fuse(served.part_scores(query, vector, list(DOCS)), served.config.fusion).total
        np.testing.assert_allclose(
            [total[list(DOCS).index(h.id)] for h in hits], [h.score for h in hits], rtol=1e-6
        )
