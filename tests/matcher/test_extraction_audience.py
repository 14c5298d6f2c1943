"""Whom an item is for: items that give enterprises nothing are stored, never offered (own sentences)."""

from __future__ import annotations

from corpus.schemas import validate_policy
from matcher.extraction import extract_item, for_enterprises
from matcher.extraction.audience import audience
from matcher.ingest import prepare_policy


def test_a_benefit_for_persons_only_is_not_for_enterprises() -> None:
    text = "一、对参与救治工作的医务人员取得的临时补助，免征个人所得税。"
    assert audience(text) == "persons"
    assert not for_enterprises("老年人凭社会保障卡就餐可享受每餐2元的补贴。")


def test_a_personal_income_tax_relief_for_enterprises_stays_for_enterprises() -> None:
    # 个人独资企业 is an enterprise; a payroll measure names the employer.
    assert for_enterprises("个人独资企业取得的经营所得，减半征收个人所得税。")
    assert for_enterprises("企业发给职工个人的防疫用品，不计入工资薪金收入。")


def test_duties_of_departments_are_not_for_enterprises() -> None:
    text = "（二）优化办税服务。各地税务机关要全面梳理网上办税事项，引导纳税人通过电子税务局办理业务。"
    assert audience(text) == "government"


def test_a_duty_right_after_a_bare_number_is_not_for_enterprises() -> None:
    # No title between the number and the subject: the department still opens the item.
    assert (
        audience("五、各省要结合本地实际，按照通知确定的范围和时限执行，不得自行扩大范围。") == "government"
    )
    assert audience("3.各级财政部门按照有关规定，做好资金保障，确保减免政策落实到位。") == "government"
    # …and one that lowers or waives a charge for enterprises grants them something.
    text = "六、各级担保机构要对受影响的小微企业，取消反担保要求，降低担保费率。"
    assert for_enterprises(text)


def test_a_department_that_grants_enterprises_something_stays_for_enterprises() -> None:
    text = "（三）加大帮扶。各地区要对受疫情影响较大的小微企业予以资金支持。"
    assert for_enterprises(text)
    text = "二、各省可结合实际，对在疫情期间带动农户增收的龙头企业和合作社，可给予一次性补贴。"
    assert for_enterprises(text)


def test_an_ordinary_measure_is_for_enterprises() -> None:
    text = "对本市新认定的专精特新中小企业，给予一次性奖励20万元。"
    assert for_enterprises(text)
    assert extract_item(text).for_enterprises


def test_ingest_stores_an_item_for_persons_as_never_offered() -> None:
    text = (
        "关于疫情期间若干支持措施的通知\n"
        "一、对受疫情影响较大的小微企业，给予房租补贴每月5000元。\n"
        "二、对参与救治的医务人员发放的临时补助，免征个人所得税。\n"
    )
    prepared = prepare_policy(validate_policy({"id": "x5-audience", "title": "支持措施", "text": text}))
    offered = {item.text[:2]: item.is_policy for item in prepared.items}
    assert offered["一、"] is not False
    assert offered["二、"] is False


def test_an_item_for_persons_states_no_condition_on_an_enterprise() -> None:
    extraction = extract_item("对参与救治的医务人员和防疫工作者发放的临时工作补助，免征个人所得税。")
    assert not extraction.for_enterprises
    assert extraction.conditions == () and extraction.entries == ()


def test_personal_income_tax_relief_is_for_persons_whoever_pays_the_income() -> None:
    assert audience("二、单位发给职工的防疫药品和防护用品，不计入工资收入，免征个人所得税。") == "persons"
    # A business tax beside it keeps the item for enterprises.
    assert for_enterprises("企业捐赠的防疫物资，免征增值税，并免征个人所得税。")


def test_a_heading_set_off_by_a_space_is_no_subject() -> None:
    text = "一、抓紧制定实施办法 各省税务局要按照通知要求，推动出台具体办法。"
    assert audience(text) == "government"
    # A cited title is no heading: its issuer is not the item's subject.
    assert for_enterprises("5.《财政部 税务总局关于研发费用加计扣除的通知》（财税〔2018〕99号）")


