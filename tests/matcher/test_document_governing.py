"""Clauses that govern a whole document (matcher.extraction.document), on sentences written for these tests.

A scope sentence's duties beside its region (注册、纳税、纳统), a sentence that bars enterprises from every support
for a time (…三年内不准其申请各类补贴资金), and a title that supports one trade's enterprises (支持服务业企业) join
every item's conditions, through the real ingest into a real SQLite store.
"""

from pathlib import Path

from corpus.store import open_store
from matcher.extraction.document import governing_clauses, governing_extraction
from matcher.ingest import ingest_policies

SERVICES = ["F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S"]

TEXT = (
    "关于稳定企业用工的若干措施\n"
    "一、对吸纳高校毕业生就业的企业，给予每人2000元一次性吸纳就业补贴。\n"
    "二、对开展以工代训的企业，按每人每月500元给予职业培训补贴。\n"
    "三、以上措施适用于在萧山区注册、纳税、入统的企业。"
    "对虚报冒领、骗取补贴资金的单位，除追回资金外，五年内不准其申请区级各类扶持资金。"
)


def _conditions(store, policy_id: str, closing: str = "") -> list[list]:
    """Conditions of each offered item but one whose own text holds the closing sentences (it reads them itself)."""
    items = store.get_policy(policy_id).items
    offered = [i for i in items if i.is_policy is not False and not (closing and closing in i.text)]
    assert len(offered) >= 2
    return [store.item_conditions(item.id) for item in offered]


def test_a_scope_sentences_duties_and_a_bar_from_every_support_govern_every_item(tmp_path: Path):
    found = [TEXT[a:b] for a, b in governing_clauses(TEXT)]
    assert any("不准其申请" in s for s in found)
    store = open_store(tmp_path / "governing.sqlite3")
    try:
        record = {"id": "xh-1", "title": "关于稳定企业用工的若干措施", "text": TEXT}
        assert ingest_policies(store, [record], progress=False).ok
        for conditions in _conditions(store, "xh-1", closing="不准其申请"):
            assert any(c.field == "region_code" and c.value == "330109" for c in conditions), conditions
            duties = [c for c in conditions if c.field == "undecidable" and c.value == "纳税、入统"]
            assert len(duties) == 1 and duties[0].role == "require", conditions
            barred = [c for c in conditions if c.field == "undecidable" and "骗取补贴资金" in str(c.value)]
            assert len(barred) == 1 and barred[0].role == "exclude", conditions
            # The money taken back is what happens to them, not a second requirement.
            assert not any("追回资金" in str(c.value) for c in conditions), conditions
    finally:
        store.close()


def test_a_title_supporting_service_enterprises_bounds_every_item_by_the_service_trades(tmp_path: Path):
    text = (
        "关于支持服务业企业纾困发展的若干措施\n"
        "一、对租用国有房产的企业，免收3个月房租。\n"
        "二、对稳定就业岗位的企业，返还上年度失业保险费的50%。"
    )
    store = open_store(tmp_path / "services.sqlite3")
    try:
        record = {"id": "fw-1", "title": "关于支持服务业企业纾困发展的若干措施", "text": text}
        assert ingest_policies(store, [record], progress=False).ok
        for conditions in _conditions(store, "fw-1"):
            trades = [c for c in conditions if c.field == "industry_code"]
            assert len(trades) == 1 and list(trades[0].value) == SERVICES, conditions
    finally:
        store.close()


def test_what_does_not_govern_every_item_adds_nothing():
    # A title for small firms states no trade; a scope sentence naming no region leaves 纳税 to the item;
    # a sentence that takes back one grant bars from nothing else.
    text = "一、以上措施适用于依法纳税的企业。二、对弄虚作假的企业，追回已拨付的补贴资金。"
    conditions, entries = governing_extraction(
        text, governing_clauses(text), title="关于支持中小企业渡过难关的若干措施"
    )
    fields = [(getattr(e, "field", None), getattr(e, "value", None)) for e in entries]
    assert not any(f == "industry_code" for f, _ in fields), fields
    assert not any(v == "纳税" for _, v in fields), fields
    assert not any(getattr(e, "role", "require") == "exclude" for e in entries), entries
