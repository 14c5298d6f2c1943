"""A short answer that only says how a handling body must deal with a case grants nothing (sentences written for this test)."""

import pytest

from matcher.extraction.doctype import classify_document, grants_nothing


@pytest.mark.parametrize(
    "text",
    [
        "涉及集体欠薪的案件，仲裁庭须先行调解，并优先安排开庭。",
        "当事人起诉的，人民法院应当优先立案，并依法予以支持。",
    ],
)
def test_a_handling_bodys_duty_is_no_grant(text):
    assert grants_nothing("", text) == "grants nothing"
    assert classify_document(text).is_policy is False


@pytest.mark.parametrize(
    "text",
    [
        # The duty names the enterprise that gets something: a grant.
        "符合规定的，税务机关应当为纳税人办理增值税留抵退税。",
        # A grant beside the body's duty still counts.
        "受理机构应当及时审核，企业可享受一次性补贴。",
    ],
)
def test_a_grant_to_an_enterprise_beside_a_bodys_duty_counts(text):
    assert grants_nothing("", text) is None


def test_a_referral_that_reports_what_was_done_grants_nothing():
    # What an office did (扶持…了) and a question about a filing (申请问题) are no grant; the reader is sent elsewhere.
    text = "市经信局重视行业协会建设，去年扶持组建了全市软件产业联盟。加入联盟的申请问题，请咨询联盟秘书处。"
    assert grants_nothing("", text) == "grants nothing"


@pytest.mark.parametrize(
    "text",
    [
        # A grant still offered beside one reported.
        "去年共支持了30家企业。今年符合条件的企业仍可申请研发补贴。",
        # 了解 is no perfective: the application is offered.
        "企业申请稳岗返还前请了解相关规定，可在网上办理。",
    ],
)
def test_a_grant_offered_beside_one_done_counts(text):
    assert grants_nothing("", text) is None
