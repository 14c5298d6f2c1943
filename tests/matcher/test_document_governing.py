"""Clauses that govern a whole document (matcher.extraction.document), on sentences written for these tests.

A title supporting one sector's enterprises, the duties a scope sentence asks beside the place of registration,
and a sentence that bars enterprises from every support for a time join every item's conditions, through the real
ingest into a real SQLite store; each item's own leaves keep their order after the governing ones.
"""

from pathlib import Path

from corpus.store import open_store
from matcher.extraction.document import governing_clauses, governing_extraction
from matcher.ingest import ingest_policies

SERVICES = list("FGHIJKLMNOPQRS")

TEXT = (
    "关于稳岗扩就业的若干措施\n"
    "一、对新招用退役军人的企业，给予每人3000元招用补贴。\n"
    "二、对组织职工参加技能培训的企业，按每人每月400元给予培训补贴。\n"
    "三、上述措施适用于在余杭区登记、依法纳税并入统的企业。"
    "凡通过提供虚假材料套取补贴的企业，除追回已拨资金外，两年内不得申报区级各类扶持资金。"
)


def _offered_conditions(store, policy_id: str, closing: str = "") -> list[list]:
    """Conditions of each offered item, but one whose own text holds the closing sentences (it reads them itself)."""
    items = store.get_policy(policy_id).items
    offered = [i for i in items if i.is_policy is not False and not (closing and closing in i.text)]
    assert len(offered) >= 2
    return [store.item_conditions(item.id) for item in offered]


def test_duties_beside_the_place_and_a_bar_from_every_support_govern_every_item(tmp_path: Path):
    found = [TEXT[a:b] for a, b in governing_clauses(TEXT)]
    assert any("不得申报" in s for s in found), found
    store = open_store(tmp_path / "governing.sqlite3")
    try:
        record = {"id": "yh-1", "title": "关于稳岗扩就业的若干措施", "text": TEXT}
        assert ingest_policies(store, [record], progress=False).ok
        for conditions in _offered_conditions(store, "yh-1", closing="不得申报"):
            assert any(c.field == "region_code" and c.value == "330110" for c in conditions), conditions
            duties = [c for c in conditions if c.field == "undecidable" and c.value == "依法纳税并入统"]
            assert len(duties) == 1 and duties[0].role == "require", conditions
            barred = [c for c in conditions if c.field == "undecidable" and "套取补贴" in str(c.value)]
            assert len(barred) == 1 and barred[0].role == "exclude", conditions
            # Taking the money back is what befalls them, not a second condition.
            assert not any("追回" in str(c.value) for c in conditions), conditions
    finally:
        store.close()


def test_a_title_supporting_a_sectors_enterprises_bounds_every_item_by_the_sector(tmp_path: Path):
    title = "关于扶持服务业中小企业共渡难关的若干措施"
    text = (
        title
        + "\n一、对承租集体物业的企业，减免2个月租金。\n二、对不裁员少裁员的企业，返还上年度失业保险费的60%。"
    )
    store = open_store(tmp_path / "sector.sqlite3")
    try:
        assert ingest_policies(store, [{"id": "fw-2", "title": title, "text": text}], progress=False).ok
        for conditions in _offered_conditions(store, "fw-2"):
            trades = [c for c in conditions if c.field == "industry_code"]
            assert len(trades) == 1 and sorted(trades[0].value) == SERVICES, conditions
    finally:
        store.close()


def test_the_governing_leaves_join_at_the_top_and_the_items_own_keep_their_order():
    from matcher.extraction import extract_item
    from matcher.extraction.document import with_governing

    own = extract_item("对年营业收入500万元以上、从业人员20人以上的科技型中小企业，给予一次性奖励。")
    conditions, entries = governing_extraction(TEXT, governing_clauses(TEXT), region_code="330110")
    joined = with_governing(own, conditions, entries)
    assert joined.entries[len(joined.entries) - len(own.entries) :] == own.entries
    assert joined.conditions[len(joined.conditions) - len(own.conditions) :] == own.conditions
    assert any(getattr(e, "role", "") == "exclude" for e in joined.entries[: len(entries)])


def test_what_governs_no_item_adds_nothing():
    # A title for small firms names no sector; a scope sentence naming no place leaves 纳税 to the item;
    # taking back one grant bars from nothing else.
    text = "一、以上措施适用于依法纳税的企业。二、对虚报冒领的企业，收回已拨付的补贴资金。"
    _, entries = governing_extraction(
        text, governing_clauses(text), title="关于帮助小微企业渡过难关的若干措施"
    )
    fields = [(getattr(e, "field", None), getattr(e, "value", None)) for e in entries]
    assert not any(f == "industry_code" for f, _ in fields), fields
    assert not any(v == "纳税" for _, v in fields), fields
    assert not any(getattr(e, "role", "require") == "exclude" for e in entries), entries
