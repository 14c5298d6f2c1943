"""Ingestion: load (corpus) → split and extract (matcher) → store (corpus), in batches.

:func:`ingest_policies` takes policy documents — :class:`PolicyDocument`,
``POST /v1/policies`` dicts, :class:`corpus.loaders.Loaded` records, or file
and folder paths — splits each into items, extracts every item's tags and
conditions, and stores each batch in one transaction. :func:`ingest_enterprises`
does the same for enterprise profiles.

Bad records are reported with their file, line and field and the good ones
still go in; with ``strict=True`` the whole ingest is one transaction and any
error leaves the store exactly as it was (:class:`IngestFailed` carries the
report). If a batch fails in the store itself (a constraint, a full disk),
its records are retried one by one so a single bad record cannot keep the
others out. Re-ingesting an id replaces it (a new policy version, a new
enterprise snapshot), never duplicates it; a person's edited conditions survive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from corpus.loaders import (
    ENTERPRISE_SUFFIXES,
    POLICY_SUFFIXES,
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
from corpus.store.base import AuditEvent, Store, StoreError

POLICY_BATCH = 50
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


@dataclass(frozen=True)
class _PreparedPolicy:
    document: PolicyDocument
    items: tuple[PolicyItem, ...]
    extractions: tuple[Any, ...]
    path: str
    line: int | None


def _policy_entries(docs: Iterable[Any]) -> Iterator[Loaded[PolicyDocument] | LoadError]:
    for position, doc in enumerate(docs, start=1):
        if isinstance(doc, Loaded | LoadError):
            yield doc
        elif isinstance(doc, PolicyDocument):
            yield Loaded(doc, "(input)", position)
        elif isinstance(doc, str | Path):
            for path in expand_paths([doc], POLICY_SUFFIXES):
                yield from read_policies(path)
        elif isinstance(doc, Mapping):
            try:
                yield Loaded(validate_policy(doc), "(input)", position)
            except RecordError as exc:
                for problem in exc.problems:
                    yield LoadError("(input)", position, problem.field, problem.message)
        else:
            yield LoadError("(input)", position, None, f"is not a policy document: {type(doc).__name__}")


def _prepare_policy(entry: Loaded[PolicyDocument]) -> _PreparedPolicy:
    # Imported here: extraction loads its vocabularies on first use, and corpus-only callers never need it.
    from matcher.extraction import extract_item

    document = entry.record
    items = tuple(split_policy(document))
    extractions = tuple(
        extract_item(
            item.text,
            title=item.title,
            region_code=item.region_code,
            department=item.department,
            issued=item.issued,
        )
        for item in items
    )
    return _PreparedPolicy(document, items, extractions, entry.path, entry.line)


def ingest_policies(
    store: Store,
    docs: Iterable[Any],
    *,
    strict: bool = False,
    progress: bool = True,
    batch_size: int = POLICY_BATCH,
    audit_actor: str | None = None,
) -> IngestReport:
    """Split, extract and store policy documents; each batch is one transaction (strict: the whole ingest).

    ``docs`` may mix :class:`PolicyDocument`, POST /v1/policies dicts, loaded
    records and file/folder paths. With ``strict`` any error stores nothing and
    raises :class:`IngestFailed`. ``audit_actor`` appends one audit event with the counts.
    """
    started = time.perf_counter()
    tally = _Tally()
    total = _known_total(docs)
    entries = _progress(_policy_entries(docs), enabled=progress, unit="doc", total=total)

    def prepared() -> Iterator[_PreparedPolicy]:
        for entry in _good_entries(entries, tally):
            try:
                yield _prepare_policy(entry)
            except (ValueError, TypeError, KeyError) as exc:
                tally.errors.append(
                    LoadError(entry.path, entry.line, "text", f"cannot be split or extracted: {exc}")
                )

    def store_batch(batch: list[_PreparedPolicy], retry: bool) -> None:
        if retry:
            _store_policy_batch(store, batch, tally)
        else:
            for item in batch:
                _store_policy(store, item, tally)

    return _store_all(
        store, prepared(), "policies", store_batch, tally, started, strict, batch_size, audit_actor
    )


def _store_policy(store: Store, prepared: _PreparedPolicy, tally: _Tally) -> None:
    existed = store.get_policy(prepared.document.id) is not None
    store.upsert_policy(prepared.document, prepared.items, prepared.extractions)
    tally.replaced += existed
    tally.inserted += not existed
    tally.items += len(prepared.items)
    tally.conditions += sum(len(e.conditions) for e in prepared.extractions)
    tally.stored_ids.append(prepared.document.id)


def _store_policy_batch(store: Store, batch: list[_PreparedPolicy], tally: _Tally) -> None:
    snapshot = _Tally(**{k: v for k, v in vars(tally).items() if not isinstance(v, list)})
    try:
        with store.transaction():
            for prepared in batch:
                _store_policy(store, prepared, snapshot)
    except (StoreError, ValueError, TypeError):
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


def _good_entries(entries: Iterable[Loaded[T] | LoadError], tally: _Tally) -> Iterator[Loaded[T]]:
    """Count every record read; report the bad ones (a record with several bad fields counts once) and yield the rest."""
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
