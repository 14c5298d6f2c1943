"""``policymatch subscriptions …`` and ``policymatch events …`` on a real store, delivering to a real receiver."""

from __future__ import annotations

import json

import pytest

from api.cli import main
from api.settings import get_settings
from corpus.store import open_store
from events.receiver import Receiver

SECRET = "cli-test-secret-0123456789"


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("POLICYMATCH_WEBHOOK_BACKOFF_S", "0.05")
    monkeypatch.setenv("POLICYMATCH_WEBHOOK_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_subscribe_ping_dispatch_log_replay_from_the_cli(data_dir, capsys):
    with Receiver(SECRET) as receiver:
        assert (
            main(["subscriptions", "add", receiver.url, "--events", "ping,targets.ready", "--secret", SECRET])
            == 0
        )
        sub_id = next(
            line.split()[-1]
            for line in capsys.readouterr().out.splitlines()
            if line.startswith("subscription:")
        )
        assert main(["subscriptions", "add", receiver.url, "--events", "policy.deleted"]) == 2
        assert "unknown event type" in capsys.readouterr().err
        assert main(["subscriptions", "add", "ftp://x/h", "--events", "ping"]) == 2
        assert main(["subscriptions", "add", receiver.url, "--events", "ping", "--secret", "short"]) == 2
        capsys.readouterr()

        assert main(["subscriptions", "ping", sub_id]) == 0
        assert main(["events", "dispatch", "--once", "--deliver-only"]) == 0
        assert "1 delivered" in capsys.readouterr().out
        assert len(receiver.received.first_at) == 1

        assert main(["events", "deliveries", "--json"]) == 0
        (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert row["status"] == "delivered" and row["subscription_id"] == sub_id

        receiver.status = 500  # the receiver breaks: one attempt (the limit here), then the dead-letter
        assert main(["subscriptions", "ping", sub_id]) == 0
        assert main(["events", "dispatch", "--once", "--deliver-only"]) == 0
        assert "1 dead-lettered" in capsys.readouterr().out
        assert main(["events", "deliveries", "--status", "dead"]) == 0
        assert "HTTP 500" in capsys.readouterr().out

        receiver.status = 204
        assert main(["events", "replay", "--dead"]) == 0
        assert "queued 1" in capsys.readouterr().out
        assert main(["events", "dispatch", "--once", "--deliver-only"]) == 0
        assert len(receiver.received.first_at) == 2
        assert main(["events", "replay"]) == 2  # names nothing

        assert main(["events", "list", "--type", "ping"]) == 0
        assert capsys.readouterr().out.count("ping") >= 2
        assert main(["subscriptions", "delete", sub_id]) == 0
        assert main(["subscriptions", "delete", sub_id]) == 2
        assert main(["events", "timeline"]) == 0
        assert "no published items" in capsys.readouterr().out
    store = open_store(get_settings().store_path)
    actions = {e.action for e in store.query_audit(limit=50)}
    store.close()
    assert {"subscription.create", "subscription.delete", "deliveries.replay"} <= actions
