"""Where a document is for and how long it holds (matcher.extraction.document), on sentences written for these tests."""

import pytest

from matcher.extraction.document import read_validity


def _value(fact):
    return fact.value if fact is not None else None


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
