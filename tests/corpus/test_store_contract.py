"""The store contract: the same cases over every backend (SQLite file, PostgreSQL server).

The PostgreSQL cases run against a real server the ``pg_cluster`` fixture starts
(tests/corpus/conftest.py); they are skipped, with the reason, only where Debian's
``postgresql`` binaries are absent. What is really stored is read back through a
separate plain connection (``sqlite3`` or ``psycopg``), never through the store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from store_records import policy, profile
from v2_entries import NO_REAL_ESTATE

from corpus.conditions import Condition
from corpus.schemas import PolicyDocument, PolicyItem
from corpus.store import AuditEvent, IntegrityError, StoreError, open_store
from corpus.store.migrations import LATEST_VERSION


def test_schema_version_and_reopen(store, backend):
    assert store.schema_version() == LATEST_VERSION
    store.upsert_enterprises([profile("kept")])
    store.close()
    again = open_store(backend.target)  # an already-migrated store opens without migrating twice
    assert again.schema_version() == LATEST_VERSION and again.get_enterprise("kept") is not None
    again.close()


def test_closed_store_refuses(store):
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count_items()


def test_policy_versions_and_items(store):
    doc, items, extractions = policy()
    stored = store.upsert_policy(doc, items, extractions)
    assert stored.version == 1
    assert store.get_item("tz-1#2").heading_path == ("一、支持", "（2）")
    assert store.item_tags("tz-1#1") == {"topics": [1]}
    assert [c.value for c in store.item_conditions("tz-1#2")] == [200]
    # Re-posting replaces: a new version, the new items, no duplicates.
    doc2, items2, extractions2 = policy(n_items=1, text="一、新的补助")
    assert store.upsert_policy(doc2, items2, extractions2).version == 2
    current = store.get_policy("tz-1")
    assert current.document.version == 2 and [i.id for i in current.items] == ["tz-1#1"]
    assert store.get_item("tz-1#2") is None and store.item_conditions("tz-1#2") == []
    assert store.count_items() == 1
    assert [(p.id, p.version, p.n_items) for p in store.list_policies()] == [("tz-1", 2, 1)]
    assert store.policy_version_map() == {"tz-1": 2}  # what an audit row names, read lightly
    assert [v.text for v in store.policy_versions("tz-1")] == ["一、补助", "一、新的补助"]


def test_policy_version_map_comes_in_list_order(store):
    # The risk board reads the documents' 就高不重复 groups in this order (GET /v1/risk/groups lists them so).
    for policy_id in ("b-2", "a-1", "c-3"):
        store.upsert_policy(*policy(policy_id))
    store.upsert_policy(*policy("b-2", text="一、新的补助"))
    assert list(store.policy_version_map()) == [p.id for p in store.list_policies()]
    assert store.policy_version_map()["b-2"] == 2


def test_failed_batch_leaves_the_store_as_it_was(store, backend):
    store.upsert_policy(*policy("keep"))
    before = backend.rows("SELECT id, version FROM policies")
    good_doc, good_items, good_ext = policy("tz-new")
    bad_doc = PolicyDocument("tz-bad", "坏", "text")
    bad_items = [PolicyItem("tz-bad#1", "tz-bad", 1, (), "空", "")]  # violates CHECK (length(text) > 0)
    with pytest.raises(IntegrityError):
        with store.transaction():
            store.upsert_policy(good_doc, good_items, good_ext)  # written first, inside the batch
            store.upsert_policy(*policy("keep", text="一、改了"))  # a replace inside the batch too
            store.upsert_policy(bad_doc, bad_items)
    assert backend.rows("SELECT id, version FROM policies") == before
    assert backend.rows("SELECT count(*) FROM items WHERE policy_id IN ('tz-new', 'tz-bad')") == [(0,)]
    assert backend.rows("SELECT count(*) FROM conditions WHERE policy_id = 'tz-new'") == [(0,)]
    assert backend.rows("SELECT count(*) FROM policy_versions") == [(1,)]
    assert store.get_policy("keep").document.text == "一、补助"


def test_nested_transaction_rolls_back_only_the_inner_part(store):
    with store.transaction():
        store.upsert_enterprises([profile("outer")])
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.upsert_enterprises([profile("inner")])
                raise RuntimeError("inner failure")
    assert store.get_enterprise("outer") is not None and store.get_enterprise("inner") is None


def test_enterprise_snapshots(store):
    assert store.upsert_enterprises([profile("e1"), profile("e2")]).inserted == 2
    first = store.enterprise_snapshot_id("e1")
    counts = store.upsert_enterprises([profile("e1"), profile("e2", revenue=2000)])
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 1)
    assert store.enterprise_snapshot_id("e1") == first  # unchanged: no new snapshot
    history = store.enterprise_history("e2")
    assert [h.profile.revenue for h in history] == [1000, 2000]
    assert store.get_enterprise("e2").revenue == 2000
    assert store.count_enterprises() == 2
    assert [p.id for p in store.iter_enterprises(batch_size=1)] == ["e1", "e2"]
    assert store.delete_enterprise("e1") and store.get_enterprise("e1") is None
    assert len(store.enterprise_history("e1")) == 1  # history outlives the enterprise
    with pytest.raises(TypeError):
        store.upsert_enterprises([{"id": "raw dict"}])


def test_feedback(store):
    feedback = store.add_feedback("e1", "tz-1#1", "applied", rating=5, comment="已申报")
    store.add_feedback("e1", "tz-1#2", "not_useful")
    assert [f.kind for f in store.iter_feedback()] == ["applied", "not_useful"]
    assert [f.item_id for f in store.iter_feedback(since=feedback.created_at)] == ["tz-1#2"]
    with pytest.raises(ValueError, match="feedback kind"):
        store.add_feedback("e1", "tz-1#1", "liked")
    with pytest.raises(ValueError, match="rating"):
        store.add_feedback("e1", "tz-1#1", "useful", rating=6)


def test_audit_log_is_append_only(store, backend):
    first = store.append_audit(AuditEvent("admin:k1", "policy.ingest", "tz-1", {"version": 1}))
    store.append_audit(AuditEvent("admin:k1", "enterprise.upsert", "e1"))
    assert first.id and first.at
    assert [e.action for e in store.query_audit()] == ["enterprise.upsert", "policy.ingest"]
    assert store.query_audit(target="tz-1")[0].details == {"version": 1}
    with pytest.raises(IntegrityError, match="append-only"):
        backend.raw_execute(store, "UPDATE audit_log SET actor = 'someone else'")
    with pytest.raises(IntegrityError, match="append-only"):
        backend.raw_execute(store, "DELETE FROM audit_log")
    assert len(store.query_audit()) == 2


def test_api_keys_are_stored_hashed(store, backend):
    key_id, secret = store.create_api_key("enterprise", "e1", label="甲公司")
    found = store.find_api_key(secret)
    assert (
        found is not None
        and found.key_id == key_id
        and found.role == "enterprise"
        and found.enterprise_id == "e1"
    )
    assert store.find_api_key(secret + "x") is None
    assert store.find_api_key("pk_unknown.whatever") is None
    assert store.find_api_key("") is None
    on_disk = backend.rows("SELECT * FROM api_keys")
    assert secret not in repr(on_disk) and secret.split(".", 1)[1] not in repr(on_disk)
    assert store.revoke_api_key(key_id) and store.find_api_key(secret) is None
    assert not store.revoke_api_key(key_id)
    with pytest.raises(ValueError, match="role"):
        store.create_api_key("root")
    with pytest.raises(ValueError, match="enterprise_id"):
        store.create_api_key("enterprise")


def test_many_threads_share_one_store(store, backend):
    store.upsert_policy(*policy())
    errors = []

    def work(worker: int) -> None:
        try:
            for n in range(20):
                store.upsert_enterprises([profile(f"w{worker}-{n}", revenue=n)])
                assert store.get_item("tz-1#1") is not None
                store.append_audit(AuditEvent(f"worker{worker}", "tick"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count_enterprises() == 120
    assert len(store.query_audit(action="tick", limit=1000)) == 120
    connections = list(store._connections)
    assert len(connections) == 7  # one per worker thread and one for this thread
    store.close()  # closes the workers' connections too
    for conn in connections:
        with pytest.raises(StoreError):
            conn.execute("SELECT 1")


def test_same_id_twice_in_one_upsert(store):
    counts = store.upsert_enterprises([profile("e1"), profile("e1", revenue=3000), profile("e2")])
    assert (counts.inserted, counts.updated, counts.unchanged) == (2, 1, 0)
    assert [s.profile.revenue for s in store.enterprise_history("e1")] == [1000, 3000]
    assert store.enterprise_snapshot_id("e1") == store.enterprise_history("e1")[-1].snapshot_id


V2_ENTRIES = {
    "conditions": [
        {"field": "revenue", "op": "gte", "value": 1000, "span": "营业收入1000万元以上"},
        {
            "any": [
                {"field": "invention_patents", "op": "gte", "value": 2, "span": "发明专利2件以上"},
                {
                    "all": [
                        {"field": "ip_count", "op": "gte", "value": 5, "span": "知识产权5项"},
                        {
                            "field": "tax_credit_grade",
                            "op": "in",
                            "value": ["A", "B"],
                            "span": "纳税信用B级以上",
                        },
                    ]
                },
            ],
            "span": "满足下列条件之一",
        },
        {
            "field": "qualifications",
            "op": "has",
            "value": "国家高新技术企业",
            "span": "优先",
            "role": "bonus",
        },
        NO_REAL_ESTATE,
    ],
    "tiers": [
        {
            "label": "国家级",
            "conditions": [{"field": "qualifications", "op": "has", "value": "国家级专精特新“小巨人”企业"}],
            "support": "奖励50万元",
            "amount": 50,
            "span": "国家级奖励50万元",
        },
        {
            "label": "设备投资",
            "conditions": [],
            "support": "按设备投资额的8%给予补助，最高不超过200万元",
            "amount": None,
            "formula": {"rate": 0.08, "base": "investment", "cap": 200},
            "span": "按设备投资额的8%",
        },
    ],
}


def test_v2_conditions_and_document_facts_round_trip(store, backend):
    from corpus.conditions import conditions_json, parse_conditions
    from corpus.schemas import validate_policy

    doc, items, extractions = policy()
    doc = validate_policy(
        {
            **doc.to_dict(),
            "is_policy": False,
            "doc_type": "result",
            "valid_from": "2024-01-01",
            "window": ["2024-03-01", "2024-04-30"],
            "fulfilment": "快申优享",
        }
    )
    items = [
        PolicyItem(**{**i.to_dict(), "heading_path": tuple(i.heading_path), **doc.facts()}) for i in items
    ]
    entries = parse_conditions(V2_ENTRIES, source="extracted")
    extractions[0] = type(extractions[0])(entries, {})
    store.upsert_policy(doc, items, extractions)
    got = store.item_conditions("tz-1#1")
    assert conditions_json(got) == conditions_json(entries)
    # An edit of a v2 set round-trips too, and follows its clause on a re-ingest.
    store.set_item_conditions("tz-1#2", parse_conditions(V2_ENTRIES))
    store.upsert_policy(doc, items, extractions)
    edited = store.item_conditions("tz-1#2")
    assert conditions_json(edited) == conditions_json(parse_conditions(V2_ENTRIES, source="edited"))
    stored = store.get_policy("tz-1")
    assert (stored.document.is_policy, stored.document.doc_type, stored.document.fulfilment) == (
        False,
        "result",
        "快申优享",
    )
    assert (stored.document.window_open, stored.document.window_close) == ("2024-03-01", "2024-04-30")
    item = store.get_item("tz-1#1")
    assert (item.is_policy, item.valid_from, item.window_open) == (False, "2024-01-01", "2024-03-01")
    assert [p.fulfilment for p in store.list_policies()] == ["快申优享"]
    # Readers of v1 see a row per entry: a group and a tier name themselves in field/op.
    assert sorted(
        r[0]
        for r in backend.rows("SELECT field FROM conditions WHERE item_id = 'tz-1#1' AND node IS NOT NULL")
    ) == ["any", "industry_code", "qualifications", "tier", "tier"]


def test_an_extraction_with_v2_entries_is_stored_as_them(store, monkeypatch):
    import corpus.store.policy_tables
    from corpus.conditions import Group, parse_conditions

    @dataclass(frozen=True)
    class WithEntries:
        conditions: tuple
        tags: dict
        entries: tuple

    doc, items, extractions = policy(n_items=1)
    leaf = extractions[0].conditions[0]
    group = Group("any", (leaf, Condition("employees", "gte", 10)), span="之一")
    # On by default (the entries serve the demo as well as v1 did): the v2 entries are stored.
    store.upsert_policy(doc, items, [WithEntries((leaf,), {}, (group,))])
    [stored] = store.item_conditions("tz-1#1")
    assert isinstance(stored, Group) and stored.members[0] == leaf
    # Switched off, the v1 conditions are stored.
    monkeypatch.setattr(corpus.store.policy_tables, "STORE_EXTRACTED_ENTRIES", False)
    store.upsert_policy(doc, items, [WithEntries((leaf,), {}, (group,))])
    assert store.item_conditions("tz-1#1") == [leaf]
    monkeypatch.setattr(corpus.store.policy_tables, "STORE_EXTRACTED_ENTRIES", True)
    # Entries read as none are what the v2 reading says (it drops on purpose what v1 reads, such as the
    # title an item is for becoming): nothing is stored, not the v1 leaves.
    store.upsert_policy(doc, items, [WithEntries((leaf,), {}, ())])
    assert store.item_conditions("tz-1#1") == []
    # An older extractor, with no entries at all, has its v1 conditions stored.
    store.upsert_policy(doc, items, extractions)
    assert store.item_conditions("tz-1#1") == list(extractions[0].conditions)
    assert parse_conditions([group.to_dict()]) == (group,)
