"""A first clause whose head noun is a person makes the item the person's (sentences written for this test)."""

import pytest

from matcher.extraction.audience import audience


@pytest.mark.parametrize(
    "text",
    [
        # The firm that rehired a person, named inside the description, is no beneficiary.
        "办理退休手续后被企业返聘的技术人员，可到区人才服务中心申请职称评审服务。",
        # A firm named in a later sentence receives nothing.
        "在本区自主创业的外来务工人员，可向街道服务站申请住房租赁登记。其原用工单位不再办理相关手续。",
        # A note in brackets after the person.
        "在本市参保的灵活就业人员（含退休返聘人员），可按月申请领取生活补助。",
    ],
)
def test_a_person_headed_first_clause_is_for_persons(text):
    assert audience(text) == "persons"


@pytest.mark.parametrize(
    "text",
    [
        # The grant names the enterprise as its recipient.
        "企业新招用的登记失业人员，签订一年以上劳动合同的，给予企业每人2000元吸纳就业补贴。",
        # 对 opens the clause: what a measure does for persons, with the firm granted beside them.
        "对受疫情影响的企业和灵活就业人员，可延期缴纳社会保险费。",
        # 对…企业…给予 in the same item.
        "新招用的就业困难人员，签订劳动合同满一年的，对招用企业给予社会保险补贴。",
        # The head names a firm with the persons.
        "经认定的重点企业和个人，可申请优先办理复工备案。",
    ],
)
def test_a_grant_to_a_firm_keeps_it_for_enterprises(text):
    assert audience(text) == "enterprises"
