"""The condition language v2 read from text: roles, any groups, tiers, formulas, no silent yes (own sentences)."""

from __future__ import annotations

from extraction_helpers import checked_leaves

from corpus.conditions import Condition, Entry, Group, Tier, judge_item, leaves
from matcher.extraction import extract_entries, extract_item


def _leaves(text: str) -> list[Condition]:
    return checked_leaves(text)


def _read(text: str, region_code: str | None = None) -> tuple[list[Entry], list[Tier], list[Entry]]:
    """The entries of an item, its tiers, and what is said once for every tier."""
    entries = extract_entries(text, region_code=region_code)
    tiers = [e for e in entries if isinstance(e, Tier)]
    return entries, tiers, [e for e in entries if not isinstance(e, Tier)]


def test_titles_joined_by_or_are_an_any_group_of_has() -> None:
    entries = extract_entries("申报企业须为国家高新技术企业或科技型中小企业。")
    groups = [e for e in entries if isinstance(e, Group)]
    assert len(groups) == 1 and groups[0].kind == "any"
    assert {m.value for m in groups[0].members} == {"国家高新技术企业", "科技型中小企业"}
    assert all(isinstance(m, Condition) and m.op == "has" for m in groups[0].members)


def test_thresholds_joined_by_or_are_alternatives() -> None:
    entries = extract_entries("上年度营业收入达到5000万元或纳税总额达到200万元的企业，给予一次性奖励。")
    groups = [e for e in entries if isinstance(e, Group)]
    assert len(groups) == 1
    assert {(m.field, m.op, m.value) for m in groups[0].members} == {
        ("revenue", "gte", 5000),
        ("tax_paid", "gte", 200),
    }


def test_one_of_the_following_makes_the_list_an_any_group() -> None:
    text = "企业满足下列条件之一的，可申请补助：（1）从业人员300人以上；（2）上年度营业收入2亿元以上。"
    entries = extract_entries(text)
    groups = [e for e in entries if isinstance(e, Group)]
    assert len(groups) == 1
    assert {m.field for m in groups[0].members} == {"employees", "revenue"}


def test_priority_words_make_bonus_not_requirements() -> None:
    entries = extract_entries(
        "对上年度研发费用200万元以上的企业给予补助，同等条件下专精特新中小企业优先支持。"
    )
    roles = {(c.field, c.role) for c in leaves(entries)}
    assert ("rd_expense", "require") in roles
    assert ("qualifications", "bonus") in roles


def test_exclusion_words_make_exclude_leaves() -> None:
    entries = extract_entries("在本区注册的企业均可申报，房地产企业不得申报。")
    excluded = [c for c in leaves(entries) if c.role == "exclude"]
    assert [c.field for c in excluded] == ["industry_code"]
    # The 失信 exclusion keeps its base form (role require, value normal).
    kept = extract_entries("申报企业未被列入失信被执行人名单。")
    assert [(c.field, c.role) for c in leaves(kept)] == [("credit_status", "require")]


def test_except_clause_without_a_field_is_an_undecidable_exclusion() -> None:
    # (不含机关事业单位 excludes no enterprise: test_excepting_bodies_that_are_no_enterprise_excludes_no_enterprise.)
    entries = extract_entries("对辖区内参保单位（不含劳务派遣单位）返还失业保险费。")
    assert any(c.role == "exclude" and c.field == "undecidable" for c in leaves(entries))


def test_applied_for_titles_are_not_prerequisites() -> None:
    assert not [
        c
        for c in _leaves("申请认定高新技术企业的，须提交近三个会计年度的财务报告。")
        if c.field == "qualifications"
    ]
    assert not [
        c for c in _leaves("高新技术企业复审须提交近三年研发活动报告。") if c.field == "qualifications"
    ]
    # A title the enterprise holds stays a requirement.
    held = _leaves("对已认定的高新技术企业，给予研发补助。")
    assert [c.value for c in held if c.field == "qualifications"] == ["国家高新技术企业"]


