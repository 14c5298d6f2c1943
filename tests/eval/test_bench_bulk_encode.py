"""``bench bulk-encode``'s rules: a document scores its best chunk, and a candidate qualifies only within 1 point at ≥ ×4."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench.bulk_encode import BASELINE, CANDIDATES, TEACHER, best_chunk_recall, markdown, verdicts


def test_a_document_scores_its_best_chunk() -> None:
    """Chunks 0-1 belong to d0, chunk 2 to d1: the query whose best chunk is d1's finds d1 first."""
    scores = np.array([[0.1, 0.2, 0.9], [0.8, 0.1, 0.3]], dtype=np.float32)
    owner = np.array([0, 0, 1])
    assert best_chunk_recall(scores, owner, ["d0", "d1"], [{"d1"}, {"d0"}]) == 1.0
    # With only one answer per query in the top 10 of two documents, recall@10 is always 1: use ranks.
    scores = np.zeros((1, 12), dtype=np.float32)
    scores[0, 11] = -1.0  # the relevant document scores worst of 12
    assert best_chunk_recall(scores, np.arange(12), [f"d{i}" for i in range(12)], [{"d11"}]) == 0.0


def _payload(drops: dict[str, tuple[float, float]], speedup: float) -> dict[str, Any]:
    speed = {BASELINE: {"profile": [10.0, 11.0, 9.0], "long": [2.0, 2.0, 2.0]}}
    speed[TEACHER] = {"profile": [25.0] * 3, "long": [5.0] * 3}
    for name in CANDIDATES:
        speed[name] = {"profile": [10.0 * speedup] * 3, "long": [2.0 * speedup] * 3}
    teacher = {"ncp_policies": 0.90, "msgabench_qa": 0.93}
    recall = [
        {"set": s, "candidate": TEACHER, "role": "alone", "recall_at_10": v, "n_docs": 1, "n_queries": 1}
        for s, v in teacher.items()
    ]
    for name in CANDIDATES:
        for role in ("alone", "queries/profiles", "items"):
            for (s, v), drop in zip(teacher.items(), drops.get(name, (0.5, 0.5)), strict=True):
                recall.append(
                    {
                        "set": s,
                        "candidate": name,
                        "role": role,
                        "recall_at_10": v - drop,
                        "n_docs": 1,
                        "n_queries": 1,
                    }
                )
    payload = {
        "machine": "test",
        "when": "now",
        "load_average_1min": [3.0, 5.0],
        "runs": 3,
        "speed": speed,
        "recall": recall,
        "distillation": {},
    }
    payload["verdicts"] = verdicts(payload)
    return payload


def test_a_candidate_qualifies_only_within_one_point_on_both_sets_at_four_times() -> None:
    """0.5 points on both sets at ×5 qualifies; 2 points on one set, or ×3, does not."""
    args = argparse.Namespace(json_out=Path("docs/bench/bulk_encode.json"))
    good = _payload({"pruned-6": (0.005, 0.005)}, speedup=5.0)
    qualified = {(v["candidate"], v["role"]) for v in good["verdicts"] if v["qualifies"]}
    assert qualified == {("pruned-6", "alone"), ("pruned-6", "queries/profiles"), ("pruned-6", "items")}
    assert "Qualified" in markdown(good, args)

    one_set_off = _payload({"pruned-6": (0.005, 0.02)}, speedup=5.0)
    assert not any(v["qualifies"] for v in one_set_off["verdicts"])
    slow = _payload({"pruned-6": (0.0, 0.0)}, speedup=3.0)
    assert not any(v["qualifies"] for v in slow["verdicts"])
    text = markdown(slow, args)
    assert "No candidate qualifies" in text and "shared" in text and "3.0–5.0" in text


def test_the_command_defaults_to_both_real_sets_and_three_runs() -> None:
    """`policymatch bench bulk-encode` measures NCP and msgabench_qa, three timing runs, by default."""
    from api.cli import build_parser

    args = build_parser().parse_args(["bench", "bulk-encode"])
    assert [p.name for p in args.sets] == ["ncp_policies", "msgabench_qa"]
    assert args.runs == 3 and args.json_out == Path("docs/bench/bulk_encode.json")
