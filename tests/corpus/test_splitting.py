import json
from pathlib import Path

import pytest

from corpus.schemas import PolicyDocument
from corpus.splitting import cn_number, grants_enterprises, split_policy

ARTICLES = """台州市椒江区关于推动制造业高质量发展的若干政策
第一章 总则
第一条 为推动全区制造业高质量发展，制定本政策。
第二条 本政策适用于在椒江区注册登记、具有独立法人资格的工业企业。
第二章 支持政策
第三条 技术改造补助。对设备投资额500万元以上的技改项目，按设备投资额的10%给予补助，最高不超过200万元。
第四条 研发奖励。符合下列条件的企业：
（一）上年度研发费用不低于300万元；
（二）研发投入占营业收入比重不低于3%。
给予一次性奖励30万元。
第五条 高企奖励。对首次认定为国家高新技术企业的，给予20万元奖励。依据《台州市科技创新条例》第十二条规定执行。
第三章 附则
第六条 本政策自2024年1月1日起施行，由区经信局负责解释。
"""

INLINE = (
    "关于支持中小微企业渡过难关的若干措施 为帮助企业渡过难关，制定如下措施。 一、减轻企业负担 （一）减免房租。"
    "对承租国有经营用房的中小微企业，免收3个月房租。 （二）稳岗返还。对不裁员的参保企业，返还上年度失业保险费的50%，"
    "实行免申即享。 二、加大金融支持 （一）贷款贴息。对新增贷款给予50%贴息，单户最高不超过50万元。企业营业收入增长（3）"
    "成以上的另行支持。 （二）强化服务。建立服务专员制度，及时解决企业诉求。 三、组织保障 各部门要加强领导，抓好落实。 "
    "本措施自发布之日起施行，有效期至2024年12月31日。 台州市人民政府 2024年3月1日"
)

LINES = """一、技改补助
对技改项目给予补助，须同时满足以下条件：
1. 在椒江区注册
2. 设备投资500万元以上
补助比例为10%。
二、人才补贴
1．博士补贴
引进博士每人补贴10万元。
2．硕士补贴
引进硕士每人补贴3万元。
三、兑现程序
企业向区人力社保局申请补贴，经审核后拨付。
"""


def doc(text, **kw):
    values = {
        "id": "tz-1",
        "title": "测试政策",
        "text": text,
        "region_code": "331002",
        "department": "椒江区经信局",
        "issued": "2024-03-01",
        "fulfilment": "一般申报",
    }
    values.update(kw)
    return PolicyDocument(**values)


def test_cn_numbers():
    assert [cn_number(t) for t in ("一", "十", "十二", "二十", "二十一", "一百零五", "7", "两")] == [
        1,
        10,
        12,
        20,
        21,
        105,
        7,
        2,
    ]
    assert cn_number("第") is None


def test_articles_under_chapters():
    items = split_policy(doc(ARTICLES))
    assert [i.heading_path for i in items] == [
        ("第二章 支持政策", "第三条 技术改造补助"),
        ("第二章 支持政策", "第四条 研发奖励"),
        ("第二章 支持政策", "第五条 高企奖励"),
    ]
    assert [i.title for i in items] == ["技术改造补助", "研发奖励", "高企奖励"]
    # The conditions listed under 第四条 stay in its text: they are what the 奖励 requires.
    assert items[1].text == ARTICLES[ARTICLES.index("第四条") : ARTICLES.index("第五条")].strip()
    # "第十二条规定" inside a sentence is a reference, not a heading.
    assert items[2].text.endswith("第十二条规定执行。")


def test_items_keep_the_documents_metadata():
    items = split_policy(doc(ARTICLES))
    assert [i.id for i in items] == ["tz-1#1", "tz-1#2", "tz-1#3"] and [i.seq for i in items] == [1, 2, 3]
    for item in items:
        assert (item.policy_id, item.region_code, item.department, item.issued, item.fulfilment) == (
            "tz-1",
            "331002",
            "椒江区经信局",
            "2024-03-01",
            "一般申报",
        )


def offered(items):
    """The items an enterprise can be offered (a measure naming no support is stored, never offered)."""
    return [i for i in items if i.is_policy is not False]


