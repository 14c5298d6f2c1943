"""Parts that ask nothing of the enterprise (issue 14, x59): encouragement, an office's act, the authorities' own.

Sentences written for these tests, in the shape of policy text.
"""

from __future__ import annotations

from extraction_helpers import checked_leaves

from matcher.extraction.requirement_words import asks_nothing


def _stand_ins(text: str) -> list[str]:
    return [c.span for c in checked_leaves(text, "undecidable")]


def _asks_nothing(text: str) -> bool:
    return asks_nothing(text, 0, len(text))


def test_an_encouragement_of_every_enterprise_stands_in_for_nothing() -> None:
    text = (
        "（三）稳定就业岗位。倡导企业吸纳本县返乡青年就业。县就业服务部门逐户走访，为企业在电视台滚动播报招工信息。"
        "[牵头单位：县人社局]"
    )
    assert _stand_ins(text) == []


def test_what_the_authorities_set_up_for_every_enterprise_stands_in_for_nothing() -> None:
    text = "2.设立复产奖补资金池，参照全县稳岗工作部署，助力企业恢复产能。（牵头单位：县工信局）"
    assert _stand_ins(text) == []
    text = "5.延期缴纳职工医疗保险费，延期内不加收滞纳金，待遇照常享受，惠及各类企业。（牵头单位：县医保局）"
    assert _stand_ins(text) == []


def test_a_kind_of_enterprise_the_help_is_for_is_still_read() -> None:
    # No silent yes: the kind the fund is for narrows whom the item is for.
    text = "4.设立纾困资金池，支持承接产业转移企业扩大产能。（牵头单位：县商务局）"
    assert any("承接产业转移企业" in s for s in _stand_ins(text))
    text = "4.设立纾困资金池，支持参与保供的骨干企业扩大产能。（牵头单位：县商务局）"
    assert any("参与保供的骨干企业" in s for s in _stand_ins(text))
    assert not _asks_nothing("设立纾困资金池，对客流下滑的文旅企业给予补助。")
    assert not _asks_nothing("倡导外贸企业开拓国内市场。")
    assert not _asks_nothing("全力保障定点救治医院等场所用电。")
    assert not _asks_nothing("企业可申请稳岗返还。")


def test_an_office_named_in_a_rules_title_is_no_subject() -> None:
    assert not _asks_nothing("财政部 海关总署公告2022年第9号关于进口科研设备免税的规定")
    assert _asks_nothing("县财政按上年额度的60%预拨奖补资金。")
    assert _asks_nothing("县就业服务部门逐户走访，为企业在电视台滚动播报招工信息。")


def test_a_matter_the_office_handles_in_person_is_no_beneficiary() -> None:
    text = (
        "6.推行预约办。全区各级医保部门推广“不见面”经办，引导缴费人使用网上大厅，"
        "对于确需当面办理的“只跑一次”。"
    )
    assert _stand_ins(text) == []
    # A beneficiary named after the matter is still read.
    text = "对确需当面办理年审的货运企业，给予延期补办。"
    assert any("确需当面办理年审" in s for s in _stand_ins(text))


def test_an_office_acting_for_payers_at_large_in_person_matters_aside_asks_nothing() -> None:
    assert _asks_nothing(
        "全县各级税务机关组建线上辅导团队，向纳税人（缴费人）推送减免政策，按照“应网办尽网办”的要求，"
        "对于必须去窗口办理的实行错峰预约。"
    )
    # 客流下滑的商户: a kind named by what befell it.
    assert not _asks_nothing("积极做好防疫服务，为客流下滑的商户提供免费消杀。")


def test_a_part_of_an_item_with_conditions_that_asks_nothing_gets_no_stand_in() -> None:
    text = (
        "9.支持稳岗扩岗。对吸纳本县脱贫劳动力就业的企业，给予每人1000元补贴。"
        "倡导市民在此期间互帮互助，对个人自愿参与社区志愿服务的，颁发荣誉证书。"
    )
    spans = _stand_ins(text)
    assert any("吸纳本县脱贫劳动力就业" in s for s in spans), spans
    assert not any("志愿服务" in s for s in spans), spans


def test_an_office_named_after_a_preposition_is_no_subject() -> None:
    # 对…部门、各类企业…: the office is whom the service is toward, not who acts.
    assert not _asks_nothing("对联络部门和全市企业的急需业务，开辟专门窗口。")


def test_whom_a_lenders_duty_is_toward_is_read_even_when_it_is_named_at_length() -> None:
    # No silent yes: after another body's duty (督促…机构…), the clause naming whom it is toward (对…种植大户) holds
    # the item's requirement, however long the list before the noun; the authorities' own fund before it asks nothing.
    text = (
        "9.加大信贷支持。县财政安排200万元特色果园建设专项资金。督促县融资担保机构扩大担保规模，"
        "对本县列入山区共富示范片区的柑橘、杨梅标准化种植基地和全县水果种植大户新增担保额度2000万元。"
        "（责任单位：县财政局）"
    )
    spans = _stand_ins(text)
    assert spans and all("专项资金" not in s for s in spans), spans
    assert any("种植大户" in s for s in spans), spans
