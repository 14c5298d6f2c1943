"""Document facts read from a policy's own text (matcher.extraction.document), on sentences written for these tests."""

from pathlib import Path

import pytest

from corpus.schemas import PolicyDocument
from corpus.store import open_store
from matcher.extraction.doctype import classify_document
from matcher.extraction.document import (
    apply_document_facts,
    governing_clauses,
    read_department,
    read_document,
    read_fulfilment,
    read_issued,
    read_validity,
    read_window,
)
from matcher.ingest import ingest_policies


def _span_text(text: str, fact) -> str:
    assert fact.span is not None
    return text[fact.span[0] : fact.span[1]]


# --- dates ---------------------------------------------------------------------------------------


def test_issue_date_from_the_signature_and_from_a_cover_letter():
    signed = "一、给予奖励。\n\n临海市人民政府\n2023年6月8日\n（此件公开发布）"
    assert read_issued(signed).value == "2023-06-08"
    cover = "现印发给你们，请认真贯彻执行。 仙居县人民政府办公室 2024年1月9日 关于支持企业的若干措施 一、对企业给予奖励，自2024年1月1日起执行。"
    assert read_issued(cover).value == "2024-01-09"
    assert read_issued("本公告自2020年1月1日起施行。") is None  # a date inside a sentence signs nothing


@pytest.mark.parametrize(
    ("sentence", "issued", "expected"),
    [
        ("本政策自印发之日起施行，有效期3年。", "2024-01-15", ("2024-01-15", "2027-01-15")),
        ("本办法自发布之日起施行，有效期两年。", "2023-05-04", ("2023-05-04", "2025-05-04")),
        ("本意见自2024年1月1日起施行，有效期至2024年12月31日。", None, ("2024-01-01", "2024-12-31")),
        ("本通知自发布之日起执行至2025年6月30日止。", "2025-02-10", ("2025-02-10", "2025-06-30")),
        ("本措施执行期暂定为自发布之日起的6个月。", "2022-03-01", ("2022-03-01", "2022-09-01")),
        ("本细则执行期限自2023年7月1日起至2025年6月30日止。", None, ("2023-07-01", "2025-06-30")),
        ("本公告自2021年1月1日起施行，截止日期另行公告。", None, ("2021-01-01", None)),
        ("本政策自印发之日起施行，有效期至疫情解除后三个月。", "2020-02-10", ("2020-02-10", None)),
        # A year's or a month's end (年底 / 年末 / 6月底) is its last day.
        ("本措施自印发之日起实施，有效期至2021年底。", "2021-03-02", ("2021-03-02", "2021-12-31")),
        ("本通知自印发之日起执行至2022年2月底。", "2021-11-05", ("2021-11-05", "2022-02-28")),
        ("上述政策措施自发布之日起施行，执行至2023年末。", "2023-04-01", ("2023-04-01", "2023-12-31")),
        # Counted from an issue date the document does not state: unknown, not guessed.
        ("本政策执行期为自发布之日起的3个月。", None, (None, None)),
    ],
)
def test_validity(sentence, issued, expected):
    text = "一、对企业给予补助。\n" + sentence
    valid_from, valid_until = read_validity(text, issued)
    got = (valid_from.value if valid_from else None, valid_until.value if valid_until else None)
    assert got == expected
    if valid_until is not None:
        assert _span_text(text, valid_until) in sentence


def test_validity_of_one_measure_is_not_the_documents():
    text = "三、对参保企业返还失业保险费，执行期限按照国家规定执行。\n四、2020年1月1日至3月31日，对捐赠免征增值税。"
    assert read_validity(text, "2020-02-04") == (None, None)


def test_application_window():
    text = "三、申报时间\n申报时间：2024年3月1日至4月30日，逾期不予受理。"
    opened, closed = read_window(text, None)
    assert (opened.value, closed.value) == ("2024-03-01", "2024-04-30")
    assert _span_text(text, closed) == "4月30日"
    _, deadline = read_window("企业应于申报截止时间2024年5月31日前提交材料。", None)
    assert deadline.value == "2024-05-31"
    assert read_window("申报时间另行通知。", None) == (None, None)


