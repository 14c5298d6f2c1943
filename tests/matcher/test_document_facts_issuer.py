"""Where a document is for and how long it holds (matcher.extraction.document), on sentences written for these tests."""

import pytest

from matcher.extraction.document import read_addressed_places, read_region, read_validity


def _value(fact):
    return fact.value if fact is not None else None


# --- region: zones and headlines ----------------------------------------------------------------


def test_a_zone_the_table_lists_is_not_ambiguous():
    # 浦东新区 is both a county of the 2022 table and a zone of ZONE_COUNTIES: one place, so a 主送 line
    # naming it bounds the items, and a headline naming it narrows the city's 本市.
    text = "浦东新区、闵行区商务主管部门：现将有关事项通知如下。"
    addressed = read_addressed_places(text, "31")
    assert addressed is not None and addressed[1] == ("310115", "310112")
    page = "浦东新区出台稳企十条 本市企业可申请。据介绍，上海各区将跟进，上海企业踊跃申报。"
    assert _value(read_region(page)) == "310115"


def test_a_headline_narrows_the_region_its_text_calls_its_own():
    text = (
        "绵阳推出复工贷款贴息 本报讯 日前，全省首批复工贷款在绵阳发放。四川农信表示，"
        "我省将继续扩大覆盖面，四川各地可参照执行。"
    )
    assert _value(read_region(text)) == "5107"


def test_a_headline_outside_the_region_read_changes_nothing():
    text = (
        "湖北支援物资运抵 我省企业捐赠的物资已运抵。四川省商务厅表示，我省将继续组织捐赠，四川企业踊跃参与。"
    )
    assert _value(read_region(text)) == "51"


# --- validity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "issued", "expected"),
    [
        # A period in the sentence after the one that gives the start (。 or ； between them).
        ("本通知自印发之日起施行。有效期3个月。", "2020-02-10", ("2020-02-10", "2020-05-10")),
        ("本办法自发布之日起施行；有效期两年。", "2023-05-04", ("2023-05-04", "2025-05-04")),
        # The document named with 各项 / its own short title in 《》.
        ("以上各项政策措施执行至2020年6月30日。", "2020-02-10", (None, "2020-06-30")),
        (
            "本《若干措施》自2020年2月10日起施行，截止日期为2020年5月31日。",
            None,
            ("2020-02-10", "2020-05-31"),
        ),
        # A sentence opening with the period, after a heading's number; a dash between the days.
        ("十、政策有效期：2024年1月1日—2024年12月31日。", None, (None, "2024-12-31")),
        ("执行期限为2022年3月1日-2022年8月31日。", None, (None, "2022-08-31")),
        # 截止时间为 before the last day.
        ("本方案自2021年5月1日起实施，截止时间为2021年10月31日。", None, ("2021-05-01", "2021-10-31")),
    ],
)
def test_validity_in_more_of_the_shapes_documents_state_it(sentence, issued, expected):
    text = "一、对企业给予补助。\n" + sentence
    valid_from, valid_until = read_validity(text, issued)
    assert (_value(valid_from), _value(valid_until)) == expected


def test_a_measures_own_period_and_dashed_dates_stay_the_measures():
    # A measure's dates (no sentence about the document itself) are not the document's validity.
    text = "一、2020年2月1日—2020年6月30日，对中小企业减免房租。\n二、对企业给予补助。"
    assert read_validity(text, "2020-02-01") == (None, None)
