"""风险监管 tables on both stores (SQLite and a real PostgreSQL): append-only money, one code per record, merges."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from corpus.ledger import LedgerEntry
from corpus.schemas import uscc_check_digit, validate_profile
from corpus.store import NotFoundError, open_store
from corpus.store.risk_tables import LedgerRefused

CODE = "91331002MA2AB1234" + uscc_check_digit("91331002MA2AB1234")


def entry(enterprise: str = "A", item: str = "p#1", **kw: Any) -> LedgerEntry:
    return LedgerEntry(
        enterprise,
        item,
        kw.pop("amount", 10.0),
        kw.pop("department", "科技局"),
        "2026-01-05",
        kw.pop("status", "paid"),
        **kw,
    )


def test_ledger_is_append_only_and_audited_in_the_same_transaction(store):
    written = store.append_ledger([entry(), entry("B", amount=5.5)], "k1", "test")
    assert [e.id for e in written] == [1, 2] and written[0].recorded_by == "k1"
    assert store.ledger_entries(enterprise_ids=["B"])[0].amount == 5.5
    audit = store.query_audit(action="ledger.append", limit=5)
    assert len(audit) == 1 and audit[0].details["ids"] == [1, 2]
    for sql in ("UPDATE ledger SET amount = 0", "DELETE FROM ledger"):
        with pytest.raises(Exception, match="append-only"):
            with store.transaction():
                store._conn().execute(sql)
    with pytest.raises(LedgerRefused):
        store.append_ledger([entry(corrects=2)], "k1")  # row 2 is B's, not A's
    with pytest.raises(LedgerRefused):
        store.append_ledger([entry(), entry(corrects=99)], "k1")  # all or none
    assert store.count_ledger() == 2
    fixed = store.append_ledger([entry(amount=12, corrects=1, reason="金额更正")], "k2")
    assert fixed[0].corrects == 1 and store.count_ledger() == 3
    assert store.ledger_sources("nothing") == set()


def test_one_code_one_record_and_merges(store):
    store.upsert_enterprises([validate_profile({"id": "A", "name": "甲", "uscc": CODE})])
    with pytest.raises(Exception, match="uscc_conflict"):
        store.upsert_enterprises([validate_profile({"id": "B", "name": "乙", "uscc": CODE})])
    store.upsert_enterprises(
        [validate_profile({"id": "A", "name": "甲改", "uscc": CODE})]
    )  # the holder changes
    store.upsert_enterprises([validate_profile({"id": "B", "name": "乙"})])
    assert store.uscc_holders(CODE) == ["A"]
    facts = {f.enterprise_id: f for f in store.profile_facts()}
    assert facts["A"].uscc == CODE and facts["B"].uscc is None
    merged = store.merge_enterprises("B", "A", "admin-key")
    assert merged["into"] == "A" and store.get_enterprise("B") is None and store.merges() == {"B": "A"}
    assert store.query_audit(action="enterprise.merge", limit=1)[0].target == "B"
    with pytest.raises(NotFoundError):
        store.merge_enterprises("B", "A", "admin-key")


def test_a_page_reads_its_profiles_and_codes_at_once(store):
    # What a target page's risk notes read in one statement each equals what the one-row reads give.
    other = "91110108MA0012345" + uscc_check_digit("91110108MA0012345")
    store.upsert_enterprises(
        [
            validate_profile({"id": "A", "name": "甲", "uscc": CODE, "credit_status": "dishonest"}),
            validate_profile({"id": "B", "name": "乙", "major_violation": True}),
            validate_profile({"id": "C", "name": "丙", "uscc": other}),
        ]
    )
    page = store.profile_facts(["C", "Z", "A", "C", "B"])  # the page's order; Z is not stored
    assert [f.enterprise_id for f in page] == ["C", "A", "B"]
    every = {f.enterprise_id: f for f in store.profile_facts()}
    assert page == [every["C"], every["A"], every["B"]]
    assert page[1].credit_status == "dishonest" and page[2].major_violation is True
    assert page[1].updated_at == store.profile_updated_at("A")
    assert store.profile_facts([]) == []
    unheld = "91440300MA5F00000" + uscc_check_digit("91440300MA5F00000")
    assert store.uscc_holders_of([other, unheld, CODE]) == {
        other: store.uscc_holders(other),
        unheld: [],
        CODE: ["A"],
    }


def test_groups_exports_and_ratings(store):
    group = store.set_benefit_group("g", ["p#1", "q#1"], "营收类", "admin")
    assert store.benefit_groups() == [group]
    store.set_benefit_group("g", [], "", "admin")
    assert store.benefit_groups() == []
    export = store.record_payout_export("p", "p#1", "fin", "ab" * 32, [{"enterprise_id": "A"}])
    assert store.payout_exports("p#1", with_rows=True)[0].rows == ({"enterprise_id": "A"},)
    assert store.query_audit(action="payout.export", limit=1)[0].details["export_id"] == export.id
    with pytest.raises(NotFoundError):
        store.add_rating("A", "p#1", (5, 4, 3), None, "k")
    store.append_ledger([entry()], "fin")
    rating = store.add_rating("A", "p#1", (5, 4, 3), "快", "k")
    assert store.ratings("p#1") == [rating]
    with pytest.raises(Exception, match="(?i)check"):
        store.add_rating("A", "p#1", (6, 4, 3), None, "k")  # the table checks 1–5 too


def test_finance_keys_are_stored(store):
    key_id, secret = store.create_api_key("finance", None, "财政局")
    assert store.find_api_key(secret).role == "finance"


def test_an_old_sqlite_file_migrates_and_keeps_its_keys(tmp_path):
    from corpus.store.migrations import LATEST_VERSION, MIGRATIONS, statements

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:4]:
        for statement in statements(migration.sql):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    conn.execute(
        "INSERT INTO api_keys (key_id, secret_sha256, role, label, created_at) VALUES ('k', 'x', 'push', '', '2026')"
    )
    conn.commit()
    conn.close()
    store = open_store(path)
    try:
        assert store.schema_version() == LATEST_VERSION
        assert [k.key_id for k in store.list_api_keys()] == ["k"]
    finally:
        store.close()
