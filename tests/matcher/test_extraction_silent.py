"""No silent yes within a part: a clause beside a read condition that states one more requirement (own sentences)."""

from __future__ import annotations

import pytest
from extraction_helpers import checked_leaves

from corpus.conditions import Condition, judge_item, leaves
from matcher.extraction import extract_entries


def _undecidable(text: str) -> list[str]:
    return [str(c.span) for c in checked_leaves(text, "undecidable")]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        # An obligation beside a read title: 续贷 needs the ability, which no profile field holds.
        ("对规模以上工业企业，贷款到期后须具备持续经营能力的，可申请续贷。", "贷款到期后须具备持续经营能力"),
        # Meeting a standard beside read revenue and industry.
        (
            "对年营业收入达到500万元的工业企业，其产品须符合国家强制性标准，给予奖励。",
            "其产品须符合国家强制性标准",
        ),
        # A threshold on a figure the profile lacks (electricity used), beside a read size.
        ("对小微企业，年度用电量在100万千瓦时以上的，给予电费补贴5%。", "年度用电量在100万千瓦时以上"),
        # A floor (不低于) on a share no profile field holds, beside a read title.
        (
            "对高新技术企业，出口额占销售收入比重不低于三成的，给予一次性奖励。",
            "出口额占销售收入比重不低于三成",
        ),
    ],
)
def test_a_clause_stating_one_more_requirement_becomes_undecidable_with_its_span(
    text: str, span: str
) -> None:
    assert span in _undecidable(text)


def test_the_unread_clause_keeps_the_item_from_being_eligible_on_the_read_one() -> None:
    text = "对规模以上工业企业，贷款到期后须具备持续经营能力的，可申请续贷。"
    entries = extract_entries(text)
    assert any(isinstance(c, Condition) and c.field == "qualifications" for c in leaves(entries))
    profile = {"id": "e1", "qualifications": ["规上工业企业"]}
    assert judge_item(entries, profile).level != "eligible"


@pytest.mark.parametrize(
    "text",
    [
        "申报时间为每年3月1日至3月31日，逾期系统关闭，不再受理。",
        "企业须于当年6月30日前将申请表报送至区经信局，联系电话：12345678。",
    ],
)
def test_procedure_only_text_gains_no_condition(text: str) -> None:
    assert list(leaves(extract_entries(text))) == []


def test_a_clause_that_only_says_how_the_support_is_paid_adds_nothing() -> None:
    text = "对年营业收入达到500万元的工业企业，按其上年度研发投入的10%给予补助，由区财政直接拨付。"
    assert _undecidable(text) == []


# --- another body's duty (issue 14): what a lender or an authority is to do asks nothing of the applicant ---


@pytest.mark.parametrize(
    "text",
    [
        # A lender's duty, and the purpose after it: the bank is the subject over the comma.
        "商业银行要合理下调中小企业贷款利率，减轻企业融资负担。",
        # An authority's duty, opening with 各级.
        "各级人力资源部门要简化补贴申领流程，压缩办理时限。",
        # An encouragement of a lender.
        "鼓励融资租赁公司根据承租人经营情况，适当延长租金支付期限，帮助其渡过难关。",
    ],
)
def test_a_duty_of_another_body_gains_no_stand_in(text: str) -> None:
    assert _undecidable(text) == []


def test_a_duty_toward_named_enterprises_keeps_their_stand_in() -> None:
    # The enterprises the bank is to serve are whom the item is for: what makes them so stays a requirement.
    # 应急物资生产企业 is what they make: the requirement is kept as a semantic leaf (labelling guide, l25).
    text = "商业银行要主动对接，简化审批，加大对应急物资生产企业的信贷支持力度。"
    found = leaves(extract_entries(text))
    assert [(c.op, c.span) for c in found] == [("semantic", "应急物资生产企业")]


def test_a_beneficiary_after_the_duty_keeps_its_stand_in() -> None:
    # 对…给予贴息 names a beneficiary of its own after the lender's duty.
    text = "督促农业担保机构扩大担保规模，对新建冷链仓储基地的企业给予贴息。"
    assert any("新建冷链仓储基地" in s for s in _undecidable(text))


def test_the_lender_duty_keeps_an_item_with_no_requirement_eligible() -> None:
    entries = extract_entries("商业银行要合理下调中小企业贷款利率，减轻企业融资负担。")
    assert judge_item(entries, {"id": "e1"}).level == "eligible"


