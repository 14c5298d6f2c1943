"""Conditions read where a policy states none (issue 14, x53): a tax guide's title and its words of claiming the relief.

Sentences written for these tests, in the shape of policy text.
"""

from __future__ import annotations

from extraction_helpers import checked_leaves

# A tax guide laid out as 【享受主体】 / 【优惠内容】 / 【享受条件】 / 【政策依据】.
_GUIDE = (
    "（二）具备冷链仓储能力的经营者减按50%缴纳地方水利建设基金。 　　【享受主体】 　　具备冷链仓储能力的水利建设基金缴纳人。"
    " 　　【优惠内容】 　　自2021年1月1日起，对水利建设基金按照缴纳人应缴额的50%减征。"
    " 缴纳人享受减征水利建设基金优惠的，在季度申报时自行填报减征额即可。"
    " 已缴纳的水利建设基金中应减征的部分，由税务机关退还。"
    " 　　【享受条件】 　　具备冷链仓储能力。 　　【政策依据】 　　《关于减征水利建设基金的通知》"
)


def _stand_ins(text: str) -> list[str]:
    return [c.span for c in checked_leaves(text, "undecidable")]


def test_a_guides_title_and_claiming_words_are_no_requirement() -> None:
    spans = _stand_ins(_GUIDE)
    assert "具备冷链仓储能力的水利建设基金缴纳人" in spans
    assert any(s.endswith("具备冷链仓储能力") and "享受条件" in s for s in spans), spans
    # The title names the relief; 享受主体 says whom it is for.
    assert not any("减按50%缴纳地方水利建设基金" in s for s in spans), spans
    # Whoever takes the relief, and a refund of what was paid before, restate it.
    assert not any("享受减征水利建设基金优惠" in s for s in spans), spans
    assert not any(s.startswith("已缴纳") for s in spans), spans


def test_a_relief_that_follows_from_the_one_granted_is_no_requirement() -> None:
    text = (
        "（九）社区养老机构提供的助餐服务收入免征增值税。 【享受主体】 社区养老机构 【优惠内容】 自2021年1月1日起，"
        "对社区养老机构提供助餐服务取得的收入，免征增值税。 社区养老机构提供助餐服务取得的收入免征增值税的，"
        "免征城市维护建设税、教育费附加。 【享受条件】 社区养老机构须在民政部门备案。"
    )
    spans = _stand_ins(text)
    assert "社区养老机构" in spans
    assert not any(s.endswith("免征增值税") for s in spans), spans


def test_a_claiming_step_is_no_requirement() -> None:
    text = (
        "从事冷链仓储服务的纳税人自用仓库免征房产税 【享受主体】 从事冷链仓储服务的纳税人 【优惠内容】 "
        "对从事冷链仓储服务的纳税人自用的仓库，免征房产税。 冷链企业享受房产税减免优惠的，可在年度申报时一并办理。"
        " 【享受条件】 仓库须位于本省境内。"
    )
    spans = _stand_ins(text)
    assert "从事冷链仓储服务的纳税人" in spans
    assert not any("享受房产税减免优惠" in s for s in spans), spans


def test_a_threshold_in_the_relief_is_kept() -> None:
    text = (
        "（四）水利建设基金分档减缴 【享受主体】 吸纳本地劳动力的企业 【优惠内容】 "
        "本地员工占比达到30%（含）以上的，减按50%缴纳；占比在30%以下的，减按80%缴纳。 【享受条件】 吸纳本地劳动力。"
    )
    spans = _stand_ins(text)
    assert any("30%以下" in s for s in spans), spans


def test_a_guide_whose_for_whom_section_yields_nothing_keeps_its_stand_ins() -> None:
    # Nothing is read in 享受主体: what the body says is all the item says of whom it is for.
    text = (
        "（三）纳税人自用仓库免征房产税。 【享受主体】 。 【优惠内容】 对从事冷链仓储服务的纳税人自用的仓库，免征房产税。"
        " 冷链企业享受房产税减免优惠的，可在年度申报时一并办理。"
    )
    assert _stand_ins(text)


def test_the_same_words_outside_a_guide_are_read_as_before() -> None:
    # No 【享受主体】: an exclusion of whoever does not keep separate accounts stays.
    text = "对冷链仓储企业自用的仓库免征房产税。企业须为仓库单独建立台账；未单独建立台账的，不得享受本项减免政策。"
    leaves = checked_leaves(text)
    assert any(c.role == "exclude" or "未单独建立台账" in c.span for c in leaves), leaves


# --- 凭…开具的证明: a paper a third party issues that the claim rests on -------------------------


def test_a_paper_issued_by_another_body_is_a_requirement() -> None:
    spans = _stand_ins("申请人凭街道办事处出具的困难证明办理房租减免。")
    assert spans == ["凭街道办事处出具的困难证明"]


def test_a_named_paper_keeps_its_closing_bracket() -> None:
    spans = _stand_ins("企业凭县级以上民政部门出具的《困难认定证明》申请减免。")
    assert spans == ["凭县级以上民政部门出具的《困难认定证明》"]


# --- （责任单位：…）: the offices in charge, no one the measure is for -------------------------------


def test_the_offices_in_charge_stand_in_for_no_requirement() -> None:
    text = "（三）降低融资成本。鼓励各金融机构通过下调贷款利率，加大对企业的支持力度。（责任单位：市金融局、市人民银行）"
    assert not any("责任单位" in s for s in _stand_ins(text))
    text = "（五）延长缴费期限。缴费期限延长至6月底。[责任单位：市人社局，各区政府]"
    assert not any("责任单位" in s for s in _stand_ins(text))


def test_a_part_naming_whom_it_is_for_still_stands_in_beside_the_offices() -> None:
    text = "对吸纳退役军人就业的小区物业公司给予一次性补助。（责任单位：市退役军人事务局）"
    spans = _stand_ins(text)
    assert spans and not any("责任单位" in s for s in spans), spans
