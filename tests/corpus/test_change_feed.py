"""The change feed: every write that touches a policy or an enterprise appends, in its own transaction, in commit order.

Run on both backends (SQLite file, the PostgreSQL server of ``pg_cluster``), through the store's
public methods only, except where a test reads the ``changes`` table behind the store's back.
"""

from __future__ import annotations

import threading
import time

import pytest
from store_records import policy, profile

from corpus.conditions import Condition
from corpus.store import open_store
from corpus.store.base import Change


def _triples(changes: list[Change]) -> list[tuple[str, str, str]]:
    return [(c.kind, c.key, c.action) for c in changes]


def test_every_write_appends_a_change_in_order(store):
    assert store.last_change_seq() == 0 and store.changes_since(0) == []
    doc, items, extractions = policy("p1")
    store.upsert_policy(doc, items, extractions)
    store.set_item_conditions(items[0].id, [Condition("employees", "gte", 10, "职工10人以上")])
    assert store.clear_edited_conditions(items[0].id)
    assert not store.clear_edited_conditions(items[0].id)  # nothing cleared: no change
    store.upsert_enterprises([profile("e1"), profile("e2")])
    store.upsert_enterprises([profile("e1")])  # unchanged: no change
    store.upsert_enterprises([profile("e1", employees=99)], action="patch")
    assert store.delete_enterprise("e2") and not store.delete_enterprise("e2")
    assert store.delete_policy("p1") and not store.delete_policy("p1")
    changes = store.changes_since(0)
    assert _triples(changes) == [
        ("policy", "p1", "upsert"),
        ("policy", "p1", "conditions"),
        ("policy", "p1", "conditions"),
        ("enterprise", "e1", "upsert"),
        ("enterprise", "e2", "upsert"),
        ("enterprise", "e1", "patch"),
        ("enterprise", "e2", "delete"),
        ("policy", "p1", "delete"),
    ]
    seqs = [c.seq for c in changes]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(c.at for c in changes)
    assert store.last_change_seq() == seqs[-1]
    # Paging: a reader resumes after the last seq it saw.
    first = store.changes_since(0, limit=3)
    assert first == changes[:3]
    assert store.changes_since(first[-1].seq) == changes[3:]
    assert store.changes_since(seqs[-1]) == []
    with pytest.raises(ValueError, match="limit"):
        store.changes_since(0, limit=0)


def test_a_rolled_back_write_leaves_no_change(store):
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_enterprises([profile("gone")])
        raise RuntimeError("abort")
    assert store.changes_since(0) == [] and store.get_enterprise("gone") is None


def test_another_connection_sees_the_change_when_committed(store, target):
    other = open_store(target)
    try:
        start = other.last_change_seq()
        with store.transaction():
            store.upsert_enterprises([profile("late")])
            assert other.changes_since(start) == []  # not committed yet: not visible
        assert _triples(other.changes_since(start)) == [("enterprise", "late", "upsert")]
    finally:
        other.close()


def test_seq_grows_in_commit_order_under_concurrent_writers(store, target):
    """A writer that took a seq first but commits later must not let a reader see the later seq before it."""
    other = open_store(target)
    inserted = threading.Event()
    order: list[str] = []

    def slow_writer() -> None:
        with store.transaction():
            store.upsert_enterprises([profile("slow")])
            inserted.set()
            time.sleep(0.6)
            order.append("slow-commit")

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert inserted.wait(10)
        other.upsert_enterprises([profile("fast")])  # waits for the slow one's commit
        order.append("fast-commit")
        thread.join(10)
        changes = other.changes_since(0)
        assert [c.key for c in changes] == ["slow", "fast"]
        assert order == ["slow-commit", "fast-commit"]
    finally:
        thread.join(10)
        other.close()


def test_wait_for_changes_returns_after_its_timeout_or_a_commit(store, target):
    started = time.monotonic()
    assert store.wait_for_changes(0.2) is False or target.startswith("postgresql")
    assert time.monotonic() - started >= 0.15 or target.startswith("postgresql")
    if not target.startswith("postgresql"):
        return
    # PostgreSQL: LISTEN/NOTIFY wakes a waiter as soon as another process commits.
    store.wait_for_changes(0.01)  # opens the listening connection
    writer = open_store(target)
    try:
        timer = threading.Timer(0.3, lambda: writer.upsert_enterprises([profile("ping")]))
        timer.start()
        started = time.monotonic()
        woke = store.wait_for_changes(10)
        elapsed = time.monotonic() - started
        timer.join()
        assert woke and elapsed < 5
        assert [c.key for c in store.changes_since(0)] == ["ping"]
    finally:
        writer.close()
