"""Is a document a policy? The classifier on short texts of our own (docs/benchmarks.md, ``real-extraction-x23``)."""

from __future__ import annotations

import pytest

from matcher.extraction.doctype import classify_document


def _kind(text: str, title: str = "") -> tuple[bool, str]:
    """Whether the document is a policy, and its kind."""
    kind = classify_document(text, title=title)
    return kind.is_policy, kind.doc_type


def test_a_duty_or_a_disclaimer_is_no_policy_and_an_answer_granting_support_is_one():
    # What a body must do, or a warning, grants nobody anything: an answer of that kind is no policy.
    assert classify_document("市商务局负责展会补贴的审核和监督工作，区商务部门做好初审。").is_policy is False
    assert classify_document("本单位从未委托任何中介机构代理项目申报，请各企业注意防范。").is_policy is False
    assert classify_document("对上年度纳税额超过100万元的小微企业，可申请一次性稳岗补贴5万元。").is_policy
    assert classify_document("符合条件的个体工商户可以申请减半征收房产税，申请时提交营业执照即可。").is_policy


def test_a_deadline_before_a_day_is_no_news_opening():
    kind = classify_document("物流企业应当在每月10日前向主管部门报送车辆运行台账，并对台账的真实性负责。")
    assert kind.evidence != "日前"
    assert classify_document("市国资委日前出台八项举措，支持监管企业复工复产。").doc_type == "news"


def test_an_official_document_addressed_to_the_bodies_that_apply_it_stays_a_policy_when_unsure():
    # The same unsure notice, with and without its line of addressees (主送机关).
    title = "关于进一步做好重点物资运输保障工作的函"
    body = "当前重点地区生活必需品需求旺盛，各地商务主管部门要加强产销对接，组织骨干流通企业跨区域调运，每日报送库存和价格。"
    plain = classify_document(body, title=title)
    addressed = classify_document("各省、自治区、直辖市商务主管部门：\n" + body, title=title)
    assert plain.is_policy is False
    assert addressed.is_policy is True
    assert addressed.probability < 0.25  # the classifier alone would have hidden it


def test_an_addressed_safety_reminder_the_classifier_is_sure_of_stays_no_policy():
    body = "近期气温回升，为做好安全生产工作，现就有关事项提示如下：一、落实主体责任，开展隐患排查。二、加强值班值守，及时报告情况。"
    kind = classify_document(
        "各区县应急管理局，各有关单位：\n" + body, title="关于做好春季安全生产工作的提示"
    )
    assert kind.is_policy is False


def test_an_appeal_or_an_open_letter_is_no_policy_by_its_title_only():
    body = "广大经营户朋友们：当前正值复工关键时期，希望大家做好员工健康监测，主动减免商户租金，共渡难关。"
    for title in ("致全区个体工商户的一封信", "关于共同做好复工复产的倡议书", "致全市企业家的公开信"):
        kind = classify_document(body, title=title)
        assert (kind.is_policy, kind.doc_type) == (False, "other"), title
        assert kind.evidence in title  # the title decided, not the classifier
    # With no posted title, the first line is the title.
    assert classify_document("致全区个体工商户的一封信\n" + body).is_policy is False
    # A policy that cites a letter in its body stays a policy.
    policy = "一、对按照《致全区个体工商户的一封信》减免租金的业主，给予减免金额30%的补贴，最高不超过5万元。"
    assert classify_document(policy, title="关于支持个体工商户复工复产的若干措施").is_policy


def test_a_policy_on_public_purchasing_is_no_procurement_notice():
    # 采购项目 in a policy's measures is what the policy governs; a procurement notice names itself in its title.
    body = (
        "各区财政局：\n为支持中小企业发展，现就有关事项通知如下：一、对于200万元以下的货物和服务采购项目，"
        "采购人应当专门面向中小企业采购。二、对小微企业报价给予10%的价格扣除。"
    )
    for title in ("关于进一步加大政府采购支持中小企业力度的通知", "关于政府采购项目支持中小企业发展的通知"):
        assert classify_document(body, title=title).doc_type != "procurement", title
    assert classify_document(body.split("\n", 1)[1]).doc_type != "procurement"
    notice = classify_document(
        "一、项目编号：2020-001。二、中标供应商：某某公司。", title="某区教学设备采购项目更正公告"
    )
    assert (notice.is_policy, notice.doc_type) == (False, "procurement")
    untitled = classify_document("某区防疫物资采购项目竞争性磋商公告\n一、项目编号：2020-001。")
    assert (untitled.is_policy, untitled.doc_type) == (False, "procurement")


def test_a_meeting_cited_as_a_ground_is_no_news_but_one_reported_is():
    cited = classify_document(
        "为深入贯彻落实2月21日召开的市委常委会会议精神，统筹做好疫情防控和经济社会发展，制定以下措施。"
        "一、对受疫情影响的中小企业，减免3个月房租。",
        title="关于应对疫情支持企业复工复产的若干措施",
    )
    assert cited.doc_type != "news"
    assert "召开" not in cited.evidence
    reported = classify_document(
        "2月21日，市政府召开全市复工复产推进会，副市长出席并讲话，部署下一阶段工作。"
    )
    assert (reported.is_policy, reported.doc_type) == (False, "news")


