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
