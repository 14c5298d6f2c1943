"""matcher.extraction on sentences written in the shapes of real 惠企政策 clauses."""

from __future__ import annotations

import pytest
from extraction_helpers import checked_conditions as _check_spans
from extraction_helpers import checked_keys as _keys

from matcher.extraction import PolicyTags, enterprise_tags, extract_item
from matcher.extraction.numbers import boundary_op, chinese_to_number, parse_number, to_wan


@pytest.mark.parametrize(
    ("sentence", "op"),
    [
        ("对年营业收入500万元以上的企业给予奖励", "gte"),
        ("对年营业收入500万元及以上的企业给予奖励", "gte"),
        ("对年营业收入不低于500万元的企业给予奖励", "gte"),
        ("对年营业收入达到500万元的企业给予奖励", "gte"),
        ("对年营业收入超过500万元的企业给予奖励", "gt"),
        ("对年营业收入高于500万元的企业给予奖励", "gt"),
        ("对年营业收入500万元以下的企业给予奖励", "lte"),
        ("对年营业收入不超过500万元的企业给予奖励", "lte"),
        ("对年营业收入不高于500万元的企业给予奖励", "lte"),
        ("对年营业收入500万元以内的企业给予奖励", "lte"),
        ("对年营业收入低于500万元的企业给予奖励", "lt"),
        ("对年营业收入不足500万元的企业给予奖励", "lt"),
        ("对年营业收入未满500万元的企业给予奖励", "lt"),
    ],
)
def test_each_boundary_word(sentence: str, op: str) -> None:
    assert ("revenue", op, 500.0) in _keys(sentence)


@pytest.mark.parametrize(
    ("sentence", "field", "value"),
    [
        ("主营业务收入首次达到1亿元的工业企业", "revenue", 10000.0),
        ("营业收入达到2.5亿元以上", "revenue", 25000.0),
        ("营业收入达到五千万元以上", "revenue", 5000.0),
        ("纳税总额达到300000元以上的企业", "tax_paid", 30.0),
        ("设备投资额不低于２０００万元的技改项目", "investment", 2000.0),
        ("研发费用占营业收入比例不低于3%的企业", "rd_ratio", 3.0),
        ("研发投入占比达到５％以上", "rd_ratio", 5.0),
        ("从业人员不超过300人的企业", "employees", 300.0),
        ("年出口额1000万美元以上", None, None),
    ],
)
def test_units_full_width_and_chinese_numerals(sentence: str, field: str | None, value: float | None) -> None:
    keys = _keys(sentence)
    numeric = {k for k in keys if k[0] not in ("undecidable", "industry_code", "qualifications")}
    if field is None:
        # 美元 is no unit the profile speaks: no numeric condition is guessed.
        assert not any(k[0] == "export_value" for k in numeric)
    else:
        assert (field, next(k[1] for k in numeric if k[0] == field), value) in numeric


def test_number_helpers() -> None:
    assert chinese_to_number("三") == 3
    assert chinese_to_number("五千") == 5000
    assert chinese_to_number("十二") == 12
    assert chinese_to_number("一万二千") == 12000
    assert parse_number("１２３") == 123
    assert (
        to_wan(1, "亿元") == 10000 and to_wan(500, "万元") == 500 and to_wan(3000, "元") == pytest.approx(0.3)
    )
    assert boundary_op("从业人员", "（含）以下") == "lte"
    with pytest.raises(ValueError, match="money unit"):
        to_wan(1, "美元")


def test_support_amounts_are_not_conditions() -> None:
    text = "对认定为省级专精特新中小企业的，给予50万元奖励，单个企业最高不超过200万元。"
    conditions = _check_spans(text)
    assert {c.field for c in conditions} == {"qualifications"}
    tags = extract_item(text).tags
    assert tags.amount_cap == 200 and "资金奖励" in tags.support_types


