"""The store contract for a person's edited conditions, on every backend (SQLite file, PostgreSQL server).

An edit follows the clause it was made for (by the fingerprint of the clause's text) across
re-ingests, inserted paragraphs, deletions and the migration that introduced fingerprints; an
edit whose clause is gone is kept, unapplied, and reported. Fixtures and :class:`Backend` as in
``test_store_contract.py``.
"""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from store_records import Backend, clauses, policy, revenue_of

from corpus.conditions import Condition
from corpus.store import NotFoundError, open_store
from corpus.store.fingerprint import item_fingerprint
from corpus.store.migrations import LATEST_VERSION, MIGRATIONS, PG_MIGRATIONS, statements


def test_edited_conditions_win_and_survive_reextraction(store):
    doc, items, extractions = policy()
    store.upsert_policy(doc, items, extractions)
    assert store.item_condition_source("tz-1#1") == "extracted"
    store.set_item_conditions("tz-1#1", [Condition("employees", "lte", 300, "从业人员300人以下")])
    assert store.item_condition_source("tz-1#1") == "edited"
    assert [(c.field, c.source) for c in store.item_conditions("tz-1#1")] == [("employees", "edited")]
    store.upsert_policy(*policy())  # re-extraction of the same text
    assert [(c.field, c.source) for c in store.item_conditions("tz-1#1")] == [("employees", "edited")]
    assert [c.source for c in store.item_conditions("tz-1#2")] == ["extracted"]
    # A person may also decide that an item has no conditions at all.
    store.set_item_conditions("tz-1#2", [])
    assert store.item_condition_source("tz-1#2") == "edited" and store.item_conditions("tz-1#2") == []
    assert store.clear_edited_conditions("tz-1#1")
    assert [c.source for c in store.item_conditions("tz-1#1")] == ["extracted"]
    with pytest.raises(NotFoundError):
        store.set_item_conditions("nope#1", [])


A = "对营业收入100万元以上的企业给予奖励。"
B = "对营业收入200万元以上的企业给予补助。"
C = "对营业收入300万元以上的企业给予贴息。"
X = "对营业收入900万元以上的企业给予表彰。"
EMPLOYEES = Condition("employees", "lte", 300, "从业人员300人以下")


def fields(store, item_id):
    return [(c.field, c.value, c.source) for c in store.item_conditions(item_id)]


def test_edit_follows_its_clause_when_a_paragraph_is_inserted(store):
    store.upsert_policy(*clauses("doc", [A, B, C]))
    store.set_item_conditions("doc#2", [EMPLOYEES])
    store.set_item_conditions("doc#3", [])  # "no conditions at all" follows too
    store.upsert_policy(*clauses("doc", [A, X, B, C]))
    assert fields(store, "doc#3") == [("employees", 300, "edited")]  # B moved from #2 to #3
    assert fields(store, "doc#2") == [("revenue", revenue_of(X), "extracted")]  # the new clause
    assert store.item_condition_source("doc#4") == "edited" and store.item_conditions("doc#4") == []
    assert fields(store, "doc#1") == [("revenue", revenue_of(A), "extracted")]
    assert store.stale_edits("doc") == []
    moves = store.query_audit(action="conditions.follow")
    assert {(e.details["from_item"], e.details["to_item"]) for e in moves} == {
        ("doc#2", "doc#3"),
        ("doc#3", "doc#4"),
    }
    assert all(e.details["policy_version"] == 2 for e in moves)
    # Removing the paragraph again brings both back where they were.
    store.upsert_policy(*clauses("doc", [A, B, C]))
    assert fields(store, "doc#2") == [("employees", 300, "edited")]
    assert store.item_condition_source("doc#3") == "edited" and store.item_conditions("doc#3") == []


def test_edit_of_a_removed_clause_is_kept_unapplied_and_reported(store, backend):
    store.upsert_policy(*clauses("doc", [A, B, C]))
    store.set_item_conditions("doc#2", [EMPLOYEES])
    store.upsert_policy(*clauses("doc", [A, C]))
    assert fields(store, "doc#2") == [("revenue", revenue_of(C), "extracted")]  # C is not given B's edit
    assert all(c.source == "extracted" for i in ("doc#1", "doc#2") for c in store.item_conditions(i))
    [stale] = store.stale_edits("doc")
    assert (stale.item_id, stale.item_text, stale.stale_version) == ("doc#2", f"二、{B}", 2)
    assert [(c.field, c.value, c.source) for c in stale.conditions] == [("employees", 300, "edited")]
    assert store.stale_edits() == [stale] and store.stale_edits("other") == []
    assert backend.rows("SELECT count(*) FROM stale_edits") == [(1,)]  # really kept
    [event] = store.query_audit(action="conditions.stale")
    assert event.target == "doc#2" and event.details["policy_version"] == 2
    # Another re-ingest without B keeps it stale; one with B again applies it to B, wherever B is.
    store.upsert_policy(*clauses("doc", [A, C]))
    assert len(store.stale_edits("doc")) == 1
    store.upsert_policy(*clauses("doc", [X, A, C, B]))
    assert fields(store, "doc#4") == [("employees", 300, "edited")]
    assert store.stale_edits("doc") == []
    [back] = store.query_audit(action="conditions.reattach")
    assert (back.details["from_item"], back.details["to_item"]) == ("doc#2", "doc#4")


def test_edit_of_a_repeated_clause_follows_the_same_occurrence(store):
    store.upsert_policy(*clauses("doc", [A, B, A]))
    store.set_item_conditions("doc#3", [EMPLOYEES])  # the second A only
    store.upsert_policy(*clauses("doc", [X, A, B, A]))
    assert fields(store, "doc#4") == [("employees", 300, "edited")]
    assert fields(store, "doc#2") == [("revenue", revenue_of(A), "extracted")]


