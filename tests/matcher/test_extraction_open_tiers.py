"""The v2 reading of measures for every enterprise beside ones for some, of places, and of titles applied for (issue 14): sentences written for these tests."""

from __future__ import annotations

from pathlib import Path

from extraction_helpers import checked_leaves

from corpus.conditions import Condition, Tier, judge_item
from matcher.extraction import extract_entries, extract_item


def _leaves(text: str) -> list[Condition]:
    return checked_leaves(text)


def test_a_measure_for_every_enterprise_beside_ones_for_some_is_an_open_tier() -> None:
    # 准许企业… / 将…延长至…: a measure of its own that names no one, beside measures each for its own
    # enterprises, is a tier every enterprise reaches — not a part of one AND.
    text = (
        "（五）减轻企业办税负担。疫情期间，准许企业延期办理纳税申报。对符合延期缴纳条件的企业，"
        "依法延长不超过三个月的缴纳期限。对缴纳房产税确有困难的企业，依法予以减免房产税。"
    )
    tiers = _tiers_with_one_open(text)
    assert len(tiers) == 3
    assert [t for t in tiers if not t.conditions and "准许企业" in t.span]
    text = (
        "3.推迟缴纳失业保险费。将3月、4月应缴失业保险费的征收期延长至5月底。对于餐饮、住宿等受影响较大的"
        "行业企业，可将征收期延长至8月底。"
    )
    entries = extract_entries(text)
    assert judge_item(entries, {"id": "x", "industry_code": "C3311"}).level == "eligible"
    assert judge_item(entries, {"id": "x", "industry_code": "H6210"}).level == "eligible"


def _tiers_with_one_open(text: str, label: str = "所有企业") -> list[Tier]:
    """Read ``text`` as tiers only, one of them open (``label``: every enterprise or every other one)."""
    entries = extract_entries(text)
    tiers = [e for e in entries if isinstance(e, Tier)]
    assert len(tiers) == len(entries)  # nothing is common to every measure
    assert [t.label for t in tiers if not t.conditions] == [label]
    assert judge_item(entries, {"id": "x"}).level == "eligible"
    return tiers


def test_a_relief_of_named_enterprises_charges_beside_every_enterprise_supply_makes_tiers() -> None:
    # 减免…X企业…电费 names its beneficiary inside the charge relieved; 对X…实施“…”服务 is a service to X;
    # 对企业生产用水实行… is every enterprise's own supply: a tier no enterprise lacks, no stand-in.
    text = (
        "（四）降低用能成本。减免停产期间高压用电企业的基本电费。对防疫用品生产企业用电报装实施“零跑腿”服务。"
        "加大补贴力度。对企业生产用水实行“欠费不断供”，疫情过后由企业补缴。"
    )
    tiers = _tiers_with_one_open(text)
    values = {str(c.value) for t in tiers for c in t.conditions}
    # 防疫用品生产企业 is what the enterprise makes: a semantic leaf, no stand-in (labelling guide, l25).
    assert values == {"停产期间高压用电企业", "防疫用品生产企业"}
    # Alone, every enterprise's own supply states no requirement to stand in for.
    alone = "对企业生产用水实行“欠费不断供”，疫情过后补缴。"
    assert "企业生产用水" not in {c.value for c in _leaves(alone)}
    # 实施 leads to a service only: 因政府实施隔离措施 keeps its words.
    kept = "因政府实施隔离措施导致不能按期履约的企业，可申请延期。"
    assert any("实施隔离措施" in str(c.value) for c in _leaves(kept) if c.field == "undecidable")


def test_a_relief_to_payers_at_large_beside_a_quota_fixed_for_some_makes_tiers() -> None:
    # 纳税人…免收…费用 is every payer's; 对生产…物资的纳税人，税务机关根据其实际需要核定… is a measure for some
    # (核定 is its outcome, 实际需要 no obligation).
    text = (
        "五、方便领用发票。即日起至3月底，纳税人在网上申请发票邮寄业务免收快递费用。对生产和销售消毒用品等防疫物资的"
        "纳税人，税务机关按其实际需要核定发票领用数量。"
    )
    assert len(_tiers_with_one_open(text)) == 2
    # Every payer of the place may: no one to stand in for.
    every = "关于本省纳税人网上领用发票的公告 全省纳税人可以通过电子税务局办理发票领用，选择邮寄方式领取。"
    assert not [c for c in _leaves(every) if c.field == "undecidable"]


def test_a_consequence_or_a_named_object_is_no_open_tier() -> None:
    # 缓缴期间免收滞纳金 follows from the measure before it; 免征民航企业缴纳的… names its object; a part with
    # a subject of its own (…的，可顺延) is conditional: none of them is a measure every enterprise has.
    for text in (
        "对受疫情影响、缴纳社会保险费确有困难的企业，可缓缴社会保险费。缓缴期间免收滞纳金。",
        "对生产防疫物资的企业，给予一次性补贴。免征航运企业缴纳的港口建设费。",
        "对生产防疫物资的企业，给予一次性补贴。原缴款期限在3月上旬的，企业可顺延至3月底缴纳。",
        # What departments must do (财政要…，简化审批流程) grants the enterprise nothing.
        "对商业银行发放普惠型小微企业贷款的，按比例给予奖励；对银行为重点企业发放贷款形成不良的，"
        "各级财政要及时启动补偿，简化审批流程。",
    ):
        entries = extract_entries(text)
        assert not [e for e in entries if isinstance(e, Tier) and not e.conditions], text
        assert judge_item(entries, {"id": "x"}).level != "eligible", text


