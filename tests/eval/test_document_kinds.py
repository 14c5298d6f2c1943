"""The document-type measure's counts, and the classifier it reads, on readings of our own."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.document_kinds import Reading, kind_counts, main, read_documents
from eval.real_corpus import LABELS_DIR, load_corpus


def test_kind_counts_split_non_policies_from_hidden_policies() -> None:
    rows = [
        Reading("tune", "news", False, False, 1),
        Reading("tune", "qa", False, True, 1),
        Reading("tune", "policy", True, False, 4),
        Reading("tune", "policy", True, True, 6),
        Reading("tune", "result", False, False, 1),
    ]
    counts = kind_counts(rows)
    assert counts == (2, 1, 1, 4, 1)
    assert counts.precision == pytest.approx(2 / 3)
    assert counts.recall == pytest.approx(2 / 3)


def test_no_documents_count_nothing() -> None:
    counts = kind_counts([])
    assert (counts.precision, counts.recall) == (0.0, 0.0)


def test_the_final_split_is_refused() -> None:
    with pytest.raises(SystemExit):
        main(["--split", "check,final"])


@pytest.mark.slow
def test_every_tune_document_is_read_once_as_ingest_reads_it(shared_dir: Path) -> None:
    corpus = load_corpus(LABELS_DIR, shared_dir)
    readings = read_documents(corpus, ["tune"])
    assert len(readings) == sum(1 for d in corpus.documents.values() if d.split == "tune")
    counts = kind_counts(readings)
    # Both kinds occur on tune and the classifier tells some of each apart.
    assert counts.nonpolicy_right > 0 and counts.policies_right > 0
