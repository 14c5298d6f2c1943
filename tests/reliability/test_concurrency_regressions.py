"""Races the soak found, pinned as plain tests."""

from __future__ import annotations

import numpy as np

from corpus.conditions import Condition
from matcher.eligibility import MET, UNKNOWN, EnterpriseColumns


def _always_met(scores: np.ndarray) -> np.ndarray:
    return np.full(len(scores), MET, dtype=np.int8)


def test_semantic_scores_older_than_a_concurrent_upsert_leave_new_rows_unknown():
    # Soak: a target list scored its semantic condition, an ingest added profiles, then judge() ran:
    # "operands could not be broadcast together with shapes (598,) (596,)" → HTTP 500.
    columns = EnterpriseColumns()
    columns.upsert([{"id": f"E{i}", "name": f"企业{i}"} for i in range(3)])
    columns.set_vectors([0, 1, 2], np.eye(3, 4, dtype=np.float32))
    scores = np.ones(3, dtype=np.float32)  # computed for the three rows there were
    columns.upsert([{"id": "E3", "name": "企业3"}, {"id": "E4", "name": "企业4"}])
    condition = Condition("business_scope", "semantic", "集成电路设计")
    verdicts = columns.judge([condition], {"集成电路设计": scores}, _always_met)
    assert verdicts.per_condition[0].tolist() == [MET, MET, MET, UNKNOWN, UNKNOWN]
