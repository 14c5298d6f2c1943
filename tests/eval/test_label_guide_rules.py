"""Guide rules that a label's fields alone decide, checked on every split's committed records.

These read one field of each record and never a text: a rule that needs no reading holds in check and final too
(docs/labelling.md). Rules that need the wording are checked on tune only (``test_label_audit_l29``).
"""

from __future__ import annotations

import pytest

from eval.real_corpus import LABELS_DIR, split_of
from eval.real_corpus.duplicates import read_label_records


def test_every_msgabench_answer_is_for_beijing_in_every_split() -> None:
    # "Region of msgabench answers: 11, always" (l29): a Beijing department's reply to a Beijing asker, also where
    # it restates a national scheme. lab3's answers labelled null before that rule were set to 11 in l14.
    documents = [r.record for r in read_label_records(LABELS_DIR) if r.kind == "document"]
    answers = [d for d in documents if d["source"] == "msga"]
    if not answers:
        pytest.skip("no committed labels")
    splits = {split_of(str(d["doc"])) for d in answers}
    assert splits == {"tune", "check", "final"}
    assert sum(1 for d in answers if d["region_code"] != "11") == 0
