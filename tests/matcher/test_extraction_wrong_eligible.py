"""Requirements that made real items eligible for everyone (issue 14, x11), on sentences written for these tests."""

from __future__ import annotations

from corpus.conditions import Condition, Tier
from matcher.extraction import extract_item, for_enterprises
from matcher.extraction.audience import audience


def _tiers(text: str) -> list[Tier]:
    return [e for e in extract_item(text).entries if isinstance(e, Tier)]


def _leaves(text: str) -> list[Condition]:
    return [e for e in extract_item(text).entries if isinstance(e, Condition)]


def test_a_requirement_said_again_in_another_measure_is_that_measures_own() -> None:
    text = (
        "三、加大扶持。对重点企业的新增贷款予以贴息。鼓励各级财政对受疫情影响较大的养殖企业给予补助。"
        "鼓励区财政对受疫情影响较大的中小企业给予贷款贴息。"
    )
    tiers = _tiers(text)
    small = [t for t in tiers if any(c.field == "size_class" for c in t.conditions)]
    assert len(small) == 1
    assert any(c.field == "undecidable" and c.span == "受疫情影响较大" for c in small[0].conditions)


def test_a_requirement_restated_in_one_measure_stays_one() -> None:
    leaves = _leaves("【享受主体】受疫情影响较大的企业【享受条件】受疫情影响较大的企业，可申请缓缴社保。")
    assert len([c for c in leaves if c.field == "undecidable"]) == 1


def test_materials_of_a_change_state_a_requirement() -> None:
    text = (
        "在网上提交《技术先进型企业名称变更申请表》，并提供以下材料：（1）名称变更申请书；"
        "（2）工商变更证明；（3）营业执照复印件。"
    )
    leaves = _leaves(text)
    assert any(c.field == "undecidable" and c.span == "工商变更证明" for c in leaves), leaves


def test_goods_the_enterprises_make_are_their_business_scope() -> None:
    leaves = _leaves("对小微企业生产的消毒液、测温枪等防疫产品检验检测实行免费。")
    fields = {(c.field, c.op) for c in leaves}
    assert ("size_class", "in") in fields and ("business_scope", "semantic") in fields
    scope = next(c for c in leaves if c.field == "business_scope")
    assert scope.span == "生产的消毒液、测温枪等防疫产品"
    # 生产的产品 names no goods: no business scope from it.
    assert not any(c.field == "business_scope" for c in _leaves("企业生产的产品质量要过关。"))


def test_a_loan_the_enterprise_must_hold_is_a_requirement() -> None:
    leaves = _leaves("对小微企业创业担保贷款可展期半年，继续贴息。")
    assert any(c.field == "undecidable" and c.span == "创业担保贷款" for c in leaves), leaves
    # The loan as the support given is no requirement.
    support = _leaves("对重点企业给予创业担保贷款支持。")
    assert not any(c.span == "创业担保贷款" for c in support)


def test_departments_named_by_their_field_state_a_duty() -> None:
    text = "8.优化执法。交通运输、生态环境等部门开展检查时，对小微企业首次轻微违规，要以指导为主。"
    assert audience(text) == "government"
    assert not for_enterprises(text)
    # A department that grants enterprises something keeps the item for enterprises.
    granted = "8.减免费用。交通、商务等部门对受疫情影响的小微企业减免检测费用。"
    assert for_enterprises(granted)