def test_a_call_for_applications_naming_its_later_publicity_stays_a_policy():
    # The 公示 of a notice calling for applications is a step to come; a result notice announces its list now.
    calls = (
        (
            "关于开展2020年度专精特新中小企业认定工作的通知",
            "各区经信局：\n为培育专精特新中小企业，现就开展认定工作通知如下：一、对新认定的企业给予一次性奖励20万元。"
            "二、经审核的拟认定企业名单将在市经信局网站公示5个工作日。",
        ),
        (
            "关于申报2020年度技术改造补助资金的通知",
            "各有关企业：\n一、对设备投资额500万元以上的技改项目，按设备投资额的8%给予补助。"
            "二、评审结果将予以公示，公示无异议后下达资金。",
        ),
    )
    for title, body in calls:
        assert classify_document(body, title=title).doc_type != "result", title
    announced = "根据专家评审结果，现将拟资助项目予以公示，公示期为5个工作日。"
    assert _kind(announced, "关于2020年度技术改造补助资金的通知") == (False, "result")
    plain = "经企业申报、专家评审，拟认定某某科技等50家企业为专精特新中小企业，予以公示。"
    assert _kind(plain, "关于2020年度认定工作的通知") == (False, "result")
    assert _kind("公示期5个工作日。", "2020年度技术改造补助资金拟资助项目名单公示") == (False, "result")


MEASURES = "一、对新认定的企业给予一次性奖励20万元。二、对企业贷款给予贴息50%。"


@pytest.mark.parametrize(
    ("text", "title", "doc_type"),
    [
        # A draft, a work report and an explainer are no policy, whatever measures they hold.
        (MEASURES, "关于《某市促进中小企业发展若干措施（征求意见稿）》公开征求意见的通知", "other"),
        (MEASURES, "某区2020年度中小企业服务工作总结", "other"),
        (MEASURES, "一图读懂：稳岗返还政策", "other"),
        # A title naming a result or a list is a result notice.
        ("某某科技有限公司、某某材料有限公司。", "关于2020年度高新技术企业认定结果的通知", "result"),
        ("某某科技有限公司、某某材料有限公司。", "2020年第一批专精特新中小企业名单", "result"),
        ("某某科技有限公司、某某材料有限公司。", "某区重点企业名单（第二批）", "result"),
    ],
)
def test_a_title_naming_no_policy_decides_the_kind(text: str, title: str, doc_type: str) -> None:
    assert _kind(text, title) == (False, doc_type)


def test_the_measures_of_a_draft_under_a_policys_title_are_a_policy():
    assert classify_document(MEASURES, title="某市促进中小企业发展若干措施").is_policy


def test_a_cover_note_that_holds_none_of_what_it_forwards_is_no_policy():
    note = "各县区经信局：\n现将《某省促进中小企业发展若干措施》转发给你们，请结合实际认真贯彻执行。"
    assert _kind(note, "关于转发《某省促进中小企业发展若干措施》的通知") == (False, "other")
    # A note followed by the measures it issues is the policy.
    issued = note.replace("转发", "印发") + "\n" + MEASURES
    assert classify_document(issued, title="关于印发《某省促进中小企业发展若干措施》的通知").is_policy


def test_a_policy_whose_title_names_a_list_or_a_result_stays_a_policy():
    measures = "一、对列入名单的企业给予贷款贴息50%。二、对认定结果互认的企业给予一次性奖励20万元。"
    for title in ("关于建立重点企业名单制管理的若干措施", "关于推进高新技术企业认定结果互认的若干措施"):
        assert classify_document(measures, title=title).is_policy, title


def test_the_document_model_learnt_from_tune_reads_beside_the_template_classifier() -> None:
    from matcher.extraction.doctype import template_only

    title = "关于支持中小企业发展的若干措施"
    text = (
        "各区县人民政府，市政府各部门：\n为支持中小企业发展，现提出以下措施。"
        "一、对符合条件的中小企业给予贷款贴息补助。二、减免中小企业房租三个月。"
    )
    kind = classify_document(text, title=title)
    # An official document granting measures stays a policy: the model may only take non-policies off.
    assert kind.is_policy
    assert "document model p=" in kind.evidence
    # Inside template_only (how the item model's bounds were chosen) the document model is not read.
    with template_only():
        template = classify_document(text, title=title)
    assert template.is_policy
    assert "document model" not in template.evidence


