"""The readers added for the generated set and the real misses, on sentences written for these tests."""

from __future__ import annotations

import datetime as dt

import pytest
from extraction_helpers import checked_conditions as _conditions
from extraction_helpers import checked_keys as _keys

from matcher.extraction.conditions import reference_date

# --- region -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "code"),
    [
        ("对注册地在椒江区的规上工业企业，给予奖励。", "331002"),
        ("对工商注册地和税务登记地均在台州市的企业，给予奖励。", "3310"),
        ("对在浙江省范围内注册的企业，给予补助。", "33"),
        ("对在黄岩区注册登记的企业，给予补助。", "331003"),
        # A place named without its 市 / 省 (在北京注册): the one region of that name.
        ("对在天津注册的小微企业免收检测费。", "12"),
        ("对在台州登记注册的规上企业，给予奖励。", "3310"),
        # The tax home said beside the registration (税收户管地 / 纳税地), as county platforms write it.
        ("本措施适用于注册地和税收户管地均在路桥区、具有独立法人资格的企业。", "331004"),
        ("对注册地和纳税地都在温岭市的工业企业，给予奖励。", "331081"),
    ],
)
def test_registration_in_a_named_place(sentence: str, code: str) -> None:
    assert ("region_code", "within_region", code) in _keys(sentence)


@pytest.mark.parametrize(
    ("sentence", "issuer", "code"),
    [
        ("对我市新认定的省级专精特新中小企业，给予奖励。", "331000", "3310"),
        ("对本区营业收入超过1亿元的企业，给予奖励。", "331002", "331002"),
        ("对全省亩均效益综合评价为A类的工业企业，予以减免。", "330000", "33"),
        ("对省内年纳税额500万元以上的企业，给予表彰。", "33", "33"),
        # A county-level city calls itself 本市: its own code, not the prefecture's.
        ("对本市首次认定的高企，给予奖励。", "331081", "331081"),
        # 直辖市: 本市 is the province-level code.
        ("对本市中小微企业，给予贴息。", "110108", "11"),
        ("本措施适用于在本市注册纳税的中小微企业。", "3310", "3310"),
        # A scope sentence: 适用于 opens the subject as 对 does.
        ("以上措施适用于我市规模以上工业企业。", "3310", "3310"),
        ("本办法适用于本市行政区域内的小微企业。", "120105", "12"),
        ("对2022年1月1日后全县新注册成立的企业，给予开办补助。", "331022", "331022"),
        ("对全市总投资10亿元以上的制造业项目，优先保障用地。", "3310", "3310"),
    ],
)
def test_local_word_opening_the_subject_is_the_issuers_region(sentence: str, issuer: str, code: str) -> None:
    assert ("region_code", "within_region", code) in _keys(sentence, region_code=issuer)


def test_a_short_name_that_is_no_single_place_is_no_region() -> None:
    # 朝阳 is a 北京 district and a 辽宁 city; 第三方 and 医院 are no places.
    for sentence in (
        "对在朝阳注册的企业给予补助。",
        "患者在第三方登记领取药品。",
        "企业职工在医院登记后领取。",
    ):
        assert not any(k[0] == "region_code" for k in _keys(sentence))


def test_local_word_not_about_the_enterprise_is_no_region() -> None:
    for sentence in (
        "企业招用本市户籍失业人员的，按每人1000元给予补贴。",
        "按月发放不低于本市最低工资标准的工资。",
        "补贴标准适用于本市最低工资标准的80%。",
    ):
        assert not any(k[0] == "region_code" for k in _keys(sentence, region_code="3310"))
    # Without the issuer's region, 本市 cannot be resolved: no guess.
    assert not any(k[0] == "region_code" for k in _keys("对本市企业给予奖励。"))


