"""The events tables (migration 8) on both backends: fan-out, dedupe, leases, attempts, replay, cursors."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from corpus.store import NotFoundError, open_store
from corpus.store.base import utc_now

SECRET = "s" * 20


def test_event_fans_out_to_the_subscriptions_that_want_it(store):
    wants = store.create_subscription("http://a.example/h", ["policy.published"], SECRET, owner="k1")
    every = store.create_subscription("http://b.example/h", ["*"], SECRET, owner="k2")
    other = store.create_subscription("http://c.example/h", ["deadline.approaching"], SECRET)
    event = store.emit_event("policy.published", {"policy_id": "p1"}, subject="p1")
    assert event is not None and event.id.startswith("evt_") and event.payload == {"policy_id": "p1"}
    subs = {d.subscription_id for d in store.list_deliveries(event_id=event.id)}
    assert subs == {wants.id, every.id}
    assert other.id not in subs
    assert all(d.status == "pending" and d.attempts == 0 for d in store.list_deliveries())
    assert [d.subscription_id for d in store.list_deliveries(owner="k1")] == [wants.id]
    # The event itself is kept whoever wanted it, in order.
    second = store.emit_event("targets.ready", {"policy_id": "p1"}, subject="p1")
    assert [e.id for e in store.list_events()] == [second.id, event.id]
    assert [e.id for e in store.list_events(event_type="targets.ready")] == [second.id]
    assert [e.id for e in store.list_events(after_seq=event.seq, newest_first=False)] == [second.id]


def test_dedupe_key_writes_an_event_once(store):
    store.create_subscription("http://a.example/h", ["*"], SECRET)
    first = store.emit_event("deadline.approaching", {"n": 1}, dedupe_key="deadline:x#1:closes:2026-12-10:5")
    again = store.emit_event("deadline.approaching", {"n": 2}, dedupe_key="deadline:x#1:closes:2026-12-10:5")
    assert first is not None and again is None
    assert len(store.list_events()) == 1 and len(store.list_deliveries()) == 1


def test_a_failed_transaction_leaves_no_event_and_no_delivery(store):
    store.create_subscription("http://a.example/h", ["*"], SECRET)
    with pytest.raises(RuntimeError), store.transaction():
        store.emit_event("policy.changed", {"policy_id": "p"})
        raise RuntimeError("the write the event belongs to failed")
    assert store.list_events() == [] and store.list_deliveries() == []


def test_lease_lets_one_dispatcher_send_a_delivery(store, target):
    store.create_subscription("http://a.example/h", ["*"], SECRET)
    store.emit_event("ping", {})
    (due,) = store.due_deliveries(utc_now())
    other = open_store(target)  # a second process's connection
    try:
        wins = []
        barrier = threading.Barrier(2)

        def claim(s: Any) -> None:
            barrier.wait()
            wins.append(s.claim_delivery(due, "9999-01-01T00:00:00+00:00"))

        threads = [threading.Thread(target=claim, args=(s,)) for s in (store, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(wins) == [False, True]
    finally:
        other.close()
    assert store.due_deliveries(utc_now()) == []  # leased: not due until the lease ends


def test_attempts_are_logged_then_dead_lettered_and_replayed(store):
    sub = store.create_subscription("http://a.example/h", ["*"], SECRET)
    event = store.emit_event("ping", {}, subscription_id=sub.id)
    (d,) = store.list_deliveries()
    retry = "2000-01-01T00:00:00.000000+00:00"  # in the past: due again at once
    after = store.finish_attempt(
        d.id, status_code=503, error="HTTP 503", duration_ms=2.5, delivered=False, retry_at=retry
    )
    assert after.status == "retrying" and after.attempts == 1 and after.last_status == 503
    dead = store.finish_attempt(
        d.id, status_code=None, error="ConnectError", duration_ms=1.0, delivered=False, retry_at=None
    )
    assert dead.status == "dead" and dead.dead_at is not None and dead.attempts == 2
    assert store.due_deliveries(utc_now()) == []
    full = store.get_delivery(d.id)
    assert [(a.attempt, a.status_code, a.error) for a in full.history] == [
        (1, 503, "HTTP 503"),
        (2, None, "ConnectError"),
    ]
    assert store.replay_deliveries(status="dead") == 1
    replayed = store.get_delivery(d.id, history=False)
    assert replayed.status == "pending" and replayed.attempts_at_replay == 2 and replayed.dead_at is None
    ok = store.finish_attempt(d.id, status_code=200, error="", duration_ms=1.0, delivered=True, retry_at=None)
    assert ok.status == "delivered" and ok.attempts == 3
    assert store.delivered_at([event.id]) == {(event.id, sub.id): store.get_delivery(d.id).history[-1].at}
    assert store.count_deliveries() == {"delivered": 1}
    with pytest.raises(ValueError, match="name what to replay"):
        store.replay_deliveries()


def test_deleting_a_subscription_cancels_what_it_has_not_received(store):
    sub = store.create_subscription("http://a.example/h", ["*"], SECRET, owner="k")
    store.emit_event("ping", {})
    store.emit_event("ping", {})
    assert store.delete_subscription(sub.id) == 2
    assert store.delete_subscription(sub.id) is None
    assert {d.status for d in store.list_deliveries()} == {"cancelled"}
    assert store.replay_deliveries(subscription_id=sub.id) == 0  # cancelled stays cancelled
    assert store.list_subscriptions() == [] and store.list_subscriptions(include_deleted=True)[0].id == sub.id
    store.emit_event("ping", {})
    assert len(store.list_deliveries()) == 2  # a deleted subscription gets nothing new
    with pytest.raises(NotFoundError):
        store.emit_event("ping", {}, subscription_id=sub.id)


def test_cursor_and_announced_levels(store):
    assert store.event_cursor("events") is None
    store.set_event_cursor("events", 10)
    store.set_event_cursor("events", 12)
    assert store.event_cursor("events") == 12
    store.replace_match_levels(
        {("E1", "p_1#1"): "eligible", ("E2", "p_1#2"): "near_miss", ("E1", "p_10#1"): "eligible"}, item_ids=[]
    )
    # "p_1" is matched literally: p_10's items are not p_1's.
    assert store.announced_items("p_1") == ["p_1#1", "p_1#2"]
    assert store.match_levels(enterprise_id="E1") == {
        ("E1", "p_1#1"): "eligible",
        ("E1", "p_10#1"): "eligible",
    }
    store.replace_match_levels({("E1", "p_1#1"): "near_miss"}, item_ids=["p_1#1", "p_1#2"])
    assert store.match_levels(item_ids=["p_1#1", "p_1#2"]) == {("E1", "p_1#1"): "near_miss"}


def test_feed_producer_turns_writes_into_events_once(target, tmp_path, encoder):
    """Policy and enterprise writes (from any connection) become events; a second producer writes none again."""
    from store_records import profile

    from events.producers import FeedProducer
    from matcher.ingest import ingest_policies
    from matcher.service import Matcher

    store = open_store(target)
    writer = open_store(target)  # another process's connection writes
    try:
        store.create_subscription("http://a.example/h", ["*"], SECRET)
        matcher = Matcher.open(tmp_path / "data", store, encoder)
        producer = FeedProducer(store, matcher)
        assert producer.run() == 0 and store.event_cursor("events") == store.last_change_seq()
        record = {
            "id": "feed-1",
            "title": "椒江区研发补助",
            "text": "对营业收入超过1000万元的企业，给予研发补助10万元。",
            "region_code": "331002",
        }
        ingest_policies(writer, [record], strict=True, progress=False)
        writer.upsert_enterprises([profile("e-big", revenue=5000), profile("e-small", revenue=10)])
        written = producer.run()
        types = [(e.type, e.subject) for e in reversed(store.list_events())]
        assert types[:2] == [("policy.published", "feed-1"), ("targets.ready", "feed-1")]
        changed = [e for e in store.list_events(event_type="enterprise.matches_changed")]
        gained = {c["enterprise_id"]: c["new"] for e in changed for c in e.payload["changes"]}
        assert "e-big" in gained and {n["item_id"] for n in gained["e-big"]} == {"feed-1#1"}
        assert "e-small" not in gained or all(n["level"] == "near_miss" for n in gained["e-small"])
        assert written == len(store.list_events()) and store.event_cursor("events") == store.last_change_seq()
        # A second producer on the same store (another server) replays the same changes: nothing new is written.
        twin = FeedProducer(store, matcher)
        store.set_event_cursor("twin", 0)
        twin.cursor_name = "twin"
        before = len(store.list_events(limit=1000))
        twin.run()
        # Dedupe keys name the change (its seq), not the producer: the replay adds nothing.
        assert len(store.list_events(limit=1000)) == before
        # A re-ingest is a change, not a publication; deleting it says so too.
        ingest_policies(writer, [{**record, "title": "椒江区研发补助（修订）"}], strict=True, progress=False)
        writer.delete_policy("feed-1")
        producer.run()
        latest = store.list_events(event_type="policy.changed", subject="feed-1", limit=1)[0]
        assert latest.payload["action"] == "deleted"
        assert store.announced_items("feed-1") == []
        assert len(store.list_deliveries(limit=1000)) == len(store.list_events(limit=1000))
    finally:
        writer.close()
        store.close()


def test_two_dispatchers_claim_disjoint_batches(store, target):
    store.create_subscription("http://a.example/h", ["*"], SECRET)
    for n in range(40):
        store.emit_event("ping", {"n": n})
    other = open_store(target)
    try:
        got: dict[int, list[str]] = {}
        barrier = threading.Barrier(2)

        def claim(k: int, s: Any) -> None:
            barrier.wait()
            ids: list[str] = []
            while batch := s.claim_due(utc_now(), "9999-01-01T00:00:00+00:00", 7):
                ids += [d.id for d in batch]
            got[k] = ids

        threads = [threading.Thread(target=claim, args=(k, s)) for k, s in enumerate((store, other))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    assert not set(got[0]) & set(got[1])
    assert len(got[0]) + len(got[1]) == 40
