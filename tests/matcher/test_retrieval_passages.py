import json
import shutil

import pytest

from matcher.fusion import FusionConfig
from matcher.index_versions import IndexIntegrityError
from matcher.retrieval import HybridRetriever, RetrievalConfig

# Two long items share every query word; only p1 has them in one sentence.
DOCS = {
    "p1": "本市支持企业发展。对吸纳高校毕业生就业的中小微企业给予社会保险补贴。其他事项另行通知。",
    "p2": "中小微企业可申请贷款贴息。高校图书馆向社会开放。毕业生就业指导由学校负责。保险理赔按合同办理。补贴标准另定。",
    "p3": "支持企业开展技术改造，按设备投资额的百分之十给予补助。",
}
QUERY = "中小微企业吸纳高校毕业生就业有哪些社会保险补贴？"


@pytest.fixture(scope="module")
def text_encoder(request):
    """The project's serving encoder (session-wide)."""
    return request.getfixturevalue("encoder")


def _retriever(encoder, passage_weight: float) -> HybridRetriever:
    fusion = FusionConfig("zscore", 1.0, 0.1, 1.0, passage_weight=passage_weight)
    retriever = HybridRetriever(encoder, config=RetrievalConfig(fusion=fusion, passage_chars=0))
    retriever.add(list(DOCS), list(DOCS.values()))
    return retriever


def test_hits_carry_the_best_passage_score(text_encoder):
    retriever = _retriever(text_encoder, 0.5)
    assert retriever.passages is not None
    hits = {h.id: h for h in retriever.search(QUERY, k=3)}
    # p1's best passage holds every query word, p2's are spread over four sentences.
    assert hits["p1"].passage > hits["p2"].passage > 0
    plain = _retriever(text_encoder, 0.0)
    assert plain.passages is None
    assert all(h.passage == 0.0 for h in plain.search(QUERY, k=3))


def test_passages_follow_add_remove_and_survive_save_load(text_encoder, tmp_path):
    retriever = _retriever(text_encoder, 0.5)
    retriever.add(["p9"], ["首台套重大技术装备保险补偿，按保费的百分之八十给予补贴。"])
    top = retriever.search("首台套装备保险补偿", k=1)[0]
    assert top.id == "p9" and top.passage > 0
    retriever.remove(["p9"])
    assert "p9" not in retriever.passages  # type: ignore[operator]
    assert "p9" not in [h.id for h in retriever.search("首台套装备保险补偿", k=3)]
    retriever.save(tmp_path / "r")
    loaded = HybridRetriever.load(tmp_path / "r", text_encoder)
    assert loaded.passages is not None and loaded.config.passage_chars == 0
    before = [(h.id, round(h.score, 5), round(h.passage, 5)) for h in retriever.search(QUERY, k=3)]
    after = [(h.id, round(h.score, 5), round(h.passage, 5)) for h in loaded.search(QUERY, k=3)]
    assert after == before
    # A manifest that weights passages without a saved passage index is refused.
    shutil.rmtree(tmp_path / "r" / "passages")
    with pytest.raises(IndexIntegrityError, match="passage"):
        HybridRetriever.load(tmp_path / "r", text_encoder)


def test_a_retriever_saved_before_passages_and_strides_still_loads(text_encoder, tmp_path):
    old = RetrievalConfig(
        fusion=FusionConfig("zscore", 1.0, 0.1, 1.0), chunk_chars=480, max_chunks=4, chunk_stride=0
    )
    retriever = HybridRetriever(text_encoder, config=old)
    retriever.add(list(DOCS), list(DOCS.values()))
    retriever.save(tmp_path / "r")
    manifest = tmp_path / "r" / "retriever.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    for key in ("chunk_stride", "passage_chars"):
        del data["config"][key]
    del data["config"]["fusion"]["passage_weight"]
    manifest.write_text(json.dumps(data), encoding="utf-8")  # what policymatch-hybrid/1 wrote before
    loaded = HybridRetriever.load(tmp_path / "r", text_encoder)
    assert loaded.passages is None and loaded.config.chunk_stride == 0
    assert loaded.config.fusion.passage_weight == 0
    assert [h.id for h in loaded.search(QUERY, k=3)] == [h.id for h in retriever.search(QUERY, k=3)]