@pytest.mark.parametrize(
    "text",
    [
        # How to file: register, fill a form, stamp, keep on file.
        "企业先在服务平台注册账号，登录后在信息管理模块填写基本情况表，打印后加盖公章，原件留存备查。",
        # Where a file is kept and where to collect a certificate.
        "离职人员的人事档案可转至户籍所在区的人才服务中心保管，证书请携带营业执照复印件到服务大厅领取。",
        # What a term means.
        "年休假是指劳动者连续工作满一年后每年享有的带薪休息时间。",
        # A rule of labour law: an employer's duty and a ban.
        "用人单位应当按月足额支付劳动报酬，不得以实物代替货币支付工资。",
        # A ledger kept by cost item; costs booked wrongly are cut.
        "研发台账应按项目逐笔登记，不得将多个项目的费用合并登记，否则相关费用将被核减。",
    ],
)
def test_a_short_answer_that_grants_nothing_is_no_policy(text: str) -> None:
    kind = classify_document(text, title=text[:30])
    assert (kind.is_policy, kind.evidence) == (False, "grants nothing")


@pytest.mark.parametrize(
    "text",
    [
        # What an enterprise can get or apply for.
        "在本市注册的小微企业可申请一次性吸纳就业补贴，每招用一人补贴2000元。",
        "企业开展研发活动的，可享受研发费用加计扣除，在汇算清缴时办理。",
        # How to apply for something it can get is a policy too (an approval; a form named beside what it claims).
        "企业实行特殊工时制度的，应向人社部门提出行政许可申请。",
        "企业登录服务平台填写稳岗补贴申请书，上传营业执照扫描件，申领稳岗补贴。",
        # Who qualifies: a definition of a kind of enterprise, a scope, a list of conditions.
        "按照评价办法，创新型中小企业是指拥有自主知识产权并从事研发活动的中小企业。",
        "本办法适用于在本区登记注册的软件企业。",
        "企业应同时具备下列条件：成立满一年，研发人员占比不低于10%。",
    ],
)
def test_an_answer_that_tells_what_an_enterprise_can_get_or_who_qualifies_is_not_ruled_out(text: str) -> None:
    assert classify_document(text, title=text[:30]).evidence != "grants nothing"


def test_only_a_short_untitled_unaddressed_answer_is_read_as_granting_nothing() -> None:
    duty = "用人单位应当按月足额支付劳动报酬，不得以实物代替货币支付工资。"
    # An official document's title or its addressees leave the reading to the classifier.
    assert classify_document(duty, title="关于规范工资支付的通知").evidence != "grants nothing"
    assert (
        classify_document("各区人力资源和社会保障局：\n" + duty, title="工资支付").evidence
        != "grants nothing"
    )
    # A book title in the title names another document, not this one.
    assert classify_document(duty, title="按照《工资支付规定》，用人单位应当").evidence == "grants nothing"
    # A long text is no answer.
    assert classify_document(duty * 30, title=duty[:30]).evidence != "grants nothing"
    # A tax return (纳税申报) or a dispute (申请仲裁) is a procedure, not a grant.
    assert classify_document("企业应在季度终了后15日内办理纳税申报，逾期按规定处理。").is_policy is False
    assert classify_document("劳动者与用人单位发生争议的，可以依法申请仲裁。").evidence == "grants nothing"


def test_a_list_opened_by_each_and_a_colon_is_no_line_of_addressees() -> None:
    # 各… up to a colon inside a sentence (各项…，例如：) names no addressee; a line of bodies does.
    ledger = (
        "各项设备折旧须逐台登记，并在摘要中写明设备名称，例如：离心机、光谱仪。不得合并登记，否则将被核减。"
    )
    assert classify_document(ledger, title=ledger[:30]).evidence == "grants nothing"
    addressed = "各区县科技主管部门：\n设备折旧须逐台登记，并在摘要中写明设备名称。"
    assert classify_document(addressed, title=addressed[:20]).evidence != "grants nothing"


def test_a_quoted_button_name_is_no_grant_but_a_quoted_relief_is_one() -> None:
    steps = "企业登录平台后点击页面上方的“项目申报”按钮，首次使用须先完成账号注册，再补全联系人信息。"
    assert classify_document(steps, title=steps[:30]).evidence == "grants nothing"
    relief = "企业登录平台后点击“稳岗返还”栏目，首次使用须先完成账号注册，再补全联系人信息。"
    assert classify_document(relief, title=relief[:30]).evidence != "grants nothing"


def test_a_definition_may_name_what_it_covers_but_a_later_sentence_may_still_grant() -> None:
    # The parts of a wage or a leave kept on pay are what a term covers, not a grant.
    wage = "计时工资包括基本工资、岗位津贴和各项补贴。"
    assert classify_document(wage, title=wage[:30]).evidence == "grants nothing"
    leave = "答：探亲假是指职工探望配偶或父母的假期，假期内照常享受工资待遇。探亲假应一次休完。"
    assert classify_document(leave, title=leave[:30]).evidence == "grants nothing"
    granted = "孵化器是指为初创团队提供场地的服务机构。经认定的孵化器可申请一次性奖励10万元。"
    assert classify_document(granted, title=granted[:30]).evidence != "grants nothing"
    # A term naming who gets something is no definition to skip.
    who = "支持对象包括受疫情影响较大的中小微企业。"
    assert classify_document(who, title=who[:30]).evidence != "grants nothing"
