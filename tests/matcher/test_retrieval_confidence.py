"""The served fusion (dense weight deferring to a confident BM25) on the real encoder, FAISS and BM25.

``RetrievalConfig().fusion`` is what ``eval.fusion_choice`` chose over the NCP and
msgabench_qa training sides; these tests check that its parameters load back from a
saved retriever, rank a small real example sensibly, and that ``eval retrieval``'s
"hybrid" and the retriever's own search are the same scoring function.
"""

from __future__ import annotations

import numpy as np
import pytest

from eval.compare import ServedSystem, doc_text
from eval.sets import RetrievalDoc
from matcher.fusion import fuse, top_margin, zscore
from matcher.retrieval import HybridRetriever, RetrievalConfig

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


def test_served_fusion_weights_a_confident_bm25_and_survives_save_load(retriever, tmp_path) -> None:
    fusion = retriever.config.fusion
    assert fusion.lexical_confidence > 0 and fusion.dense_weight > 0
    vector = retriever.encoder.encode_queries([LEXICAL])
    parts = retriever.part_scores(LEXICAL, vector, list(DOCS))
    fused = fuse(parts, fusion)
    lexical = zscore(parts.bm25 + fusion.passage_weight * parts.passage)
    # This question's dense weight is the configured one shrunk by BM25's top-two margin.
    expected = fusion.dense_weight * np.exp(-fusion.lexical_confidence * top_margin(lexical))
    np.testing.assert_allclose(fused.dense, expected * zscore(parts.dense))
    assert retriever.search(LEXICAL, k=1)[0].id == "d1"
    assert retriever.search(PARAPHRASE, k=1)[0].id == "d4"
    loaded = HybridRetriever.load(retriever.save(tmp_path / "r"), retriever.encoder)
    assert loaded.config.fusion == fusion
    before = [(h.id, round(h.score, 9)) for h in retriever.search(PARAPHRASE, k=5)]
    assert [(h.id, round(h.score, 9)) for h in loaded.search(PARAPHRASE, k=5)] == before


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
