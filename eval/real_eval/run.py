"""The runs: ingest the labelled documents through the service and collect its extraction and verdicts."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.real_corpus import Corpus, LabelledItem
from eval.real_eval.leaves import (
    PLATFORM_REGIONS,
    Comparison,
    Leaf,
    align,
    compare,
    flatten,
    labelled_leaves,
    policy_id_of,
    posted_document,
    service_spans,
)
from eval.reference_verdicts import LEVELS, THREE_WAY, judge_pair

# --- the run -----------------------------------------------------------------------------------


@dataclass
class ItemResult:
    """One labelled item: its aligned service item, conditions compared, document facts checked."""

    item: LabelledItem
    service_item: str | None
    comparison: Comparison
    facts_errors: list[str]
    states_requirement: bool
    predicted_count: int
    not_for_enterprises: bool = False
    #: Whether the service offers its aligned item to enterprises (None: no service item overlaps it).
    offered: bool | None = None
    #: Whether the service reads the item's document as a policy.
    read_as_policy: bool = True
    #: For an item whose offering is wrong: the reader that decided it (matcher.ingest.policies.OFFER_REASONS,
    #: or :data:`NOT_SPLIT_OUT`). Set by :func:`explain_offering`.
    offer_reason: str | None = None


@dataclass
class RealRun:
    """Everything one run measured: per-item comparisons and (with profiles) every pair's truth and service verdict."""

    corpus: Corpus
    items: list[ItemResult]
    pairs: list[tuple[str, str, str, str, str]] = field(
        default_factory=list
    )  # profile, item, split, truth, said
    levels: dict[tuple[str, str], str] = field(default_factory=dict)
    scores: dict[tuple[str, str], float] = field(default_factory=dict)
    target_rank: dict[tuple[str, str], int] = field(
        default_factory=dict
    )  # position in the item's target list
    extra: dict[str, Any] = field(default_factory=dict)


def _ingest(
    corpus: Corpus, data_dir: Path, metadata: str
) -> tuple[Any, list[str], dict[str, tuple[str, ...]]]:
    """Ingest every document as its source's platform would: the store, the ingest errors, and the offer reasons.

    The reasons are, per document key, which reader decided whether each of its items is offered
    (``PreparedPolicy.offer_reasons``), kept from the one reading ingest stores.
    """
    from corpus.store import open_store
    from matcher.ingest import ingest_policies

    store = open_store(data_dir / "policymatch.sqlite3")
    # Each source goes in as it would to its own platform's deployment: msgabench's answers to the
    # Beijing portal's, whose home region is Beijing (PLATFORM_REGIONS), the others to one with none.
    errors: list[str] = []
    reasons: dict[str, tuple[str, ...]] = {}
    for source in sorted({d.source.source for d in corpus.documents.values()}):
        home_region = PLATFORM_REGIONS.get(source)
        records = []
        for key, document in corpus.documents.items():
            if document.source.source == source:
                record = _prepared(posted_document(document, metadata), home_region)
                if not isinstance(record, dict):
                    reasons[key] = record.offer_reasons
                records.append(record)
        report = ingest_policies(store, records, progress=False, home_region=home_region)
        errors += [str(e) for e in report.errors]
    return store, errors, reasons


def _prepared(record: dict[str, Any], home_region: str | None) -> Any:
    """Read a posted record as ingest does, or return it as posted when it cannot be read.

    Ingest then reads such a record again and reports why; the others go in already read, offer reasons and all.
    """
    from matcher.ingest.policies import UNREADABLE, loaded_policy, prepare_policy

    try:
        return prepare_policy(loaded_policy(record), home_region=home_region)
    except UNREADABLE:
        return record


def _facts_errors(document: Any, stored: Any, service_listed_anyone: bool | None) -> list[str]:
    """List what the service got wrong about the document as a whole (region, validity, being a policy)."""
    errors = []
    labels = document.record
    region = labels.get("region_code") or None
    if stored is not None and (stored.region_code or None) != region:
        got = stored.region_code or "national"
        errors.append(f"region {got} (labelled {region or 'national'})")
    if stored is not None and labels.get("valid_until") and stored.valid_until != labels.get("valid_until"):
        errors.append(f"valid_until {stored.valid_until} (labelled {labels.get('valid_until')})")
    if labels.get("is_policy") is False and service_listed_anyone:
        errors.append("a non-policy is offered")
    return errors


