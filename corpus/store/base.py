"""The store interface: everything the matcher and the doors read and write, behind one small protocol.

One SQL core (:mod:`corpus.store.sql`) with one class per dialect
(``sqlite.py``, ``postgres.py``); :func:`corpus.store.open_store` picks one
from a path or URL. Callers use only what is declared here, and catch only the
errors declared here: no driver's exception type leaves the store.

Rules every implementation keeps:

- every write runs in a transaction; :meth:`Store.transaction` groups several
  writes into one, and a failure anywhere leaves the store as it was;
- re-upserting a policy makes a new version and replaces its items, but a
  person's ``edited`` conditions of an item survive (they win over ``extracted``);
  they follow the text they were made for (:func:`corpus.store.fingerprint.item_fingerprint`), not the
  item id, and when that text is gone they are kept as :class:`StaleEdit`, unapplied;
- every enterprise upsert that changes a profile keeps the previous one as a snapshot;
- every write that changes a policy or an enterprise appends to the change feed
  (:class:`Change`) in the same transaction, so a reader of :meth:`Store.changes_since`
  sees a write exactly when it is committed, in commit order;
- the audit log is append-only; API keys are stored only as a SHA-256 of the secret.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from corpus.conditions import Entry
from corpus.schemas import EnterpriseProfile, PolicyDocument, PolicyItem

Role = Literal["admin", "enterprise", "push", "analyst", "finance"]
ROLES: tuple[str, ...] = ("admin", "enterprise", "push", "analyst", "finance")
FeedbackKind = Literal["useful", "not_useful", "applied", "received"]
FEEDBACK_KINDS: tuple[str, ...] = ("useful", "not_useful", "applied", "received")


class StoreError(RuntimeError):
    """A store that cannot be opened or used (bad URL, newer schema, closed), or a statement it failed."""


class IntegrityError(StoreError):
    """A write a constraint of the store refused (a CHECK, a key, the append-only audit log)."""


class NotFoundError(LookupError):
    """A record that is not in the store."""


@runtime_checkable
class ExtractionLike(Protocol):
    """What :meth:`Store.upsert_policy` reads of an extraction: its conditions and its tags."""

    @property
    def conditions(self) -> Sequence[Entry]:
        """Conditions extracted from the item's text (v2 entries: leaves, groups, tiers)."""
        ...

    @property
    def tags(self) -> Any:
        """Tags: a Mapping or an object with ``to_dict()``."""
        ...


@dataclass(frozen=True)
class StoredPolicy:
    """A policy as stored: the document (with its version) and its current items."""

    document: PolicyDocument
    items: tuple[PolicyItem, ...]
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class PolicySummary:
    """One row of :meth:`Store.list_policies`."""

    id: str
    title: str
    version: int
    n_items: int
    region_code: str | None
    department: str | None
    issued: str | None
    fulfilment: str | None
    updated_at: str


@dataclass(frozen=True)
class UpsertCounts:
    """What an upsert of enterprises did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        """Records seen."""
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True)
class EnterpriseSnapshot:
    """One stored version of an enterprise profile."""

    snapshot_id: int
    profile: EnterpriseProfile
    created_at: str


@dataclass(frozen=True)
class Feedback:
    """闭环反馈 on one item by (or about) one enterprise."""

    id: int
    enterprise_id: str
    item_id: str
    kind: str
    rating: int | None
    comment: str | None
    created_at: str


@dataclass(frozen=True)
class AuditEvent:
    """One entry of the append-only audit log; ``id`` and ``at`` are set by the store when absent."""

    actor: str
    action: str
    target: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    at: str | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "details": dict(self.details),
        }


#: What a change is about (``Change.kind``): a policy (its items and conditions), an enterprise, an honour import.
CHANGE_KINDS: tuple[str, ...] = ("policy", "enterprise", "honours")


@dataclass(frozen=True)
class Change:
    """One row of the change feed: what a committed write touched, in commit order (``seq`` only grows).

    ``kind`` is ``policy`` (``key`` a policy id: its document, items or conditions changed),
    ``enterprise`` (``key`` an enterprise id) or ``honours`` (``key`` an honour-import id);
    ``action`` says how: ``upsert``, ``delete``, ``patch``, ``conditions``, ``import``, ``reverse``,
    ``merge`` (two records of one legal person became one: the source is gone).
    """

    seq: int
    at: str
    kind: str
    key: str
    action: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"seq": self.seq, "at": self.at, "kind": self.kind, "key": self.key, "action": self.action}


@dataclass(frozen=True)
class ImportRow:
    """One profile a reversible import changed: before and after (profile dicts), and what it granted."""

    enterprise_id: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    detail: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class ImportRecord:
    """A reversible import (an honour list): who ran it, when, from what, what it changed, and whether it was reversed."""

    id: str
    kind: str
    at: str
    actor: str
    source: str
    summary: Mapping[str, Any]
    reversed_at: str | None = None
    rows: tuple[ImportRow, ...] = ()

    def to_dict(self, *, rows: bool = False) -> dict[str, Any]:
        """JSON-ready dict (with the changed profiles' ids and grants when ``rows``)."""
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "at": self.at,
            "actor": self.actor,
            "source": self.source,
            "summary": dict(self.summary),
            "reversed_at": self.reversed_at,
        }
        if rows:
            out["enterprises"] = [
                {"enterprise_id": r.enterprise_id, "grants": [dict(g) for g in r.detail]} for r in self.rows
            ]
        return out


