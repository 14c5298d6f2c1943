"""The eligibility and extraction measure on the real corpus: scores what the service says.

Each labelled document is ingested **whole** through the service's ingest path
(:func:`matcher.ingest.ingest_policies`: split, extract, store) into a
temporary data directory, with the metadata its source carries (``source``:
the Guangzhou csv's 发文机关 / 发布日期 / 标题, msgabench's department; nothing
else — region and validity must come from the service itself; a source that is one platform's, msgabench
of Beijing's portal 首都之窗, goes in as to that platform's deployment, with its home region
``PLATFORM_REGIONS``) or, with
``metadata="labelled"``, the labelled region, dates and department as a
poster would type them into the form. The profiles are ingested beside them.

Each labelled item is aligned to the service item with the largest character
overlap (service items are exact substrings of the document). The service's
verdict for a pair is what it tells the enterprise: the level of the pair in
the aligned item's 精准推送 target list, or **ineligible** when the list
leaves the enterprise out (outside the region, expired at ``as_of``, a
non-policy) or no service item covers the labelled one. The truth is the
reference evaluator's (:mod:`eval.reference_verdicts`) at the document's
``as_of``.

The ``as_of`` hook: pairs of a document are judged with
``Matcher.open(..., today=as_of)`` — the service's own date parameter — so
validity and windows that the served code judges against ``Matcher.today`` are
judged at the date the truth was labelled at.

The measure lives in three modules — :mod:`~eval.real_eval.leaves` (posting, alignment, leaf
comparison), :mod:`~eval.real_eval.run` (the runs) and :mod:`~eval.real_eval.report` (metrics and
the summary) — and every public name is importable from here.
"""

from eval.real_eval.leaves import (
    FREE_TEXT,
    METADATA_MODES,
    PLATFORM_REGIONS,
    TRUTH_LABELS,
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
from eval.real_eval.report import (
    ERROR_CATEGORIES,
    GOALS,
    UNSEEN,
    errors_listing,
    extraction_metrics,
    field_table,
    is_silent,
    iter_splits,
    ranking_metrics,
    silent_eligible_pairs,
    split_report,
    summary_markdown,
    unseen_report,
    verdict_metrics,
)
from eval.real_eval.run import (
    ItemResult,
    RealRun,
    compare_extraction,
    run_eligibility,
    run_extraction,
)

__all__ = [
    "Comparison",
    "ERROR_CATEGORIES",
    "FREE_TEXT",
    "GOALS",
    "ItemResult",
    "Leaf",
    "METADATA_MODES",
    "PLATFORM_REGIONS",
    "RealRun",
    "TRUTH_LABELS",
    "align",
    "compare",
    "compare_extraction",
    "errors_listing",
    "extraction_metrics",
    "field_table",
    "flatten",
    "is_silent",
    "iter_splits",
    "labelled_leaves",
    "policy_id_of",
    "posted_document",
    "ranking_metrics",
    "run_eligibility",
    "run_extraction",
    "service_spans",
    "silent_eligible_pairs",
    "UNSEEN",
    "split_report",
    "summary_markdown",
    "unseen_report",
    "verdict_metrics",
]