@pytest.mark.parametrize(
    ("alias", "title"),
    [
        ("高新技术企业", "国家高新技术企业"),
        ("高企", "国家高新技术企业"),  # two characters: read only where it stands as a word
        ("专精特新“小巨人”企业", "国家级专精特新“小巨人”企业"),
        ("小巨人企业", "国家级专精特新“小巨人”企业"),
        ("规模以上工业企业", "规上工业企业"),
        ("科技型中小企业", "科技型中小企业"),
    ],
)
def test_qualification_aliases(alias: str, title: str | None) -> None:
    keys = _keys(f"对被认定为{alias}的，给予一次性奖励。")
    quals = {k for k in keys if k[0] == "qualifications"}
    assert quals == ({("qualifications", "has", title)} if title else set())


def test_two_character_alias_inside_a_word_is_not_read() -> None:
    keys = _keys("支持企业提高企业管理水平，鼓励雏鹰计划宣传。")
    assert not {k for k in keys if k[0] == "qualifications"}


def test_qualifications_listed_together_are_alternatives() -> None:
    keys = _keys("属于高新技术企业、科技型中小企业的，亏损结转年限延长至10年。")
    assert ("qualifications", "in", ("国家高新技术企业", "科技型中小企业")) in keys


def test_exclusions() -> None:
    text = "申报企业须未列入失信名单，近三年无重大违法记录，未发生较大以上安全生产事故。"
    keys = _keys(text)
    assert ("credit_status", "eq", "normal") in keys
    assert ("major_violation", "eq", False) in keys
    assert any(k[0] == "undecidable" for k in keys)
    _check_spans(text)


def test_size_classes_and_false_friends() -> None:
    assert ("size_class", "in", ("中", "小", "微")) in _keys(
        "对承租国有经营用房的中小微企业，免收3个月房租。"
    )
    assert ("size_class", "in", ("小", "微")) in _keys("对小型、微型企业给予全额补贴。")
    # 小型微利企业 is a tax category, and a fund named after SMEs is not a requirement.
    assert not any(
        k[0] == "size_class" for k in _keys("小型微利企业年应纳税所得额不超过100万元的部分减按25%计入。")
    )
    assert not any(k[0] == "size_class" for k in _keys("省级中小企业发展专项资金给予一次性奖补。"))


def test_region_named_and_resolved_from_the_item() -> None:
    assert ("region_code", "within_region", "110108") in _keys("以上政策适用于在海淀区注册的企业。")
    keys = _keys("对在本区注册的规上工业企业给予奖励。", region_code="331002")
    assert ("region_code", "within_region", "331002") in keys
    # 本市登记失业人员 is about people, not where the enterprise is registered.
    assert not any(
        k[0] == "region_code" for k in _keys("企业招用本市登记失业人员的，给予补贴。", region_code="110000")
    )


def test_industries_from_phrases() -> None:
    keys = _keys("对受疫情影响较大的住宿、餐饮、旅游等行业企业，给予房租减免。")
    # 住宿 (H61) and 餐饮 (H62) together are the whole section H: the same enterprises, said as labelled.
    assert ("industry_code", "industry_in", ("H", "L7291")) in keys
    assert ("industry_code", "industry_in", ("H62",)) in _keys("对餐饮企业减免房租。")
    assert ("industry_code", "industry_in", ("C",)) in _keys("支持一季度出口额高于去年同期的制造业企业。")
    # Performances and cinemas in a list of hard-hit trades are culture, read at the section (R).
    assert ("industry_code", "industry_in", ("P", "R")) in _keys(
        "对教育培训、文艺演出、影视剧院等行业企业延期缴费。"
    )
    assert ("industry_code", "industry_in", ("C39", "I63", "I64", "I65")) in _keys(
        "对数字经济核心产业企业给予支持。"
    )


def _v1_industries(text: str) -> list[tuple[str, ...]]:
    """Industry codes of the v1 conditions (``extract_item``); ``test_extraction_trades`` reads the served v2 entries."""
    return [tuple(c.value) for c in extract_item(text).conditions if c.field == "industry_code"]


