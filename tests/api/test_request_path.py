"""The 智能匹配 request path's shortcuts (issue 19): the key checked from memory, the audit row awaited in the loop.

A key the key ring remembers is answered without the store (so in the event loop), anything
else reads the store as before; an audit row awaited with ``AuditWriter.commit`` is
committed when the await returns, whatever else is in flight, and is never lost.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from api_helpers import auth

from api.audit import AuditWriter
from api.errors import ApiError
from api.security import KeyRing, NeedsStore
from corpus.store import AuditEvent, open_store


class CountingStore:
    """A real store that counts the key ring's reads of it."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.reads = 0

    def list_api_keys(self) -> Any:
        self.reads += 1
        return self.store.list_api_keys()

    def find_api_key(self, secret: str) -> Any:
        self.reads += 1
        return self.store.find_api_key(secret)


def test_a_remembered_key_is_answered_from_memory_and_anything_else_asks_for_the_store(tmp_path):
    store = open_store(tmp_path / "keys.sqlite3")
    try:
        counting = CountingStore(store)
        ring = KeyRing(counting, recheck_seconds=60)
        with pytest.raises(NeedsStore):  # nothing read yet: whether keys exist needs the store
            ring.authenticate(None, "127.0.0.1", memory_only=True)
        assert counting.reads == 0
        # Open service (no key yet): the loopback caller is the open admin, from memory once read.
        assert ring.authenticate(None, "127.0.0.1").open
        reads = counting.reads
        assert ring.authenticate(None, "127.0.0.1", memory_only=True).open
        with pytest.raises(ApiError) as off_loopback:
            ring.authenticate(None, "10.0.0.9", memory_only=True)
        assert off_loopback.value.code == "open_loopback_only"
        assert counting.reads == reads

        key_id, secret = store.create_api_key("enterprise", "E001", "t")
        ring.forget()
        with pytest.raises(NeedsStore):
            ring.authenticate(secret, "127.0.0.1", memory_only=True)
        principal = ring.authenticate(secret, "127.0.0.1")
        reads = counting.reads
        assert ring.authenticate(secret, "127.0.0.1", memory_only=True) == principal
        assert principal.key_id == key_id and principal.enterprise_id == "E001"
        with pytest.raises(ApiError) as missing:  # closed service, no key: 401 without a read
            ring.authenticate(None, "127.0.0.1", memory_only=True)
        assert missing.value.status == 401
        assert counting.reads == reads
        with pytest.raises(NeedsStore):  # an unknown key is never remembered: always the store
            ring.authenticate(secret + "x", "127.0.0.1", memory_only=True)
        with pytest.raises(ApiError) as unknown:
            ring.authenticate(secret + "x", "127.0.0.1")
        assert unknown.value.status == 401
    finally:
        store.close()


def test_keys_over_http_from_memory_and_from_the_store_give_the_same_answers(client, keys, services):
    services.keyring.forget()  # the first request of each key reads the store (a worker thread), the next do not
    for _ in range(2):
        own = client.post("/v1/match", json={"enterprise_id": "E001"}, headers=auth(keys["enterprise"]))
        assert own.status_code == 200, own.text
        other = client.post("/v1/match", json={"enterprise_id": "E002"}, headers=auth(keys["enterprise"]))
        assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden_enterprise"
        unknown = client.post("/v1/match", json={"enterprise_id": "E001"}, headers=auth("pk_0.nope"))
        assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "unauthorized"
        missing = client.post("/v1/match", json={"enterprise_id": "E001"})
        assert missing.status_code == 401


def test_an_awaited_audit_row_is_committed_when_the_await_returns(tmp_path):
    store = open_store(tmp_path / "audit.sqlite3")
    writer = AuditWriter(store)
    try:

        async def one(n: int) -> int:
            await writer.commit(AuditEvent(actor="k", action="match", target=f"E{n}"))
            # Answered means committed: this connection's read sees the row.
            return len(store.query_audit(action="match", target=f"E{n}"))

        async def burst() -> list[int]:
            return await asyncio.gather(*(one(n) for n in range(200)))

        assert asyncio.run(burst()) == [1] * 200
        assert writer.rows == 200 and 1 <= writer.batches <= 200
        writer.close()

        async def after_close() -> None:
            await writer.commit(AuditEvent(actor="k", action="match", target="after-close"))

        asyncio.run(after_close())  # written directly, in a worker thread
        assert len(store.query_audit(action="match", limit=1000)) == 201
    finally:
        writer.close()
        store.close()