def test_edit_kept_across_delete_follows_its_clause(store):
    store.upsert_policy(*clauses("doc", [A, B]))
    store.set_item_conditions("doc#1", [EMPLOYEES])
    assert store.delete_policy("doc")
    store.upsert_policy(*clauses("doc", [B, A]))
    assert fields(store, "doc#2") == [("employees", 300, "edited")]
    assert fields(store, "doc#1") == [("revenue", revenue_of(B), "extracted")]


def test_edits_stay_apart_between_policies(store):
    store.upsert_policy(*clauses("one", [A, B]))
    store.upsert_policy(*clauses("two", [A, B]))
    store.set_item_conditions("one#1", [EMPLOYEES])
    store.upsert_policy(*clauses("two", [B, A]))
    store.upsert_policy(*clauses("one", [A, B]))
    assert fields(store, "one#1") == [("employees", 300, "edited")]
    assert all(c.source == "extracted" for i in ("two#1", "two#2") for c in store.item_conditions(i))


def test_an_edit_waits_for_a_reingest_of_its_policy(store, backend):
    store.upsert_policy(*clauses("doc", [A, B, C]))
    started, release = threading.Event(), threading.Event()

    def reingest() -> None:
        with store.transaction():
            store.upsert_policy(*clauses("doc", [A, X, B, C]))
            started.set()
            release.wait(10)

    ingesting = threading.Thread(target=reingest)
    ingesting.start()
    assert started.wait(10)
    editing = threading.Thread(target=store.set_item_conditions, args=("doc#3", [EMPLOYEES]))
    editing.start()
    editing.join(0.5)
    assert editing.is_alive()  # it waits for the re-ingest instead of writing beside it
    release.set()
    ingesting.join(10)
    editing.join(10)
    # It was saved for the text doc#3 has now, so its fingerprint and the item it applies to agree.
    assert fields(store, "doc#3") == [("employees", 300, "edited")]
    assert backend.rows("SELECT DISTINCT item_sha256 FROM conditions WHERE source = 'edited'") == [
        (item_fingerprint(B),)
    ]


def _schema_3(backend: Backend) -> None:
    """Bring an empty backend to schema version 3 (before edits had fingerprints), as a deployed store is."""
    if backend.name == "sqlite":
        with sqlite3.connect(backend.target) as conn:
            for migration in MIGRATIONS[:3]:
                for statement in statements(migration.sql):
                    conn.execute(statement)
            conn.execute("PRAGMA user_version = 3")
        return
    import psycopg

    with psycopg.connect(backend.target) as conn:
        conn.execute(PG_MIGRATIONS[0].sql)
        conn.execute("UPDATE policymatch_schema SET version = 3")


def _legacy_rows(policy_id: str, texts: list[str], at: str) -> list[str]:
    rows = [
        f"INSERT INTO policies (id, version, title, text, created_at, updated_at) "
        f"VALUES ('{policy_id}', 1, 't', 't', '{at}', '{at}')",
        f"INSERT INTO policy_versions (policy_id, version, document, items, created_at) VALUES ('{policy_id}', 1, "
        f"'{{}}', '{json.dumps([{'id': f'{policy_id}#{n}', 'text': t} for n, t in enumerate(texts, 1)])}', '{at}')",
    ]
    rows += [
        f"INSERT INTO items (id, policy_id, seq, heading_path, title, text) "
        f"VALUES ('{policy_id}#{n}', '{policy_id}', {n}, '[]', 't', '{text}')"
        for n, text in enumerate(texts, 1)
    ]
    return rows


def _legacy_edit(item_id: str, policy_id: str, at: str) -> str:
    return (
        "INSERT INTO conditions (item_id, policy_id, source, position, field, op, value, span, created_at) "
        f"VALUES ('{item_id}', '{policy_id}', 'edited', 0, 'employees', 'lte', '300', '从业人员300人以下', '{at}')"
    )


def test_migration_keeps_edits_made_before_fingerprints(backend):
    _schema_3(backend)
    backend.write(
        [
            *_legacy_rows("doc", [A, B, C], "2026-01-01"),
            _legacy_edit("doc#2", "doc", "2026-01-02"),
            # An edit whose policy was deleted since: the text comes from the version it was made on.
            *_legacy_rows("gone", [C, A], "2026-01-01"),
            _legacy_edit("gone#2", "gone", "2026-01-02"),
            "DELETE FROM items WHERE policy_id = 'gone'",
            "DELETE FROM policies WHERE id = 'gone'",
        ]
    )
    store = open_store(backend.target)
    try:
        assert store.schema_version() == LATEST_VERSION
        assert sorted(
            backend.rows("SELECT item_id, item_sha256 FROM conditions WHERE source = 'edited'")
        ) == [
            ("doc#2", item_fingerprint(B)),
            ("gone#2", item_fingerprint(A)),
        ]
        assert fields(store, "doc#2") == [("employees", 300, "edited")]  # works as before
        store.upsert_policy(*clauses("doc", [A, B, C]))  # unchanged text: unchanged behaviour
        assert fields(store, "doc#2") == [("employees", 300, "edited")]
        store.upsert_policy(*clauses("doc", [X, A, B, C]))
        assert fields(store, "doc#3") == [("employees", 300, "edited")]
        assert fields(store, "doc#2") == [("revenue", revenue_of(A), "extracted")]
        store.upsert_policy(*clauses("gone", [A]))
        assert fields(store, "gone#1") == [("employees", 300, "edited")]
        assert store.stale_edits() == []
    finally:
        store.close()