@pytest.mark.parametrize(
    ("sentence", "codes"),
    [
        # 文化旅游 is two trades (文化 → R, 旅游 → 旅行社), one list with the others.
        ("对商贸流通、住宿餐饮、文化旅游等行业企业，延长贷款期限。", ("F", "H", "L7291", "R")),
        ("对批发零售、“三农”领域等行业，给予信贷支持。", ("A", "F")),
        ("对药品生产企业和流通企业，开通审批绿色通道。", ("C27", "F515", "F525")),
        ("对医药生产企业给予设备补助。", ("C27",)),
        ("对非营利性医疗机构免征房产税。", ("Q84",)),
        ("对民航企业减免机场收费。", ("G56",)),
        # A taxi firm, its drivers or a ride-hailing platform: GB/T 4754 5413 出租车客运.
        ("本区巡游出租汽车企业每车每月发放运营补贴500元。", ("G5413",)),
        ("对出租汽车驾驶员减免承包费一个月。", ("G5413",)),
        ("支持网约车平台降低抽成比例。", ("G5413",)),
    ],
)
def test_industry_phrases_read_as_the_labelling_guide(sentence: str, codes: tuple[str, ...]) -> None:
    assert _v1_industries(sentence) == [codes]


@pytest.mark.parametrize(
    "sentence",
    [
        # A thing of the trade the measure deals with, not whom it is for.
        "协调解决企业原材料供应、物流运输等问题。",
        "适当延长超市、便利店等场所营业时间，方便群众。",
        "引导银行进一步加大制造业贷款投放力度。",
        "建立农业企业包保制度，派员驻点服务。",
        # The last word of a quoted name, and those another party supplies.
        "企业可在“就业超市”栏目发布招聘信息。",
        "药企供应给医疗机构的药品实行优先配送。",
        # The trade as the actor of what the measure asks for: the activity is the requirement.
        "鼓励医疗机构积极开展新药临床试验。",
        # 出租车 in a list of services is one service the measure names, not whom it is for.
        "公共交通服务，包括城市公交、出租车、长途客运和班车。",
    ],
)
def test_industry_words_that_are_no_requirement(sentence: str) -> None:
    assert _v1_industries(sentence) == []


def test_size_words_naming_an_office_or_a_loan_book() -> None:
    sizes = lambda text: [c for c in extract_item(text).conditions if c.field == "size_class"]  # noqa: E731
    assert sizes("联系科室：区经信局中小企业科，电话另行公布。") == []
    assert sizes("引导银行加大中小企业贷款投放。") == []
    assert [c.value for c in sizes("对中小企业给予房租减免。")] == [("中", "小", "微")]


def _semantic(text: str) -> list[str]:
    return [str(c.value) for c in extract_item(text).conditions if c.op == "semantic"]


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("对受订单取消影响的外贸企业，提供出口信用保险支持。", "外贸企业"),
        ("支持进出口企业开拓新兴市场，给予展会费用补贴。", "进出口企业"),
        ("对减免租户租金的孵化器、众创空间等各类载体给予补助。", "孵化器、众创空间等各类载体"),
    ],
)
def test_what_the_enterprise_does_is_semantic(sentence: str, value: str) -> None:
    assert _semantic(sentence) == [value]


def test_the_exporter_of_an_export_refund_is_no_condition() -> None:
    # Only exporters are refunded: the subject of the relief itself is no leaf.
    assert _semantic("实行出口退（免）税电子化申报的出口企业，可在网上办理退税。") == []


def test_an_export_figure_makes_the_exporter() -> None:
    # The figure is a condition of its own; whoever meets it exports, so 外贸企业 adds nothing.
    text = "对符合以下条件的外贸企业给予奖励：（1）注册地在本市；（2）上年度出口额达到2000万元。"
    assert _semantic(text) == []
    assert any(c.field == "export_value" for c in extract_item(text).conditions)


def test_a_restated_trade_is_one_semantic_condition() -> None:
    text = "对外贸企业给予出口信保补贴；外贸企业参加境外展会的，再给予展位费补助。"
    assert _semantic(text) == ["外贸企业"]


