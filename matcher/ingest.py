"""Ingestion: load (corpus) → split and extract (matcher) → store (corpus), in batches.

:func:`ingest_policies` takes policy documents — :class:`PolicyDocument`,
``POST /v1/policies`` dicts, :class:`corpus.loaders.Loaded` records, or file
and folder paths — splits each into items, extracts every item's tags and
conditions, and stores each batch in one transaction. :func:`ingest_enterprises`
does the same for enterprise profiles.

Bad records are reported with their file, line and field and the good ones
still go in; with ``strict=True`` the whole ingest is one transaction and any
error leaves the store exactly as it was (:class:`IngestFailed` carries the
report). If a batch fails on a constraint, its records are retried one by one
so a single bad record cannot keep the others out; if the store itself fails
(a full disk), the batch is reported whole. Re-ingesting an id replaces it (a new policy version, a new
enterprise snapshot), never duplicates it; a person's edited conditions survive.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from corpus.loaders import (
    DEFAULT_CAPS,
    ENTERPRISE_SUFFIXES,
    POLICY_SUFFIXES,
    FileCaps,
    Loaded,
    LoadError,
    ProfileRow,
    expand_paths,
    read_enterprise_rows,
    read_policies,
)
from corpus.merge import EMPTY_CHOICES, merge_profile
from corpus.schemas import (
    EnterpriseProfile,
    PolicyDocument,
    PolicyItem,
    RecordError,
    validate_policy,
    validate_profile,
)
from corpus.splitting import split_policy
from corpus.store.base import AuditEvent, IntegrityError, Store, StoreError
from corpus.store.policy_tables import extracted_entries

POLICY_BATCH = 50
# Seconds one document's split and extraction may take (a setting at the doors: POLICYMATCH_EXTRACTION_BUDGET_S).
EXTRACTION_BUDGET_S = 60.0
# Characters of one policy text (a setting at the doors: POLICYMATCH_MAX_POLICY_TEXT_CHARS).
MAX_POLICY_TEXT_CHARS = 200_000
ENTERPRISE_BATCH = 5000
_MAX_ERRORS_SHOWN = 20
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class IngestReport:
    """What an ingest did: counts, every error (file:line:field) and warning, and how long it took."""

    kind: str
    read: int = 0
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    items: int = 0
    conditions: int = 0
    errors: tuple[LoadError, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    strict: bool = False
    stored_ids: tuple[str, ...] = field(default=(), repr=False)

    @property
    def stored(self) -> int:
        """Records written (new or replaced)."""
        return self.inserted + self.replaced

    @property
    def failed(self) -> int:
        """Distinct records kept out by errors."""
        return len({(e.path, e.line) for e in self.errors})

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.errors

    def summary(self) -> str:
        """Describe the ingest in a few lines: counts, then the first errors with file:line:field."""
        noun = "policies" if self.kind == "policies" else "enterprises"
        head = (
            f"{self.read} {noun} read: {self.inserted} new, {self.replaced} replaced"
            + (f", {self.unchanged} unchanged" if self.kind == "enterprises" else "")
            + (f"; {self.items} items, {self.conditions} conditions" if self.kind == "policies" else "")
            + f"; {self.failed} with errors ({self.seconds:.1f} s)"
        )
        if self.strict and self.errors:
            head += " — strict: nothing was stored"
        lines = [head, *self.warnings]
        lines += [f"  {e}" for e in self.errors[:_MAX_ERRORS_SHOWN]]
        if len(self.errors) > _MAX_ERRORS_SHOWN:
            lines.append(f"  … and {len(self.errors) - _MAX_ERRORS_SHOWN} more errors")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "kind": self.kind,
            "read": self.read,
            "inserted": self.inserted,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "items": self.items,
            "conditions": self.conditions,
            "failed": self.failed,
            "errors": [str(e) for e in self.errors],
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 3),
            "strict": self.strict,
        }


class IngestFailed(ValueError):
    """A strict ingest that met errors and stored nothing; ``report`` has them all."""

    def __init__(self, report: IngestReport) -> None:
        self.report = report
        super().__init__(f"ingest of {report.kind} stored nothing: " + report.summary())


class _Rollback(Exception):
    """Raised inside the strict transaction to undo it."""


@dataclass
class _Tally:
    read: int = 0
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    items: int = 0
    conditions: int = 0
    errors: list[LoadError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stored_ids: list[str] = field(default_factory=list)

    def report(self, kind: str, started: float, strict: bool) -> IngestReport:
        failed = strict and bool(self.errors)
        return IngestReport(
            kind=kind,
            read=self.read,
            inserted=0 if failed else self.inserted,
            replaced=0 if failed else self.replaced,
            unchanged=0 if failed else self.unchanged,
            items=0 if failed else self.items,
            conditions=0 if failed else self.conditions,
            errors=tuple(self.errors),
            warnings=tuple(self.warnings),
            seconds=time.perf_counter() - started,
            strict=strict,
            stored_ids=() if failed else tuple(self.stored_ids),
        )


def _known_total(records: Iterable[Any]) -> int | None:
    if isinstance(records, list | tuple) and not any(isinstance(r, str | Path) for r in records):
        return len(records)
    return None  # paths expand into an unknown number of records


def _progress(iterable: Iterable[Any], *, enabled: bool, unit: str, total: int | None) -> Iterable[Any]:
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, unit=unit, total=total, dynamic_ncols=True, leave=False)


# --- policies ----------------------------------------------------------------------------------


class ExtractionTooSlow(ValueError):
    """A document whose split and extraction ran past its time budget (it is reported, not stored)."""


@dataclass(frozen=True)
class PreparedPolicy:
    """A policy document split into items and read (tags, conditions): what the store writes, made outside any lock."""

    document: PolicyDocument
    items: tuple[PolicyItem, ...]
    extractions: tuple[Any, ...]
    path: str
    line: int | None


def _policy_entries(
    docs: Iterable[Any], caps: FileCaps = DEFAULT_CAPS
) -> Iterator[Loaded[PolicyDocument] | LoadError | PreparedPolicy]:
    for position, doc in enumerate(docs, start=1):
        if isinstance(doc, Loaded | LoadError | PreparedPolicy):
            yield doc
        elif isinstance(doc, PolicyDocument):
            yield Loaded(doc, "(input)", position)
        elif isinstance(doc, str | Path):
            for path in expand_paths([doc], POLICY_SUFFIXES):
                yield from read_policies(path, caps)
        elif isinstance(doc, Mapping):
            try:
                given = frozenset(k for k, v in doc.items() if v is not None)
                yield Loaded(validate_policy(doc), "(input)", position, given=given)
            except RecordError as exc:
                for problem in exc.problems:
                    yield LoadError("(input)", position, problem.field, problem.message)
        else:
            yield LoadError("(input)", position, None, f"is not a policy document: {type(doc).__name__}")


def prepare_policy(
    entry: Loaded[PolicyDocument] | PolicyDocument,
    *,
    budget_s: float | None = EXTRACTION_BUDGET_S,
    max_chars: int | None = MAX_POLICY_TEXT_CHARS,
) -> PreparedPolicy:
    """Split a document and extract every item, within ``budget_s`` seconds and ``max_chars`` characters.

    Raises :class:`ExtractionTooSlow` past the budget (checked after the split and after each
    item: every reader is linear in its text, so one item's share is bounded by the size cap)
    and ``ValueError`` for a text over the cap. Needs no store and no lock: the HTTP route runs it
    before taking the write lock, so a long document never holds up other writes.
    """
    # Imported here: extraction loads its vocabularies on first use, and corpus-only callers never need it.
    from matcher.extraction import extract_item
    from matcher.extraction.document import (
        apply_document_facts,
        given_facts,
        governing_extraction,
        read_document,
        with_governing,
    )

    if isinstance(entry, PolicyDocument):
        entry = Loaded(entry, "(input)", None)
    if max_chars is not None and len(entry.record.text) > max_chars:
        raise ValueError(
            f"the text has {len(entry.record.text)} characters, more than the limit of {max_chars}"
        )
    deadline = None if budget_s is None else time.monotonic() + budget_s

    def check(stage: str) -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise ExtractionTooSlow(f"reading it took longer than the budget of {budget_s:g} s ({stage})")

    # Document facts first (region, dates, window, type …): what the text says fills what was not given,
    # and the region it names is what 本市 / 我区 in every item mean.
    given = None if entry.given is None else given_facts(entry.record, dict.fromkeys(entry.given, True))
    facts = read_document(entry.record.text, title=entry.record.title, issued=entry.record.issued)
    document = apply_document_facts(entry.record, facts, given)
    items = tuple(split_policy(document))
    check("split")
    # Clauses that govern the whole document (本措施适用于…) apply to every item, not the last one only.
    conditions, entries = governing_extraction(
        document.text, facts.governs, region_code=document.region_code, issued=document.issued
    )
    extractions = []
    for n, item in enumerate(items, start=1):
        extractions.append(
            with_governing(
                extract_item(
                    item.text,
                    title=item.title,
                    region_code=item.region_code,
                    department=item.department,
                    issued=item.issued,
                ),
                conditions,
                entries,
            )
        )
        check(f"item {n} of {len(items)}")
    # An item that gives enterprises nothing (persons' benefits, departments' duties) is stored, never offered.
    items = tuple(
        item if getattr(x, "for_enterprises", True) else dataclasses.replace(item, is_policy=False)
        for item, x in zip(items, extractions, strict=True)
    )
    return PreparedPolicy(document, items, tuple(extractions), entry.path, entry.line)


def ingest_policies(
    store: Store,
    docs: Iterable[Any],
    *,
    strict: bool = False,
    progress: bool = True,
    batch_size: int = POLICY_BATCH,
    audit_actor: str | None = None,
    budget_s: float | None = EXTRACTION_BUDGET_S,
    max_chars: int | None = MAX_POLICY_TEXT_CHARS,
    file_caps: FileCaps = DEFAULT_CAPS,
) -> IngestReport:
    """Split, extract and store policy documents; each batch is one transaction (strict: the whole ingest).

    ``docs`` may mix :class:`PolicyDocument`, POST /v1/policies dicts, loaded
    records, :class:`PreparedPolicy` and file/folder paths. Each document is read within
    ``budget_s`` seconds and ``max_chars`` characters, each file within ``file_caps`` (checked
    before parsing); a document over any of them is reported and the others still go in. With ``strict`` any error stores nothing and
    raises :class:`IngestFailed`. ``audit_actor`` appends one audit event with the counts.
    """
    started = time.perf_counter()
    tally = _Tally()
    total = _known_total(docs)
    entries = _progress(_policy_entries(docs, file_caps), enabled=progress, unit="doc", total=total)

    def prepared() -> Iterator[PreparedPolicy]:
        for entry in _good_entries(entries, tally):
            if isinstance(
                entry, PreparedPolicy
            ):  # read beforehand (prepare_policy), outside the caller's lock
                yield entry
                continue
            try:
                yield prepare_policy(entry, budget_s=budget_s, max_chars=max_chars)
            except (ValueError, TypeError, KeyError, RecursionError) as exc:
                tally.errors.append(
                    LoadError(entry.path, entry.line, "text", f"cannot be split or extracted: {exc}")
                )

    def store_batch(batch: list[PreparedPolicy], retry: bool) -> None:
        if retry:
            _store_policy_batch(store, batch, tally)
        else:
            for item in batch:
                _store_policy(store, item, tally)

    return _store_all(
        store, prepared(), "policies", store_batch, tally, started, strict, batch_size, audit_actor
    )


def _store_policy(store: Store, prepared: PreparedPolicy, tally: _Tally) -> None:
    existed = store.get_policy(prepared.document.id) is not None
    store.upsert_policy(prepared.document, prepared.items, prepared.extractions)
    tally.replaced += existed
    tally.inserted += not existed
    tally.items += len(prepared.items)
    # What the store keeps of each extraction: its v2 entries (corpus.store.policy_tables), not its v1 leaves.
    tally.conditions += sum(len(extracted_entries(e)) for e in prepared.extractions)
    tally.stored_ids.append(prepared.document.id)


def _store_policy_batch(store: Store, batch: list[PreparedPolicy], tally: _Tally) -> None:
    snapshot = _Tally(**{k: v for k, v in vars(tally).items() if not isinstance(v, list)})
    try:
        with store.transaction():
            for prepared in batch:
                _store_policy(store, prepared, snapshot)
    except (StoreError, ValueError, TypeError) as exc:
        if _store_itself_failed(exc):
            for prepared in batch:
                tally.errors.append(
                    LoadError(prepared.path, prepared.line, None, f"the store refused it: {exc}")
                )
            return
        # The batch rolled back as a whole; retry one by one so one bad record keeps only itself out.
        for prepared in batch:
            try:
                with store.transaction():
                    _store_policy(store, prepared, tally)
            except (StoreError, ValueError, TypeError) as exc:
                tally.errors.append(
                    LoadError(prepared.path, prepared.line, None, f"the store refused it: {exc}")
                )
        return
    for name in ("inserted", "replaced", "items", "conditions"):
        setattr(tally, name, getattr(snapshot, name))
    tally.stored_ids.extend(p.document.id for p in batch)


# --- enterprises -------------------------------------------------------------------------------


def _enterprise_entries(
    records: Iterable[Any], warnings: list[str], empty: str = "keep"
) -> Iterator[Loaded[EnterpriseProfile] | Loaded[ProfileRow] | LoadError]:
    for position, record in enumerate(records, start=1):
        if isinstance(record, Loaded | LoadError):
            yield record
        elif isinstance(record, EnterpriseProfile):
            yield Loaded(record, "(input)", position)
        elif isinstance(record, str | Path):
            # A file is a partial import: each row changes only the columns it carries (corpus.merge).
            for path in expand_paths([record], ENTERPRISE_SUFFIXES):
                yield from read_enterprise_rows(path, warnings, empty=empty)
        elif isinstance(record, Mapping):
            try:
                yield Loaded(validate_profile(record), "(input)", position)
            except RecordError as exc:
                for problem in exc.problems:
                    yield LoadError("(input)", position, problem.field, problem.message)
        else:
            yield LoadError(
                "(input)", position, None, f"is not an enterprise profile: {type(record).__name__}"
            )


def ingest_enterprises(
    store: Store,
    records: Iterable[Any],
    *,
    strict: bool = False,
    progress: bool = True,
    batch_size: int = ENTERPRISE_BATCH,
    audit_actor: str | None = None,
    empty: str = "keep",
) -> IngestReport:
    """Validate and upsert enterprise profiles in batches (each one transaction; strict: all or nothing).

    ``records`` may mix :class:`EnterpriseProfile`, profile dicts, loaded records
    and ``.jsonl``/``.csv`` paths. A profile or dict replaces the stored profile whole; a row
    of a file changes only the fields it carries (``empty``: what an empty cell means,
    :mod:`corpus.merge`). Every changed profile keeps its previous version as a snapshot.
    """
    if empty not in EMPTY_CHOICES:
        raise ValueError(f"empty must be one of {', '.join(EMPTY_CHOICES)}, got {empty!r}")
    started = time.perf_counter()
    tally = _Tally()
    total = _known_total(records)
    entries = _progress(
        _enterprise_entries(records, tally.warnings, empty), enabled=progress, unit="ent", total=total
    )

    def merged(batch: list[Loaded[Any]]) -> list[Loaded[EnterpriseProfile]]:
        """Whole profiles: partial rows merged onto the stored profile (or the batch's earlier row of that id)."""
        partial = [b.record.id for b in batch if isinstance(b.record, ProfileRow)]
        if not partial:
            return batch
        current: dict[str, EnterpriseProfile] = store.get_enterprises(partial)
        out: list[Loaded[EnterpriseProfile]] = []
        for entry in batch:
            record = entry.record
            if isinstance(record, ProfileRow):
                try:
                    profile = merge_profile(current.get(record.id), record.changes)
                except RecordError as exc:
                    for problem in exc.problems:
                        tally.errors.append(LoadError(entry.path, entry.line, problem.field, problem.message))
                    continue
            else:
                profile = record
            current[profile.id] = profile
            out.append(Loaded(profile, entry.path, entry.line))
        return out

    def flush(batch: list[Loaded[Any]], retry: bool) -> None:
        batch = merged(batch)
        if not batch:
            return
        try:
            counts = store.upsert_enterprises([b.record for b in batch])
        except (StoreError, ValueError, TypeError) as exc:
            if not retry:
                raise
            if _store_itself_failed(exc):
                for one in batch:
                    tally.errors.append(LoadError(one.path, one.line, None, f"the store refused it: {exc}"))
                return
            for one in batch:
                try:
                    flush([one], False)
                except (StoreError, ValueError, TypeError) as inner:
                    tally.errors.append(LoadError(one.path, one.line, None, f"the store refused it: {inner}"))
            del exc
            return
        tally.inserted += counts.inserted
        tally.replaced += counts.updated
        tally.unchanged += counts.unchanged
        tally.stored_ids.extend(b.record.id for b in batch)

    return _store_all(
        store,
        _good_entries(entries, tally),
        "enterprises",
        flush,
        tally,
        started,
        strict,
        batch_size,
        audit_actor,
    )


def _store_itself_failed(exc: BaseException) -> bool:
    """Tell a failure of the store itself (a full disk, an I/O error) from one record's fault.

    Only a record's fault (a constraint, a bad value) is worth retrying record by record; after the
    store itself failed a retry could keep part of a batch, so the batch is reported whole.
    """
    return isinstance(exc, StoreError) and not isinstance(exc, IntegrityError)


def _good_entries(entries: Iterable[Any], tally: _Tally) -> Iterator[Any]:
    """Count every record read; report the bad ones (a record with several bad fields counts once) and yield the rest (loaded or prepared)."""
    seen_bad: set[tuple[str, int | None]] = set()
    for entry in entries:
        if isinstance(entry, LoadError):
            tally.errors.append(entry)
            if (entry.path, entry.line) not in seen_bad:
                seen_bad.add((entry.path, entry.line))
                tally.read += 1
            continue
        tally.read += 1
        yield entry


def _store_all(
    store: Store,
    records: Iterable[R],
    kind: str,
    store_batch: Callable[[list[R], bool], None],
    tally: _Tally,
    started: float,
    strict: bool,
    batch_size: int,
    audit_actor: str | None,
) -> IngestReport:
    """Store ``records`` in batches: each batch one transaction retried record by record, or (strict) all in one."""
    if strict:
        try:
            with store.transaction():
                for batch in _batches(records, batch_size):
                    store_batch(batch, False)
                if tally.errors:
                    raise _Rollback
        except _Rollback:
            pass
        except (StoreError, ValueError, TypeError) as exc:
            tally.errors.append(LoadError("(store)", None, None, f"the store refused the batch: {exc}"))
        report = tally.report(kind, started, strict)
        if report.errors:
            raise IngestFailed(report)
    else:
        for batch in _batches(records, batch_size):
            store_batch(batch, True)
        report = tally.report(kind, started, strict)
    if audit_actor:
        store.append_audit(
            AuditEvent(
                audit_actor,
                f"ingest.{kind}",
                "",
                report.to_dict() | {"errors": [str(e) for e in report.errors[:_MAX_ERRORS_SHOWN]]},
            )
        )
    return report


def _batches(records: Iterable[R], size: int) -> Iterator[list[R]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch
