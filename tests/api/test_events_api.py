"""Webhooks on the real app: subscriptions by role, ping, the delivery log, replay, events from the real matcher, timeline."""

from __future__ import annotations

import datetime as dt
import time

from api_helpers import assert_error, auth

from events.dispatch import DeliveryPolicy, Dispatcher
from events.producers import Announcer, DeadlineProducer, Plan
from events.receiver import Receiver

SECRET = "api-test-secret-0123456789"


def dispatcher_for(services):
    """A dispatcher attached to the services, as `policymatch serve` attaches one (fast retries)."""
    policy = DeliveryPolicy(backoff_base_s=0.05, backoff_max_s=0.2, timeout_s=2.0, lease_s=3.0)
    services.dispatcher = Dispatcher(services.store, policy=policy, interval_s=0.05).start()
    return services.dispatcher


def test_subscriptions_by_role_and_validation(client, keys):
    push, admin = auth(keys["push"]), auth(keys["admin"])
    made = client.post(
        "/v1/subscriptions", json={"url": "https://push.example/hook", "events": ["*"]}, headers=push
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["id"].startswith("sub_") and len(body["secret"]) >= 16  # made for the caller, shown once
    given = client.post(
        "/v1/subscriptions",
        json={"url": "http://admin.example/h", "events": ["targets.ready"], "secret": SECRET},
        headers=admin,
    )
    assert given.status_code == 201 and "secret" not in given.json()
    # A push key lists its own; an admin all; nobody sees a secret.
    own = client.get("/v1/subscriptions", headers=push).json()
    assert [s["id"] for s in own["data"]] == [body["id"]] and "targets.ready" in own["event_types"]
    every = client.get("/v1/subscriptions", headers=admin).json()["data"]
    assert {s["id"] for s in every} >= {body["id"], given.json()["id"]}
    assert all("secret" not in s for s in every)
    assert_error(client.get(f"/v1/subscriptions/{given.json()['id']}", headers=push), 404, "not_found")
    for bad, field in (
        ({"url": "ftp://x.example/h", "events": ["*"]}, "url"),
        ({"url": "http://x.example/h", "events": ["policy.deleted"]}, "events"),
        ({"url": "http://x.example/h", "events": ["*"], "secret": "short"}, "secret"),
    ):
        error = assert_error(client.post("/v1/subscriptions", json=bad, headers=push), 422)
        assert field in error["message"]
    for role in ("enterprise", "analyst"):
        assert_error(
            client.post(
                "/v1/subscriptions",
                json={"url": "http://x.example/h", "events": ["*"]},
                headers=auth(keys[role]),
            ),
            403,
            "forbidden",
        )
    gone = client.delete(f"/v1/subscriptions/{body['id']}", headers=push)
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    assert_error(client.delete(f"/v1/subscriptions/{body['id']}", headers=push), 404)
    client.delete(f"/v1/subscriptions/{given.json()['id']}", headers=admin)


def test_ping_delivery_log_and_replay(client, keys, services):
    push = auth(keys["push"])
    with Receiver(SECRET) as receiver:
        sub = client.post(
            "/v1/subscriptions",
            json={"url": receiver.url, "events": ["ping"], "secret": SECRET},
            headers=push,
        ).json()
        dispatcher = dispatcher_for(services)
        try:
            ping = client.post(f"/v1/subscriptions/{sub['id']}/ping", headers=push)
            assert ping.status_code == 202
            event_id = ping.json()["event"]["id"]
            assert receiver.wait_for(1, timeout_s=10)
            assert set(receiver.received.first_at) == {event_id}
            # The dispatcher records the delivery once the receiver's answer is back, just after it arrived.
            deadline = dt.datetime.now() + dt.timedelta(seconds=10)
            while True:
                log = client.get("/v1/deliveries", params={"subscription_id": sub["id"]}, headers=push).json()
                (row,) = log["data"]
                if row["status"] != "pending" or dt.datetime.now() > deadline:
                    break
                time.sleep(0.02)
            assert row["status"] == "delivered" and row["event_id"] == event_id and row["attempts"] == 1
            detail = client.get(f"/v1/deliveries/{row['id']}", headers=push).json()
            assert detail["history"][0]["status_code"] == 204
            assert client.get(f"/v1/events/{event_id}", headers=push).json()["type"] == "ping"
            # Replay sends the same event again (same id: the receiver counts a duplicate).
            again = client.post(f"/v1/deliveries/{row['id']}/replay", headers=push)
            assert again.status_code == 202 and again.json()["replayed"] == 1
            deadline = dt.datetime.now() + dt.timedelta(seconds=10)
            while receiver.received.duplicates < 1 and dt.datetime.now() < deadline:
                time.sleep(0.02)
            assert receiver.received.duplicates == 1
            assert_error(client.get("/v1/deliveries", params={"status": "lost"}, headers=push), 422)
            assert_error(client.post("/v1/deliveries/replay", json={}, headers=push), 422)
            assert_error(client.get("/v1/deliveries/dlv_nope", headers=push), 404)
        finally:
            dispatcher.stop()
            services.dispatcher = None
            client.delete(f"/v1/subscriptions/{sub['id']}", headers=push)
    actions = [
        r["action"]
        for r in client.get("/v1/audit", params={"limit": 200}, headers=auth(keys["analyst"])).json()["data"]
    ]
    assert "subscription.create" in actions and "deliveries.replay" in actions


def test_policy_events_from_the_real_matcher_and_the_timeline(client, keys, services):
    """targets.ready carries the counts of the target list; matches_changed names who gained; timeline follows."""
    push = auth(keys["push"])
    store, matcher = services.store, services.matcher
    with Receiver(SECRET) as receiver:
        sub = client.post(
            "/v1/subscriptions",
            json={
                "url": receiver.url,
                "events": ["policy.published", "targets.ready", "enterprise.matches_changed"],
                "secret": SECRET,
            },
            headers=push,
        ).json()
        plan = Plan()
        Announcer(store, matcher).policy("jj-2024-01", "test:1", plan)
        with store.transaction():
            written = plan.write(store)
        types = [e.type for e in plan.events]
        assert types[:2] == ["policy.published", "targets.ready"] and written == len(plan.events)
        ready = plan.events[1].payload
        for entry in ready["items"]:
            expected = matcher.target_order("jj-2024-01", entry["item_id"]).counts()
            assert entry["counts"] == expected
        gained = [c for e in plan.events[2:] for c in e.payload["changes"]]
        eligible = {
            (matcher.columns.ids[r], entry["item_id"])
            for entry in ready["items"]
            for r, lvl in zip(
                matcher.target_order(
                    "jj-2024-01", entry["item_id"], ("eligible",), include_excluded=False
                ).rows.tolist(),
                matcher.target_order(
                    "jj-2024-01", entry["item_id"], ("eligible",), include_excluded=False
                ).level.tolist(),
                strict=True,
            )
        }
        announced = {
            (c["enterprise_id"], n["item_id"]) for c in gained for n in c["new"] if n["level"] == "eligible"
        }
        assert announced == eligible
        # Announcing the same state again: published once, nothing new for any enterprise.
        again = Plan()
        Announcer(store, matcher).policy("jj-2024-01", "test:2", again)
        assert [e.type for e in again.events] == ["policy.changed", "targets.ready"]
        dispatcher = dispatcher_for(services)
        try:
            assert receiver.wait_for(len(plan.events), timeout_s=15)
        finally:
            dispatcher.stop()
            services.dispatcher = None
        timeline = client.get(
            "/v1/push/timeline", params={"policy_id": "jj-2024-01", "clock": "ingested"}, headers=push
        ).json()
        rows = timeline["data"]
        assert {r["item_id"] for r in rows} == {e["item_id"] for e in ready["items"]}
        for r in rows:
            assert r["targets_ready_at"] and r["status"] == "on_time" and r["clock"] == "ingested"
            (ack,) = r["subscribers"]
            assert ack["subscription_id"] == sub["id"] and ack["on_time"] and ack["working_days"] <= 5
        # Against the 发布 date (2024-03-01) the same pushes are late.
        late = client.get("/v1/push/timeline", params={"policy_id": "jj-2024-01"}, headers=push).json()
        assert late["summary"] == {"late": len(rows)}
        client.delete(f"/v1/subscriptions/{sub['id']}", headers=push)


def test_deadline_reminders_count_working_days_once(services):
    store = services.store
    from corpus.schemas import PolicyItem, item_id, validate_policy

    doc = validate_policy({"id": "dl-1", "title": "申报通知", "text": "一、申报。", "region_code": "331002"})
    item = PolicyItem(
        item_id("dl-1", 1),
        "dl-1",
        1,
        ("一、",),
        "申报",
        "一、申报。",
        "331002",
        window_open="2025-09-29",
        window_close="2025-10-10",
    )
    store.upsert_policy(doc, [item])
    producer = DeadlineProducer(store, thresholds=(5, 1), every_s=0)
    # 2025-09-26 (Fri): opens Mon 29 Sep = 1 working day (the make-up Sunday 28th is one too: 2);
    # closes Fri 10 Oct: 29, 30 Sep, 9, 10 Oct and the make-up Saturday 11th is after → 5 (with the 28th: 5).
    assert producer.scan(dt.date(2025, 9, 26)) == 2
    events = {
        e.payload["edge"]: e.payload
        for e in store.list_events(event_type="deadline.approaching", subject=item.id)
    }
    assert events["opens"]["working_days"] == 2 and events["opens"]["threshold"] == 5
    assert events["closes"]["working_days"] == 5 and events["closes"]["calendar"] == "official"
    assert producer.scan(dt.date(2025, 9, 26)) == 0  # once per edge and threshold
    assert (
        producer.scan(dt.date(2025, 9, 30)) == 0
    )  # closes in 2 working days (9, 10 Oct): still the 5 reminder
    assert producer.scan(dt.date(2025, 10, 9)) == 1  # 1 working day left: the last reminder
    assert producer.scan(dt.date(2025, 10, 11)) == 0  # past: nothing
    store.delete_policy("dl-1")


def test_writes_from_any_process_become_events(client, keys, services, tmp_path):
    """The feed producer: an HTTP write and a CLI write in another process both reach the subscriber."""
    import json
    import time

    from events.runtime import start_for_services
    from tests.reliability.helpers import run_cli

    admin = auth(keys["admin"])
    with Receiver(SECRET) as receiver:
        client.post(
            "/v1/subscriptions", json={"url": receiver.url, "events": ["*"], "secret": SECRET}, headers=admin
        )
        dispatcher = start_for_services(services, interval_s=0.1)
        try:
            dispatcher.run_once()  # the first round starts the cursor at the end of the feed
            body = {
                "id": "ev-http-1",
                "title": "椒江区科技型企业研发补助",
                "text": "对营业收入超过1000万元的科技型中小企业，给予研发补助10万元。",
                "region_code": "331002",
                "issued": "2024-07-01",
            }
            assert client.post("/v1/policies", json=body, headers=admin).status_code == 201
            # Another process writes: a policy and an enterprise, through the CLI.
            policy_file = tmp_path / "p.jsonl"
            policy_file.write_text(
                json.dumps({**body, "id": "ev-cli-1"}, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            profile = {
                "id": "E-CLI",
                "name": "台州事件测试科技有限公司",
                "region_code": "331002",
                "industry_code": "C3670",
                "employees": 80,
                "revenue": 5000.0,
                "qualifications": ["科技型中小企业"],
            }
            enterprise_file = tmp_path / "e.jsonl"
            enterprise_file.write_text(json.dumps(profile, ensure_ascii=False) + "\n", encoding="utf-8")
            for kind, path in (("policies", policy_file), ("enterprises", enterprise_file)):
                done = run_cli(services.settings.data_dir, "ingest", kind, str(path), "--quiet", timeout=300)
                assert done.returncode == 0, done.stderr
            deadline = time.monotonic() + 60

            def seen():
                return {(b["type"], b["subject"]) for b in receiver.received.bodies.values()}

            wanted = {
                ("policy.published", "ev-http-1"),
                ("targets.ready", "ev-http-1"),
                ("policy.published", "ev-cli-1"),
                ("targets.ready", "ev-cli-1"),
            }
            while not (
                wanted <= seen()
                and any(t == "enterprise.matches_changed" and s == "E-CLI" for t, s in seen())
            ):
                assert time.monotonic() < deadline, (
                    f"missing: {wanted - seen()}; dispatcher: {dispatcher.last_error}"
                )
                time.sleep(0.1)
        finally:
            dispatcher.stop()
            services.dispatcher = None
    bodies = list(receiver.received.bodies.values())
    cli_ready = next(b for b in bodies if b["type"] == "targets.ready" and b["subject"] == "ev-cli-1")
    assert cli_ready["data"]["items"] and all("counts" in i for i in cli_ready["data"]["items"])
    gained = next(b for b in bodies if b["type"] == "enterprise.matches_changed" and b["subject"] == "E-CLI")
    (change,) = gained["data"]["changes"]
    assert change["enterprise_id"] == "E-CLI" and change["new"]
    # Each event arrived once (the receiver dedupes; nothing was produced twice either).
    assert len({(b["type"], b["subject"], json.dumps(b["data"], sort_keys=True)) for b in bodies}) == len(
        bodies
    )
    assert services.store.event_cursor("events") == services.store.last_change_seq()


def test_a_change_that_always_fails_is_isolated_and_skipped(services):
    """One poisonous change must not hold back the events of every change after it."""
    from events.producers import MAX_FAILURES, FeedProducer
    from matcher.ingest import ingest_policies

    store = services.store

    def apply(changes):
        if any(c.key == "poison-1" for c in changes):
            raise RuntimeError("this change cannot be applied")
        services.catch_up()

    producer = FeedProducer(store, services.matcher, cursor_name="poison-test", apply=apply)
    assert producer.run() == 0  # places the cursor
    texts = {
        "good-a": "对营业收入超过500万元的企业，奖励5万元。",
        "poison-1": "对纳税超过100万元的企业，奖励3万元。",
    }
    texts["good-b"] = "对从业人员超过100人的企业，奖励2万元。"
    for policy_id, text in texts.items():
        record = {"id": policy_id, "title": f"{policy_id} 奖励", "text": text, "region_code": "331002"}
        ingest_policies(store, [record], strict=True, progress=False)
    failures = 0
    for _ in range(4 * MAX_FAILURES):
        try:
            producer.run()
        except RuntimeError:
            failures += 1
        if store.event_cursor("poison-test") == store.last_change_seq():
            break
    assert store.event_cursor("poison-test") == store.last_change_seq()
    assert failures == 2 * MAX_FAILURES - 1  # the batch, then the change alone (its last failure skips it)
    published = {e.subject for e in store.list_events(event_type="policy.published", limit=100)}
    assert {"good-a", "good-b"} <= published and "poison-1" not in published
    for policy_id in texts:
        store.delete_policy(policy_id)
    services.catch_up()


def test_readiness_reports_the_dispatcher(client, services):
    assert client.get("/readyz").json()["events"] is None
    dispatcher = dispatcher_for(services)
    try:
        status = client.get("/readyz").json()["events"]
        assert status["running"] is True and status["errors"] == 0
    finally:
        dispatcher.stop()
        services.dispatcher = None