def test_inline_numbering_without_line_breaks():
    every = split_policy(doc(INLINE))
    items = offered(every)
    assert [i.heading_path for i in items] == [
        ("一、减轻企业负担", "（一）减免房租"),
        ("一、减轻企业负担", "（二）稳岗返还"),
        ("二、加大金融支持", "（一）贷款贴息"),
    ]
    # "（二）强化服务" states no support: kept, never offered; "三、组织保障" is about the policy: no item.
    assert [i.heading_path[-1] for i in every if i.is_policy is False] == ["（二）强化服务"]
    assert items[1].fulfilment == "免申即享"  # named in the item itself
    assert items[0].fulfilment == "一般申报"
    # A stray "（3）" inside a sentence is text, and the closing remarks and signature are not in the last item.
    assert items[2].text.endswith("企业营业收入增长（3）成以上的另行支持。")
    assert all("台州市人民政府" not in i.text for i in items)


def test_conditions_list_stays_whole_and_titled_measures_split():
    items = split_policy(doc(LINES))
    assert [i.heading_path for i in items] == [
        ("一、技改补助",),
        ("二、人才补贴", "1．博士补贴"),
        ("二、人才补贴", "2．硕士补贴"),
    ]
    assert items[0].text == LINES[: LINES.index("二、")].strip()
    assert items[2].text == "2．硕士补贴\n引进硕士每人补贴3万元。"  # 三、兑现程序 is procedure, not an item


def test_document_without_numbering_is_one_item():
    text = "关于做好春节期间安全生产工作的通知 各单位要加强值班值守，确保安全。"
    items = split_policy(doc(text))
    assert (
        len(items) == 1
        and items[0].text == text
        and items[0].heading_path == ()
        and items[0].title == "测试政策"
    )
    assert split_policy(doc("   ")) == []


def test_markdown_headings_are_sections():
    text = "# 椒江区研发政策\n\n## 研发费用补助\n对研发费用超过500万元的企业给予10%补助。\n\n## 人才奖励\n引进博士给予一次性奖励10万元。\n"
    items = split_policy(doc(text))
    assert [i.title for i in items] == ["研发费用补助", "人才奖励"]
    assert items[0].heading_path == ("椒江区研发政策", "研发费用补助")
    assert items[1].text == "人才奖励\n引进博士给予一次性奖励10万元。"


def test_item_texts_are_substrings_in_order():
    for text in (ARTICLES, INLINE, LINES):
        items = split_policy(doc(text))
        positions = [text.index(i.text) for i in items]
        assert positions == sorted(positions)


# --- real documents (../shared, never shipped) --------------------------------------------------


@pytest.fixture(scope="module")
def ncp_docs(shared_dir: Path) -> dict[str, str]:
    path = shared_dir / "data/retrieval/ncp_policies/docs.jsonl"
    return {row["docid"]: row["text"] for row in map(json.loads, path.read_text("utf-8").splitlines())}


def split_real(ncp_docs, docid):
    return split_policy(PolicyDocument(docid, "t", ncp_docs[docid]))


def test_real_taizhou_measures_numbered_through_sections(ncp_docs):
    # 泰州市: 一、二、三、 sections whose 1．…10． run on across them; 3 (a 绿色通道) and 6 (法律服务)
    # name a service, not money or relief.
    items = offered(split_real(ncp_docs, "9d4f63c5cbb03f5eaf604fe0566ceec6"))
    assert [i.heading_path for i in items] == [
        ("一、金融支持", "1．持续加大中小企业贷款投放"),
        ("一、金融支持", "2．降低中小企业融资成本"),
        ("一、金融支持", "3．建立中小企业融资服务绿色通道"),
        ("一、金融支持", "4．加大货币信贷支持力度"),
        ("二、援企稳岗", "5．落实稳岗用工政策"),
        ("二、援企稳岗", "6．维护中小企业合法权益"),
        ("三、减轻负担", "7．减免中小企业房租"),
        ("三、减轻负担", "8．缓缴社会保险费和政府性基金等"),
        ("三、减轻负担", "9．减免中小企业税款"),
        ("三、减轻负担", "10．延期申报缴纳税款"),
    ]
    assert items[6].text.startswith("7．减免中小企业房租。对在疫情期间承租国有企业")
    assert items[-1].text.endswith("（责任单位：市税务局）")  # 施行 remarks and signature cut off


