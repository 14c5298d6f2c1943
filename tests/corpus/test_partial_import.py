"""Partial updates lose nothing: merge patch (RFC 7396), and CSV/JSONL imports that carry only some columns.

The property test writes a random stored profile, then imports a random row that carries a
random subset of the columns (some with values, some present but empty) through the real
loader, ingest and SQLite store, and checks every field of the result: a column the row does
not carry keeps the stored value, a carried value replaces it, and an empty cell keeps it
(``--empty keep``) or makes it unknown (``--empty clear``). Derived fields (``size_class``,
a derived ``rd_ratio``) must agree with the fields they come from.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus import reference
from corpus.merge import merge_patch, merge_profile
from corpus.schemas import (
    COUNT_FIELDS,
    MONEY_FIELDS,
    MU_JUN_CLASSES,
    PERCENT_FIELDS,
    TAX_CREDIT_GRADES,
    TEXT_FIELDS,
    ProfileError,
    uscc_check_digit,
    validate_profile,
)
from corpus.store import open_store
from matcher.ingest import ingest_enterprises

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ids = itertools.count()


def _uscc_of(body: str) -> str:
    return body + uscc_check_digit(body)


def _unique_uscc(n: int) -> str:
    """A valid code no other example uses (the store keeps one record per 统一社会信用代码)."""
    return _uscc_of(f"91331002MA{n:07d}")


@st.composite
def _uscc(draw: st.DrawFn) -> str:
    return _uscc_of(draw(st.text(alphabet=_USCC_CHARS, min_size=17, max_size=17)))


_money = st.integers(0, 10**6).map(lambda n: n / 100)
# Revenue is 0 (no ratio is derived) or at least 1 万元: with rd_expense up to 10⁴ 万元 the derived
# ratio stays within its range (≤ 10⁶ %). A smaller revenue makes a profile validation rightly
# refuses (test_an_import_whose_derived_ratio_is_out_of_range_fails_and_keeps_the_record).
_revenue = st.one_of(st.just(0.0), st.integers(100, 10**6).map(lambda n: n / 100))
_text = st.text(alphabet="软件开发汽车零部件制造服务研发, ;", min_size=1, max_size=12).filter(
    lambda t: t.strip()
)
TITLES = [q.title for q in reference.qualifications()][:8]

# Every writable field of enterprise_profile.md with valid values (rd_ratio is derived here; see the docstring).
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": _text,
    "uscc": _uscc(),
    "region_code": st.sampled_from(["331002", "331003", "330302", "331081"]),
    "industry_code": st.sampled_from(["C3670", "I6513"]),
    "established": st.dates(dt.date(1990, 1, 1), dt.date(2020, 12, 31)).map(dt.date.isoformat),
    "employees": st.integers(0, 5000),
    **{name: _money for name in MONEY_FIELDS},
    "revenue": _revenue,
    "revenue_growth": st.integers(-5000, 20000).map(lambda n: n / 100),
    "qualifications": st.lists(st.sampled_from(TITLES), min_size=1, max_size=3, unique=True),
    "mu_jun_class": st.sampled_from(MU_JUN_CLASSES),
    "credit_status": st.sampled_from(["normal", "dishonest"]),
    "major_violation": st.booleans(),
    **{name: _text for name in TEXT_FIELDS},
    **{name: st.integers(0, 500) for name in COUNT_FIELDS},
    **{name: st.integers(0, 10000).map(lambda n: n / 100) for name in PERCENT_FIELDS},
    "tax_credit_grade": st.sampled_from(TAX_CREDIT_GRADES),
}
CELL_EMPTY = object()  # a column the row carries with an empty cell


@st.composite
def _stored(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.sets(st.sampled_from(sorted(set(FIELDS) - {"name"}))))
    return {"name": draw(_text), **{name: draw(FIELDS[name]) for name in names}}


@st.composite
def _row(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=8))
    return {name: draw(st.one_of(FIELDS[name], st.just(CELL_EMPTY))) for name in names}


def _cell(value: Any) -> str:
    if value is CELL_EMPTY:
        return ""
    if isinstance(value, list):
        return "、".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write(path: Path, record_id: str, row: dict[str, Any]) -> None:
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", *row])
            writer.writerow([record_id, *(_cell(v) for v in row.values())])
        return
    record = {"id": record_id, **{k: ("" if v is CELL_EMPTY else v) for k, v in row.items()}}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")


def _canonical(name: str, value: Any) -> Any:
    """The value validation stores for ``value`` (canonical titles, codes, numbers)."""
    return getattr(validate_profile({"id": "x", "name": "x", name: value}), name)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One SQLite store for every example (each example uses new ids)."""
    opened = open_store(tmp_path_factory.mktemp("partial") / "store.sqlite3")
    yield opened
    opened.close()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stored=_stored(),
    row=_row(),
    suffix=st.sampled_from([".csv", ".jsonl"]),
    empty=st.sampled_from(["keep", "clear"]),
)
def test_a_partial_import_loses_no_field(store, tmp_path, stored, row, suffix, empty):
    n = next(_ids)
    record_id = f"P{n}"
    # Codes are unique per example: a code drawn twice would be another record's (uscc_conflict).
    if "uscc" in stored:
        stored = {**stored, "uscc": _unique_uscc(2 * n)}
    if row.get("uscc", CELL_EMPTY) is not CELL_EMPTY:
        row = {**row, "uscc": _unique_uscc(2 * n + 1)}
    before = validate_profile({"id": record_id, **stored})
    store.upsert_enterprises([before])
    path = tmp_path / f"{record_id}{suffix}"
    _write(path, record_id, row)

    report = ingest_enterprises(store, [path], progress=False, empty=empty)
    assert report.ok, [str(e) for e in report.errors]
    after = store.get_enterprise(record_id)
    assert after is not None

    for name in FIELDS:
        if name not in row:
            expected = getattr(before, name)  # not carried: untouched
        elif row[name] is CELL_EMPTY:
            expected = None if empty == "clear" and name != "name" else getattr(before, name)
        else:
            expected = _canonical(name, row[name])
        assert getattr(after, name) == expected, (name, row.get(name), empty)
    # Derived fields follow what they are derived from.
    derived = validate_profile(
        {k: v for k, v in after.to_dict().items() if k not in ("rd_ratio", "size_class")}
    )
    assert (after.rd_ratio, after.size_class) == (derived.rd_ratio, derived.size_class)


