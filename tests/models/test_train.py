import json
import random

import numpy as np
import pytest

from models.train import TrainingPair, batches_without_duplicates, hard_negatives_from_scores, pairs_sha256


def test_hard_negatives_skip_positives_and_respect_mask():
    scores = np.array([[0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.4]])
    assert hard_negatives_from_scores(scores, [{0}, {3}]) == [1, 2]
    assert hard_negatives_from_scores(scores, [{0}, {3}], skip=1) == [2, 1]
    allowed = np.array([True, False, False, True])
    assert hard_negatives_from_scores(scores, [{0}, {3}], allowed=allowed) == [3, 0]
    assert hard_negatives_from_scores(np.array([[1.0]]), [{0}]) == [None]


def test_batches_never_repeat_a_positive():
    pairs = [TrainingPair(f"q{i}", f"doc{i % 5}") for i in range(40)]
    batches = batches_without_duplicates(pairs, 4, random.Random(0))
    for batch in batches:
        positives = [pairs[i].positive for i in batch]
        assert len(positives) == len(set(positives)) and len(batch) <= 4
    used = [i for b in batches for i in b]
    assert len(used) == len(set(used)) and len(used) >= 36


def test_pairs_checksum_is_order_sensitive():
    a, b = TrainingPair("q", "p"), TrainingPair("q2", "p2", "n")
    assert pairs_sha256([a, b]) != pairs_sha256([b, a])


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


TOPICS = [
    "稳岗返还",
    "贷款贴息",
    "房租减免",
    "社保缓缴",
    "研发补助",
    "展会补贴",
    "技术改造",
    "人才引进",
    "出口信保",
    "电费减免",
]


@pytest.fixture()
def small_retrieval_set(tmp_path):
    docs = [
        {
            "docid": f"d{i}",
            "text": f"关于{t}的通知 对符合条件的企业给予{t}支持，具体办法如下：企业申请{t}须提交材料。",
        }
        for i, t in enumerate(TOPICS)
    ]
    queries = [
        {"qid": f"q{i}-{j}", "question": f"{t}怎么申请{'？' * (j + 1)}", "docid": f"d{i}"}
        for i, t in enumerate(TOPICS)
        for j in range(3)
    ]
    write_jsonl(tmp_path / "docs.jsonl", docs)
    write_jsonl(tmp_path / "queries.jsonl", queries)
    return tmp_path


def test_collect_training_data_keeps_test_documents_out(small_retrieval_set, tmp_path):
    from eval.sets import FeedbackRecord, write_feedback
    from eval.training import collect_training_data

    feedback = tmp_path / "fb.jsonl"
    write_feedback(
        [
            FeedbackRecord("E1", "P9#1", "useful", "软件开发企业", "软件企业奖励"),
            FeedbackRecord("E1", "P8#1", "not_useful", "软件开发企业", "农业种植补贴"),
        ],
        feedback,
    )
    data = collect_training_data(
        retrieval_sets=[small_retrieval_set], feedback_files=[feedback], test_fraction=0.3, seed=0
    )
    held_out = data.held_out[0]
    test_docs = {d for q in held_out.queries for d in q.docids}
    test_texts = {d.text for d in held_out.docs if d.docid in test_docs}
    assert test_docs and data.leakage["all"]["ok"]
    for pair in data.pairs:
        assert not any(text[:40] in (pair.positive + (pair.negative or "")) for text in test_texts)
    assert data.counts["feedback:fb.jsonl"] == 1
    assert any(p.negative == "农业种植补贴" for p in data.pairs)
    assert all(p.negative for p in data.pairs)  # BM25 negatives for the rest
