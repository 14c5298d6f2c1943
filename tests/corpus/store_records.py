"""Records the store tests write (a policy with its items and extractions, a validated profile) and :class:`Backend`."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from corpus.conditions import Condition
from corpus.schemas import PolicyItem, item_id, validate_policy, validate_profile


@dataclass(frozen=True)
class FakeExtraction:
    """The two attributes the store reads of an extraction (conditions, tags)."""

    conditions: tuple
    tags: dict


def policy(policy_id="tz-1", n_items=2, text="一、补助"):
    doc = validate_policy(
        {"id": policy_id, "title": f"{policy_id} 政策", "text": text, "region_code": "331002"}
    )
    items = [
        PolicyItem(
            item_id(policy_id, i),
            policy_id,
            i,
            ("一、支持", f"（{i}）"),
            f"事项{i}",
            f"{text} 第{i}项",
            "331002",
        )
        for i in range(1, n_items + 1)
    ]
    extractions = [
        FakeExtraction((Condition("revenue", "gte", 100 * i, f"营业收入{100 * i}万元以上"),), {"topics": [i]})
        for i in range(1, n_items + 1)
    ]
    return doc, items, extractions


def clauses(policy_id, texts):
    """A policy whose items are the given clauses, numbered 一、二、… by position as a real document renumbers them.

    Each clause's extraction is its own: revenue ≥ the number the clause states.
    """
    texts = [f"{'一二三四五六七八九'[n]}、{text}" for n, text in enumerate(texts)]
    doc = validate_policy(
        {"id": policy_id, "title": f"{policy_id} 政策", "text": "\n".join(texts), "region_code": "331002"}
    )
    items = [
        PolicyItem(item_id(policy_id, i), policy_id, i, ("一、支持",), f"事项{i}", text, "331002")
        for i, text in enumerate(texts, start=1)
    ]
    extractions = [
        FakeExtraction((Condition("revenue", "gte", revenue_of(text), text),), {}) for text in texts
    ]
    return doc, items, extractions


def revenue_of(text):
    """The revenue threshold a clause of :func:`clauses` states (its digits)."""
    return int("".join(ch for ch in text if ch.isdigit()))


def profile(enterprise_id="e1", **kw):
    data = {
        "id": enterprise_id,
        "name": f"{enterprise_id} 公司",
        "region_code": "331002",
        "industry_code": "C3670",
        "employees": 50,
        "revenue": 1000,
    }
    data.update(kw)
    return validate_profile(data)


@dataclass(frozen=True)
class Backend:
    """How to open the backend under test and read its tables behind its back."""

    name: str
    target: str  # a file path or a URL, as open_store takes it

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Read with a separate, plain connection: what is really stored."""
        if self.name == "sqlite":
            with sqlite3.connect(self.target) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.target) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]

    def write(self, statements: list[str]) -> None:
        """Run statements with a separate, plain connection and commit them."""
        if self.name == "sqlite":
            with sqlite3.connect(self.target) as conn:
                for statement in statements:
                    conn.execute(statement)
            return
        import psycopg

        with psycopg.connect(self.target) as conn:
            for statement in statements:
                conn.execute(statement)

    def raw_execute(self, store: Any, sql: str) -> None:
        """Run SQL on the store's own connection (bypassing its methods)."""
        store._conn().execute(sql)
