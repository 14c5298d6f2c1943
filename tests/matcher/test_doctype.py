"""Is a document a policy? The classifier on short texts of our own (docs/benchmarks.md, ``real-extraction-x23``)."""

from __future__ import annotations

from matcher.extraction.doctype import classify_document


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
