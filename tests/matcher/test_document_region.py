"""The region a document is for, read from its issuer, department, own words or the platform (matcher.extraction.document).

On sentences written for these tests.
"""

from pathlib import Path

import pytest

from corpus.store import open_store
from matcher.extraction.document import read_region
from matcher.ingest import ingest_policies


def _span_text(text: str, fact) -> str:
    assert fact.span is not None
    return text[fact.span[0] : fact.span[1]]


# --- region --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("台州市椒江区经济和信息化局关于印发支持制造业发展若干政策的通知", "331002"),
        ("玉环市人民政府关于加快数字化改造的实施意见", "331083"),  # 县级市
        ("温岭市科学技术局关于组织申报科技项目的通知", "331081"),
        ("浙江省财政厅关于下达专项资金的通知", "33"),  # a province → 2 digits
        ("台州市人民政府办公室关于印发稳企业若干措施的通知", "3310"),  # a city → 4 digits
        ("北京市海淀区人民政府关于支持企业发展的若干措施", "110108"),
        ("北京市人力资源和社会保障局关于做好稳岗工作的通知", "11"),  # 直辖市 → its province code
        ("国家税务总局台州市税务局关于优化办税服务的公告", "3310"),  # a national body's local office
        ("台州经济开发区管委会关于印发招商引资政策的通知", "331002"),  # 开发区 placed in its county
        ("石家庄高新技术产业开发区管委会关于支持企业上市的通知", "130171"),  # a zone the table lists
        ("财政部 税务总局关于延续小微企业税收优惠政策的公告", None),  # national
        ("人力资源社会保障部办公厅关于开展职业技能培训的通知", None),
    ],
)
def test_region_from_the_issuer_in_the_title(title, expected):
    fact = read_region("各有关单位：为支持企业发展，现将有关事项通知如下。", title)
    assert fact is not None
    assert fact.value == expected


def test_region_from_the_signature_with_its_span():
    text = "各有关企业：\n一、对新认定的高新技术企业给予奖励10万元。\n三门县经济和信息化局\n2024年3月1日"
    fact = read_region(text, "关于支持企业创新的若干意见")
    assert fact is not None and fact.value == "331022"
    assert _span_text(text, fact) == "三门县"


def test_an_ambiguous_county_name_is_placed_by_its_city():
    # 通州区 is both Beijing's (110112) and Nantong's (320612): the city named with it decides.
    assert read_region("", "南通市通州区人民政府关于支持外贸企业的通知").value == "320612"
    assert read_region("", "北京市通州区人民政府关于支持企业复工的通知").value == "110112"


def test_a_short_answer_speaks_for_the_one_province_it_names():
    answer = "在北京市注册的科技型企业可登录中关村示范区服务平台提交申请，审核通过后拨付资金。"
    assert read_region(answer).value == "11"
    # A national rule that names no place stays national; one naming two provinces is not placed.
    assert read_region("企业委托境外研发的费用，按实际发生额的80%计入委托方的研发费用。") is None
    assert read_region("在北京市或天津市注册的企业均可申请。") is None


def test_the_posted_department_places_a_text_that_names_no_place():
    answer = "企业可在每年三月登录申报系统提交材料，审核通过后按季度拨付补贴。"
    assert read_region(answer) is None
    fact = read_region(answer, department="温岭市科学技术局")
    assert fact is not None and fact.value == "331081" and fact.span is None
    # Where it was published is a note, not the issuer; a co-issuer after the lead one does not count.
    assert read_region(answer, department="浙江省财政厅（台州市政府门户转载）").value == "33"
    assert read_region(answer, department="三门县经济和信息化局、县财政局").value == "331022"
    # A national body posted as the department keeps the document national, whatever the platform.
    fact = read_region(answer, department="人力资源社会保障部", home_region="3310")
    assert fact is not None and fact.value is None
    # The title and text, when they name the issuer, win over the posted department.
    assert (
        read_region(answer, "椒江区人民政府关于支持企业的通知", department="温岭市科学技术局").value
        == "331002"
    )


def test_the_home_region_places_a_local_body_named_without_its_place():
    answer = "符合条件的企业可以提出申请，经审核后给予一次性奖励。"
    # With no home region a bare department is no place: the answer stays national.
    assert read_region(answer, department="科技局") is None
    for department in ("科技局", "市人社局", "经济和信息化委员会"):
        fact = read_region(answer, department=department, home_region="3310")
        assert fact is not None and fact.value == "3310", department
    # A text that says 本市 without naming its city is the platform's city.
    fact = read_region("本市注册的企业均可申报。", home_region="3310")
    assert fact is not None and fact.value == "3310" and fact.span == (0, 2)
    # …but 本区 cannot mean a city: no region.
    assert read_region("本区注册的企业均可申报。", home_region="3310") is None
    # A place the text names wins over the home region.
    assert (
        read_region(answer + "限在天津市注册的企业。", department="科技局", home_region="3310").value == "12"
    )