def test_real_shaanxi_top_level_measures(ncp_docs):
    # 陕西省: one level 一、…十、; 一、九、十、 state no money or relief.
    items = offered(split_real(ncp_docs, "2224dc162e2831f693b41749dd361b17"))
    money_or_relief = [
        "减轻税费负担",
        "减免企业房租",
        "实施援企稳岗政策",
        "加大信贷支持",
        "降低融资成本",
        "强化担保支持",
        "支持企业技术改造",
    ]
    titles = [i.title for i in items]
    assert [t for t in titles if t in money_or_relief] == money_or_relief
    assert (
        "失业保险稳岗返还比例由上年度实际缴费的50%提高到60%" in items[titles.index("实施援企稳岗政策")].text
    )


def test_real_beijing_measures(ncp_docs):
    items = split_real(ncp_docs, "4519298476cf3b7991cc069232a80c03")
    paths = [i.heading_path for i in items]
    assert ("一、减轻中小微企业负担", "4.补贴小微企业研发成本") in paths
    assert ("三、保障企业正常生产运营", "12.实施援企稳岗政策") in paths
    research = items[paths.index(("一、减轻中小微企业负担", "4.补贴小微企业研发成本"))]
    assert "研发费用补助" in research.text and research.text.startswith("4.补贴小微企业研发成本。")


def test_real_national_notice_without_sections(ncp_docs):
    # 人社部 财政部 税务总局: 阶段性减免社会保险费 — 一、二、三、 are the measures themselves.
    items = split_real(ncp_docs, "e3e7fb938ea43b0d9b580d7988535c80")
    assert [i.heading_path[0][:2] for i in items][:3] == ["一、", "二、", "三、"]
    assert "减半征收" in items[0].text and "免征" in items[1].text and "缓缴" in items[2].text
    assert not items[-1].text.endswith("2020年2月20日")  # the signature is not part of an item


def test_real_corpus_invariants(ncp_docs):
    total = 0
    for docid, text in ncp_docs.items():
        items = split_policy(PolicyDocument(docid, "t", text))
        assert items, docid  # every document can be found through at least one item
        assert [i.seq for i in items] == list(range(1, len(items) + 1))
        for item in items:
            assert item.text.strip() and item.text in text, (docid, item.seq)
            assert item.id == f"{docid}#{item.seq}"
        total += len(items)
    assert total > len(ncp_docs)  # multi-item documents are split


def test_amounts_in_conditions_are_not_support_of_their_own():
    # "2000万元以上" is a threshold, not money given: the clauses stay in the 奖励 they qualify.
    text = "三、研发奖励\n对企业给予研发奖励。\n（一）上年度营业收入2000万元以上；\n（二）研发费用100万元以上。\n四、人才补贴\n每人补贴10万元。"
    items = split_policy(doc(text))
    assert [i.heading_path for i in items] == [("三、研发奖励",), ("四、人才补贴",)]
    assert "研发费用100万元以上" in items[0].text


def test_clauses_announced_by_a_colon_stay_with_their_support():
    text = "一、技改补助\n对技改项目给予补助：\n1. 在椒江区注册\n2. 设备投资500万元以上\n补助比例为10%。\n二、人才补贴\n每人补贴10万元。"
    items = split_policy(doc(text))
    assert [i.heading_path for i in items] == [("一、技改补助",), ("二、人才补贴",)]
    assert items[0].text.endswith("补助比例为10%。")


# A guide that lists its measures first (headings only), then gives each in full under the same numbers.
CONTENTS_THEN_BODY = (
    "稳企助企政策指引 本指引梳理了三个方面4项政策。 一、减轻负担 1.小微企业房租减免； 2.困难企业社保费缓缴。 "
    "二、金融支持 3.新增贷款贴息。 三、稳岗就业 4.稳岗返还。 "
    "一、减轻负担 1.小微企业房租减免 【享受主体】承租国有经营用房的小微企业。 【优惠内容】免收3个月房租。 "
    "2.困难企业社保费缓缴 【享受主体】生产经营困难的企业。 【优惠内容】可缓缴养老保险费6个月，缓缴期间免收滞纳金。 "
    "二、金融支持 3.新增贷款贴息 【享受主体】新增流动资金贷款的中小企业。 【优惠内容】按贷款利息的50%给予贴息。 "
    "三、稳岗就业 4.稳岗返还 【享受主体】上年度不裁员的参保企业。 【优惠内容】返还上年度失业保险费的50%。"
)


