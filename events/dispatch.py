"""Delivering events: signed POSTs with retries, exponential backoff and a dead-letter, in a background thread.

:class:`Dispatcher` is what a serving process (``policymatch serve``) and
``policymatch events dispatch`` run: every ``interval_s`` it lets each producer
write its events to the outbox, then sends the deliveries that are due, a few at
once. Each delivery is leased before it is sent (its ``next_attempt_at`` moves
``lease_s`` ahead), so several dispatchers on one store share the work, and one
killed mid-send only delays that delivery by the lease: the next dispatcher sends
it again, and the receiver dedupes on the event id (at-least-once).

A delivery is acknowledged by any 2xx answer. Anything else (another status, a
timeout, a refused connection) is retried after ``backoff_base_s · 2^(n-1)``
(±20 % jitter, at most ``backoff_max_s``), and dead-lettered after
``max_attempts``; ``replay`` queues it again with a fresh budget.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from corpus.store.event_records import AttemptRecord
from events.signing import (
    ATTEMPT_HEADER,
    DELIVERY_ID_HEADER,
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    sign,
)

log = logging.getLogger("policymatch.events")
USER_AGENT = "policymatch-webhooks/1"
#: Deliveries leased, sent and recorded together. Bigger costs fewer store writes per event; a kill
#: mid-batch re-sends at most this many (their answers were not recorded yet; receivers dedupe).
BATCH = 16


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard to try: attempts before the dead-letter, the backoff between them, the timeout of one POST."""

    max_attempts: int = 8
    backoff_base_s: float = 2.0
    backoff_max_s: float = 3600.0
    timeout_s: float = 5.0
    # A leased delivery whose dispatcher died is sent again after this long: the timeout and a margin.
    lease_s: float = 7.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.backoff_base_s <= 0 or self.backoff_max_s < self.backoff_base_s:
            raise ValueError("backoff_base_s must be positive and at most backoff_max_s")
        if self.timeout_s <= 0 or self.lease_s <= self.timeout_s:
            raise ValueError("timeout_s must be positive and lease_s longer than timeout_s")

    def backoff_s(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1 = the first), with ±20 % jitter."""
        base = min(self.backoff_max_s, self.backoff_base_s * 2 ** max(0, attempt - 1))
        return base * (0.8 + 0.4 * (rng or random).random())


def iso(at: dt.datetime) -> str:
    """Format a time as the store does (:func:`corpus.store.base.utc_now`): sortable as text."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def now_utc() -> dt.datetime:
    """Return the current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def event_body(envelope: dict[str, Any]) -> bytes:
    """Return the exact bytes POSTed (and signed): compact JSON, UTF-8, keys sorted."""
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


class Sender:
    """POSTs one delivery's event, signed; says what came of it (the dispatcher records a batch at once)."""

    def __init__(self, policy: DeliveryPolicy, client: Any | None = None) -> None:
        import httpx

        self.policy = policy
        self._own_client = client is None
        self.client = client or httpx.Client(
            timeout=policy.timeout_s, follow_redirects=False, headers={"User-Agent": USER_AGENT}
        )
        self._rng = random.Random()

    def send(self, delivery: Any, event: Any, sub: Any) -> AttemptRecord:
        """POST ``event`` to ``sub``'s URL; return the attempt to record (with its retry time, or dead)."""
        import httpx

        body = event_body(event.envelope())
        attempt = delivery.attempts + 1
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(body, sub.secret),
            EVENT_ID_HEADER: event.id,
            EVENT_TYPE_HEADER: event.type,
            DELIVERY_ID_HEADER: delivery.id,
            ATTEMPT_HEADER: str(attempt),
        }
        began = iso(now_utc())
        started = time.perf_counter()
        status_code: int | None = None
        error = ""
        try:
            response = self.client.post(sub.url, content=body, headers=headers)
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
        duration_ms = (time.perf_counter() - started) * 1000
        delivered = status_code is not None and 200 <= status_code < 300
        retry_at = None
        if not delivered and attempt - delivery.attempts_at_replay < self.policy.max_attempts:
            retry_at = iso(now_utc() + dt.timedelta(seconds=self.policy.backoff_s(attempt, self._rng)))
        elif not delivered:
            log.warning(
                "delivery %s of %s to %s dead-lettered after %d attempts: %s",
                delivery.id,
                event.id,
                sub.url,
                attempt,
                error,
            )
        return AttemptRecord(
            delivery.id, attempt, status_code, error, duration_ms, delivered, retry_at, began
        )

    def close(self) -> None:
        """Close the HTTP client this sender opened."""
        if self._own_client:
            self.client.close()


class Producer(Protocol):
    """Something that writes events to the outbox when asked (the change feed, the 申报 windows)."""

    name: str

    def run(self) -> int:
        """Write the events that are due; returns how many were written."""
        ...


@dataclass
class DispatchRound:
    """What one round did."""

    produced: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    outcomes: list[AttemptRecord] = field(default_factory=list)


