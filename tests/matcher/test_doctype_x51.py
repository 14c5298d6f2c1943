"""Procedure answers that name their grant only inside the names of papers and filing steps (x51, issue 14).

docs/labelling.md, lab7a and l29: how to file, what to submit or stamp, the filing window — a non-policy. The words a
grant is named by (补贴 / 扣除 / 申请 / 申报 …) inside a form's, a pledge's or another document's name, or in a filing's
materials, system, window or batch, say what is filed, not what anyone gets. Sentences written for these tests.
"""

from __future__ import annotations

import pytest

from matcher.extraction.doctype import classify_document


def _evidence(text: str) -> str:
    return classify_document(text, title=text[:30]).evidence


@pytest.mark.parametrize(
    "text",
    [
        # A form inside 《》 (another document's name), filled and stamped.
        "企业在系统中填写《技术改造补助资金申请表》，打印后加盖公章，与营业执照复印件一并提交。",
        # How to file for a recognition: fill the application form, upload, submit (l29: a procedure answer).
        "企业登录服务平台填写认定申请书，上传营业执照扫描件，提交至主管部门。",
        # A pledge to sign and scan.
        "除财务报表外，还需上传专项补贴资金使用承诺书的盖章扫描件，开户名称须与营业执照一致。",
        # The office's review: amounts beyond a form's figures are not accepted.
        "复核时，金额高于研发费用加计扣除优惠明细表所列数额的部分不予认可。",
        # The filing window and its batch.
        "每个申报批次开放十天，企业须在此期间上传申报材料，过期系统关闭。",
        # A referral to a notice.
        "请查阅《关于开展2020年度研发补助申报工作的通知》。",
    ],
)
def test_a_grant_named_only_in_papers_and_filing_steps_is_no_grant(text: str) -> None:
    kind = classify_document(text, title=text[:30])
    assert (kind.is_policy, kind.evidence) == (False, "grants nothing")


@pytest.mark.parametrize(
    "text",
    [
        # The form is named beside what the enterprise claims with it.
        "企业登录服务平台填写稳岗补贴申请书，上传营业执照扫描件，申领稳岗补贴。",
        # A verb between the grant and the form: the grant is the sentence's, not the form's name.
        "享受补贴需填写申请表，并在5个工作日内提交。",
        # Who qualifies, said by where it is registered, with its only grant word in a cited title.
        "在《重点支持的技术领域》内持续开展研究开发，并在本区注册的居民企业。",
    ],
)
def test_a_grant_outside_the_names_of_papers_or_who_qualifies_is_not_ruled_out(text: str) -> None:
    assert _evidence(text) != "grants nothing"


@pytest.mark.parametrize(
    "text",
    [
        # The filing as a thing: returned, given up.
        "材料初审未通过的，该次申报被退回；十日内不补正的，视同放弃申报。",
        # Made offline, refused.
        "纸质材料和线下申报，均不受理。",
        # What is filed (所申报).
        "附件为所申报产品的检测报告和用户使用证明。",
        # When it was filed.
        "职称证书上的姓名以申报时填写的为准，如需更正请联系发证单位。",
    ],
)
def test_a_filing_named_as_a_step_of_a_procedure_is_no_grant(text: str) -> None:
    kind = classify_document(text, title=text[:30])
    assert (kind.is_policy, kind.evidence) == (False, "grants nothing")


@pytest.mark.parametrize(
    "text",
    [
        # What is applied for, after the verb: how to apply for an approval is a policy (labelling lab7b).
        "企业申请实行不定时工作制，须在网上办事大厅提交岗位说明。",
        # Who may file, and who may not.
        "联合研发项目的各合作方均可申报。",
        "按核定方式缴纳所得税的企业不能申报。",
        # A prerequisite the enterprise must have (应有 / 须具有) says who qualifies.
        "参与市级专项的，企业须具有不低于总投入三成的配套资金，并在申报材料中写明。",
    ],
)
def test_a_filing_one_may_make_or_whose_object_is_named_is_not_ruled_out(text: str) -> None:
    assert _evidence(text) != "grants nothing"


def test_an_issuers_name_before_its_about_is_still_an_official_title() -> None:
    text = "一、设立专人对接企业，帮助处理开工中遇到的问题。联系人：张三，电话：12345678。"
    # 某局关于…的说明 is an official document: the reading is the classifier's.
    assert (
        classify_document(text, title="某区经济和信息化局关于落实扶持政策的说明").evidence != "grants nothing"
    )
    # Without the issuer's word before 关于, a title like it is no official one.
    assert classify_document(text, title="落实扶持政策的说明").evidence == "grants nothing"


@pytest.mark.parametrize(
    "text",
    [
        # Why a registration moved from one party to another: the relief is named only in the reasons.
        "由于受托机构本身已享受税收优惠，登记改由委托企业办理，以便委托企业及时享受减免。",
        # How a relief is handled (its 办理方式), not the relief.
        "企业享受技术改造补助采取“网上填报、自主判断、资料自存”的办理方式。",
    ],
)
def test_a_grant_named_only_in_a_reason_or_in_how_it_is_handled_is_no_grant(text: str) -> None:
    kind = classify_document(text, title=text[:30])
    assert (kind.is_policy, kind.evidence) == (False, "grants nothing")


@pytest.mark.parametrize(
    "text",
    [
        # A purpose first, the grant in the clause after it.
        "为了支持企业研发，对研发投入超过500万元的企业给予10%的补助。",
        "由于疫情影响，受困企业可申请缓缴社会保险费。",
    ],
)
def test_a_grant_after_its_reason_is_still_a_grant(text: str) -> None:
    assert _evidence(text) != "grants nothing"