def test_a_platform_body_explaining_a_national_scheme_speaks_for_the_platform():
    # docs/labelling.md: a local body's answer restating a national rule (研发费用加计扣除, 高企 recognition)
    # is addressed to its own platform's enterprises, as a provincial bureau's reminder takes the province.
    for answer in (
        "企业在季度预缴时可以选择享受研发费用加计扣除，年度汇算时一并计算。",
        "高新技术企业资格到期前，企业应按规定重新提出认定申请。",
        "申请本项补贴的企业须已办理上年度研发费用加计扣除申报。",
    ):
        fact = read_region(answer, department="科技局", home_region="3310")
        assert fact is not None and fact.value == "3310", answer
    # With no home region the same passage names no region: it stays national.
    assert read_region("企业在季度预缴时可以选择享受研发费用加计扣除。", department="科技局") is None


def test_a_national_body_the_passage_cites_is_not_its_issuer():
    for answer in (
        "依照工业和信息化部、财政部《小微企业认定办法》，年营业收入在规定以下的企业可以申报。",
        "现行办法规定，符合条件的企业按照财政部公告享受减半征收。",
        "为支持小微企业发展，2019年3月国务院常务会议确定了普惠性减税措施。",
    ):
        fact = read_region(answer, answer[:40], department="科技局", home_region="3310")
        assert fact is not None and fact.value == "3310", answer
    # A national issuer heading its own notice stays national, in the title and in the signature.
    notice = "关于延长申报期限的通知\n各省税务局：\n现将有关事项通知如下。\n国家税务总局\n2020年2月17日"
    fact = read_region(notice, "国家税务总局关于延长申报期限的通知", home_region="3310")
    assert fact is not None and fact.value is None
    fact = read_region(notice, "关于延长申报期限的通知", home_region="3310")
    assert fact is not None and fact.value is None and fact.evidence == "国家税务总局"


def test_a_passage_that_sends_the_enterprise_to_a_zone_office_is_local():
    # Where to file is a zone's administration (管委会 is always a local body): the answer speaks for the
    # platform's own enterprises even though its subject is the national 高新技术企业 scheme.
    answer = "企业搬迁到园区后，请与园区管委会联系，高新技术企业资格复审材料报送至管委会企业服务处。"
    fact = read_region(answer, department="科技局", home_region="3310")
    assert fact is not None and fact.value == "3310"
    answer = "高新技术企业资格到期前，企业应将复审申请报送所在开发区管理委员会。"
    assert read_region(answer, department="科技局", home_region="3310").value == "3310"
    # A national 管理委员会 the passage only cites (按…发布的格式) does not make it national.
    answer = "高新技术企业资格复审材料按国家标准化管理委员会发布的格式填写。"
    assert read_region(answer, answer, department="科技局", home_region="3310").value == "3310"
    # With no home region the local office places nothing.
    answer = "高新技术企业资格复审材料报送至管委会。"
    assert read_region(answer, department="科技局") is None


def test_ingest_reads_the_region_with_the_platforms_home_region(tmp_path: Path):
    store = open_store(tmp_path / "store.sqlite3")
    doc = {
        "id": "bare-1",
        "title": "答复",
        "text": "符合条件的企业可以申请研发投入补助。",
        "department": "科技局",
    }
    try:
        ingest_policies(store, [dict(doc)], progress=False)
        assert next(store.iter_items("bare-1")).region_code is None
        ingest_policies(store, [dict(doc)], progress=False, home_region="3310")
        assert next(store.iter_items("bare-1")).region_code == "3310"
        # A region the poster gives wins over the home region.
        ingest_policies(store, [dict(doc, region_code="331002")], progress=False, home_region="3310")
        assert next(store.iter_items("bare-1")).region_code == "331002"
    finally:
        store.close()


def test_a_clause_naming_another_body_does_not_move_the_region():
    text = "一、给予补助。\n本政策由县科技局会同县财政局负责解释。\n天台县科学技术局\n2022年3月5日"
    assert read_region(text, "关于加快科技创新的若干政策措施").value == "331023"


def test_the_printing_line_names_the_issuer_of_a_forwarded_notice():
    # A city body forwards a ministry's notice: the text ends with the ministry's signature, then the
    # 版记's printing line of the body that issued this document.
    text = (
        "市工业和信息化局关于转发做好中小企业服务工作的通知 各区工业和信息化主管部门： 现将通知转发给你们。"
        " 一、对受影响的企业给予支持。 工业和信息化部办公厅 2021年3月2日"
        " 嘉兴市工业和信息化局办公室 2021年3月9日印发"
    )
    fact = read_region(text)
    assert fact is not None and fact.value == "3304"
    assert text[fact.span[0] : fact.span[1]] == "嘉兴市"
    # A national body's printing line keeps the document national.
    text = "一、对企业给予补助。 国务院办公厅 2021年3月2日印发"
    fact = read_region(text)
    assert fact is not None and fact.value is None


def test_the_posted_department_comes_before_what_the_text_calls_its_own():
    # A city bureau's answer about a provincial rule (在我省参保 … 广东省内) is the city's: the posted issuer names
    # its place, and only a text with no issuer, title or department falls back on its 本省 / 我省.
    answer = "在我省参保缴费满10年的，可以申请转移接续，跨省流动的按广东省规定执行。"
    fact = read_region(answer, department="广州市人力资源和社会保障局（广州市政府门户发布）")
    assert fact is not None and fact.value == "4401"
    fact = read_region(answer)
    assert fact is not None and fact.value == "44"
