"""An employer that only handles a worker's benefit, and a person's loan, make the item a person's (sentences written
for this test)."""

import pytest

from matcher.extraction.audience import audience


@pytest.mark.parametrize(
    "text",
    [
        # The employer files the claim for its worker; the allowance is the worker's.
        "女工休产假的，单位替职工申领护理津贴，每月十日前发给女工。",
        # The employer hands the papers in at the office; the refund is the worker's.
        "工人住院治疗后，公司向区社保窗口递交票据，核准后款项转入工人的银行卡并可报销七成。",
        # The employer owes the worker's benefit (a duty to pay), no person word needed.
        "三、被评为七级伤残而离岗的，单位须按其离岗前月薪的四倍付给伤残补助费。",
        # The employer behind with contributions, and the employer as the channel a claim goes through.
        "公司欠缴保费期间，参保职工暂停门诊待遇，票据由公司转交医保窗口。",
        # The employer only issues a paper among the claimant's materials.
        "申领人携带身份证和单位开具的在职证明到街道窗口，审核后领取困难职工生活津贴。",
    ],
)
def test_an_employer_as_clerk_leaves_the_benefit_a_persons(text):
    assert audience(text) == "persons"


@pytest.mark.parametrize(
    "text",
    [
        # The housing fund's loan: its term is set by the borrower's age.
        "借款人申请住房公积金贷款的，贷款期限最长不超过30年，且借款人年龄与贷款期限之和不超过70。",
        # A household's loan for an old home, its amount.
        "购置旧房屋的家庭申请购房贷款，贷款额度按评估价值的七成核定。",
    ],
)
def test_a_persons_loan_is_a_persons_item(text):
    assert audience(text) == "persons"


def test_a_person_applying_to_the_body_that_keeps_the_file():
    text = "退休人员向档案保管机构递交续缴申请后，按月续缴保费，满十五年后领取养老金。"
    assert audience(text) == "persons"


@pytest.mark.parametrize(
    "text",
    [
        # The employer's own contribution relieved: for enterprises.
        "企业替新员工补办参保的，单位缴费部分减半征收六个月。",
        # Money returned to the firm.
        "企业为职工申报稳岗返还的，经审核后将失业保险费返还给企业。",
        # A subsidy granted to the employer that pays its workers on time.
        "用人单位应当按时发放工资，对按时足额发放的小微企业给予社会保险补贴。",
        # A firm's loan: an enterprise word and a loan.
        "小微企业申请贷款用于购买厂房的，按贷款利息的50%给予贴息。",
        # A firm's own gain named beside its clerk's work.
        "企业代扣代缴职工个人所得税的，可按代扣税款的2%领取手续费返还。",
        # A firm that pays its workers' wages and gets a subsidy for it, no gain word but the subsidy's name.
        "单位发放职工工资后，可申请稳岗补贴。",
    ],
)
def test_an_employers_own_relief_stays_for_enterprises(text):
    assert audience(text) == "enterprises"
