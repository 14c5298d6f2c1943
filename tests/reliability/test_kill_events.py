"""SIGKILL the process delivering webhooks: every event still reaches the receiver (at-least-once), none is lost.

The dispatcher is the real ``policymatch events dispatch --deliver-only`` (no model:
it starts in a second); the receiver is slow, so the kill lands with deliveries
leased and in flight. After a restart every event arrives; an event in flight at
the kill may arrive twice (the receiver dedupes on its id), never zero times.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from corpus.store import open_store
from events.dispatch import BATCH
from events.receiver import Receiver
from tests.reliability.helpers import REPO, cli_command, cli_env

SECRET = "kill-test-secret-0123456789"
N_EVENTS = 120


def _start(data_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = cli_env(data_dir, POLICYMATCH_WEBHOOK_TIMEOUT_S="1", POLICYMATCH_WEBHOOK_BACKOFF_S="0.2")
    with open(log, "ab") as out:
        return subprocess.Popen(
            cli_command("events", "dispatch", "--deliver-only"),
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_sigkill_mid_delivery_loses_no_event(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    store = open_store(data_dir / "policymatch.sqlite3")
    log = tmp_path / "dispatch.log"
    with Receiver(SECRET, delay_s=0.03) as receiver:
        store.create_subscription(receiver.url, ["*"], SECRET)
        emitted = [store.emit_event("ping", {"n": n}).id for n in range(N_EVENTS)]
        proc = _start(data_dir, log)
        try:
            assert receiver.wait_for(N_EVENTS // 4, timeout_s=60), log.read_text()
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            at_kill = len(receiver.received.first_at)
            assert at_kill < N_EVENTS, "the kill came too late to test anything"
            # Events written while no dispatcher runs wait in the outbox.
            emitted += [store.emit_event("ping", {"n": n}).id for n in range(N_EVENTS, N_EVENTS + 20)]
            proc = _start(data_dir, log)
            assert receiver.wait_for(len(emitted), timeout_s=90), log.read_text()
            # The dispatcher records a batch once all its answers are in: let it finish the last one.
            deadline = time.monotonic() + 30
            while store.count_deliveries() != {"delivered": len(emitted)} and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            proc.kill()
            proc.wait(timeout=10)
        got = receiver.received
        assert set(got.first_at) == set(emitted)
        assert got.bad_signatures == 0
        # Redelivered only what was in flight at the kill (a leased batch not yet recorded), not a replay of all.
        assert got.duplicates <= BATCH
    assert store.count_deliveries() == {"delivered": len(emitted)}
    store.close()