def test_multi_condition_clause_shapes() -> None:
    # 享受条件 list: several thresholds joined by 、 in one sentence.
    text = "从事国家非限制和禁止行业，且同时符合年度应纳税所得额不超过300万元、从业人数不超过300人、资产总额不超过5000万元等三个条件的企业。"
    keys = _keys(text)
    assert ("employees", "lte", 300.0) in keys and ("total_assets", "lte", 5000.0) in keys
    assert sum(1 for k in keys if k[0] == "undecidable") >= 1  # 应纳税所得额 is no profile field
    _check_spans(text)
    # 稳岗返还 shape: 30人（含）以下 + a 裁员率 bound + 参保; 参保职工 counts the insured (docs/conditions.md).
    text = "对参保职工20人（含）以下的小微企业，裁员率不超过职工总数10%的，返还失业保险费。"
    conditions = _check_spans(text)
    keys = {c.key for c in conditions}
    assert ("insured_employees", "lte", 20.0) in keys and ("size_class", "in", ("小", "微")) in keys
    assert any(c.field == "undecidable" and "裁员率" in c.span for c in conditions)
    # 对……的企业 with requirements no field decides.
    conditions = _check_spans(
        "对受疫情影响，面临暂时性生产经营困难且恢复有望、坚持不裁员或少裁员的参保企业，给予返还。"
    )
    # 不裁员或少裁员的参保企业: the insured enterprise that does not lay off is one requirement; the hardship
    # and the state it puts the enterprise in, cut at the comma, are two (labelling guide §5, l25).
    assert [c.value for c in conditions if c.field == "undecidable"] == [
        "受疫情影响",
        "面临暂时性生产经营困难且恢复有望",
        "坚持不裁员或少裁员的参保企业",
    ]
    conditions = _check_spans("对不裁员或少裁员的失业保险参保企业，可返还其上年度缴纳失业保险费的一半。")
    assert [c.value for c in conditions if c.field == "undecidable"] == ["不裁员或少裁员的失业保险参保企业"]


def test_business_scope_is_semantic() -> None:
    conditions = _check_spans("对从事疫苗和检测试剂研发的企业，给予不高于300万元的研发支持。")
    assert [c.op for c in conditions] == ["semantic"]


def test_tags_round_trip_and_metadata() -> None:
    text = "对首次认定的高新技术企业给予20万元奖励，按研发费用的10%给予补助，实行免申即享，2024年12月31日前兑现。"
    tags = extract_item(text, region_code="331002", department="椒江区科技局").tags
    assert tags.fulfilment == "免申即享" and tags.deadline == "2024-12-31" and tags.ratio == 10
    assert tags.required_qualifications == ("国家高新技术企业",) and tags.regions == ("331002",)
    assert tags.department == "椒江区科技局"
    assert PolicyTags.from_dict(tags.to_dict()) == tags


def test_enterprise_tags() -> None:
    profile = {
        "id": "e1",
        "industry_code": "C3670",
        "region_code": "331002",
        "employees": 120,
        "revenue": 8000,
        "qualifications": ["高企", "专精特新"],
        "business_scope": "汽车零部件及配件制造；模具制造；新能源汽车电机研发与销售",
    }
    tags = enterprise_tags(profile)
    assert tags.industry_codes[0] == "C" and tags.industry_codes[-1] == "C3670"
    assert tags.region_path[-1] == "椒江区"
    assert "国家高新技术企业" in tags.qualifications
    assert tags.size_class in ("中", "小")
    assert tags.keywords and all(isinstance(k, str) for k in tags.keywords)


def test_a_long_text_reads_every_repetition_like_the_first():
    """Overlap checks are local (an index by start): a clause said 300 times gives its conditions 300 times."""
    clause = (
        "对符合条件的高新技术企业，年营业收入不低于2000万元、研发投入占比不低于4%的（山区县为3%），给予奖励。"
    )
    once = [(c.field, c.op, c.value) for c in extract_item(clause).conditions]
    many = [(c.field, c.op, c.value) for c in extract_item(clause * 300).conditions]
    assert len(once) >= 3
    assert len(many) == 300 * len(once)
    assert many[: len(once)] == once
    assert many[-len(once) :] == once
