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