def test_a_title_said_twice_is_one_condition_at_its_generic_level() -> None:
    titles = [
        c for c in _leaves("专精特新企业可申报。专精特新企业须提交证明。") if c.field == "qualifications"
    ]
    assert [c.value for c in titles] == ["专精特新中小企业"]
    # The generic title is met by a national 小巨人 (the taxonomy's implication).
    verdict = judge_item(
        extract_entries("专精特新企业可申报。"), {"qualifications": ["国家级专精特新“小巨人”企业"]}
    )
    assert verdict.level == "eligible"


def test_tiers_by_title_with_their_amounts_best_first() -> None:
    text = "对新认定的国家级专精特新小巨人企业奖励50万元，对新认定的省级专精特新中小企业奖励10万元。"
    tiers = [e for e in extract_entries(text) if isinstance(e, Tier)]
    assert [t.amount for t in tiers] == [50, 10]
    assert [[c.value for c in leaves(t.conditions)] for t in tiers] == [
        ["国家级专精特新“小巨人”企业"],
        ["省级专精特新中小企业"],
    ]
    provincial = judge_item(extract_entries(text), {"qualifications": ["省级专精特新中小企业"]})
    assert provincial.level == "eligible"


def test_bracketed_thresholds_are_tiers_not_joint_requirements() -> None:
    text = "营业收入5000万元以下的企业，研发费用占营业收入比例不低于5%；营业收入5000万元以上的企业，研发费用占营业收入比例不低于4%。"
    entries, tiers, _ = _read(text)
    assert len(tiers) == 2
    assert [sorted(c.value for c in leaves(t.conditions) if c.field == "rd_ratio") for t in tiers] == [
        [5],
        [4],
    ]
    small = {"revenue": 3000, "rd_ratio": 6}
    assert judge_item(entries, small).level == "eligible"


def test_support_formula_from_the_base_the_profile_holds() -> None:
    text = "对实施智能化改造的工业企业，按设备投资额的8%给予补助，最高不超过200万元。"
    tiers = [e for e in extract_entries(text) if isinstance(e, Tier)]
    assert len(tiers) == 1 and tiers[0].formula is not None
    assert tiers[0].formula.to_dict() == {"rate": 0.08, "base": "investment", "cap": 200}
    assert tiers[0].expected_amount({"investment": 1000}) == 80
    assert tiers[0].expected_amount({"investment": 5000}) == 200


def test_no_silent_yes_for_requirements_no_field_holds() -> None:
    for text in (
        "成立三年内的企业均可申请。",
        "项目方向应属于数字化或智能化领域。",
        "对受疫情影响较大、坚持未裁员或少裁员的企业，给予稳岗支持。",
    ):
        found = _leaves(text)
        assert found, text
        assert judge_item(extract_entries(text), {"id": "x"}).level != "eligible", text


def test_new_profile_fields_are_read() -> None:
    got = {
        (c.field, c.op, c.value if not isinstance(c.value, tuple) else c.value)
        for c in _leaves(
            "企业拥有有效发明专利3件以上，研发人员占职工总数的比例不低于10%，"
            "高新技术产品（服务）收入占比60%以上，纳税信用等级B级以上，参保人数不少于20人。"
        )
    }
    assert ("invention_patents", "gte", 3) in got
    assert ("rd_staff_ratio", "gte", 10) in got
    assert ("hightech_income_ratio", "gte", 60) in got
    assert ("tax_credit_grade", "in", ("A", "B")) in got
    assert ("insured_employees", "gte", 20) in got


def test_extract_item_carries_both_readings() -> None:
    extraction = extract_item("申报企业须为国家高新技术企业或科技型中小企业。")
    assert extraction.conditions and extraction.entries
    assert isinstance(extraction.entries[0], Group)


def test_an_item_with_no_readable_condition_still_names_whom_it_is_for() -> None:
    text = "三、支持外贸企业开拓新兴市场，对参加境外展会的展位费用继续补助。"
    entries = extract_entries(text)
    assert [c.field for c in leaves(entries)] == ["undecidable"] or any(
        c.role != "bonus" for c in leaves(entries)
    )
    assert judge_item(entries, {"id": "x"}).level != "eligible"