@dataclass(frozen=True)
class ApiKey:
    """An API key as stored (never its secret)."""

    key_id: str
    role: str
    enterprise_id: str | None
    label: str
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        """False once revoked."""
        return self.revoked_at is None


@dataclass(frozen=True)
class StaleEdit:
    """A person's correction whose item text is no longer in the policy: kept, not applied."""

    policy_id: str
    item_id: str  # the item it applied to last
    item_sha256: str  # fingerprint of the text it was made for ('' when unknown)
    item_text: str  # that text, as it was when it disappeared ('' when unknown)
    conditions: tuple[Entry, ...]
    edited_at: str
    stale_since: str
    stale_version: int  # the policy version that no longer has the text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "policy_id": self.policy_id,
            "item_id": self.item_id,
            "item_sha256": self.item_sha256,
            "item_text": self.item_text,
            "conditions": [c.to_dict() for c in self.conditions],
            "edited_at": self.edited_at,
            "stale_since": self.stale_since,
            "stale_version": self.stale_version,
        }


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 with microseconds (sortable as text)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class Store(Protocol):
    """Policies, items, conditions, tags, enterprises, feedback, audit log and API keys.

    Implementations must be safe to call from several threads at once and say
    how (``sqlite.py``: one connection per thread).
    """

    # --- lifecycle ---
    def schema_version(self) -> int:
        """Return the schema version of the open store."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: all of them happen, or (on an exception) none. Nestable."""
        ...

    def close(self) -> None:
        """Release every connection; the store is unusable afterwards."""
        ...

    # --- policies ---
    def upsert_policy(
        self,
        document: PolicyDocument,
        items: Sequence[PolicyItem],
        extractions: Sequence[ExtractionLike | None] | Mapping[str, ExtractionLike] | None = None,
    ) -> PolicyDocument:
        """Store a policy as a new version, replacing its items and extracted conditions; returns it with its version."""
        ...

    def get_policy(self, policy_id: str) -> StoredPolicy | None:
        """Return the current version of a policy with its items, or None."""
        ...

    def list_policies(self) -> list[PolicySummary]:
        """Every policy, most recently updated first."""
        ...

    def policy_version_map(self) -> dict[str, int]:
        """Policy id → current version (what an audit row names), in :meth:`list_policies`' order, in one light query."""
        ...

    def policy_versions(self, policy_id: str) -> list[PolicyDocument]:
        """Every stored version of a policy's document, oldest first."""
        ...

    def delete_policy(self, policy_id: str) -> bool:
        """Remove a policy and its items (edited conditions are kept); True when it existed."""
        ...

    def get_item(self, item_id: str) -> PolicyItem | None:
        """One item by id (``policy#seq``), or None."""
        ...

    def iter_items(self, policy_id: str | None = None) -> Iterator[PolicyItem]:
        """Every current item (of one policy when given), in policy then seq order."""
        ...

    def count_items(self) -> int:
        """Count current items."""
        ...

    def set_item_conditions(self, item_id: str, conditions: Iterable[Entry], source: str = "edited") -> None:
        """Replace the item's conditions of that source (``edited`` = a person's correction)."""
        ...

    def item_conditions(self, item_id: str) -> list[Entry]:
        """Return the conditions that apply: the edited set when one exists, else the extracted one."""
        ...

    def item_condition_source(self, item_id: str) -> str | None:
        """``edited`` or ``extracted`` for the set :meth:`item_conditions` returns, None when there is none."""
        ...

    def clear_edited_conditions(self, item_id: str) -> bool:
        """Drop a person's correction so the extracted conditions apply again; True when there was one."""
        ...

    def item_tags(self, item_id: str) -> dict[str, Any] | None:
        """Return the item's tags as stored (JSON object), or None."""
        ...

    def stale_edits(self, policy_id: str | None = None) -> list[StaleEdit]:
        """Corrections whose item text left the policy on a re-ingest (kept, not applied), oldest first."""
        ...

    # --- enterprises ---
    def upsert_enterprises(
        self, profiles: Iterable[EnterpriseProfile], *, action: str = "upsert"
    ) -> UpsertCounts:
        """Insert or replace profiles in one transaction; a changed profile keeps the previous as a snapshot."""
        ...

    def get_enterprise(self, enterprise_id: str) -> EnterpriseProfile | None:
        """Return the current profile, or None."""
        ...

    def get_enterprise_for_match(self, enterprise_id: str) -> tuple[EnterpriseProfile, str | None] | None:
        """Return the current profile with its stored BM25 query tokens (None: none stored), or None."""
        ...

    def get_enterprises(self, enterprise_ids: Iterable[str]) -> dict[str, EnterpriseProfile]:
        """Return the current profiles of these ids by id (ids not stored are left out)."""
        ...

    def refresh_query_tokens(self, batch_size: int = 500) -> int:
        """Cut anew the stored query tokens that are missing or stale; returns how many."""
        ...

    def iter_enterprises(self, batch_size: int = 1000) -> Iterator[EnterpriseProfile]:
        """Every current profile, in id order, read in batches."""
        ...

    def count_enterprises(self) -> int:
        """Count enterprises."""
        ...

    def enterprise_snapshot_id(self, enterprise_id: str) -> int | None:
        """Id of the current snapshot (changes whenever the profile changes), or None."""
        ...

    def enterprise_history(self, enterprise_id: str) -> list[EnterpriseSnapshot]:
        """Every stored version of a profile, oldest first."""
        ...

    def delete_enterprise(self, enterprise_id: str) -> bool:
        """Remove an enterprise (its snapshots stay); True when it existed."""
        ...

    # --- feedback ---
    def add_feedback(
        self,
        enterprise_id: str,
        item_id: str,
        kind: str,
        rating: int | None = None,
        comment: str | None = None,
    ) -> Feedback:
        """Record one piece of 闭环反馈."""
        ...

    def iter_feedback(self, since: str | None = None) -> Iterator[Feedback]:
        """Feedback in the order it came (after ``since`` when given)."""
        ...

    # --- audit ---
    def append_audit(self, event: AuditEvent) -> AuditEvent:
        """Append to the audit log; returns the event with its id and time."""
        ...

    def query_audit(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: str | None = None,
        limit: int = 100,
    ) -> list[AuditEvent]:
        """Audit events matching every given filter, newest first."""
        ...

    # --- change feed ---
    def last_change_seq(self) -> int:
        """Return the ``seq`` of the newest committed change (0 when there is none)."""
        ...

    def changes_since(self, seq: int, limit: int = 1000) -> list[Change]:
        """Return the committed changes with ``seq`` above the given one, oldest first, at most ``limit``."""
        ...

    def wait_for_changes(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for a change by another connection (True when woken early)."""
        ...

    # --- reversible imports ---
    def save_import(self, record: ImportRecord) -> None:
        """Store an import with its rows (inside the caller's transaction with the profiles it wrote)."""
        ...

    def get_import(self, import_id: str) -> ImportRecord | None:
        """Return an import with its rows, or None."""
        ...

    def list_imports(self, kind: str | None = None, limit: int = 100) -> list[ImportRecord]:
        """List the imports, newest first (without rows)."""
        ...

    def mark_import_reversed(self, import_id: str, at: str) -> bool:
        """Mark an import reversed (inside the caller's transaction); False when it was already."""
        ...

    def import_grants(self, enterprise_id: str, kind: str = "honours") -> list[dict[str, Any]]:
        """Return what imports not reversed granted an enterprise, oldest first (each with its ``import_id``)."""
        ...

    # --- api keys ---
    def create_api_key(self, role: str, enterprise_id: str | None = None, label: str = "") -> tuple[str, str]:
        """Make a key; returns (key_id, secret). Only a SHA-256 of the secret is stored."""
        ...

    def find_api_key(self, secret: str) -> ApiKey | None:
        """Return the active key whose secret this is (compared in constant time), or None."""
        ...

    def list_api_keys(self) -> list[ApiKey]:
        """Every key, newest first (no secrets)."""
        ...

    def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key; True when it was active."""
        ...
