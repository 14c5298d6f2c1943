"""Honour lists: grants matched by USCC then exact name, unmatched rows reported, every import audited and reversible.

On both backends (SQLite file, PostgreSQL server), through corpus.honours and the store; the CLI once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corpus.honours import HonourImportError, import_honours, read_honour_list, reverse_import
from corpus.schemas import uscc_check_digit, validate_profile
from corpus.store import open_store


def uscc(body: str) -> str:
    """A valid 统一社会信用代码 from its first 17 characters (GB 32100-2015 check digit)."""
    return body + uscc_check_digit(body)


U_A, U_E, U_NONE = uscc("91331002MA2AAAAA1"), uscc("91331002MA2EEEEE5"), uscc("91331002MA2XXXXX9")
BAD = U_A[:-1] + ("0" if U_A[-1] != "0" else "1")  # a wrong check digit


@pytest.fixture
def store(target: str) -> Iterator[Any]:
    """A store holding five enterprises (two share a name)."""
    opened = open_store(target)
    base = {"region_code": "331002", "industry_code": "C3670", "employees": 80, "revenue": 3000}
    opened.upsert_enterprises(
        [
            validate_profile(
                {
                    "id": "A",
                    "name": "甲科技有限公司",
                    "uscc": U_A,
                    **base,
                    "qualifications": ["科技型中小企业"],
                }
            ),
            validate_profile({"id": "B", "name": "乙（台州）有限公司", **base}),
            validate_profile({"id": "C", "name": "丙有限公司", **base}),
            validate_profile({"id": "D", "name": "丙有限公司", **base, "region_code": "331003"}),
            validate_profile({"id": "E", "name": "戊公司", "uscc": U_E, **base, "rd_expense": 90}),
        ]
    )
    yield opened
    opened.close()


def _list(tmp_path: Path) -> Path:
    path = tmp_path / "名单.csv"
    path.write_text(
        "统一社会信用代码,企业名称,荣誉名称,年度\n"
        f"{U_A},甲科技（旧名）,省级专精特新中小企业,2024\n"  # USCC wins over a name that differs
        ",乙(台州)有限公司,省级专精特新中小企业,2024\n"  # exact name, bracket width aside
        ",丙有限公司,省级专精特新中小企业,2024\n"  # two enterprises have this name
        f"{U_NONE},不存在公司,省级专精特新中小企业,2024\n"  # nobody
        f"{U_E},,高企,2024\n"  # an alias: canonical title, level and validity from the taxonomy
        f"{U_E},,省级专精特新中小企业,\n"  # no year and no --year: an error
        f"{BAD},,高企,2024\n",  # a bad check digit: an error
        encoding="utf-8",
    )
    return path


def test_import_matches_reports_and_reverses_exactly(store, tmp_path):
    before = {p.id: p.to_dict() for p in store.iter_enterprises()}
    seq = store.last_change_seq()
    rows, errors = read_honour_list(_list(tmp_path), {"issuer": "浙江省经济和信息化厅"})
    assert [(e.line, e.field) for e in errors] == [(7, "year"), (8, "uscc")]
    assert errors[1].message == f"check digit is {BAD[-1]!r}, expected {U_A[-1]!r}"
    report = import_honours(store, rows, actor="test", source="名单.csv", errors=errors)
    assert (report.rows, report.matched_by_uscc, report.matched_by_name) == (7, 2, 1)
    assert (report.changed, report.unchanged, len(report.errors)) == (3, 0, 2)
    assert [(u.line, u.name) for u in report.unmatched] == [(4, "丙有限公司"), (5, "不存在公司")]
    assert "2 stored enterprises have this name" in report.unmatched[0].reason

    after = {p.id: p for p in store.iter_enterprises()}
    assert after["A"].qualifications == ("科技型中小企业", "省级专精特新中小企业")
    assert after["B"].qualifications == ("省级专精特新中小企业",)
    assert after["E"].qualifications == ("国家高新技术企业",)
    for enterprise_id in "ABE":  # nothing but the titles changed
        changed = {k for k, v in after[enterprise_id].to_dict().items() if before[enterprise_id][k] != v}
        assert changed == {"qualifications"}
    assert after["C"].to_dict() == before["C"] and after["D"].to_dict() == before["D"]
    (grant,) = store.import_grants("E")
    assert grant == {
        "title": "国家高新技术企业",
        "level": "国家",
        "year": 2024,
        "issuer": "浙江省经济和信息化厅",
        "expires": "2026-12-31",
        "line": 6,
        "import_id": report.import_id,
    }
    # Audited, in the change feed, listed.
    (audit,) = store.query_audit(action="honours.import")
    assert audit.target == report.import_id and audit.details["changed"] == 3
    changes = [(c.kind, c.key, c.action) for c in store.changes_since(seq)]
    assert sorted(changes) == sorted(
        [("enterprise", "A", "import"), ("enterprise", "B", "import"), ("enterprise", "E", "import")]
        + [("honours", report.import_id, "import")]
    )
    assert [r.id for r in store.list_imports("honours")] == [report.import_id]

    # A later change to B makes a plain reversal refuse (it would undo it), writing nothing.
    store.upsert_enterprises([validate_profile({**after["B"].to_dict(), "employees": 5})])
    with pytest.raises(HonourImportError, match="changed after import"):
        reverse_import(store, report.import_id, actor="test")
    assert store.get_import(report.import_id).reversed_at is None
    assert store.get_enterprise("A").qualifications == after["A"].qualifications

    undone = reverse_import(store, report.import_id, actor="test", force=True)
    assert sorted(undone.restored) == ["A", "B", "E"] and undone.changed_since == ["B"]
    assert {p.id: p.to_dict() for p in store.iter_enterprises()} == before  # exactly as before
    assert store.get_import(report.import_id).reversed_at is not None
    assert store.import_grants("E") == []
    assert store.query_audit(action="honours.reverse")[0].target == report.import_id
    with pytest.raises(HonourImportError, match="already reversed"):
        reverse_import(store, report.import_id, actor="test")


def test_a_dry_run_writes_nothing_and_an_unknown_import_is_named(store, tmp_path):
    seq = store.last_change_seq()
    rows, errors = read_honour_list(_list(tmp_path))
    report = import_honours(store, rows, actor="test", source="x", errors=errors, dry_run=True)
    assert report.import_id is None and report.changed == 3
    assert store.last_change_seq() == seq and store.list_imports() == []
    with pytest.raises(HonourImportError, match="no import 'hon_x'"):
        reverse_import(store, "hon_x", actor="test")


def test_cli_imports_lists_and_reverses(tmp_path, monkeypatch, capsys):
    from api.cli import main
    from api.settings import get_settings

    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        store = open_store(get_settings().store_path)
        store.upsert_enterprises([validate_profile({"id": "A", "name": "甲科技有限公司", "uscc": U_A})])
        store.close()
        path = tmp_path / "list.csv"
        path.write_text(f"uscc,name\n{U_A},\n,无名公司\n", encoding="utf-8")
        code = main(
            [
                "honours",
                "import",
                str(path),
                "--title",
                "省专精特新",
                "--year",
                "2025",
                "--issuer",
                "省经信厅",
            ]
        )
        out = capsys.readouterr().out
        assert code == 1  # a row was unmatched: reported, and the exit status says so
        assert "matched 1 by 统一社会信用代码" in out and "unmatched line 3" in out
        import_id = out.split("policymatch honours reverse ")[1].split()[0]
        assert main(["honours", "list"]) == 0 and import_id in capsys.readouterr().out
        assert main(["honours", "reverse", import_id]) == 0
        assert "1 profiles restored" in capsys.readouterr().out
        assert main(["honours", "reverse", import_id]) == 2
        assert "already reversed" in capsys.readouterr().err
        store = open_store(get_settings().store_path)
        assert store.get_enterprise("A").qualifications is None
        store.close()
    finally:
        get_settings.cache_clear()


def test_reverse_skips_profiles_the_import_left_as_they_were(store):
    """A title already held changed nothing, so a later edit of that profile does not block the reversal."""
    rows, errors = read_honour_list_rows([{"uscc": U_A, "title": "科技型中小企业", "year": 2024}])
    report = import_honours(store, rows, actor="test", source="x", errors=errors)
    assert (report.changed, report.unchanged) == (0, 1)
    edited = validate_profile({**store.get_enterprise("A").to_dict(), "employees": 7})
    store.upsert_enterprises([edited])
    undone = reverse_import(store, report.import_id, actor="test")
    assert undone.restored == [] and undone.changed_since == []
    assert store.get_enterprise("A") == edited


def read_honour_list_rows(records):
    """Rows from plain dicts, as the API gives them."""
    from corpus.honours import honour_rows

    return honour_rows(enumerate(records, start=1), "test")