def test_an_awaited_row_that_fails_raises_in_its_caller_and_a_cancelled_wait_loses_nothing(tmp_path):
    store = open_store(tmp_path / "audit.sqlite3")

    class Refusing:
        """The real store, refusing rows whose target says so (as a full disk would refuse them)."""

        def transaction(self) -> Any:
            return store.transaction()

        def append_audit(self, event: AuditEvent) -> Any:
            if event.target.startswith("bad"):
                raise OSError("disk full")
            return store.append_audit(event)

    writer = AuditWriter(Refusing())
    try:

        async def run() -> list[Any]:
            waits = [
                writer.commit(AuditEvent(actor="k", action="match", target=t)) for t in ("a", "bad", "b")
            ]
            results = await asyncio.gather(*waits, return_exceptions=True)
            cancelled = asyncio.ensure_future(
                writer.commit(AuditEvent(actor="k", action="match", target="c"))
            )
            await asyncio.sleep(0)  # queued
            cancelled.cancel()
            with pytest.raises(asyncio.CancelledError):
                await cancelled
            await writer.commit(
                AuditEvent(actor="k", action="match", target="d")
            )  # the writer is still alive
            return results

        results = asyncio.run(run())
        assert results[0] is None and results[2] is None
        assert isinstance(results[1], OSError)
        writer.close()
        assert sorted(e.target for e in store.query_audit(action="match")) == ["a", "b", "c", "d"]
    finally:
        writer.close()
        store.close()


def test_a_match_is_answered_once_its_row_is_committed_and_a_row_that_fails_fails_the_answer(services, keys):
    from fastapi.testclient import TestClient

    from api.app import create_app

    writer = services.audit_writer
    real = writer.store

    class Refusing:
        """The real store, refusing the match rows of E005 (as a full disk would refuse them)."""

        def transaction(self) -> Any:
            return real.transaction()

        def append_audit(self, event: AuditEvent) -> Any:
            if event.action == "match" and event.target == "E005":
                raise OSError("disk full")
            return real.append_audit(event)

    def rows(target: str) -> int:
        return len(real.query_audit(action="match", target=target, limit=100000))

    admin = auth(keys["admin"])
    writer.store = Refusing()
    try:
        app = create_app(services.settings, services)
        with TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 50000)) as client:
            before_ok, before_failed = rows("E004"), rows("E005")
            for _ in range(3):  # first computed, then cached: each answer after its own committed row
                ok = client.post("/v1/match", json={"enterprise_id": "E004"}, headers=admin)
                assert ok.status_code == 200, ok.text
                assert rows("E004") == before_ok + 1
                before_ok += 1
            failed = client.post("/v1/match", json={"enterprise_id": "E005"}, headers=admin)
            assert failed.status_code == 500 and failed.json()["error"]["code"] == "internal_error"
            assert rows("E005") == before_failed
            missing = client.post("/v1/match", json={"enterprise_id": "NO-SUCH"}, headers=admin)
            assert missing.status_code == 404  # raised in the matching thread, answered by the request
            assert app.state.match_pool.threads == 1
    finally:
        writer.store = real


def test_a_row_handed_on_is_notified_once_committed_and_after_close_written_directly(tmp_path):
    import threading

    store = open_store(tmp_path / "audit.sqlite3")
    writer = AuditWriter(store)
    try:
        told: list[tuple[str, BaseException | None, int]] = []
        done = threading.Event()

        def notify(target: str, error: BaseException | None) -> None:
            # Called once the row is committed: the store already holds it.
            told.append((target, error, len(store.query_audit(action="match", target=target))))
            if len(told) == 2:
                done.set()

        writer.submit(AuditEvent(actor="k", action="match", target="queued"), lambda e: notify("queued", e))
        writer.close()
        writer.submit(AuditEvent(actor="k", action="match", target="direct"), lambda e: notify("direct", e))
        assert done.wait(10)
        assert told == [("queued", None, 1), ("direct", None, 1)]
    finally:
        writer.close()
        store.close()
