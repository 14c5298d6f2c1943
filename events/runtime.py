"""Wiring: the dispatcher a serving process (or ``policymatch events dispatch``) runs, from the settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from events.dispatch import DeliveryPolicy, Dispatcher
from events.producers import DeadlineProducer, FeedProducer


def parse_thresholds(text: str) -> tuple[int, ...]:
    """``"5,1"`` → (1, 5): working-day thresholds of deadline.approaching; ValueError for anything else."""
    try:
        values = tuple(sorted({int(part) for part in str(text).split(",") if part.strip()}))
    except ValueError:
        raise ValueError(
            f"deadline days must be whole numbers separated by commas, e.g. 5,1; got {text!r}"
        ) from None
    if not values or values[0] < 0:
        raise ValueError(f"deadline days must be whole numbers of at least 0, e.g. 5,1; got {text!r}")
    return values


def delivery_policy(settings: Any) -> DeliveryPolicy:
    """Return the retry policy the settings ask for."""
    timeout = float(settings.webhook_timeout_s)
    return DeliveryPolicy(
        max_attempts=int(settings.webhook_max_attempts),
        backoff_base_s=float(settings.webhook_backoff_s),
        backoff_max_s=max(3600.0, float(settings.webhook_backoff_s)),
        timeout_s=timeout,
        lease_s=timeout + 2.0,
    )


def make_producers(
    store: Any,
    matcher: Any | None,
    settings: Any,
    *,
    today: Callable[[], dt.date] | None = None,
    apply: Callable[[Sequence[Any]], Any] | None = None,
) -> list[Any]:
    """Make the producers: the feed producer (when the store has a change feed and a matcher is given), deadlines.

    ``apply`` brings the matcher up to date with a batch of changes before its events are computed.
    """
    producers: list[Any] = []
    if matcher is not None and hasattr(store, "changes_since"):
        producers.append(FeedProducer(store, matcher, apply=apply))
    producers.append(
        DeadlineProducer(
            store,
            thresholds=parse_thresholds(settings.deadline_days),
            today=today or (lambda: matcher.today if matcher is not None else dt.date.today()),
        )
    )
    return producers


def make_dispatcher(
    store: Any,
    matcher: Any | None,
    settings: Any,
    *,
    produce: bool = True,
    today: Callable[[], dt.date] | None = None,
    interval_s: float = 0.25,
    apply: Callable[[Sequence[Any]], Any] | None = None,
    owns_store: bool = False,
) -> Dispatcher:
    """Make a dispatcher over ``store`` with :func:`make_producers` and the settings' retry policy.

    ``produce=False`` makes one that only delivers; ``owns_store``: it closes the store when stopped.
    """
    producers = make_producers(store, matcher, settings, today=today, apply=apply) if produce else []
    return Dispatcher(
        store,
        producers=producers,
        policy=delivery_policy(settings),
        interval_s=interval_s,
        owns_store=owns_store,
    )


def start_delivering(settings: Any) -> Dispatcher:
    """Start a delivery-only dispatcher on a store of its own (closed when it stops).

    ``policymatch serve`` starts it before the model loads, so deliveries resume within a second or two of a
    crash; :func:`attach` gives it the serving process's producers once its services are open.
    """
    from corpus.store import open_store

    return make_dispatcher(
        open_store(settings.store_location), None, settings, produce=False, owns_store=True
    ).start()


def _catch_up(services: Any) -> Callable[[Sequence[Any]], Any] | None:
    if getattr(services, "tailer", None) is None:
        return None

    def catch_up(_changes: Sequence[Any]) -> None:
        services.catch_up()  # the tailer applies through the newest change, each change once

    return catch_up


def dispatcher_for_services(services: Any, **kwargs: Any) -> Dispatcher:
    """Make the dispatcher of a serving process: events from the feed its tailer applies (not started)."""
    return make_dispatcher(
        services.store, services.matcher, services.settings, apply=_catch_up(services), **kwargs
    )


def attach(dispatcher: Dispatcher, services: Any) -> Dispatcher:
    """Give a running delivery-only dispatcher the serving process's producers; ``services.close`` stops it."""
    dispatcher.add_producers(
        make_producers(services.store, services.matcher, services.settings, apply=_catch_up(services))
    )
    services.dispatcher = dispatcher
    return dispatcher


def start_for_services(services: Any, **kwargs: Any) -> Dispatcher:
    """Start the serving process's dispatcher thread and attach it to ``services`` (stopped by its close)."""
    services.dispatcher = dispatcher_for_services(services, **kwargs).start()
    return services.dispatcher
