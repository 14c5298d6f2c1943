"""The dispatcher against a real loopback receiver: signed bodies, retries with backoff, dead-letter, replay."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from corpus.store import open_store
from events.dispatch import DeliveryPolicy, Dispatcher, event_body
from events.receiver import Receiver
from events.signing import sign

SECRET = "receiver-secret-0123456789"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    """An empty SQLite store."""
    opened = open_store(tmp_path / "store.sqlite3")
    yield opened
    opened.close()


@contextmanager
def stopped_after(dispatcher: Dispatcher) -> Iterator[Dispatcher]:
    """The dispatcher, stopped when the block ends (whatever happens in it)."""
    try:
        yield dispatcher
    finally:
        dispatcher.stop()


def fast(**kw: Any) -> DeliveryPolicy:
    """A policy whose backoff is short enough to watch in a test."""
    return DeliveryPolicy(
        **{"backoff_base_s": 0.05, "backoff_max_s": 0.2, "timeout_s": 2.0, "lease_s": 3.0, **kw}
    )


def test_every_delivery_is_signed_and_carries_the_event_id(store):
    with Receiver(SECRET) as receiver:
        sub = store.create_subscription(receiver.url, ["*"], SECRET)
        events = [
            store.emit_event("policy.published", {"policy_id": f"p{n}", "标题": "惠企"}, subject=f"p{n}")
            for n in range(5)
        ]
        with stopped_after(Dispatcher(store, policy=fast())) as dispatcher:
            done = dispatcher.drain(timeout_s=20)
        assert done.delivered == 5 and done.failed == 0
        got = receiver.received
        assert got.bad_signatures == 0 and got.duplicates == 0
        assert set(got.first_at) == {e.id for e in events}
        for event in events:
            # The receiver verified the signature over exactly these bytes; the body is the event's envelope.
            assert got.bodies[event.id] == json.loads(event_body(event.envelope()))
            assert got.bodies[event.id]["data"]["标题"] == "惠企"
        assert {d.status for d in store.list_deliveries(subscription_id=sub.id)} == {"delivered"}
        (one,) = store.list_deliveries(event_id=events[0].id)
        assert [a.status_code for a in store.get_delivery(one.id).history] == [204]


def test_a_wrong_secret_is_refused_by_the_receiver_and_retried(store):
    with Receiver(SECRET) as receiver:
        store.create_subscription(receiver.url, ["ping"], "another-secret-0123456789")
        store.emit_event("ping", {})
        with stopped_after(Dispatcher(store, policy=fast(max_attempts=2))) as dispatcher:
            dispatcher.drain(timeout_s=5)
            time.sleep(0.3)
            dispatcher.drain(timeout_s=5)
        assert receiver.received.bad_signatures == 2 and not receiver.received.first_at
        (dead,) = store.list_deliveries(status="dead")
        assert dead.last_status == 401


def test_failures_are_retried_with_growing_backoff_then_delivered(store):
    with Receiver(SECRET, fail_first=3) as receiver:
        store.create_subscription(receiver.url, ["*"], SECRET)
        event = store.emit_event("targets.ready", {"policy_id": "p"})
        with stopped_after(Dispatcher(store, policy=fast(max_attempts=5), interval_s=0.02).start()):
            assert receiver.wait_for(1, timeout_s=20)
        (d,) = store.list_deliveries(event_id=event.id)
        d = store.get_delivery(d.id)
        assert d.status == "delivered" and d.attempts == 4
        assert [a.status_code for a in d.history] == [503, 503, 503, 204]
        gaps = [(_t(b.at) - _t(a.at)) for a, b in zip(d.history, d.history[1:], strict=False)]
        # Backoff 0.05 · 2^(n-1) ± 20 %, capped at 0.2 s: each wait at least the jittered base.
        assert gaps[0] >= 0.04 and gaps[1] >= 0.08 and gaps[2] >= 0.16


def test_dead_letter_after_the_limit_and_replay_delivers(store):
    with Receiver(SECRET, status=500) as receiver:
        store.create_subscription(receiver.url, ["*"], SECRET)
        event = store.emit_event("policy.changed", {"policy_id": "p"})
        with stopped_after(
            Dispatcher(store, policy=fast(max_attempts=3), interval_s=0.02).start()
        ) as dispatcher:
            deadline = time.monotonic() + 20
            while not store.list_deliveries(status="dead") and time.monotonic() < deadline:
                time.sleep(0.05)
            (dead,) = store.list_deliveries(status="dead")
            assert dead.attempts == 3 and dead.last_status == 500 and "HTTP 500" in dead.last_error
            assert receiver.received.posts == 3 and not receiver.received.first_at
            receiver.status = 200  # the receiver is fixed: replay the dead-letter queue
            assert store.replay_deliveries(status="dead") == 1
            dispatcher.wake()
            assert receiver.wait_for(1, timeout_s=10)
        (d,) = store.list_deliveries(event_id=event.id)
        assert d.status == "delivered" and d.attempts == 4


def test_an_unreachable_receiver_is_retried_not_fatal(store):
    with Receiver(SECRET) as receiver:
        url = receiver.url
    # The receiver is gone: connection refused.
    store.create_subscription(url, ["*"], SECRET)
    store.emit_event("ping", {})
    with stopped_after(Dispatcher(store, policy=fast(max_attempts=2))) as dispatcher:
        first = dispatcher.drain(timeout_s=5)
    assert first.failed == 1 and dispatcher.errors == 0
    (d,) = store.list_deliveries()
    assert d.status == "retrying" and d.last_status is None and "ConnectError" in d.last_error


def test_the_signature_header_matches_sign_of_the_body(store):
    # What a receiver in another language checks: sha256= + hex HMAC of the raw bytes.
    body = event_body({"id": "evt_x", "type": "ping", "data": {}})
    assert sign(body, SECRET).startswith("sha256=") and len(sign(body, SECRET)) == 7 + 64


def _t(at: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(at).timestamp()
