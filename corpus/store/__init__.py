"""The store: one protocol (:mod:`corpus.store.base`), one SQL core, one class per dialect, one factory.

``open_store(path_or_url)`` takes a file path (SQLite, the default), a
``sqlite:///path`` URL, a ``postgresql://user:pass@host:port/db`` URL (PostgreSQL,
:mod:`corpus.store.postgres`), or names the valid schemes when given another.
"""

from __future__ import annotations

from pathlib import Path

from corpus.store.base import (
    ApiKey,
    AuditEvent,
    Change,
    EnterpriseSnapshot,
    Feedback,
    ImportRecord,
    ImportRow,
    IntegrityError,
    NotFoundError,
    PolicySummary,
    StaleEdit,
    Store,
    StoredPolicy,
    StoreError,
    UpsertCounts,
)

SCHEMES = ("sqlite", "postgresql")

__all__ = [
    "SCHEMES",
    "ApiKey",
    "AuditEvent",
    "Change",
    "EnterpriseSnapshot",
    "Feedback",
    "ImportRecord",
    "ImportRow",
    "IntegrityError",
    "NotFoundError",
    "PolicySummary",
    "StaleEdit",
    "Store",
    "StoreError",
    "StoredPolicy",
    "UpsertCounts",
    "open_store",
]


def open_store(path_or_url: str | Path) -> Store:
    """Open (creating and migrating when needed) the store at a path or URL.

    Accepted: a file path (``var/policymatch.sqlite3``) or ``sqlite:///relative/or/abs/path``
    (``sqlite:////abs/path`` also works), or ``postgresql://`` / ``postgres://`` for a PostgreSQL
    server. Any other scheme is refused with the valid ones.
    """
    from corpus.store.sqlite import SQLiteStore

    if isinstance(path_or_url, Path):
        return SQLiteStore(path_or_url)
    text = str(path_or_url).strip()
    if not text:
        raise StoreError("open_store needs a path or URL, got an empty string")
    if "://" in text:
        scheme, rest = text.split("://", 1)
        scheme = scheme.lower()
        if scheme in ("sqlite", "sqlite3"):
            # sqlite:///var/x.db → var/x.db (relative); sqlite:////abs/x.db → /abs/x.db
            path = rest[1:] if rest.startswith("/") else rest
            if not path:
                raise StoreError(f"{text!r} names no file; use sqlite:///path/to/policymatch.sqlite3")
            return SQLiteStore(Path(path))
        if scheme in ("postgresql", "postgres"):
            from corpus.store.postgres import PostgresStore

            return PostgresStore(text)
        raise StoreError(
            f"unknown store scheme {scheme!r} in {text!r}; valid schemes: {', '.join(SCHEMES)} (or a plain file path)"
        )
    return SQLiteStore(Path(text))