def test_a_table_of_contents_gives_way_to_the_body_it_lists():
    items = split_policy(doc(CONTENTS_THEN_BODY))
    assert [i.heading_path[-1] for i in items] == [
        "1.小微企业房租减免",
        "2.困难企业社保费缓缴",
        "3.新增贷款贴息",
        "4.稳岗返还",
    ]
    # Each item is the full measure of the body, not its line in the list.
    assert all("【享受主体】" in i.text and "【优惠内容】" in i.text for i in items)


def test_a_list_with_one_number_lost_runs_on():
    text = (
        "支持企业发展的若干措施 1.设立专项资金，对重点企业给予补助。 2.对新增贷款给予贴息支持。 "
        "对承租国有房产的中小微企业，免收一个月房租。 4.对不裁员的企业返还失业保险费的50%。 "
        "5.对新招用员工的企业给予每人1000元补贴。"
    )
    items = split_policy(doc(text))
    assert [i.heading_path[-1][:2] for i in items] == ["1.", "2.", "4.", "5."]
    assert items[2].text.startswith("4.对不裁员")
    # A number that skips and does not run on stays text.
    stray = "若干措施 1.对新增贷款给予贴息支持，按第3.条执行。 2.对中小企业给予补助。 4.其他事项另行通知，不予补助。"
    assert [i.heading_path[-1][:2] for i in split_policy(doc(stray))] == ["1.", "2."]


# A table of measures flattened to text: a 序号 header naming its columns, then rows whose serial
# number is glued to the first cell (row 1's cell opens with a list of its own).
TABLE = (
    "某区税务局办税指南 序号政策依据政策内容办理流程受理部门 一、支持防疫 "
    "11.某公告（第1号）； 2.某公告（第2号） 对防疫物资生产企业，全额退还增量留抵税额。受理→核准→退库 区税务局 "
    "2某公告（第3号）对运输防疫物资的纳税人，免征增值税。直接享受 区税务局 "
    "二、支持困难企业 3某公告（第4号）对受疫情影响较大的小微企业，减半征收房产税。受理→核准 区税务局 "
    "4某公告（第5号）对困难企业，可申请延期缴纳税款，最长不超过3个月，缓缴期间免收滞纳金。受理→核准 区税务局"
)


def test_a_flattened_table_is_split_into_its_rows():
    items = split_policy(doc(TABLE))
    assert [i.heading_path[-1][:2] for i in items] == ["11", "2某", "3某", "4某"]
    assert items[0].heading_path[0] == "一、支持防疫" and items[2].heading_path[0] == "二、支持困难企业"
    # Row 1 keeps the list its first cell opens with; row 2 starts where its number does.
    assert "2.某公告（第2号）" in items[0].text and items[1].text.startswith("2某公告（第3号）")
    # Numbers inside cells (3个月, 第4号) are no rows.
    assert items[3].text.endswith("区税务局")


def test_a_notice_whose_numbered_parts_state_no_support_keeps_them_never_offered():
    text = (
        "关于做好复工期间防疫工作的通知 各有关单位： 现就有关事项通知如下： "
        "一、落实主体责任。各企业要建立防疫工作台账，每日报告员工健康情况。 "
        "二、加强人员管控。进入厂区人员须佩戴口罩、测量体温。 "
        "三、做好物资储备。各企业要储备口罩、消毒液等防疫物资。"
    )
    items = split_policy(doc(text))
    assert [i.heading_path[-1][:2] for i in items] == ["一、", "二、", "三、"]
    assert all(i.is_policy is False for i in items)


def test_numbered_conditions_the_opening_announces_stay_one_item():
    text = "申请认定的企业须同时满足以下条件： 1.在本区注册满一年； 2.上年度研发费用不低于100万元； 3.无失信记录。"
    items = split_policy(doc(text))
    assert len(items) == 1 and items[0].is_policy is not False
    assert "3.无失信记录" in items[0].text


