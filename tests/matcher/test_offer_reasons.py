"""Which reader decided whether each item is offered (PreparedPolicy.offer_reasons), on text written for this test."""

from matcher.ingest.policies import (
    NO_SUPPORT_NAMED,
    NOT_A_POLICY,
    NOT_FOR_ENTERPRISES,
    OFFER_REASONS,
    OFFERED,
    loaded_policy,
    prepare_policy,
)

POLICY = (
    "某市关于支持中小企业发展的若干措施\n"
    "一、对年营业收入增长20%以上的中小企业，给予一次性奖励10万元。\n"
    "二、对在本市就业的高校毕业生个人，每人发放生活补贴3000元。\n"
    "三、强化宣传引导。各地要通过多种渠道宣传政策，营造良好氛围。\n"
    "四、对新认定的高新技术企业，给予一次性奖励20万元。\n"
)


def _reasons(text: str, title: str) -> dict[str, str]:
    prepared = prepare_policy(loaded_policy({"id": "p1", "title": title, "text": text}), budget_s=None)
    assert len(prepared.offer_reasons) == len(prepared.items)
    assert set(prepared.offer_reasons) <= set(OFFER_REASONS)
    return {
        item.text.split("。")[0]: why
        for item, why in zip(prepared.items, prepared.offer_reasons, strict=True)
    }


def test_each_item_says_which_reader_offered_or_withheld_it():
    reasons = _reasons(POLICY, "某市关于支持中小企业发展的若干措施")
    by_start = {key[:6]: why for key, why in reasons.items()}
    assert len(reasons) == 4, by_start
    first = next(why for key, why in reasons.items() if "中小企业，给予" in key)
    persons = next(why for key, why in reasons.items() if "高校毕业生" in key)
    duties = next(why for key, why in reasons.items() if "宣传引导" in key)
    assert first == OFFERED, by_start
    assert persons == NOT_FOR_ENTERPRISES, by_start
    assert duties == NO_SUPPORT_NAMED, by_start


def test_every_item_of_a_non_policy_is_withheld_as_such():
    notice = (
        "关于2024年度科技项目拟资助名单的公示\n经专家评审，现将拟资助项目名单予以公示，公示期5个工作日。\n"
    )
    reasons = _reasons(notice, "关于2024年度科技项目拟资助名单的公示")
    assert reasons and set(reasons.values()) == {NOT_A_POLICY}