def test_bodies_beside_persons_that_are_no_enterprise_keep_the_item_for_persons() -> None:
    text = "三、对医疗卫生机构中参与救治的医务人员，按每人每天200元发放临时性工作补助。"
    assert audience(text) == "persons"
    # An enterprise named beside them keeps the item for enterprises.
    assert for_enterprises("对医务人员和防疫物资生产企业的职工，发放临时性工作补助。")


def test_how_public_buyers_purchase_is_not_for_enterprises() -> None:
    # The government's own purchasing (货物、工程和服务 bought with fiscal funds) grants enterprises nothing.
    text = (
        "（五）简化应急采购。各级预算单位采购防疫所需货物、工程和服务的，可不执行政府采购法规定的方式和程序。"
    )
    assert audience(text) == "government"
    assert (
        audience("2.开通采购快速通道。购买抗疫所需货物、工程和服务的，按应急采购有关规定执行。")
        == "government"
    )
    # A purchasing measure that names the firms it favours is for them.
    favoured = "（六）支持中小企业参与采购。采购人采购货物、工程和服务的，应预留不低于30%的份额面向中小企业。"
    assert for_enterprises(favoured)


def test_a_duty_of_the_enterprise_that_grants_nothing_is_not_a_measure() -> None:
    # What the enterprise must do (开立专户, 每年报送报表), with nothing granted: never offered.
    assert (
        audience("劳务分包企业应当自合同签订之日起10个工作日内在开户银行设立农民工工资专用账户。")
        == "obligations"
    )
    text = "企业取得科技型中小企业资格后，在有效期内应于每年3月底前登录系统更新上一年度经营数据。"
    assert not for_enterprises(text)
    assert not extract_item(text).for_enterprises
    # What the enterprise must *be* is a requirement of a measure, and a grant keeps it a measure.
    assert for_enterprises("申报企业须具备独立核算能力，经认定后给予一次性奖励10万元。")
    assert for_enterprises("企业应于每年3月底前提交申请，符合条件的给予研发补助。")
    # A service for the enterprise beside a duty is still a measure for it.
    assert for_enterprises("相关部门为企业开通原料运输专线，承运企业应随车携带通行证明。")


def test_a_department_first_does_not_hide_what_the_item_grants_enterprises() -> None:
    # The splitter's grant shape (a beneficiary, then 可, with no duty before it) is a grant, whoever opens the item.
    text = "（四）保障运输。各地交通部门要加强调度。对运输防疫物资的承运企业，可先行通行、事后补办手续。"
    assert for_enterprises(text)


def test_a_department_duty_that_grants_nothing_stays_a_duty() -> None:
    # 尽可能 names an effort, not a grant; 引导…申报 / 督促…申请 are the department's duties.
    text = "（三）优化服务。各地税务机关要尽可能网上办理，引导纳税人按时申报。"
    assert audience(text) == "government"
    text = "五、各有关部门要督促企业按期申请复工备案，做好防疫物资保障。"
    assert audience(text) == "government"


def test_a_department_first_yields_to_the_item_model_reading_a_measure() -> None:
    # A department opens the item, and the relief is then said in words no grant shape lists (应免税款予以退还, with
    # no 对…企业 before it): the item model reads a measure for enterprises, so the item is one.
    text = (
        "（二）免税进口。省民政厅将指定的受赠单位名单函告海关和税务部门。受赠单位进口的防疫物资免征进口关税和"
        "进口环节增值税，已征收的应免税款予以退还。"
    )
    assert for_enterprises(text)
    # A department's work that grants nothing stays its duty: the model does not read a measure there either.
    assert (
        audience("三、各区人民政府要加强组织领导，建立工作专班，定期调度工作进展，及时报送工作信息。")
        == "government"
    )


def test_an_item_whose_subject_is_a_person_is_not_for_enterprises() -> None:
    # The clause's own subject applies (an insured person moving an account, a donor's deduction).
    text = (
        "外省转来的就业人员在本市参保缴费后，符合以下条件之一的，可以申请办理医疗保险关系转入：1.年满18周岁。"
    )
    assert audience(text) == "persons"
    assert audience("二、个人通过慈善组织捐赠的抗洪物资，允许在计算应纳税所得额时全额扣除。") == "persons"
    assert not extract_item(text).for_enterprises


