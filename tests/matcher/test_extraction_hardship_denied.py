"""A hardship denied is no requirement (issue 14, x44): sentences written for these tests.

确保…权益不受疫情影响 says what the measure guards against; the enterprise need not be in any state for it.
对受疫情影响的企业 names the beneficiary's hardship: that stays a requirement.
"""

from __future__ import annotations

import pytest
from extraction_helpers import checked_leaves


def _hardships(text: str) -> list[str]:
    return [c.span or "" for c in checked_leaves(text, "undecidable") if "疫情" in (c.span or "")]


@pytest.mark.parametrize(
    "sentence",
    [
        "各经办机构要优化服务，对中小企业给予社保补贴，确保企业职工的社会保险权益不受疫情影响。",
        "延长社保费征收期，确保参保企业的各项待遇不受疫情影响。对小微企业免收担保费。",
    ],
)
def test_a_hardship_denied_is_no_requirement(sentence: str) -> None:
    assert _hardships(sentence) == []


def test_the_beneficiarys_hardship_stays() -> None:
    assert _hardships("对受疫情影响的小微企业，给予一次性补助。") == ["受疫情影响"]