# --- shapes the generated demo showed once the v2 reading was served (x4) ---------------------------


def test_an_obligation_on_every_beneficiary_is_no_second_tier() -> None:
    text = (
        "对本区吸纳登记失业人员并签订两年劳动合同的企业，按每人800元给予一次性补贴。"
        "领取补贴的企业须按时足额缴纳职工社会保险费。"
    )
    entries, tiers, _ = _read(text, region_code="331004")
    assert not tiers
    fields = [(c.field, c.role) for c in leaves(entries)]
    assert ("region_code", "require") in fields and ("undecidable", "require") in fields


def test_how_the_support_is_paid_states_no_requirement() -> None:
    text = "对年度营业收入首次达到2亿元的企业，奖励10万元。本条实行“免申即享”，由区财政局按名单直接兑付，企业无需申报。"
    found = _leaves(text)
    assert [c.field for c in found] == ["revenue"]


def test_a_clawback_clause_is_no_requirement() -> None:
    text = "对首次纳入规上工业企业统计的企业，奖励5万元。纳统后次年即退出规上统计的，收回已发奖励。"
    assert not [c for c in _leaves(text) if c.field == "undecidable" and "退出" in str(c.value)]


def test_the_lead_in_to_a_list_of_requirements_is_none_itself() -> None:
    text = "对同时符合以下条件的企业，给予20万元奖励：（1）上年度营业收入3000万元以上；（2）营业收入增长率10%以上。"
    found = _leaves(text)
    assert {c.field for c in found} == {"revenue", "revenue_growth"}


def test_priority_as_the_support_itself_keeps_its_requirements() -> None:
    text = "对总投资5亿元以上的制造业项目，优先安排用地计划指标。"
    roles = {(c.field, c.role) for c in _leaves(text)}
    assert roles == {("investment", "require"), ("industry_code", "require")}


def test_later_tiers_that_leave_the_metric_unsaid_read_the_one_before() -> None:
    text = (
        "对全市制造业企业，年营业收入首次超过3亿元的，奖励30万元；首次超过8亿元的，奖励60万元；"
        "首次超过20亿元的，奖励120万元。"
    )
    entries, tiers, common = _read(text, region_code="3310")
    assert [t.amount for t in tiers] == [120.0, 60.0, 30.0]
    assert [[(c.field, c.op, c.value) for c in leaves(t.conditions)] for t in tiers] == [
        [("revenue", "gt", 200000)],
        [("revenue", "gt", 80000)],
        [("revenue", "gt", 30000)],
    ]
    # Whom every tier is for is said once, before the first: it is common to all of them.
    assert {c.field for c in leaves(common)} == {"region_code", "industry_code"}
    big = {"region_code": "331002", "industry_code": "C13", "revenue": 90000}
    verdict = judge_item(entries, big)
    assert verdict.level == "eligible" and verdict.tier is not None and verdict.tier.tier.amount == 60.0


def test_brackets_whose_later_shares_leave_the_metric_unsaid() -> None:
    text = (
        "对本市研发投入达到下列标准的企业给予奖励：营业收入1亿元（含）以下的，研发费用占营业收入比例在4%以上；"
        "营业收入超过1亿元、不高于5亿元的，在3%以上；营业收入超过5亿元的，2%（含）以上。"
    )
    entries, tiers, common = _read(text, region_code="3310")
    assert len(tiers) == 3
    shares = sorted(c.value for t in tiers for c in leaves(t.conditions) if c.field == "rd_ratio")
    assert shares == [2, 3, 4]
    assert not [c for c in leaves(entries) if c.field == "undecidable"]
    assert [c.field for c in leaves(common)] == ["region_code"]


def test_a_grade_said_then_refused_in_the_next_clause_is_an_exclusion() -> None:
    entries = extract_entries(
        "对本市首次上规的企业奖励3万元。纳税信用等级为D级的，不予奖励。", region_code="3310"
    )
    excluded = [c for c in leaves(entries) if c.role == "exclude"]
    assert [(c.field, c.value) for c in excluded] == [("tax_credit_grade", ("D",))]


