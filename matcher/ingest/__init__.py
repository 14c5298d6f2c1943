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

One job per module: ``report`` (what an ingest did), ``batches`` (inputs as entries, batches,
retries, strict transactions), ``policies`` and ``enterprises`` (the two ingests).
"""

from matcher.ingest.enterprises import ENTERPRISE_BATCH, ingest_enterprises
from matcher.ingest.policies import (
    EXTRACTION_BUDGET_S,
    MAX_POLICY_TEXT_CHARS,
    POLICY_BATCH,
    ExtractionTooSlow,
    PreparedPolicy,
    ingest_policies,
    prepare_policy,
)
from matcher.ingest.report import IngestFailed, IngestReport

__all__ = [
    "ENTERPRISE_BATCH",
    "EXTRACTION_BUDGET_S",
    "MAX_POLICY_TEXT_CHARS",
    "POLICY_BATCH",
    "ExtractionTooSlow",
    "IngestFailed",
    "IngestReport",
    "PreparedPolicy",
    "ingest_enterprises",
    "ingest_policies",
    "prepare_policy",
]