# --- founding date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "issued", "op", "value"),
    [
        ("对2021年1月1日起在本区注册的企业，给予开办补助。", None, "established_after", "2021-01-01"),
        ("对2022年3月1日以后新设立的企业，给予补助。", None, "established_after", "2022-03-01"),
        ("对2019年12月31日前注册成立的规上企业，给予奖励。", None, "established_before", "2019-12-31"),
        ("对2020年12月31日（含）以前成立的企业，给予奖励。", None, "established_before", "2020-12-31"),
        ("对于2018年底前成立的企业，给予奖励。", None, "established_before", "2018-12-31"),
        # An age (成立满3年 / 不满2年) counts back from the issued date.
        ("规上工业企业（成立满3年）营业收入增长30%以上的", "2024-06-30", "established_before", "2021-06-30"),
        ("注册成立三年以上的企业", "2024-06-30", "established_before", "2021-06-30"),
        ("成立不满2年的初创企业", "2024-06-30", "established_after", "2022-06-30"),
        ("初创企业登记注册满6个月的", "2024-06-30", "established_before", "2023-12-30"),
        ("成立5年以内的科技企业", "2024-06-30", "established_after", "2019-06-30"),
    ],
)
def test_founding_dates_and_ages(sentence: str, issued: str | None, op: str, value: str) -> None:
    assert ("established", op, value) in _keys(sentence, issued=issued)


def test_reference_date_is_issued_else_today() -> None:
    assert reference_date("2024-02-29") == dt.date(2024, 2, 29)
    assert reference_date(None) == dt.date.today()
    assert reference_date("not a date") == dt.date.today()
    # 29 February minus whole years falls on the 28th.
    assert ("established", "established_before", "2021-02-28") in _keys(
        "成立满3年的企业", issued="2024-02-29"
    )


def test_a_date_of_the_policy_is_no_founding_date() -> None:
    assert not any(k[0] == "established" for k in _keys("自2020年1月1日起至2022年12月31日，对小微企业免征。"))


# --- 亩均, growth, size ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "op", "value"),
    [
        ("对亩均效益综合评价为A类的工业企业，城镇土地使用税全额减免。", "eq", "A"),
        ("亩均效益评价为A类、B类的企业，房产税分别减免100%、50%。", "in", ("A", "B")),
        ("亩均效益综合评价B类及以上的企业优先保障用地。", "in", ("A", "B")),
    ],
)
def test_mu_jun_classes(sentence: str, op: str, value: object) -> None:
    assert ("mu_jun_class", op, value) in _keys(sentence)


@pytest.mark.parametrize(
    "sentence",
    ["营业收入增长率在15%及以上的企业", "主营业务收入同比增长20%以上的企业", "销售收入增幅达到15%的企业"],
)
def test_revenue_growth_is_not_undecidable(sentence: str) -> None:
    keys = _keys(sentence)
    assert any(k[0] == "revenue_growth" and k[1] == "gte" for k in keys)
    assert not any(k[0] == "undecidable" for k in keys)


# --- qualifications, headings, what the enterprise does ----------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "对首次评价入库的科技型中小企业，且未被认定为国家高新技术企业的，给予奖励。",
        "对科技型中小企业且尚未认定为高新技术企业的，给予奖励。",
    ],
)
def test_negated_title(sentence: str) -> None:
    keys = _keys(sentence)
    assert ("qualifications", "not_has", "国家高新技术企业") in keys
    assert ("qualifications", "has", "国家高新技术企业") not in keys


def test_heading_names_a_topic_not_a_requirement() -> None:
    keys = _keys("（三）实施专精特新培育工程。对新认定的省隐形冠军企业，一次性奖励80万元。")
    assert not any(k == ("qualifications", "has", "省级专精特新中小企业") for k in keys)
    keys = _keys("2.推进制造业数字化改造：对项目投资额500万元以上的，按投资额的10%给予补助。")
    assert not any(k[0] == "industry_code" for k in keys) and ("investment", "gte", 500) in keys


def test_titles_of_those_served_are_not_the_enterprises() -> None:
    keys = _keys("服务机构为重点企业、专精特新“小巨人”企业提供咨询的，给予补贴。")
    assert not any(k[0] == "qualifications" for k in keys)


