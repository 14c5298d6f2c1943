"""What both ingests share: inputs of any accepted kind as entries, and storing them in batches with retries."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from corpus.loaders import Loaded, LoadError
from corpus.loaders.records import record_errors
from corpus.schemas import RecordError
from corpus.store.base import AuditEvent, IntegrityError, Store, StoreError
from corpus.store.records import chunks
from matcher.ingest.report import MAX_ERRORS_SHOWN, IngestFailed, IngestReport, Tally

R = TypeVar("R")

#: What a write may raise for one record's fault, or the store's (:func:`store_itself_failed` tells them apart).
WRITE_ERRORS = (StoreError, ValueError, TypeError)


class _Rollback(Exception):
    """Raised inside the strict transaction to undo it."""


def known_total(records: Iterable[Any]) -> int | None:
    """How many records a progress bar may expect, when that is known before reading."""
    if isinstance(records, list | tuple) and not any(isinstance(r, str | Path) for r in records):
        return len(records)
    return None  # paths expand into an unknown number of records


def progress_bar(iterable: Iterable[Any], *, enabled: bool, unit: str, total: int | None) -> Iterable[Any]:
    """Wrap ``iterable`` in a tqdm bar when ``enabled``."""
    if not enabled:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, unit=unit, total=total, dynamic_ncols=True, leave=False)


def input_entries(
    records: Iterable[Any],
    *,
    record_type: type,
    validate: Callable[[Mapping[str, Any], int], Loaded[Any]],
    read_path: Callable[[str | Path], Iterable[Any]],
    what: str,
    passed: tuple[type, ...] = (),
) -> Iterator[Any]:
    """Each input as an entry: loaded and error records (and ``passed`` types) as they are, a record, a dict, a path.

    A dict is validated by ``validate`` (its errors become :class:`LoadError` of ``(input)`` and its
    position); a path is read by ``read_path``; anything else is an error naming ``what`` it is not.
    """
    for position, record in enumerate(records, start=1):
        if isinstance(record, (Loaded, LoadError, *passed)):
            yield record
        elif isinstance(record, record_type):
            yield Loaded(record, "(input)", position)
        elif isinstance(record, str | Path):
            yield from read_path(record)
        elif isinstance(record, Mapping):
            try:
                yield validate(record, position)
            except RecordError as exc:
                yield from record_errors("(input)", position, exc)
        else:
            yield LoadError("(input)", position, None, f"is not {what}: {type(record).__name__}")


def store_itself_failed(exc: BaseException) -> bool:
    """Tell a failure of the store itself (a full disk, an I/O error) from one record's fault.

    Only a record's fault (a constraint, a bad value) is worth retrying record by record; after the
    store itself failed a retry could keep part of a batch, so the batch is reported whole.
    """
    return isinstance(exc, StoreError) and not isinstance(exc, IntegrityError)


def write_batch(batch: list[Any], write: Callable[[list[Any]], None], tally: Tally) -> None:
    """Write a batch at once; refused for one record's fault, write it record by record so only the bad stay out."""
    try:
        write(batch)
    except WRITE_ERRORS as exc:
        if store_itself_failed(exc):
            tally.refused(batch, exc)
            return
        # The batch rolled back as a whole; retry one by one so one bad record keeps only itself out.
        for one in batch:
            try:
                write([one])
            except WRITE_ERRORS as inner:
                tally.refused([one], inner)


def good_entries(entries: Iterable[Any], tally: Tally) -> Iterator[Any]:
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


def store_all(
    store: Store,
    records: Iterable[R],
    kind: str,
    store_batch: Callable[[list[R], bool], None],
    tally: Tally,
    started: float,
    strict: bool,
    batch_size: int,
    audit_actor: str | None,
) -> IngestReport:
    """Store ``records`` in batches: each batch one transaction retried record by record, or (strict) all in one."""
    if strict:
        try:
            with store.transaction():
                for batch in chunks(records, batch_size):
                    store_batch(batch, False)
                if tally.errors:
                    raise _Rollback
        except _Rollback:
            pass
        except WRITE_ERRORS as exc:
            tally.errors.append(LoadError("(store)", None, None, f"the store refused the batch: {exc}"))
        report = tally.report(kind, started, strict)
        if report.errors:
            raise IngestFailed(report)
    else:
        for batch in chunks(records, batch_size):
            store_batch(batch, True)
        report = tally.report(kind, started, strict)
    if audit_actor:
        store.append_audit(
            AuditEvent(
                audit_actor,
                f"ingest.{kind}",
                "",
                report.to_dict() | {"errors": [str(e) for e in report.errors[:MAX_ERRORS_SHOWN]]},
            )
        )
    return report