def test_a_person_named_after_a_verb_or_beside_an_enterprise_stays_for_enterprises() -> None:
    # 对 / 引导 … persons: what a measure does for persons, with enterprises still its beneficiary.
    assert for_enterprises("三、对返岗农民工集中的园区，开通定制班车，承运企业免收通行费。")
    assert for_enterprises("四、积极引导外出务工人员就近就业，对吸纳就业的企业给予每人1000元补贴。")
    # A person joined to the organisation they run, and a head-count that measures an enterprise.
    assert for_enterprises("返乡创业人员及其创办的小微企业，可申请一次性创业补贴5000元。")
    assert for_enterprises("从业人员100人以下的，给予房租补贴每月3000元。")


def test_a_relief_for_non_profit_bodies_is_not_for_enterprises() -> None:
    assert audience("六、取得非营利组织免税资格的，接受的抗灾捐赠收入可作为免税收入。") == "non-profits"
    # An enterprise named beside them keeps the item for enterprises.
    assert for_enterprises("七、企业和社会团体通过公益渠道捐赠的物资，准予税前扣除。")


def test_an_item_whose_every_grant_goes_to_a_person_is_not_for_enterprises() -> None:
    # The recipient is the person named last before each grant, even with an enterprise earlier in the sentence.
    text = (
        "三、见习补贴。在园区企业见习的应届高校毕业生，给予每人每月2000元见习补贴，期限不超过6个月；"
        "见习期满留用的青年人才，可申领一次性安家补助1万元。"
    )
    assert audience(text) == "persons"
    assert for_enterprises(text) is False


def test_a_grant_to_the_employer_or_to_its_staff_costs_stays_for_enterprises() -> None:
    # 补贴企业 after the verb, 企业职工 as the enterprise's staff, 对…企业…给予: the enterprise receives it.
    assert audience("四、停工工资。对隔离职工的工资，按其缴费基数的50%补贴用人单位。") == "enterprises"
    assert audience("五、在岗培训。企业职工参加线上培训的，培训费用给予80%补助。") == "enterprises"
    assert (
        audience("六、吸纳就业。对招用应届毕业生的小微企业，按每人1000元给予一次性吸纳就业补贴。")
        == "enterprises"
    )


def test_a_beneficiary_field_naming_persons_is_not_for_enterprises() -> None:
    # The policy's own 【享受主体】 field names who benefits: its head (after the last 的) is the beneficiary.
    text = (
        "五、医疗保险费 放宽医保费补缴时限。 【享受主体】 以个人身份参加职工医保的灵活就业人员。 "
        "【优惠内容】 疫情期间未能按时缴费的，可在疫情结束后三个月内向医保经办机构补缴，待遇不受影响。"
    )
    assert audience(text) == "persons"
    both = "（九）捐赠支出扣除。 【享受主体】 向防疫一线医院捐赠物资的企业和个人 【优惠内容】 准予在税前全额扣除。"
    assert for_enterprises(both)  # 企业 is named beside the persons
    employer = (
        "（三）降低缴费基数。 【享受主体】 吸纳残疾人就业的用人单位。 【优惠内容】 按当地平均工资的2倍计征。"
    )
    assert for_enterprises(employer)


def test_an_item_on_a_pool_of_experts_is_for_persons() -> None:
    # The one who applies is the expert, whoever employs or recommends them (法人单位).
    assert audience("本市评审专家库的专家聘期届满的，可以申请续聘，逾期未申请的不再续聘。") == "persons"
    text = "本市各法人单位聘用的工程技术人员，符合申报条件的，经所在单位推荐，可申报本市评标专家。"
    assert audience(text) == "persons"
    # …but an item that grants an enterprise money after the experts' review stays a measure.
    grant = "经评审专家评审通过的项目，对承担项目的企业给予50万元资助。"
    assert for_enterprises(grant)


def test_a_department_asked_with_please_is_a_duty() -> None:
    text = "三、请各单位按照划型标准，根据企业提交的材料做好认定，按时汇总上报。"
    assert audience(text) == "government"
    assert audience("二、请各地税务机关做好宣传解读，确保政策落实到位。") == "government"
    # 各单位 asked with no enterprise they act on may be the applicants themselves.
    assert for_enterprises("四、请各单位于3月底前登录系统，按要求提交材料。")