@pytest.mark.parametrize(
    ("sentence", "what"),
    [
        ("对本区从事集成电路设计的企业，按流片费用的30%给予补助。", "集成电路设计"),
        ("对主要生产智能卫浴产品的企业，给予奖励。", "智能卫浴产品"),
        ("对从事光伏、锂电等新能源装备制造的企业，按设备投资额的10%给予补助。", "新能源装备制造"),
    ],
)
def test_what_the_enterprise_does_is_semantic_not_an_industry(sentence: str, what: str) -> None:
    conditions = _conditions(sentence, region_code="331002")
    semantic = [c for c in conditions if c.op == "semantic"]
    assert len(semantic) == 1 and what in semantic[0].span
    assert not any(c.field == "industry_code" for c in conditions)


def test_not_semantic_when_production_is_not_what_it_makes() -> None:
    conditions = _conditions("对未发生安全生产事故的企业，给予奖励。")
    assert not any(c.op == "semantic" for c in conditions)


def test_gbt_industry_names() -> None:
    assert ("industry_code", "industry_in", ("C27",)) in _keys("对新注册成立的医药制造业企业，给予补助。")
    assert ("industry_code", "industry_in", ("C38",)) in _keys("电气机械和器材制造业企业从业人员10人以上的")
    assert ("industry_code", "industry_in", ("C34", "C35")) in _keys("支持高端装备制造业企业发展壮大。")


# --- the act a support pays for, free-text requirements -----------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "对当年新认定的国家高新技术企业，给予一次性奖励20万元。",
        "对首次评价入库的科技型中小企业，给予奖励。",
        "对实施数字化改造的规上工业企业，项目投资额100万元以上的，给予补助。",
        "对新招用登记失业人员并签订1年以上劳动合同的企业，按每人2000元给予一次性吸纳就业补贴。",
        "对省级经信厅审核认定的项目给予补助。",
    ],
)
def test_the_act_a_support_pays_for_is_no_condition(sentence: str) -> None:
    assert not any(c.field == "undecidable" for c in _conditions(sentence))


@pytest.mark.parametrize(
    ("sentence", "span"),
    [
        ("对参保企业（不含劳务派遣企业）返还失业保险费。", "不含劳务派遣企业"),
        ("面临暂时性困难、不能按期缴纳电费、燃气费的中小企业，可以延期缴纳。", "不能按期缴纳电费、燃气费"),
        ("申报企业须通过知识产权管理体系贯标认证。", "通过知识产权管理体系贯标认证"),
        ("因疫情发生重大损失，正常生产经营受到重大影响的企业，可申请减免。", "正常生产经营受到重大影响"),
        ("项目须已竣工投产并通过验收。", "已竣工投产并通过验收"),
        # Requirements no profile field holds, though they name one's words (营业收入, 科技型, 工资).
        ("上半年营业收入高于去年同期水平的商贸企业，给予奖励。", "上半年营业收入高于去年同期水平"),
        ("对高新区内的科技型小微企业，给予研发补助。", "科技型"),
        (
            "企业每月按不低于当地最低工资标准的数额支付学徒工资的，给予补贴。",
            "每月按不低于当地最低工资标准的数额支付学徒工资",
        ),
    ],
)
def test_free_text_requirements(sentence: str, span: str) -> None:
    conditions = _conditions(sentence)
    assert any(c.field == "undecidable" and c.span == span for c in conditions), conditions


def test_touching_free_text_requirements_are_one() -> None:
    conditions = _conditions("对受疫情影响暂时失去经营收入的小微企业，给予贴息。")
    free = [c for c in conditions if c.field == "undecidable"]
    assert len(free) == 1 and free[0].span.startswith("受疫情影响")


def test_tax_rate_is_the_support_not_a_requirement() -> None:
    assert not any(
        c.field == "undecidable" for c in _conditions("对高新技术企业减按15%的税率征收企业所得税。")
    )