def test_a_service_an_enterprise_applies_for_is_offered():
    text = (
        "若干措施 一、开辟审批绿色通道。对防疫物资生产企业的项目实行容缺受理。 "
        "二、提供法律服务。对受疫情影响不能履行合同的外贸企业，协助出具不可抗力事实性证明。 "
        "三、加强组织协调。各部门要密切配合，形成工作合力。"
    )
    items = split_policy(doc(text))
    assert [(i.heading_path[-1][:2], i.is_policy) for i in items] == [
        ("一、", None),
        ("二、", None),
        ("三、", False),
    ]


def test_a_measure_naming_no_support_that_grants_enterprises_something_is_offered():
    text = (
        "若干措施 一、优化通行管理。对运输生产原料的承运企业，可先行放行，事后补办手续。 "
        "二、延后申报期限。对按季申报的纳税人，本季度申报期限延至下月底。 "
        "三、加强企业指导。各地要指导企业做好复工准备，可组织专人上门服务。 "
        "四、推行网上办理。纳税人可通过电子税务局办理各项业务。 "
        "五、落实用餐管理。集体用餐的企业实行分餐制，减少人员聚集。 "
        "六、保障园区用电。对园区内的中小企业新建仓储设施用电，实行农业生产用电价格。"
    )
    items = split_policy(doc(text))
    assert [(i.heading_path[-1][:2], i.is_policy) for i in items] == [
        ("一、", None),  # the carriers may pass first
        ("二、", None),  # the taxpayers' deadline is extended
        ("三、", False),  # a department's duty (要), whatever it may do
        ("四、", False),  # a channel everyone uses (可通过), no grant
        ("五、", False),  # the enterprises' own duty (实行 without 对)
        ("六、", None),  # a price granted to them (对…实行)
    ]


def test_grants_enterprises_reads_one_sentence_at_a_time():
    assert grants_enterprises("对受影响的个体工商户，允许分期缴纳。")
    assert not grants_enterprises("各部门要加强协调。对企业反映的问题，及时研究。")
    # 应对 / 需要 are no duty before the grant; 不受…限制 spares them a limit.
    assert grants_enterprises("企业为应对疫情捐赠的物资，允许在计算所得时扣除。")
    assert grants_enterprises("对因生产需要扩大产能的企业，用电量不受原定额度限制。")
    # A beneficiary in one sentence and a permission in the next are no grant.
    assert not grants_enterprises("做好企业服务工作。相关材料可在网上提交。")


def test_an_answer_whose_numbered_parts_are_its_conditions_stays_one_offered_item():
    # The opening announces the list in the middle of a sentence; the parts are plain clauses.
    answer = (
        "创业者及其创办的企业同时符合以下条件的，可申请一次性创业补贴；（一）在本市首次创办企业；"
        "（二）在所创办的企业缴纳社会保险满6个月；（三）企业正常经营满一年。"
    )
    clauses = "（1）注册资本不少于100万元；（2）有固定的经营场所；（3）有健全的管理制度。"
    for text in (answer, clauses):
        items = split_policy(doc(text))
        assert len(items) == 1 and items[0].is_policy is not False, text


def _offered_by_marker(text: str) -> dict[str, bool]:
    """Each item's marker (一、 …) → whether the splitter offers it (not marked never offered)."""
    return {i.heading_path[-1][:2]: i.is_policy is not False for i in split_policy(doc(text))}


def test_money_advanced_paid_early_or_charges_cut_are_support():
    # Beside a measure that names a subsidy, each of these grants enterprises something: offered.
    text = (
        "关于支持企业复产的若干措施 一、对新招用员工的企业给予每人500元补贴。 "
        "二、帮助企业转产。企业转产所需的原料采购资金，由所在区政府先行垫付，企业恢复生产后归还。 "
        "三、加快工程款结算。对承接政府工程的中小企业，可按工程进度提前支付工程款。 "
        "四、检验检测收费标准下调。产品注册检验收费标准统一降低20%。 "
        "五、加强统筹调度。各部门要建立工作专班，定期调度进展。"
    )
    assert _offered_by_marker(text) == {"一、": True, "二、": True, "三、": True, "四、": True, "五、": False}


