"""Policies in: each document split into items and read (tags, conditions), then stored in batches."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.loaders import (
    DEFAULT_CAPS,
    POLICY_SUFFIXES,
    FileCaps,
    Loaded,
    LoadError,
    expand_paths,
    read_policies,
)
from corpus.schemas import PolicyDocument, PolicyItem, validate_policy
from corpus.splitting import split_policy
from corpus.store.base import Store
from corpus.store.policy_tables import extracted_entries
from matcher.ingest.batches import (
    good_entries,
    input_entries,
    known_total,
    progress_bar,
    store_all,
    write_batch,
)
from matcher.ingest.report import IngestReport, Tally

POLICY_BATCH = 50
# Seconds one document's split and extraction may take (a setting at the doors: POLICYMATCH_EXTRACTION_BUDGET_S).
EXTRACTION_BUDGET_S = 60.0
# Characters of one policy text (a setting at the doors: POLICYMATCH_MAX_POLICY_TEXT_CHARS).
MAX_POLICY_TEXT_CHARS = 200_000


class ExtractionTooSlow(ValueError):
    """A document whose split and extraction ran past its time budget (it is reported, not stored)."""


# What reading a document may raise on text it cannot split or extract: reported as that document's error.
UNREADABLE = (ValueError, TypeError, KeyError, RecursionError)


# Why an item is offered to enterprises or not: the reader that decided last (PreparedPolicy.offer_reasons).
OFFERED = "offered: a measure naming support, read as for enterprises"
OFFERED_BY_MODEL = "offered: the item model, over the splitter"
NOT_A_POLICY = "withheld: the document is no policy"
NO_SUPPORT_NAMED = "withheld: the splitter, a measure naming no support"
NOT_FOR_ENTERPRISES = "withheld: read as not for enterprises"
WITHHELD_BY_MODEL = "withheld: the item model"
OFFER_REASONS = (
    OFFERED,
    OFFERED_BY_MODEL,
    NOT_A_POLICY,
    NO_SUPPORT_NAMED,
    NOT_FOR_ENTERPRISES,
    WITHHELD_BY_MODEL,
)


@dataclass(frozen=True)
class PreparedPolicy:
    """A policy document split into items and read (tags, conditions): what the store writes, made outside any lock."""

    document: PolicyDocument
    items: tuple[PolicyItem, ...]
    extractions: tuple[Any, ...]
    path: str
    line: int | None
    #: Per item, which reader decided whether it is offered (:data:`OFFER_REASONS`).
    offer_reasons: tuple[str, ...] = ()


def loaded_policy(doc: Mapping[str, Any], position: int | None = None) -> Loaded[PolicyDocument]:
    """Validate a posted policy record; the fields it gives (not None) win over what its text says."""
    given = frozenset(k for k, v in doc.items() if v is not None)
    return Loaded(validate_policy(doc), "(input)", position, given=given)


def _policy_entries(
    docs: Iterable[Any], caps: FileCaps = DEFAULT_CAPS
) -> Iterator[Loaded[PolicyDocument] | LoadError | PreparedPolicy]:
    def read_path(path: str | Path) -> Iterator[Loaded[PolicyDocument] | LoadError]:
        for found in expand_paths([path], POLICY_SUFFIXES):
            yield from read_policies(found, caps)

    return input_entries(
        docs,
        record_type=PolicyDocument,
        validate=loaded_policy,
        read_path=read_path,
        what="a policy document",
        passed=(PreparedPolicy,),
    )


def prepare_policy(
    entry: Loaded[PolicyDocument] | PolicyDocument,
    *,
    budget_s: float | None = EXTRACTION_BUDGET_S,
    max_chars: int | None = MAX_POLICY_TEXT_CHARS,
    home_region: str | None = None,
) -> PreparedPolicy:
    """Split a document and extract every item, within ``budget_s`` seconds and ``max_chars`` characters.

    ``home_region`` is the region of the platform the document is posted to (``POLICYMATCH_HOME_REGION``):
    a document whose issuer is a local body named without its place (科委, 市人社局) is that region's.

    Raises :class:`ExtractionTooSlow` past the budget (checked after the split and after each
    item: every reader is linear in its text, so one item's share is bounded by the size cap)
    and ``ValueError`` for a text over the cap. Needs no store and no lock: the HTTP route runs it
    before taking the write lock, so a long document never holds up other writes.
    """
    # Imported here: extraction loads its vocabularies on first use, and corpus-only callers never need it.
    from matcher.extraction import extract_policy_item
    from matcher.extraction.document import (
        apply_document_facts,
        given_facts,
        governing_extraction,
        read_document,
        with_governing,
    )
    from matcher.extraction.offered import not_offered_to_enterprises, offered_to_enterprises

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
    facts = read_document(
        entry.record.text,
        title=entry.record.title,
        issued=entry.record.issued,
        department=entry.record.department,
        home_region=home_region,
    )
    document = apply_document_facts(entry.record, facts, given)
    items = tuple(split_policy(document))
    reasons = [OFFERED if item.is_policy is not False else NO_SUPPORT_NAMED for item in items]
    if document.is_policy is not False:
        # A measure the splitter keeps never offered (it names no support word the rules know) may be
        # offered all the same in words no rule lists: the item model decides, only when fairly sure.
        restored = [item.is_policy is False and offered_to_enterprises(item.text) for item in items]
        items = tuple(
            dataclasses.replace(item, is_policy=document.is_policy) if again else item
            for item, again in zip(items, restored, strict=True)
        )
        reasons = [OFFERED_BY_MODEL if again else why for why, again in zip(reasons, restored, strict=True)]
    else:
        reasons = [NOT_A_POLICY] * len(items)
    check("split")
    # Clauses that govern the whole document (本措施适用于…) apply to every item, not the last one only.
    conditions, entries = governing_extraction(
        document.text,
        facts.governs,
        region_code=document.region_code,
        issued=document.issued,
        title=document.title or "",
    )
    extractions = []
    for n, item in enumerate(items, start=1):
        extractions.append(
            with_governing(
                extract_policy_item(item),
                conditions,
                entries,
            )
        )
        check(f"item {n} of {len(items)}")
    # An item that gives enterprises nothing (persons' benefits, departments' duties) is stored, never offered;
    # …and one the rules offer that the item model is all but sure gives enterprises nothing (工作要求, a bank's
    # duties naming a loan) is withheld too.
    kept = list(items)
    for n, (item, x) in enumerate(zip(items, extractions, strict=True)):
        offered = reasons[n] in (OFFERED, OFFERED_BY_MODEL)
        if not getattr(x, "for_enterprises", True):
            kept[n] = dataclasses.replace(item, is_policy=False)
            reasons[n] = NOT_FOR_ENTERPRISES if offered else reasons[n]
        elif item.is_policy is not False and not_offered_to_enterprises(item.text):
            kept[n] = dataclasses.replace(item, is_policy=False)
            reasons[n] = WITHHELD_BY_MODEL if offered else reasons[n]
    items = tuple(kept)
    # An item never offered — not for enterprises (just above), or kept by the splitter as a measure
    # naming no support beside ones that do — states no condition on an enterprise (labelling guide §4);
    # its other readings (tags, support) stay.
    extractions = [
        x
        if getattr(item, "is_policy", True) is not False
        else dataclasses.replace(x, conditions=(), entries=())
        for item, x in zip(items, extractions, strict=True)
    ]
    return PreparedPolicy(document, items, tuple(extractions), entry.path, entry.line, tuple(reasons))


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
    home_region: str | None = None,
) -> IngestReport:
    """Split, extract and store policy documents; each batch is one transaction (strict: the whole ingest).

    ``docs`` may mix :class:`PolicyDocument`, POST /v1/policies dicts, loaded
    records, :class:`PreparedPolicy` and file/folder paths. Each document is read within
    ``budget_s`` seconds and ``max_chars`` characters, each file within ``file_caps`` (checked
    before parsing); a document over any of them is reported and the others still go in. ``home_region``: the
    platform's own region (:func:`prepare_policy`). With ``strict`` any error stores nothing and
    raises :class:`IngestFailed`. ``audit_actor`` appends one audit event with the counts.
    """
    started = time.perf_counter()
    tally = Tally()
    total = known_total(docs)
    entries = progress_bar(_policy_entries(docs, file_caps), enabled=progress, unit="doc", total=total)

    def prepared() -> Iterator[PreparedPolicy]:
        for entry in good_entries(entries, tally):
            if isinstance(
                entry, PreparedPolicy
            ):  # read beforehand (prepare_policy), outside the caller's lock
                yield entry
                continue
            try:
                yield prepare_policy(entry, budget_s=budget_s, max_chars=max_chars, home_region=home_region)
            except UNREADABLE as exc:
                tally.errors.append(
                    LoadError(entry.path, entry.line, "text", f"cannot be split or extracted: {exc}")
                )

    def store_batch(batch: list[PreparedPolicy], retry: bool) -> None:
        if retry:
            _store_policy_batch(store, batch, tally)
        else:
            for item in batch:
                _store_policy(store, item, tally)

    return store_all(
        store, prepared(), "policies", store_batch, tally, started, strict, batch_size, audit_actor
    )


def _store_policy(store: Store, prepared: PreparedPolicy, tally: Tally) -> None:
    existed = store.get_policy(prepared.document.id) is not None
    store.upsert_policy(prepared.document, prepared.items, prepared.extractions)
    tally.replaced += existed
    tally.inserted += not existed
    tally.items += len(prepared.items)
    # What the store keeps of each extraction: its v2 entries (corpus.store.policy_tables), not its v1 leaves.
    tally.conditions += sum(len(extracted_entries(e)) for e in prepared.extractions)
    tally.stored_ids.append(prepared.document.id)


def _store_policy_batch(store: Store, batch: list[PreparedPolicy], tally: Tally) -> None:
    def write(part: list[PreparedPolicy]) -> None:
        # Counted apart and added once committed: a rolled-back batch must not count.
        counted = Tally()
        with store.transaction():
            for prepared in part:
                _store_policy(store, prepared, counted)
        for name in ("inserted", "replaced", "items", "conditions"):
            setattr(tally, name, getattr(tally, name) + getattr(counted, name))
        tally.stored_ids.extend(counted.stored_ids)

    write_batch(batch, write, tally)