def test_grades_named_one_by_one_are_one_exclusion() -> None:
    text = "纳税信用等级为C级或D级的企业不得申报。"
    excluded = [c for c in _leaves(text) if c.field == "tax_credit_grade"]
    assert [(c.value, c.role) for c in excluded] == [(("C", "D"), "exclude")]


def test_the_one_of_list_ends_with_its_sentence() -> None:
    text = (
        "申报企业应满足下列条件之一：有效发明专利2件以上；研发人员占比12%以上。上年度营业收入不低于1000万元。"
    )
    entries = extract_entries(text)
    groups = [e for e in entries if isinstance(e, Group)]
    assert len(groups) == 1 and {m.field for m in groups[0].members} == {
        "invention_patents",
        "rd_staff_ratio",
    }
    assert ("revenue", "require") in {(e.field, e.role) for e in entries if isinstance(e, Condition)}


def test_whom_part_tiers_are_for_is_common_to_them() -> None:
    text = (
        "对本县规上工业企业的技改项目，设备投资不低于500万元的，按设备投资额的5%给予补助；"
        "设备投资达到3000万元的，补助比例提高到9%。"
    )
    _, tiers, common = _read(text, region_code="331024")
    assert {"region_code", "qualifications"} <= {c.field for c in leaves(common)}
    assert sorted(c.value for t in tiers for c in leaves(t.conditions)) == [500, 3000]


def test_registration_said_with_yifa_reads_the_region() -> None:
    entries = extract_entries("本细则适用于在浙江省依法注册登记、具有独立法人资格的企业。")
    assert [(c.field, c.value) for c in leaves(entries)] == [("region_code", "33")]


def test_the_kind_of_project_an_item_is_about_is_no_requirement() -> None:
    text = "对企业实施的数字化改造项目，按软硬件投入的10%给予补助。申报企业须在本市注册。"
    assert not [c for c in leaves(extract_entries(text, region_code="3310")) if c.field == "undecidable"]


# --- procedure, explicit openness, departments, credit repair (x5; own sentences in the real shape) ---


def test_how_and_when_to_apply_is_no_requirement() -> None:
    text = "申报时，企业应将上年度研发投入如实填入申报表，填报后的数据作为审核依据。"
    assert not [c for c in _leaves(text) if c.field == "undecidable"]
    text = "企业网上申报时间为2025年5月6日9时至2025年5月20日17时。不受理纸质材料。"
    assert _leaves(text) == []


def test_saying_every_enterprise_may_have_it_leaves_no_stand_in_condition() -> None:
    text = "无论规模大小还是是否盈利，企业均可享受本项研发费用税前扣除。"
    assert _leaves(text) == []


def test_an_obligation_to_pay_on_time_is_still_a_requirement() -> None:
    text = "领取补贴的企业须按时足额缴纳职工社会保险费。"
    assert [c.field for c in _leaves(text)] == ["undecidable"]


def test_an_unread_requirement_still_stands_in_when_a_part_names_whom() -> None:
    text = "在本市自贸片区注册的企业可通过线上方式提交延长工时的申请。"
    assert [c.field for c in _leaves(text)] == ["undecidable"]


def test_an_industry_word_in_a_department_or_programme_name_is_no_industry() -> None:
    text = "按照交通运输部、商务局的部署，统筹用好制造业高质量发展专项资金，支持企业开展线上培训。"
    assert not [c for c in _leaves(text) if c.field == "industry_code"]
    assert [c.value for c in _leaves("对交通运输企业给予一次性补贴。") if c.field == "industry_code"] == [
        ("G",)
    ]