def test_a_step_allowed_before_its_papers_is_support():
    # Doing first and completing the approval or the papers later spares the enterprise a wait: offered.
    text = (
        "关于帮助工厂渡过难关的几条措施 一、对按期复产的工厂给予一次性奖励2万元。 "
        "二、扩产手续从简。工厂增加生产线的，经主管部门同意，可先投产再补办环评手续。 "
        "三、证照办理不停。申请人在网上提交扫描件的，窗口先行受理，原件待疫情过后补交。 "
        "四、强化督导检查。各部门要每周通报工作进展。"
    )
    assert _offered_by_marker(text) == {"一、": True, "二、": True, "三、": True, "四、": False}


# A measure whose support is in its own opening, followed by a numbered list of its legal bases.
BASES = (
    "一、税费优惠\n"
    "（一）小微企业暂免缴纳水利建设基金。 【适用对象】 职工20人以下的企业。 "
    "【优惠内容】 2021年1月1日起，对上述企业暂免征收水利建设基金。 【政策依据】 "
    "1.《某省财政厅关于调整水利建设基金的公告》 （某财公告2020年第3号）\n"
    "2.《某省税务局关于征收管理事项的公告》（某税公告2020年第5号）\n"
    "（二）房产税减半。对困难企业，房产税减半征收。\n"
)


def test_a_measure_whose_support_is_in_its_opening_keeps_its_bases_with_it():
    items = split_policy(doc(BASES))
    # Split into its bases, the opening (what is granted, to whom) would belong to no item.
    assert [i.heading_path[-1] for i in items] == [
        "（一）小微企业暂免缴纳水利建设基金",
        "（二）房产税减半",
    ]
    assert "【优惠内容】" in items[0].text and items[0].text.endswith("2020年第5号）")
    assert all(i.is_policy is not False for i in items)


def test_relief_by_stopping_a_charge_and_a_company_allowed_something_are_measures():
    text = (
        "一、房租补贴。对租用区属厂房的企业，给予3个月房租补贴。\n"
        "二、停收部分费用。年内对小微企业停征占道费和检验费。\n"
        "三、放宽办理时限。受疫情影响的公司可申请将年报公示时间推后2个月。\n"
        "四、压实工作责任。各街道要明确专人，抓好落实。\n"
    )
    items = split_policy(doc(text))
    assert [i.is_policy is not False for i in items] == [True, True, True, False]


def test_social_insurance_measures_and_cited_attachments_are_items():
    """社会保障措施 names a support, not the policy's safeguards; 《…》附件 cites another document."""
    text = (
        "关于支持小微企业稳定就业的若干措施\n"
        "一、落实社会保障措施\n对吸纳就业困难人员的小微企业，给予社会保险补贴，每人每月500元。\n"
        "二、执行《企业减负目录》附件所列减免事项\n对符合目录的企业，免收行政事业性收费。\n"
        "三、保障措施\n各部门要加强协作，确保政策落实。\n"
        "附件：申报表\n企业名称、联系人。\n"
    )
    titles = [i.heading_path[-1] for i in offered(split_policy(doc(text)))]
    assert titles == ["一、落实社会保障措施", "二、执行《企业减负目录》附件所列减免事项"]


def test_a_measure_titled_with_a_procedure_word_is_an_item_and_a_chapter_about_the_policy_is_not():
    """Inside a list of measures, 优化办理流程 names a measure; 申报材料 as a whole subsection title, 加强组织领导,
    or a chapter that names 组织领导 anywhere, is about the policy."""
    text = (
        "关于进一步便利企业融资的若干措施\n"
        "一、优化金融服务\n"
        "（一）减免担保费。对小微企业的新增担保贷款，担保费减半收取。\n"
        "（二）优化续贷办理流程。对到期贷款的小微企业，可先行办理无还本续贷，贷款利率给予优惠。\n"
        "（三）申报材料\n企业提交营业执照和贷款合同复印件。\n"
        "（四）加强组织领导\n各部门要明确分工，安排专项资金，抓好落实。\n"
        "二、切实加强组织领导\n各部门要明确分工，对企业给予指导，抓好落实。\n"
    )
    titles = [i.heading_path[-1] for i in split_policy(doc(text))]
    assert titles == ["（一）减免担保费", "（二）优化续贷办理流程"]
