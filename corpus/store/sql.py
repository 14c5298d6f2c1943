"""The store in SQL: every operation once, put together from its table groups; a class per dialect subclasses it."""

from __future__ import annotations

from corpus.store.delivery_tables import DeliveryTables
from corpus.store.enterprise_tables import EnterpriseTables
from corpus.store.event_tables import EventTables
from corpus.store.policy_tables import PolicyTables
from corpus.store.risk_tables import RiskTables


class SQLStore(PolicyTables, EnterpriseTables, EventTables, DeliveryTables, RiskTables):
    """:class:`corpus.store.base.Store` over SQL (:mod:`corpus.store.sqlite`, :mod:`corpus.store.postgres` fill in the dialect)."""