def test_regional_variant_in_brackets_does_not_double_a_threshold() -> None:
    keys = _keys("月平均在岗人数达到50人以上（山区县为30人以上）的企业，给予补贴。")
    assert ("employees", "gte", 50) in keys and ("employees", "gte", 30) not in keys


def test_enumerated_requirements_list() -> None:
    text = (
        "对同时符合下列条件的企业，给予20万元奖励：①工商注册和税务登记均在椒江区；②为规模以上工业企业；"
        "③研发费用不低于500万元；④近三年未发生较大及以上安全生产事故。"
    )
    conditions = _conditions(text, region_code="331002")
    keys = {c.key for c in conditions}
    assert ("region_code", "within_region", "331002") in keys
    assert ("qualifications", "has", "规上工业企业") in keys and ("rd_expense", "gte", 500) in keys
    # The list's opening words point at the items; the 安全生产 item is one requirement.
    free = [c for c in conditions if c.field == "undecidable"]
    assert len(free) == 1 and "安全生产事故" in free[0].span
    assert not any(c.field == "industry_code" for c in conditions)


def test_copula_wei_reads_the_title_and_service_wei_does_not() -> None:
    assert ("qualifications", "has", "国家高新技术企业") in _keys(
        "申报企业须为高新技术企业，且研发费用达到100万元。"
    )
    assert not any(
        k[0] == "qualifications" for k in _keys("服务机构为高新技术企业提供评估服务的，给予补贴。")
    )


# --- what an item is for, and what only opens or tops it up (the realistic demo's shapes) --------------


def _entries(text: str, **kwargs: object) -> list[dict]:
    from matcher.extraction import extract_entries

    return [e.to_dict() for e in extract_entries(text, **kwargs)]  # type: ignore[arg-type]


def test_the_title_an_item_is_for_is_no_prerequisite_where_it_is_named_again() -> None:
    text = (
        "企业申请认定市级企业技术中心，应同时满足：（1）属于制造业企业；（2）上年度研发费用300万元以上。"
        "经认定的市级企业技术中心，一次性给予15万元奖励。已获评省级企业技术中心的企业除外。"
    )
    entries = _entries(text)
    fields = [(e.get("field"), e.get("value"), e.get("role", "require")) for e in entries]
    # Neither the applied-for title (申请认定 / 经认定的) nor the list's lead-in (须同时满足：) is required …
    assert ("qualifications", "市级企业技术中心", "require") not in fields
    assert not any(f == "undecidable" for f, _, _ in fields), fields
    assert ("qualifications", "省级企业技术中心", "exclude") in fields
    # … while the list and the exclusion of holders of the higher title are.
    assert ("industry_code", ["C"], "require") in fields
    assert ("rd_expense", 300, "require") in fields


def test_the_timing_of_a_title_is_no_condition() -> None:
    text = "对首次认定为省级专精特新中小企业、市级专精特新中小企业的企业，分别给予20万元、10万元奖励。"
    assert not any(e.get("field") == "undecidable" for e in _entries(text)), _entries(text)


def test_a_class_said_again_without_its_rating_is_the_same_rating() -> None:
    text = "对本县工业企业中，亩均效益综合评价为A类的，按100%减免城镇土地使用税；评价为B类的，按50%予以减免。"
    tiers = [e for e in _entries(text, region_code="331022") if "conditions" in e and "label" in e]
    classes = sorted(c["value"] for t in tiers for c in t["conditions"] if c["field"] == "mu_jun_class")
    assert classes == ["A", "B"]


def test_a_top_up_for_some_is_no_requirement_of_the_base_support() -> None:
    text = "对当年首次纳入规上工业企业统计的企业，给予6万元奖励；其中参保职工人数达到25人的，再增加1万元。"
    insured = [e for e in _entries(text) if e.get("field") == "insured_employees"]
    assert insured and all(e.get("role") == "bonus" for e in insured)
