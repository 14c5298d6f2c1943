"""Property tests: the extractors and the profile validator never crash on arbitrary input, and fail clearly."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus.schemas import PROFILE_FIELD_NAMES, EnterpriseProfile, ProfileError, validate_profile
from matcher.extraction import extract_item
from matcher.extraction.numbers import parse_number
from matcher.extraction.tags import PolicyTags

FULL_WIDTH = str.maketrans("0123456789.%", "０１２３４５６７８９．％")
TO_ASCII = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
FRAGMENTS = [
    "营业收入", "年营业收入", "不低于", "达到", "超过", "以上", "（含）", "以下", "不足", "亿元", "万元", "元", "千元",
    "亿", "万", "亿亿", "万万", "１２３", "123", "0.5", "五千", "一万二千", "十二", "1,200.5", "9" * 40, "从业人员",
    "人", "研发投入占比", "%", "％", "国家高新技术企业", "专精特新", "规上工业企业", "注册", "椒江区", "台州市",
    "成立满", "3年", "2020年1月1日", "以后", "的企业", "，", "。", "；", "\n", "（一）", "给予", "奖励", "补助",
    "最高不超过", "从事", "集成电路设计", "不具备", "失信", "重大违法",
]  # fmt: skip
policy_like = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=60).map("".join)


def _json_strict(value: object) -> str:
    """Serialise as the API does: no NaN or Infinity may reach a client."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)


def _check_extraction(text: str) -> None:
    extraction = extract_item(text, title="测试", region_code="331002")
    for condition in extraction.conditions:
        assert condition.span and condition.span in text, f"span {condition.span!r} is not in the text"
        _json_strict([condition.field, condition.op, condition.value])
    tags = extraction.tags.to_dict()
    _json_strict(tags)
    assert PolicyTags.from_dict(tags).to_dict() == tags


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy_like)
def test_extract_item_never_crashes_on_policy_like_text(text):
    _check_extraction(text)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_extract_item_never_crashes_on_arbitrary_unicode(text):
    _check_extraction(text)


@settings(max_examples=60, deadline=None)
@given(policy_like)
def test_full_width_digits_read_like_ascii(text):
    ascii_conditions = extract_item(text).conditions
    wide_conditions = extract_item(text.translate(FULL_WIDTH)).conditions
    # An undecidable's value is its words as written, so the wide text's words are compared in ASCII.
    assert [(c.field, c.op, _ascii(c.value)) for c in wide_conditions] == [
        (c.field, c.op, c.value) for c in ascii_conditions
    ]


def _ascii(value: object) -> object:
    return value.translate(TO_ASCII) if isinstance(value, str) else value


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_number_full_width_and_grouping(n):
    assert parse_number(str(n)) == float(n)
    assert parse_number(str(n).translate(FULL_WIDTH)) == float(n)
    assert parse_number(f"{n:,}") == float(n)


@pytest.mark.parametrize("size", [0, 1, 50_000])
def test_empty_and_enormous_texts(size):
    text = (
        "对年营业收入达到1.5亿元以上、研发投入占比不低于３％的国家高新技术企业，给予奖励。" * (size // 40 + 1)
    )[:size]
    started = time.perf_counter()
    _check_extraction(text)
    # Not a timing assertion: an enormous text must finish at all (no catastrophic backtracking).
    assert time.perf_counter() - started < 300


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -(10**400)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        ["１２３", "1.5亿", "3万", "1e400", "-1", "", " ", "nan", "inf", "2020-13-45", "A类", "高企"]
    ),
)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)  # fmt: skip
profile_like = st.fixed_dictionaries(
    {"id": st.one_of(st.just("E1"), json_scalars), "name": st.one_of(st.just("某公司"), json_scalars)},
    optional={name: json_values for name in PROFILE_FIELD_NAMES if name not in ("id", "name")},
)


@settings(max_examples=200, deadline=None)
@given(profile_like)
def test_validate_profile_accepts_or_names_every_problem(data):
    try:
        profile = validate_profile(data)
    except ProfileError as error:
        assert error.problems, "a refusal lists at least one problem"
        for problem in error.problems:
            assert (
                problem.field
                and problem.message
                and problem.field.split("[")[0].split(".")[0]
                in (
                    *PROFILE_FIELD_NAMES,
                    "(record)",
                )
            )
        assert str(error).startswith("invalid enterprise profile")
        return
    assert isinstance(profile, EnterpriseProfile)
    as_dict = profile.to_dict()
    _json_strict(as_dict)
    assert validate_profile(as_dict) == profile, "validation is idempotent"


@given(st.one_of(json_values, st.lists(json_values)))
def test_validate_profile_refuses_non_objects(data):
    if isinstance(data, dict):
        return
    with pytest.raises(ProfileError, match="must be a JSON object"):
        validate_profile(data)


def test_vectors_of_the_wrong_shape_are_refused_before_faiss(encoder):
    from matcher.retrieval import HybridRetriever
    from matcher.vector_index import make_vector_index

    index = make_vector_index("faiss", dim=encoder.dim, model_id=encoder.model_id)
    good = np.ones((2, encoder.dim), dtype=np.float32)
    index.add([0, 1], good / np.linalg.norm(good, axis=1, keepdims=True))
    bad_inputs = [
        np.ones((2, encoder.dim + 1), dtype=np.float32),
        np.ones(encoder.dim, dtype=np.float32),
        np.ones((1, 2, encoder.dim), dtype=np.float32),
        np.full((1, encoder.dim), np.nan, dtype=np.float32),
    ]
    for bad in bad_inputs:
        with pytest.raises(ValueError, match=r"(dim|shape|finite|NaN)"):
            index.add(list(range(10, 10 + len(bad))), bad)
        with pytest.raises(ValueError, match=r"(dim|shape|finite|NaN)"):
            index.search(bad, 1)  # a query of the wrong shape, too
    assert len(index) == 2, "nothing bad was added"

    other = make_vector_index("faiss", dim=encoder.dim * 2, model_id=encoder.model_id)
    with pytest.raises(ValueError, match="dimension"):
        HybridRetriever(encoder, vectors=other)