def compare_extraction(corpus: Corpus, store: Any, *, read: str = "served") -> list[ItemResult]:
    """Align every labelled item to the service's items of its document and compare conditions.

    ``read="served"`` compares what the store serves for the item; ``read="entries"`` what the
    extractor reads of the same item text in the language v2 (``Extraction.entries``), whether
    or not the store serves it yet.
    """
    results = []
    for key, document in corpus.documents.items():
        service_items = list(store.iter_items(policy_id_of(key)))
        stored_policy = store.get_policy(policy_id_of(key))
        read_as_policy = stored_policy is None or stored_policy.document.is_policy is not False
        spans = service_spans(document.text, [i.text for i in service_items])
        for labelled in corpus.items_of(key):
            n = align(labelled, spans)
            true = labelled_leaves(labelled.record, document.record)
            predicted: list[Leaf] = []
            if n is not None:
                if read == "entries":
                    predicted = flatten(_extractor_entries(service_items[n]))
                else:
                    predicted = flatten(store.item_conditions(service_items[n].id))
            idle = (
                labelled.record.get("for_enterprises") is False or document.record.get("is_policy") is False
            )
            if idle:
                true = []
            stored = service_items[n] if n is not None else None
            results.append(
                ItemResult(
                    labelled,
                    stored.id if stored is not None else None,
                    compare(true, predicted),
                    _facts_errors(document, stored, None),
                    any(leaf.role != "bonus" for leaf in true),
                    len(predicted),
                    idle,
                    None if stored is None else read_as_policy and stored.is_policy is not False,
                    read_as_policy,
                )
            )
    return results


NOT_SPLIT_OUT = "withheld: no service item holds its text"


def explain_offering(
    corpus: Corpus, items: Sequence[ItemResult], reasons: Mapping[str, Sequence[str]]
) -> None:
    """Say, for every item whose offering is wrong, which reader decided it (``ItemResult.offer_reason``).

    ``reasons``: per document key, ingest's reason for each of its items (:func:`_ingest`); the aligned
    service item's reason is taken by its number.
    """
    from eval.real_eval.report import offering_kind

    for r in items:
        document = corpus.documents[r.item.doc]
        if offering_kind(r, document.record.get("is_policy") is not False) is None:
            continue
        if r.service_item is None:
            r.offer_reason = NOT_SPLIT_OUT
            continue
        number = int(r.service_item.rsplit("#", 1)[1]) - 1
        found = reasons.get(r.item.doc, ())
        r.offer_reason = found[number] if 0 <= number < len(found) else None


def _extractor_entries(item: Any) -> Sequence[Any]:
    """Return what the extractor reads of a stored item in the language v2, by the store's own rule.

    An empty v2 reading is nothing, as the store keeps it (``extracted_entries``), not the v1 leaves it
    drops on purpose; only an extraction with no entries at all falls back to its leaves.
    """
    from corpus.store.policy_tables import extracted_entries
    from matcher.extraction import extract_policy_item

    extraction = extract_policy_item(item)
    return tuple(extracted_entries(extraction))


def run_extraction(corpus: Corpus, *, metadata: str = "source", read: str = "served") -> RealRun:
    """Ingest the corpus into a temporary store and compare every item's conditions (no profiles, no model)."""
    with tempfile.TemporaryDirectory(prefix="policymatch-real-") as tmp:
        store, errors, _ = _ingest(corpus, Path(tmp), metadata)
        try:
            items = compare_extraction(corpus, store, read=read)
        finally:
            store.close()
    return RealRun(corpus, items, extra={"ingest_errors": errors, "metadata": metadata, "read": read})


