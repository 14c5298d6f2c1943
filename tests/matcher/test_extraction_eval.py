"""The extraction evaluation: key normalisation, scoring a small set, and materialising the real set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpus.conditions import Condition
from eval.extraction_eval import (
    DEFAULT_ANNOTATIONS_DIR,
    condition_keys,
    materialize,
    read_annotations,
    run_eval,
)


def test_free_text_conditions_are_scored_by_count() -> None:
    keys = condition_keys(
        [
            Condition("undecidable", "eq", "受疫情影响"),
            Condition("revenue", "gte", 500),
            Condition("undecidable", "eq", "参保企业"),
            Condition("business_scope", "semantic", "从事疫苗研发"),
        ]
    )
    assert keys == [
        ("undecidable", "*", "#1"),
        ("revenue", "gte", 500.0),
        ("undecidable", "*", "#2"),
        ("semantic", "*", "#1"),
    ]


def test_run_eval_on_a_written_set(tmp_path: Path) -> None:
    items = [
        {
            "id": "t1",
            "title": "测试",
            "text": "对年营业收入达到2000万元以上的规上工业企业，给予50万元奖励。",
            "region_code": None,
            "conditions": [
                {"field": "revenue", "op": "gte", "value": 2000, "span": "年营业收入达到2000万元以上"},
                {"field": "qualifications", "op": "has", "value": "规上工业企业", "span": "规上工业企业"},
            ],
        },
        {
            "id": "t2",
            "title": "测试",
            "text": "对从业人员不超过300人的小微企业，免征房租。",
            "region_code": None,
            "conditions": [
                {"field": "employees", "op": "lte", "value": 300, "span": "从业人员不超过300人"},
                {"field": "size_class", "op": "in", "value": ["小", "微"], "span": "小微企业"},
                {"field": "credit_status", "op": "eq", "value": "normal", "span": "失信"},
            ],
        },
    ]
    set_dir = tmp_path / "set"
    set_dir.mkdir()
    (set_dir / "items.jsonl").write_text(
        "\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n", encoding="utf-8"
    )
    metrics = run_eval(set_dir, tmp_path / "out")
    assert (tmp_path / "out" / "metrics.json").exists()
    # Four of five true conditions are stated in the text; the 失信 one is not, so recall is 4/5.
    assert metrics["recall"] == 0.8 and metrics["precision"] == 1.0
    assert metrics["per_field"]["credit_status"]["fn"] == 1
    assert len(metrics["set_sha256"]) == 64


def test_annotations_ship_offsets_not_text() -> None:
    records = read_annotations(DEFAULT_ANNOTATIONS_DIR)
    assert len(records) >= 60 and sum(len(r["conditions"]) for r in records) >= 150
    for record in records:
        assert "text" not in record
        for condition in record["conditions"]:
            assert "span" in condition and isinstance(condition["span"], list)
            assert condition.get("value_from_span") or "value" in condition


def test_materialize_the_real_set(shared_dir: Path, tmp_path: Path) -> None:
    out = materialize(DEFAULT_ANNOTATIONS_DIR, shared_dir, tmp_path / "real")
    items = [json.loads(line) for line in (out / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    truth = [json.loads(line) for line in (out / "truth.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(items) >= 60
    for item in items:
        for condition in item["conditions"]:
            assert condition["span"] in item["text"]
    verdicts = {row["verdict"] for row in truth}
    assert verdicts <= {"eligible", "ineligible", "unknown"} and "ineligible" in verdicts


def test_support_type_rule_and_classifier_on_generated_items() -> None:
    from eval.extraction_eval import compare_support_types, demo_support_items
    from matcher.extraction.support import SupportTypeClassifier, rule_support_type

    train, held_out = demo_support_items(1, 25), demo_support_items(2, 15)
    (scores,) = compare_support_types(train, {"held out": held_out})
    assert scores.n_items == len(held_out)
    assert 0.0 <= scores.rule_accuracy <= 1.0
    # Both read more than the most common type alone would give.
    majority = max(
        sum(i["support_type"] == t for i in held_out) for t in {i["support_type"] for i in held_out}
    ) / len(held_out)
    assert scores.classifier_accuracy > majority and scores.rule_accuracy > majority
    assert rule_support_type("按贷款市场报价利率的50%给予贴息") == "贴息"
    assert rule_support_type("本条无任何扶持内容") is None
    with pytest.raises(RuntimeError, match="before fit"):
        SupportTypeClassifier().predict(["给予奖励"])


def test_real_support_labels_resolve(shared_dir: Path) -> None:
    from eval.extraction_eval import real_support_items

    items = real_support_items(DEFAULT_ANNOTATIONS_DIR, shared_dir)
    assert len(items) >= 50 and all(i["text"] and i["support_type"] for i in items)