class Dispatcher:
    """Runs the producers and sends due deliveries, in rounds; :meth:`start` runs them in daemon threads."""

    def __init__(
        self,
        store: Any,
        *,
        producers: Sequence[Producer] = (),
        policy: DeliveryPolicy | None = None,
        interval_s: float = 0.5,
        workers: int = 4,
        batch: int = BATCH,
        client: Any | None = None,
        on_error: Callable[[str, BaseException], None] | None = None,
        owns_store: bool = False,
    ) -> None:
        self.store = store
        self._owns_store = owns_store  # close the store on stop (a store opened for the dispatcher alone)
        self.producers = list(producers)
        self.policy = policy or DeliveryPolicy()
        self.interval_s = interval_s
        self.batch = batch
        self.sender = Sender(self.policy, client)
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="policymatch-webhook")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._producer_thread: threading.Thread | None = None
        self._on_error = on_error
        self.rounds = 0
        self.errors = 0
        self.last_error = ""

    def add_producers(self, producers: Sequence[Producer]) -> None:
        """Add producers (the serving process adds them once its matcher is loaded; delivery ran before)."""
        self.producers = [*self.producers, *producers]  # rebound whole: a round iterates a stable list

    # --- one round -----------------------------------------------------------------------------

    def produce(self) -> int:
        """Let every producer write its due events; a failing producer is logged and retried next round."""
        written = 0
        for producer in self.producers:
            try:
                written += producer.run()
            except Exception as exc:  # noqa: BLE001 - one producer's failure must not stop deliveries
                self._failed(f"producer {producer.name}", exc)
        return written

    def deliver(self) -> DispatchRound:
        """Lease and send every delivery due now, a batch at a time: one lease and one record per batch."""
        out = DispatchRound()
        while not self._stop.is_set():
            now = now_utc()
            claimed = self.store.claim_due(
                iso(now), iso(now + dt.timedelta(seconds=self.policy.lease_s)), self.batch
            )
            if not claimed:
                return out
            events = self.store.events_by_id(d.event_id for d in claimed)
            subs = {s.id: s for s in self.store.list_subscriptions(include_deleted=True)}
            jobs = [(d, events.get(d.event_id), subs.get(d.subscription_id)) for d in claimed]
            records = [r for r in self._pool.map(self._send_one, jobs) if r is not None]
            self.store.finish_attempts(records)
            for r in records:
                out.sent += 1
                out.outcomes.append(r)
                out.delivered += r.delivered
                out.failed += not r.delivered and r.retry_at is not None
                out.dead += not r.delivered and r.retry_at is None
            if len(claimed) < self.batch:
                return out
        return out

    def _send_one(self, job: tuple[Any, Any, Any]) -> AttemptRecord | None:
        delivery, event, sub = job
        try:
            if event is None or sub is None:  # pragma: no cover - foreign keys keep both
                raise LookupError(f"delivery {delivery.id} names a missing event or subscription")
            return self.sender.send(delivery, event, sub)
        except Exception as exc:  # noqa: BLE001 - the lease expires and another round retries it
            self._failed(f"delivery {delivery.id}", exc)
            return None

    def run_once(self) -> DispatchRound:
        """One round: produce, then deliver what is due."""
        produced = self.produce()
        out = self.deliver()
        out.produced = produced
        self.rounds += 1
        return out

    def drain(self, timeout_s: float = 30.0) -> DispatchRound:
        """Run rounds until nothing is produced and nothing is due (or ``timeout_s`` passes): for tests and ``--once``."""
        total = DispatchRound()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            done = self.run_once()
            total.produced += done.produced
            total.sent += done.sent
            total.delivered += done.delivered
            total.failed += done.failed
            total.dead += done.dead
            total.outcomes.extend(done.outcomes)
            if not done.produced and not done.sent:
                break
        return total

    def _failed(self, what: str, exc: BaseException) -> None:
        self.errors += 1
        self.last_error = f"{what}: {type(exc).__name__}: {exc}"
        log.warning("events: %s failed: %s", what, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        if self._on_error is not None:
            self._on_error(what, exc)

    # --- the thread ----------------------------------------------------------------------------

    def start(self) -> Dispatcher:
        """Deliver and produce in two daemon threads until :meth:`stop`.

        Apart, so a long production (an import of thousands of enterprises, each matched
        for enterprise.matches_changed) never holds up the deliveries of events already written.
        """
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._deliver_loop, name="policymatch-webhooks", daemon=True
            )
            self._producer_thread = threading.Thread(
                target=self._produce_loop, name="policymatch-events", daemon=True
            )
            self._thread.start()
            self._producer_thread.start()
        return self

    def wake(self) -> None:
        """Send what is due now instead of at the end of the interval."""
        self._wake.set()

    def _deliver_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver()
                self.rounds += 1
            except Exception as exc:  # noqa: BLE001 - the store may be briefly unavailable; try next round
                self._failed("delivery round", exc)
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def _produce_loop(self) -> None:
        while not self._stop.is_set():
            if self.produce():
                self._wake.set()  # new events: deliver them now
                continue  # more may be waiting (a backlog is read in batches)
            self._stop.wait(self.interval_s)

    def status(self) -> dict[str, Any]:
        """Return what ``/readyz`` reports: whether the threads run, rounds, errors, the last error."""
        return {
            "running": self.running,
            "producers": [p.name for p in self.producers],
            "rounds": self.rounds,
            "errors": self.errors,
            "last_error": self.last_error or None,
        }

    @property
    def running(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the threads after their rounds, then the senders."""
        self._stop.set()
        self._wake.set()
        for thread in (self._thread, self._producer_thread):
            if thread is not None:
                thread.join(timeout_s)
        self._pool.shutdown(wait=True)
        self.sender.close()
        if self._owns_store:
            self.store.close()