def test_a_decided_requirement_said_again_gains_no_stand_in() -> None:
    # 【享受主体】 and the measure say the same head count; it is read once, and no stand-in repeats it.
    text = (
        "（二）暂免征收小微企业水利建设基金。 　　【享受主体】 　　从业人员20人（含）以下的企业。 "
        "　　【优惠内容】 　　自2021年1月1日起，对从业人员20人（含）以下的企业暂免征收水利建设基金。"
    )
    found = list(leaves(extract_entries(text)))
    assert [c.field for c in found] == ["employees"]


# --- procedure steps and materials (issue 14): how to file and what to hand in ask nothing of whom ---


@pytest.mark.parametrize(
    ("text", "step"),
    [
        # A step of the filing, after the read requirement.
        (
            "对小规模纳税人免征增值税。纳税人在办理增值税纳税申报时，应当填写申报表相应栏次。",
            "应当填写申报表相应栏次",
        ),
        # A deadline for a step at an office.
        ("对小规模纳税人免征增值税，有关单位应在2025年6月30日前向税务机关办理退税手续。", "办理退税手续"),
        # A material to hand in.
        ("对小规模纳税人免征增值税。申请时报送《减免税备案登记表》2份。", "2份"),
        ("对小规模纳税人免征增值税。企业应上传营业执照扫描件等相关材料。", "扫描件"),
    ],
)
def test_a_procedure_step_or_material_gains_no_stand_in(text: str, step: str) -> None:
    assert not any(step in s for s in _undecidable(text))


def test_the_other_ones_after_a_tier_gain_no_stand_in() -> None:
    # 对租用其他…的 is whoever the tier before it left: no requirement of its own; the tier keeps its own.
    text = (
        "对租用国有资产类厂房的中小企业，免收1个月租金。对租用其他厂房的，鼓励业主为租户减免租金，"
        "具体由双方协商解决。"
    )
    spans = _undecidable(text)
    assert not any("其他厂房" in s for s in spans)
    assert any("国有资产类厂房" in s for s in spans)


def test_free_text_in_the_item_heading_is_no_requirement_of_its_own() -> None:
    # The heading names the topic; the body says whom the measure is for, and only the body is read for it.
    text = "（五）延长受疫情影响较大的企业贷款期限。对批发零售业的小微企业，贷款到期后可展期6个月。"
    spans = _undecidable(text)
    assert "受疫情影响较大" not in spans
    assert "批发零售业" in spans


def test_a_filing_date_moved_for_every_payer_states_no_requirement() -> None:
    # The calendar of filing changes for every payer: no condition, so every payer is eligible.
    text = (
        "三、调整房产税纳税期限 　　房产税纳税期限由按季度调整为按半年。纳税人原需要在4月申报缴纳的房产税，"
        "可以与下一季度房产税一并在7月底前申报缴纳。"
    )
    assert list(leaves(extract_entries(text))) == []
    assert judge_item(extract_entries(text), {"id": "e1"}).level == "eligible"


def test_free_text_inside_another_bodys_duty_is_no_requirement() -> None:
    # 受疫情影响 describes whom the bank serves in its own duty; the tier after it names its beneficiary.
    text = "商业银行要调整内部考核办法，提升受疫情影响地区的信贷供给能力。对批发零售业的小微企业，贷款到期后可展期6个月。"
    spans = _undecidable(text)
    assert not any("受疫情影响" in s for s in spans)
    assert "批发零售业" in spans


@pytest.mark.parametrize(
    ("text", "span"),
    [
        (
            "对注册地在丽水市的新落户的企业总部，年营业收入达到5亿元的，给予300万元落户奖励。",
            "新落户的企业总部",
        ),
        ("对在乐清市范围内注册的新引进的研发机构，给予100万元补助。", "新引进的研发机构"),
    ],
)
def test_a_newcomer_named_after_a_read_place_stays_a_requirement(text: str, span: str) -> None:
    """The place is a region; being newly settled or introduced is a fact no profile field holds."""
    assert _undecidable(text) == [span]