def test_an_import_whose_derived_ratio_is_out_of_range_fails_and_keeps_the_record(store, tmp_path):
    store.upsert_enterprises([validate_profile({"id": "R1", "name": "丙公司", "revenue": 0.01})])
    path = tmp_path / "rd.csv"
    path.write_text("id,rd_expense\nR1,10000\n", encoding="utf-8")
    report = ingest_enterprises(store, [path], progress=False)
    assert (report.read, report.failed) == (1, 1)
    assert "rd_ratio: rd_expense / revenue gives an R&D ratio out of range" in str(report.errors[0])
    kept = store.get_enterprise("R1")
    assert (kept.revenue, kept.rd_expense, kept.rd_ratio) == (0.01, None, None)


def test_csv_without_a_column_keeps_it_and_a_new_enterprise_needs_a_name(store, tmp_path):
    store.upsert_enterprises(
        [
            validate_profile(
                {"id": "H1", "name": "甲公司", "region_code": "331002", "employees": 120, "revenue": 5000}
            )
        ]
    )
    path = tmp_path / "honours.csv"
    path.write_text("id,name,qualifications\nH1,甲公司,高企\nH404,,科小\n", encoding="utf-8")
    report = ingest_enterprises(store, [path], progress=False)
    assert (report.read, report.replaced, report.failed) == (2, 1, 1)
    assert str(report.errors[0]) == f"{path}:3: name: is required and must be a non-empty string"
    kept = store.get_enterprise("H1")
    assert (kept.region_code, kept.employees, kept.revenue) == ("331002", 120, 5000)
    assert kept.qualifications == ("国家高新技术企业",)


def test_jsonl_null_clears_a_field_whatever_empty_says(store, tmp_path):
    store.upsert_enterprises(
        [validate_profile({"id": "N1", "name": "乙公司", "employees": 10, "revenue": 50})]
    )
    path = tmp_path / "n.jsonl"
    path.write_text('{"id": "N1", "employees": null, "revenue": ""}\n', encoding="utf-8")
    assert ingest_enterprises(store, [path], progress=False, empty="keep").ok
    got = store.get_enterprise("N1")
    assert (got.employees, got.revenue) == (None, 50)


def test_merge_profile_refuses_what_a_partial_write_cannot_do():
    stored = validate_profile({"id": "M1", "name": "丙公司", "rd_expense": 40, "revenue": 1000})
    assert stored.rd_ratio == 4.0
    # A derived rd_ratio follows a new revenue; an explicit one stays.
    assert merge_profile(stored, {"revenue": 2000}).rd_ratio == 2.0
    explicit = validate_profile(
        {"id": "M2", "name": "丁公司", "rd_expense": 40, "revenue": 1000, "rd_ratio": 7}
    )
    assert merge_profile(explicit, {"revenue": 2000}).rd_ratio == 7
    with pytest.raises(ProfileError, match="name"):
        merge_profile(stored, {"name": None})
    with pytest.raises(ProfileError, match="id"):
        merge_profile(stored, {"id": "other"})
    with pytest.raises(ProfileError, match="employees"):
        merge_profile(stored, {"employees": -3})


# RFC 7396 Appendix A: every example of the RFC.
RFC7396 = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC7396)
def test_merge_patch_follows_rfc_7396(target, patch, result):
    assert merge_patch(target, patch) == result