def test_credit_repair_is_for_those_with_the_record() -> None:
    held = _leaves("对已被列为失信主体的医药企业，开通信用修复快速通道。")
    assert ("credit_status", "eq", "dishonest") in {(c.field, c.op, c.value) for c in held}
    # An objection to a record states no requirement either way.
    objected = _leaves("企业认为平台公示的失信信息有误的，可向主管部门提出异议。")
    assert not [c for c in objected if c.field == "credit_status"]
    # The plain exclusion keeps its base-spec form.
    excluded = _leaves("被列入失信名单的企业不得申报。")
    assert ("credit_status", "eq", "normal") in {(c.field, c.op, c.value) for c in excluded}


def test_the_beneficiary_under_a_bracketed_heading_is_a_requirement() -> None:
    text = "【享受主体】 为抗疫捐赠进口的医用物资 【优惠内容】 免征进口关税和进口环节增值税。"
    assert [(c.field, c.value) for c in _leaves(text)] == [("undecidable", "为抗疫捐赠进口的医用物资")]


def test_a_cited_document_title_states_no_requirement() -> None:
    text = "依据《关于支持小微企业稳定发展的若干措施》，对本省医药流通企业减免房租。"
    assert not [c for c in _leaves(text) if c.field == "size_class"]
    assert [c.value for c in _leaves("对小微企业减免三个月房租。") if c.field == "size_class"] == [
        ("小", "微")
    ]


def test_a_province_excepted_is_a_region_exclusion() -> None:
    text = "各省（除湖北省外）可对中小微企业免征三项社会保险单位缴费部分。"
    excluded = [c for c in _leaves(text) if c.role == "exclude"]
    assert [(c.field, c.op, c.value) for c in excluded] == [("region_code", "within_region", "42")]


def test_excepting_bodies_that_are_no_enterprise_excludes_no_enterprise() -> None:
    text = "对其他参保单位（不含机关事业单位）减半征收单位缴费。"
    assert not [c for c in _leaves(text) if c.role == "exclude"]
    text = "对参保单位（机关、事业单位除外）返还失业保险费；金融类企业除外。"
    assert [c.value for c in _leaves(text) if c.role == "exclude"] == ["金融类企业"]


def test_a_beneficiary_by_filing_period_is_a_requirement() -> None:
    # 按月申报 is whom the measure is for; 按设备投资额的8% (a rate) stays no requirement.
    text = "对按季申报的纳税人，除湖北省外，申报期限延长至3月31日。"
    assert ("undecidable", "按季申报") in {(c.field, c.value) for c in _leaves(text)}


def test_duixiang_is_no_preposition() -> None:
    # 支持对象为…的中小企业 names whom the measures are for; 对象 is not 对 + a modifier.
    text = "本措施的支持对象为符合《中小企业划型标准规定》的中小企业。"
    assert [(c.field, c.value) for c in _leaves(text)] == [("size_class", ("中", "小", "微"))]


def test_a_target_the_authorities_set_is_no_requirement() -> None:
    # 力争 / 确保: what the authorities aim at, however many threshold words it holds.
    text = "五、优化线上服务。各区要推广网上办理，力争网上办理率达到90%以上。"
    assert [c for c in _leaves(text) if c.field == "undecidable"] == []
    text = "加大信贷投放，确保本年度小微企业贷款余额不低于上年同期。对受疫情影响较大、还款困难的企业，可予以展期。"
    values = [c.value for c in _leaves(text) if c.field == "undecidable"]
    assert values and not any("确保" in str(v) for v in values)
    assert any("受疫情影响" in str(v) for v in values)
    # A requirement on the enterprise beside a target is still read.
    assert ("revenue", "gte", 3000) in {
        (c.field, c.op, c.value)
        for c in _leaves("对营业收入不低于3000万元的企业给予奖励，力争全年培育20家。")
    }


def test_especially_makes_a_bonus_of_what_follows_it_only() -> None:
    # 特别是 / 尤其是 single out the small; the hardship named before them is still required.
    for text in (
        "对受疫情影响经营困难的企业尤其是小微企业，可申请延期缴纳税款。",
        "对上年度营业收入下降30%以上的企业特别是小微企业，给予贷款贴息。",
    ):
        roles = [(c.field, c.role) for c in leaves(extract_entries(text))]
        assert roles == [("undecidable", "require"), ("size_class", "bonus")]