# --- department, mode, type --------------------------------------------------------------------


def test_department_from_the_title_and_from_the_signature():
    assert (
        read_department("", "台州市路桥区科学技术局关于组织申报科技项目的通知").value
        == "台州市路桥区科学技术局"
    )
    text = "一、给予补助。\n财政部 生态环境部\n2020年2月20日"
    fact = read_department(text, "关于加强资金管理的通知")
    assert fact.value == "财政部"  # the lead issuer signs first
    assert _span_text(text, fact) == "财政部"


def test_department_behind_a_header_word_and_named_by_level_only():
    header = "国家税务总局台州市税务局 最新文件 关于优化办税服务的通知 各区县税务局：现将有关事项通知如下。"
    assert read_department(header).value == "国家税务总局台州市税务局"
    zero_width = "若干措施 \u200d\u200d仙居县人民政府办公室 关于印发若干措施的通知"
    assert read_department(zero_width).value == "仙居县人民政府办公室"
    # 省经信厅 in a province's own document: the province read from the text names it.
    facts = read_document(
        "省经济和信息化厅关于支持企业的通知\n各市经信局：\n一、给予补助。\n浙江省经济和信息化厅\n2024年1月2日"
    )
    assert facts.region_code.value == "33"
    assert facts.department.value == "浙江省经济和信息化厅"


@pytest.mark.parametrize(
    ("text", "title", "expected"),
    [
        ("一、给予奖励。\n本政策实行“免申即享”，由部门根据名单直接兑付。", "", "免申即享"),
        ("以上政策均实行即申即享。", "", "即申即享"),
        ("", "关于推行惠企政策“快申优享”的通知", "快申优享"),
        ("本办法所列事项按照即申快享方式办理。", "", "即申快享"),
        ("本措施所列项目委托第三方机构评审。", "", "第三方评审"),
        ("以上政策实行申报审批制，企业提交申请后由主管部门审核。", "", "申报审批"),
        # A mode one item names is that item's, not the whole document's.
        ("第三条 对新认定的小巨人企业奖励100万元，实行“免申即享”。第四条 对技改项目给予补助。", "", None),
    ],
)
def test_fulfilment_mode(text, title, expected):
    fact = read_fulfilment(text, title)
    assert (fact.value if fact else None) == expected


@pytest.mark.parametrize(
    ("title", "text", "doc_type"),
    [
        (
            "关于2024年度技术改造专项资金拟资助项目的公示",
            "经专家评审，现将拟资助项目名单予以公示。",
            "result",
        ),
        (
            "椒江区信息化系统建设项目中标结果公告",
            "项目编号：ZC2024001。中标供应商：某某科技有限公司。",
            "procurement",
        ),
        ("我市召开专精特新企业培育工作推进会", "会上，有关负责同志强调要压实责任。", "news"),
    ],
)
def test_non_policies_by_rule(title, text, doc_type):
    kind = classify_document(text, title=title)
    assert (kind.doc_type, kind.is_policy) == (doc_type, False)


def test_the_classifier_tells_a_policy_from_an_office_how_to():
    policy = (
        "关于支持企业数字化改造的若干政策\n各有关单位：\n一、对上年度营业收入2000万元以上的规上工业企业，"
        "数字化改造投资额500万元以上的，按设备投资额的10%给予补助，最高不超过200万元。\n"
        "二、对新认定的省级专精特新中小企业，给予一次性奖励30万元。\n本政策自印发之日起施行，有效期三年。"
    )
    howto = "登录系统后点击右上角“忘记密码”，输入注册时的手机号码和验证码，即可重新设置登录密码。"
    assert classify_document(policy).is_policy is True
    assert classify_document(howto).is_policy is False


# --- governing clauses and the whole document ----------------------------------------------------