def test_every_other_payer_after_a_tier_is_a_complement_tier() -> None:
    # 对大型企业等其他参保单位…减半: "every other one" after a tier for 中小微 is a tier no enterprise lacks.
    text = (
        "一、各地可免征中小微企业三项社会保险单位缴费部分，免征期限不超过4个月；对大型企业等其他参保单位"
        "（不含机关事业单位）三项社会保险单位缴费部分可减半征收，减征期限不超过2个月。"
    )
    entries = _tiers_with_one_open(text, label="其他企业")
    assert not [c for c in _leaves(text) if c.field == "undecidable"]
    assert judge_item(entries, {"id": "x", "size_class": "大"}).level == "eligible"
    # 参保企业 that narrows whom a measure is for is still a requirement.
    narrowed = "对受疫情影响的参保企业，返还其上年度实际缴纳失业保险费的30%。"
    assert "参保企业" in {c.value for c in _leaves(narrowed) if c.field == "undecidable"}


def test_a_region_excepted_bounds_every_tier() -> None:
    # 各省（除湖北省外）…；对其他参保单位…: the province excepted is out of both measures, not only the first.
    text = (
        "各省（除湖北省外）可免征中小微企业三项社会保险单位缴费部分，免征期限不超过4个月；"
        "对大型企业等其他参保单位三项社会保险单位缴费部分可减半征收，减征期限不超过2个月。"
    )
    entries = extract_entries(text)
    common = [e for e in entries if isinstance(e, Condition)]
    assert [(c.field, c.value, c.role) for c in common] == [("region_code", "42", "exclude")]
    assert judge_item(entries, {"id": "x", "size_class": "大", "region_code": "420100"}).level == "ineligible"
    assert judge_item(entries, {"id": "x", "size_class": "大", "region_code": "330100"}).level == "eligible"


def test_a_place_whose_authority_may_grant_the_measure_is_a_region() -> None:
    # 自…起，湖南省可免征… / 湖南等受灾较重地区可以…延长: the place's enterprises get it (a region, not a stand-in).
    text = "三、自2021年3月起，湖南省可免征各类参保单位三项社会保险单位缴费部分，免征期限不超过3个月。"
    assert [(c.field, c.value) for c in _leaves(text)] == [("region_code", "43")]
    text = (
        "对按季申报的纳税人，将一季度申报期限延长至4月30日；湖南等受灾较重地区可以视情况再适当延长，"
        "具体时间由省税务局确定。"
    )
    tiers = [e for e in extract_entries(text) if isinstance(e, Tier)]
    assert [(c.field, c.value) for t in tiers for c in t.conditions if c.field == "region_code"] == [
        ("region_code", "43")
    ]
    # 可能 is no permission; a place that is not an authority's subject stays no region.
    assert not [
        c for c in _leaves("湖南省可能出现用工短缺，对受影响企业给予补贴。") if c.field == "region_code"
    ]


def test_a_place_whose_enterprises_a_relief_is_for_is_a_region() -> None:
    # 免收 / 减免 + a place's enterprises: the place bounds who is spared (as 对…企业 does).
    text = "（五）免收江西省上市公司、挂牌公司应缴纳的2021年度年费，免除江西省期货公司的席位费。"
    regions = [c for c in _leaves(text) if c.field == "region_code"]
    assert {c.value for c in regions} == {"36"}
    text = "减免台州市小微企业承租市属国有房产的租金。"
    assert [c.value for c in _leaves(text) if c.field == "region_code"] == ["3310"]
    # A place that is not the enterprises' (免收企业向省里缴纳的…; fees paid to a place) stays no region.
    text = "免收企业向江西省交易所缴纳的上市年费。"
    assert not [c for c in _leaves(text) if c.field == "region_code"]


def test_an_item_for_becoming_a_title_that_names_nothing_else_has_no_stand_in() -> None:
    # The title is what the applicant becomes (labelling guide §5): every enterprise may apply, and its
    # words name no one to stand in for.
    text = (
        "专精特新中小企业认定是我局的一项常规工作，每年自通知发布之日起集中受理，认定通过后在网站公布名单。"
    )
    assert extract_entries(text) == ()
    # A requirement beside the title is still read.
    kept = _leaves("申请认定专精特新中小企业的，须在本地注册满两年。")
    assert not [c for c in kept if c.field == "qualifications"]
    assert kept
    # An item naming no title and no condition we read is still no silent yes.
    assert [c.field for c in _leaves("企业可登录服务平台在线办理展期手续。")] == ["undecidable"]


def test_an_empty_v2_reading_is_stored_as_no_condition(tmp_path: Path) -> None:
    # The v1 leaves hold the title applied for; the store serves the v2 reading, empty, not them.
    from corpus.store import open_store
    from corpus.store.policy_tables import extracted_entries
    from matcher.ingest import ingest_policies

    text = "高新技术企业认定是我委的一项行政确认工作，每年自通知发布之日起限期办理，认定通过后颁发证书。"
    extraction = extract_item(text)
    assert extraction.entries == () and extracted_entries(extraction) == ()
    store = open_store(tmp_path / "store.sqlite3")
    try:
        ingest_policies(store, [{"id": "x12-applied", "title": "答复", "text": text}], progress=False)
        (item,) = list(store.iter_items("x12-applied"))
        conditions = store.item_conditions(item.id)
        assert conditions == []
        assert judge_item(conditions, {"id": "e1", "qualifications": []}).level == "eligible"
    finally:
        store.close()
