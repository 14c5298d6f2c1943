"""Measure the document-type classifier (:mod:`matcher.extraction.doctype`) on the real corpus's documents.

``python -m eval.document_kinds [--split tune,check]`` reads each labelled document as ingest does (the
title and text it is posted with), asks :func:`classify_document` whether it is a policy, and prints per
split the non-policy precision and recall (a non-policy read as a policy is offered to every enterprise of
its region; a policy read as a non-policy is hidden from all), the items of the policies it hides, and the
counts per labelled type (issue 14: the classifier is measured on real notices and real policies). Only
counts are printed, never a text. The final split is refused: it is run once, at the end, by the lead.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple


class Reading(NamedTuple):
    """One labelled document and what the classifier said of it."""

    split: str
    labelled_type: str
    is_policy: bool
    said_policy: bool
    items: int


class KindCounts(NamedTuple):
    """Non-policies read right and missed, policies hidden (and their items), per split."""

    nonpolicy_right: int
    nonpolicy_missed: int
    policies_hidden: int
    items_hidden: int
    policies_right: int

    @property
    def precision(self) -> float:
        """Of the documents read as non-policies, the share that are."""
        said = self.nonpolicy_right + self.policies_hidden
        return self.nonpolicy_right / said if said else 0.0

    @property
    def recall(self) -> float:
        """Of the non-policies, the share read as such."""
        labelled = self.nonpolicy_right + self.nonpolicy_missed
        return self.nonpolicy_right / labelled if labelled else 0.0


def kind_counts(readings: Iterable[Reading]) -> KindCounts:
    """Count a split's readings: non-policies read right / missed, policies hidden (with their items) / kept."""
    rows = list(readings)
    return KindCounts(
        sum(1 for r in rows if not r.is_policy and not r.said_policy),
        sum(1 for r in rows if not r.is_policy and r.said_policy),
        sum(1 for r in rows if r.is_policy and not r.said_policy),
        sum(r.items for r in rows if r.is_policy and not r.said_policy),
        sum(1 for r in rows if r.is_policy and r.said_policy),
    )


def read_documents(corpus: object, splits: Sequence[str]) -> list[Reading]:
    """Classify every labelled document of ``splits`` as ingest reads it (its posted title and text)."""
    from corpus.schemas import validate_policy
    from eval.real_eval.leaves import posted_document
    from matcher.extraction.doctype import classify_document

    out = []
    for key, labelled in corpus.documents.items():  # type: ignore[attr-defined]
        if labelled.split not in splits:
            continue
        document = validate_policy(posted_document(labelled, "source"))
        kind = classify_document(document.text, title=document.title)
        out.append(
            Reading(
                labelled.split,
                str(labelled.record.get("doc_type") or "policy"),
                labelled.record.get("is_policy") is not False,
                kind.is_policy,
                len(list(corpus.items_of(key))),  # type: ignore[attr-defined]
            )
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Print the classifier's counts per split and per labelled type."""
    from eval.real_corpus import load_corpus

    parser = argparse.ArgumentParser(prog="python -m eval.document_kinds")
    parser.add_argument("--split", default="tune,check", help="comma-separated splits (final is refused)")
    args = parser.parse_args(argv)
    splits = [s for s in args.split.split(",") if s]
    if "final" in splits:
        parser.error("the final split is run once, at the end: not here")
    readings = read_documents(load_corpus(), splits)
    out = sys.stdout.write
    for split in splits:
        rows = [r for r in readings if r.split == split]
        c = kind_counts(rows)
        out(
            f"{split}: {len(rows)} documents; non-policy precision {c.precision:.2f}, recall {c.recall:.2f} "
            f"({c.nonpolicy_right} read right, {c.nonpolicy_missed} read as policies); "
            f"{c.policies_hidden} policies read as non-policies ({c.items_hidden} items), {c.policies_right} kept\n"
        )
        by_type = Counter((r.labelled_type, r.is_policy, r.said_policy) for r in rows)
        for (doc_type, is_policy, said), n in sorted(by_type.items()):
            truth = "policy" if is_policy else "non-policy"
            out(f"  labelled {doc_type} ({truth}), read as {'policy' if said else 'non-policy'}: {n}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