def test_a_place_before_a_bare_enterprise_adds_nothing() -> None:
    assert _undecidable("对注册地在丽水市的企业，年营业收入达到5亿元的，给予300万元奖励。") == []


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        # The hardship and the state it leaves the enterprise in, cut at a comma or 、, are two requirements:
        # read as one, the second is stated and read as nothing (labelling guide §5, one leaf per part).
        (
            "对受疫情影响，面临暂时性生产经营困难，确实无力足额缴纳社会保险费的中小企业，可申请缓缴社会保险费。",
            ["受疫情影响", "面临暂时性生产经营困难", "确实无力足额缴纳社会保险费"],
        ),
        (
            "对受疫情影响、面临暂时性生产经营困难的小微企业，给予贷款贴息。",
            ["受疫情影响", "面临暂时性生产经营困难"],
        ),
        # 导致 joins the cause to what it caused: one requirement, comma or not.
        (
            "对因疫情原因，导致企业遭受重大损失的文化企业，给予一次性补助10万元。",
            ["因疫情原因，导致企业遭受重大损失"],
        ),
    ],
)
def test_a_hardship_and_the_state_after_its_comma_are_two_requirements(text: str, spans: list[str]) -> None:
    assert _undecidable(text) == spans


def test_conditions_set_elsewhere_are_a_requirement_not_nothing() -> None:
    # 符合条件的企业 with no list of the item's own: the conditions are a rule the item does not state, and an
    # enterprise may miss them — read as nothing, the item would be everyone's.
    text = "鼓励企业通过协商稳定岗位。符合条件的企业，可按规定享受稳岗补贴。"
    stand_ins = _undecidable(text)
    assert any(span.startswith("符合条件的企业") for span in stand_ins)
    profile = {"id": "p", "name": "某公司", "region_code": "110105", "size_class": "小"}
    assert judge_item(extract_entries(text), profile).level != "eligible"
    # 符合条件的企业按年度向…申报: how whoever meets the item's own conditions applies — procedure, no requirement.
    procedure = "对年营业收入首次达到10亿元的工业企业，给予一次性奖励50万元。符合条件的企业按年度向区经信局申报，经审核后兑现。"
    assert not any(span.startswith("符合条件的企业") for span in _undecidable(procedure))
    # 符合下列条件的企业：…: the list says the requirements; its lead-in is no stand-in of its own.
    listed = "符合下列条件的企业，可申请补贴：（一）年营业收入500万元以上；（二）吸纳本地劳动力就业10人以上。"
    assert not any(span.startswith("符合下列条件") for span in _undecidable(listed))


def test_a_clause_of_x_de_that_the_grant_follows_is_whom_it_is_for_subject_or_not() -> None:
    # …的，依法准予…: X names no enterprise, yet whoever X describes is whom the grant goes to.
    text = "疫情期间，不能在承诺期限内补齐容缺办理资料的，依法准予延长承诺期限。"
    assert _undecidable(text) == ["不能在承诺期限内补齐容缺办理资料"]


# --- an item with no condition at all: eligible for everyone only when it says so (issue 14) ---------------


@pytest.mark.parametrize(
    "text",
    [
        # Every enterprise, whatever it is, in so many words.
        "无论企业规模大小还是所属行业，均可报名参加线上供需对接活动。",
        # Every enterprise of the place may.
        "全市企业可以通过线上平台免费报名参加供需对接活动。",
    ],
)
def test_an_item_that_says_everyone_may_have_it_is_eligible_with_no_condition(text: str) -> None:
    entries = extract_entries(text)
    assert list(leaves(entries)) == []
    assert judge_item(entries, {"id": "e1"}).level == "eligible"


def test_an_item_that_names_whom_it_is_for_without_a_readable_condition_is_not_eligible() -> None:
    # Nothing here is a profile field, and nothing says every enterprise may have it: the stand-in keeps it unknown.
    text = "参与线上供需对接活动并完成产品展示的企业，可获得免费咨询服务。"
    entries = extract_entries(text)
    assert _undecidable(text)
    assert judge_item(entries, {"id": "e1"}).level != "eligible"


def test_the_words_of_a_part_start_past_its_list_mark() -> None:
    from matcher.extraction.silent import _after_mark

    words = "对新落户的小微企业"

    def start(opening: str, blanks: str = " 　\t") -> str:
        text = opening + words + "，给予房租补贴。"
        end = text.index("，")
        return text[_after_mark(text, 0, end, blanks) : end]

    # The list mark and the blanks after it are passed over; with no mark, only the blanks go.
    assert start("（二）　") == start("3. ") == start("　") == start("") == words
    # Commas and colons count as blanks only where the caller says so (the stand-in's own words).
    assert start("①：", " 　\t，,：:") == words
    assert start("①：") == "：" + words