def run_eligibility(
    corpus: Corpus,
    profiles: Sequence[Mapping[str, Any]],
    encoder: Any,
    *,
    metadata: str = "source",
    ranking: bool = True,
) -> RealRun:
    """Ingest documents whole and profiles, read every pair's verdict from the target lists at each document's as_of."""
    import numpy as np

    from corpus.schemas import validate_profile
    from matcher.ingest import ingest_enterprises
    from matcher.service import Matcher

    started = time.perf_counter()
    truth = {
        (str(p["id"]), item.id): judge_pair(corpus.documents[item.doc].record, item.record, p)
        for p in profiles
        for item in corpus.items
    }
    by_date: dict[str, list[str]] = defaultdict(list)
    for key, document in corpus.documents.items():
        by_date[str(document.record.get("as_of") or "2020-02-20")].append(key)
    run = RealRun(corpus, [], extra={"metadata": metadata})
    with tempfile.TemporaryDirectory(prefix="policymatch-real-") as tmp:
        data_dir = Path(tmp)
        store, errors, reasons = _ingest(corpus, data_dir, metadata)
        try:
            report = ingest_enterprises(store, [validate_profile(p) for p in profiles], progress=False)
            if report.errors:
                # A profile the store refuses (a 统一社会信用代码 another profile holds …) would leave its pairs
                # unscored: the measure needs every profile it was given.
                raise ValueError(f"the store refused {len(report.errors)} profiles: {report.errors[0]}")
            run.items = compare_extraction(corpus, store)
            explain_offering(corpus, run.items, reasons)
            aligned = {r.item.id: r.service_item for r in run.items}
            listed_any: dict[str, bool] = {}
            for day, keys in sorted(by_date.items()):
                matcher = Matcher.open(
                    data_dir, store, encoder, build_index=False, today=dt.date.fromisoformat(day)
                )
                matcher.encode_enterprises()
                ids = matcher.columns.ids
                row_of = {str(ids[r]): r for r in range(len(ids)) if matcher.columns.alive[r]}
                rows = np.array([row_of[str(p["id"])] for p in profiles], dtype=np.int64)
                wanted = {k for k in keys}
                for item in corpus.items:
                    if item.doc not in wanted:
                        continue
                    service_item = aligned[item.id]
                    if service_item is None:
                        for p in profiles:
                            run.levels[(str(p["id"]), item.id)] = "not_listed"
                        continue
                    order = matcher.target_order(
                        policy_id_of(item.doc), service_item, LEVELS, include_excluded=True
                    )
                    listed = np.isin(rows, order.rows)
                    position = {int(r): n for n, r in enumerate(order.rows)}
                    ranks = order.verdicts.level[rows]
                    listed_any[item.doc] = listed_any.get(item.doc, False) or bool(listed.any())
                    for p, row, rank, on in zip(profiles, rows, ranks, listed, strict=True):
                        run.levels[(str(p["id"]), item.id)] = LEVELS[int(rank)] if on else "not_listed"
                        if on:
                            run.target_rank[(str(p["id"]), item.id)] = position[int(row)]
                if ranking and not run.scores:
                    # 智能匹配 once per enterprise, at the earliest as_of: an item's level and score do
                    # not depend on the date; whether it is offered at all does, and the ranking takes
                    # that from the item's target list at its own as_of (run.levels).
                    for p in profiles:
                        response = matcher.match(str(p["id"]), top_k=max(1, matcher.n_items), levels=LEVELS)
                        for result in response.results:
                            run.scores[(str(p["id"]), result.item_id)] = float(result.score)
                matcher.close()
            for r in run.items:
                document = corpus.documents[r.item.doc]
                if document.record.get("is_policy") is False and listed_any.get(r.item.doc):
                    r.facts_errors.append("a non-policy is offered")
        finally:
            store.close()
    for item in corpus.items:
        for p in profiles:
            pair = (str(p["id"]), item.id)
            level = run.levels[pair]
            said = "ineligible" if level == "not_listed" else THREE_WAY[level]
            run.pairs.append((pair[0], item.id, item.split, truth[pair].verdict, said))
    run.extra.update(
        ingest_errors=errors,
        seconds=round(time.perf_counter() - started, 1),
        as_of_dates=len(by_date),
        truth_reasons=dict(Counter(t.reason for t in truth.values())),
    )
    run.extra["_truth"] = truth
    return run
