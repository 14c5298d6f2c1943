"""The period a text's only measure runs for is its validity (docs/labelling.md, lab5); sentences written for this test."""

import pytest

from matcher.extraction.document_dates import read_validity


def _read(text: str, issued: str | None = None) -> tuple[str | None, str | None]:
    valid_from, valid_until = read_validity(text, issued)
    return (valid_from.value if valid_from else None, valid_until.value if valid_until else None)


def test_the_period_an_answers_only_measure_runs_for_is_its_validity():
    text = (
        "为帮助初创企业，自2016年1月1日至2018年12月31日，其房租补助按五成发放。"
        "此后延续，在2019年1月1日至2021年12月31日期间，初创企业房租在每年20万元以内的，"
        "补助比例提高到七成。"
    )
    # Two periods: the one that ends last is the measure's now.
    assert _read(text) == ("2019-01-01", "2021-12-31")


@pytest.mark.parametrize(
    "text",
    [
        # A period that measures something (the months whose revenue fell) is a condition, not a validity.
        "企业在2020年1月1日至2020年3月31日期间营业收入同比下降30%以上的，给予一次性补贴。",
        # An application window is no validity.
        "申报时间：2020年3月1日至2020年3月31日，逾期不予受理。",
        # A numbered document's one measure keeps its own period (test_document_facts).
        "一、2020年1月1日至2020年3月31日，对捐赠免征增值税。\n二、对企业给予补助。",
        # A period with no day at either end.
        "2019年1月至2021年12月，对小型企业减半征收。",
    ],
)
def test_no_measure_period(text):
    assert _read(text) == (None, None)


def test_the_documents_own_validity_wins():
    text = "自2020年1月1日至2020年3月31日，对企业免征增值税。本公告自2020年2月1日起施行，有效期至2020年12月31日。"
    assert _read(text) == ("2020-02-01", "2020-12-31")
