"""Enterprises in: whole profiles replace, a file's rows change only their columns; stored in batches."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from corpus.loaders import (
    ENTERPRISE_SUFFIXES,
    Loaded,
    LoadError,
    ProfileRow,
    expand_paths,
    read_enterprise_rows,
)
from corpus.loaders.records import record_errors
from corpus.merge import EMPTY_CHOICES, merge_profile
from corpus.schemas import EnterpriseProfile, RecordError, validate_profile
from corpus.store.base import Store
from matcher.ingest.batches import (
    good_entries,
    input_entries,
    known_total,
    progress_bar,
    store_all,
    write_batch,
)
from matcher.ingest.report import IngestReport, Tally

ENTERPRISE_BATCH = 5000


def _enterprise_entries(
    records: Iterable[Any], warnings: list[str], empty: str = "keep"
) -> Iterator[Loaded[EnterpriseProfile] | Loaded[ProfileRow] | LoadError]:
    def read_path(path: str | Path) -> Iterator[Loaded[ProfileRow] | LoadError]:
        # A file is a partial import: each row changes only the columns it carries (corpus.merge).
        for found in expand_paths([path], ENTERPRISE_SUFFIXES):
            yield from read_enterprise_rows(found, warnings, empty=empty)

    return input_entries(
        records,
        record_type=EnterpriseProfile,
        validate=lambda record, position: Loaded(validate_profile(record), "(input)", position),
        read_path=read_path,
        what="an enterprise profile",
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
    tally = Tally()
    total = known_total(records)
    entries = progress_bar(
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
                    tally.errors.extend(record_errors(entry.path, entry.line, exc))
                    continue
            else:
                profile = record
            current[profile.id] = profile
            out.append(Loaded(profile, entry.path, entry.line))
        return out

    def upsert(batch: list[Loaded[EnterpriseProfile]]) -> None:
        counts = store.upsert_enterprises([b.record for b in batch])
        tally.inserted += counts.inserted
        tally.replaced += counts.updated
        tally.unchanged += counts.unchanged
        tally.stored_ids.extend(b.record.id for b in batch)

    def flush(batch: list[Loaded[Any]], retry: bool) -> None:
        whole = merged(batch)
        if not whole:
            return
        if retry:
            write_batch(whole, upsert, tally)
        else:
            upsert(whole)

    return store_all(
        store,
        good_entries(entries, tally),
        "enterprises",
        flush,
        tally,
        started,
        strict,
        batch_size,
        audit_actor,
    )