DOCUMENT = (
    "路桥区关于支持工业企业稳增长的若干政策\n"
    "各镇人民政府、街道办事处，区级有关部门：\n"
    "一、技术改造补助\n对当年设备投资500万元以上的技术改造项目，按设备投资额的8%给予补助，最高不超过200万元。\n"
    "二、研发奖励\n对研发费用增长20%以上的企业，按增量的10%给予奖励。\n"
    "三、附则\n本政策适用于在路桥区注册登记的规模以上工业企业。同一项目按就高原则不重复享受。"
    "申报时间为2024年4月1日至2024年5月31日。本政策自2024年3月1日起施行，有效期至2026年12月31日。\n"
    "台州市路桥区经济和信息化局\n2024年2月20日"
)


def test_governing_clauses_are_found():
    found = [DOCUMENT[a:b] for a, b in governing_clauses(DOCUMENT)]
    assert "本政策适用于在路桥区注册登记的规模以上工业企业。" in found
    assert "同一项目按就高原则不重复享受。" in found
    assert any(s.startswith("申报时间为2024年4月1日") for s in found)


def test_read_document_reads_every_fact():
    facts = read_document(DOCUMENT, title="路桥区关于支持工业企业稳增长的若干政策")
    values = facts.values()
    assert values["region_code"] == "331004"
    assert values["issued"] == "2024-02-20"
    assert (values["valid_from"], values["valid_until"]) == ("2024-03-01", "2026-12-31")
    assert (values["window_open"], values["window_close"]) == ("2024-04-01", "2024-05-31")
    assert values["department"] == "台州市路桥区经济和信息化局"
    assert values["is_policy"] is True
    spans = facts.spans()
    assert spans["valid_until"]["evidence"] == "2026年12月31日"


def test_given_metadata_wins_over_what_is_read():
    doc = PolicyDocument(
        id="p1", title="路桥区关于支持工业企业稳增长的若干政策", text=DOCUMENT, region_code="3310"
    )
    facts = read_document(doc.text, title=doc.title)
    applied = apply_document_facts(doc, facts)
    assert applied.region_code == "3310"  # given
    assert applied.valid_until == "2026-12-31"  # read
    assert applied.issued == "2024-02-20"
    # A record that gave valid_until as null explicitly keeps it null.
    kept = apply_document_facts(doc, facts, {"valid_until", "region_code"})
    assert kept.valid_until is None


def test_ingest_applies_facts_and_scope_to_every_item(tmp_path: Path):
    store = open_store(tmp_path / "facts.sqlite3")
    try:
        record = {"id": "lq-2024-02", "title": "路桥区关于支持工业企业稳增长的若干政策", "text": DOCUMENT}
        report = ingest_policies(store, [record], progress=False)
        assert report.ok
        stored = store.get_policy("lq-2024-02")
        assert stored.document.region_code == "331004"
        assert stored.document.valid_until == "2026-12-31"
        assert all(item.region_code == "331004" for item in stored.items)
        assert len(stored.items) == 2
        for item in stored.items:
            conditions = store.item_conditions(item.id)
            # The 附则's scope clause governs both items, not only the last one.
            assert any(c.field == "region_code" and c.value == "331004" for c in conditions), item.id
            assert any(c.field == "qualifications" and c.value == "规上工业企业" for c in conditions), item.id
    finally:
        store.close()


def test_a_jsonl_record_keeps_what_it_gives_and_gets_the_rest_from_its_text(tmp_path: Path):
    import json

    path = tmp_path / "policies.jsonl"
    given = {
        "id": "g1",
        "title": "路桥区关于支持工业企业稳增长的若干政策",
        "text": DOCUMENT,
        "region_code": "3310",
    }
    read = {
        "id": "r1",
        "title": "路桥区关于支持工业企业稳增长的若干政策",
        "text": DOCUMENT,
        "region_code": None,
    }
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in (given, read)) + "\n", encoding="utf-8"
    )
    store = open_store(tmp_path / "jsonl.sqlite3")
    try:
        assert ingest_policies(store, [path], progress=False).ok
        assert store.get_policy("g1").document.region_code == "3310"  # given wins
        assert store.get_policy("r1").document.region_code == "331004"  # null: read from the text
        assert store.get_policy("r1").document.valid_until == "2026-12-31"
    finally:
        store.close()


