"""Clauses that govern a whole document joined to every item (matcher.ingest), on sentences written for these tests.

Through the real ingest into a real SQLite store: an item that states the document's condition in its own
words keeps both (its own requirement and the document's, labelling guide §3), while an item whose own text
holds the governing clause has read it already and gets it once.
"""

from pathlib import Path

from corpus.store import open_store
from matcher.ingest import ingest_policies

TEXT = (
    "关于支持企业稳定发展的若干措施\n"
    "一、对中小企业新招用员工的，给予每人1000元一次性吸纳就业补贴。\n"
    "二、对开展以工代训的企业，按每人每月500元给予职业培训补贴。\n"
    "三、对新获评市级企业技术中心的企业，给予20万元奖励。以上措施适用于中小企业。"
)


def _sizes(store, item) -> list:
    return [c for c in store.item_conditions(item.id) if c.field == "size_class"]


def test_an_item_stating_the_documents_condition_itself_keeps_both(tmp_path: Path):
    store = open_store(tmp_path / "governing.sqlite3")
    try:
        record = {"id": "gv-1", "title": "关于支持企业稳定发展的若干措施", "text": TEXT}
        assert ingest_policies(store, [record], progress=False).ok
        items = [i for i in store.get_policy("gv-1").items if i.is_policy is not False]
        by_words = {
            next(w for w in ("中小企业新招用", "以工代训", "技术中心") if w in i.text): i for i in items
        }
        assert set(by_words) == {"中小企业新招用", "以工代训", "技术中心"}
        # Its own 中小企业 and the document's: two requirements of the same kind, each with its words.
        assert len(_sizes(store, by_words["中小企业新招用"])) == 2
        # No size of its own: the document's only.
        assert len(_sizes(store, by_words["以工代训"])) == 1
        # The item that holds 以上措施适用于中小企业 has read it itself: once.
        assert len(_sizes(store, by_words["技术中心"])) == 1
    finally:
        store.close()
