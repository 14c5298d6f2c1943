"""Events the push module subscribes to: what happened in the store, told to webhooks, signed, retried, logged.

- :mod:`events.types`: the event types and what each one's ``data`` holds;
- working days by the official calendar (`corpus.workdays`, from ``chinesecalendar``; shared with risk monitoring);
- :mod:`events.signing`: ``X-Policymatch-Signature: sha256=<hex HMAC-SHA256 of the body>``;
- :mod:`events.dispatch`: sends due deliveries with retries, backoff and dead-letter, and runs the producers;
- :mod:`events.producers`: events derived from the store's change feed and from 申报 windows;
- :mod:`events.timeline`: the push timeline against the 5-working-day rule.

The store keeps the outbox (:mod:`corpus.store.event_tables`, deliveries in :mod:`corpus.store.delivery_tables`): every event is written
with its deliveries in one transaction, so none is lost by a crash (at-least-once).
"""

from events.types import EVENT_TYPES, check_event_types

__all__ = ["EVENT_TYPES", "check_event_types"]