# A national notice sent to some provinces' departments only (its 主送 line), written for these tests.
ADDRESSED = (
    "关于做好春耕农资保供工作的通知 江西、湖南、广西农业农村、财政主管部门： "
    "为做好春耕期间农资供应，现就有关事项通知如下： "
    "一、对承担农资保供任务的流通企业，按实际运输费用的50%给予补贴。 "
    "二、对新增农资储备的企业给予贷款贴息。 "
    "农业农村部办公厅 财政部办公厅 2021年2月10日"
)


def test_a_notice_addressed_to_some_provinces_is_for_their_enterprises():
    from matcher.extraction.document import read_addressed_places

    found = read_addressed_places(ADDRESSED)
    assert found is not None
    (a, b), codes = found
    assert ADDRESSED[a:b] == "江西、湖南、广西农业农村、财政主管部门："
    assert codes == ("36", "43", "45")
    facts = read_document(ADDRESSED)
    # The document stays national (a ministry's); the line governs every item instead.
    assert facts.values()["region_code"] is None
    assert (a, b) in facts.governs
    # 各省、自治区、直辖市 addresses every province: no particular places.
    assert read_addressed_places("关于…的通知 各省、自治区、直辖市财政厅（局）： 现通知如下：") is None
    # A place named inside a national body's local office names that office, not whose enterprises.
    assert read_addressed_places("关于…的通知 国家税务总局湖北省税务局： 现通知如下：") is None
    # A province's notice to its own cities is bounded by them; to a place outside it, by nothing.
    assert read_addressed_places("通知 台州市、宁波市经信局：", "33")[1] == ("3310", "3302")
    assert read_addressed_places("通知 台州市、南京市经信局：", "33") is None


def test_ingest_bounds_every_item_by_the_places_a_notice_is_addressed_to(tmp_path: Path):
    from corpus.conditions import Group, judge_item

    store = open_store(tmp_path / "addressed.sqlite3")
    try:
        report = ingest_policies(
            store,
            [{"id": "nong-1", "title": "关于做好春耕农资保供工作的通知", "text": ADDRESSED}],
            progress=False,
        )
        assert report.ok
        stored = store.get_policy("nong-1")
        assert stored.document.region_code is None
        offered = [item for item in stored.items if item.is_policy is not False]
        assert offered
        for item in offered:
            entries = store.item_conditions(item.id)
            groups = [e for e in entries if isinstance(e, Group)]
            assert any({m.value for m in g.members} == {"36", "43", "45"} for g in groups), item.id
            # An enterprise of another province is not offered it; one of an addressed province may be.
            assert judge_item(entries, {"id": "x", "region_code": "110108"}).level in (
                "ineligible",
                "near_miss",
            )
            assert judge_item(entries, {"id": "x", "region_code": "430102"}).level != "ineligible"
    finally:
        store.close()


def test_a_sentence_refusing_enterprises_the_whole_policy_governs_every_item(tmp_path: Path):
    text = (
        "关于支持企业研发的若干措施\n"
        "一、对研发费用达到500万元的企业，给予10万元奖励。\n"
        "二、对新获评市级企业技术中心的企业，给予20万元奖励。\n"
        "三、被列入严重失信主体名单的企业，不得享受本措施。"
    )
    found = [text[a:b] for a, b in governing_clauses(text)]
    assert any("不得享受本措施" in s for s in found)
    store = open_store(tmp_path / "refuse.sqlite3")
    try:
        report = ingest_policies(
            store, [{"id": "rf-1", "title": "关于支持企业研发的若干措施", "text": text}], progress=False
        )
        assert report.ok
        offered = [i for i in store.get_policy("rf-1").items if i.is_policy is not False]
        assert len(offered) >= 2
        for item in offered:
            conditions = store.item_conditions(item.id)
            assert any(c.field == "credit_status" for c in conditions), (item.text, conditions)
    finally:
        store.close()
