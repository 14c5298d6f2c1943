import random

import numpy as np
import pytest
from jsonl_files import write_jsonl

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


COUNTIES = [
    "椒江区",
    "黄岩区",
    "路桥区",
    "三门县",
    "天台县",
    "仙居县",
    "温岭市",
    "临海市",
    "玉环市",
    "台州市",
]
SUPPORTS = [
    "稳岗返还",
    "贷款贴息",
    "房租减免",
    "社保缓缴",
    "研发费用补助",
    "展会场租补贴",
    "技术改造奖励",
    "人才安居补贴",
    "出口信用保险补助",
    "用电成本补贴",
    "首台套保险补偿",
    "专精特新奖励",
    "上市挂牌奖励",
    "物流运费补贴",
    "防疫物资补助",
]


@pytest.fixture()
def synthetic_retrieval_set(tmp_path):
    docs, queries = [], []
    for i, county in enumerate(COUNTIES):
        for j, support in enumerate(SUPPORTS):
            docid = f"d{i}-{j}"
            amount = 10 + (i * 7 + j * 3) % 90
            docs.append(
                {
                    "docid": docid,
                    "text": f"{county}关于{support}的实施细则：对注册在{county}、符合条件的企业给予{support}，最高{amount}万元。",
                }
            )
            queries.append(
                {"qid": f"q{i}-{j}", "question": f"{county}的{support}最高多少钱？", "docid": docid}
            )
    folder = tmp_path / "synthetic"
    folder.mkdir()
    write_jsonl(folder / "docs.jsonl", docs)
    write_jsonl(folder / "queries.jsonl", queries)
    return folder


@pytest.mark.slow
def test_train_register_evaluate_promote_end_to_end(
    models_dir, synthetic_retrieval_set, tmp_path, monkeypatch, capsys
):
    from eval.retrain import retrain
    from models.promote import PromotionRefused, decide_promotion, evaluations_of, promote
    from models.registry import ModelRegistry
    from models.train import TrainConfig

    # A private registry holding a copy of the bootstrapped model, so the shared test cache stays as it is.
    base = ModelRegistry(models_dir).active()
    registry = ModelRegistry(tmp_path / "models")
    v1 = registry.register(base.path, parent=None, source=base.source, model_id=base.model_id)
    registry.activate(v1.version)

    run = retrain(
        models_dir=registry.root,
        retrieval_sets=[synthetic_retrieval_set],
        config=TrainConfig(max_seq_length=64, batch_size=16, max_pairs=300, seed=0),
        progress=False,
        cache_dir=tmp_path / ".cache" / "vectors",
    )
    new = registry.get(run.version)
    assert new.parent == v1.version and run.n_pairs >= 80
    training = new.metrics["training"]
    assert training["n_steps"] >= 5 and np.isfinite(training["final_loss"])
    assert any(k.startswith("retrieval:synthetic") for k in training["data_sha256"])
    assert (new.path / "train_config.json").is_file() and (new.path / "onnx" / "model_int8.onnx").is_file()
    registry.verify(run.version)

    # Both versions evaluated on the same held-out questions, recorded in both manifests.
    old_evals, new_evals = evaluations_of(registry.get(v1.version)), evaluations_of(new)
    assert set(old_evals) == set(new_evals) and len(new_evals) == 1
    key = next(iter(new_evals))
    for metrics in (old_evals[key], new_evals[key]):
        assert 0.0 <= metrics["recall@10"] <= 1.0 and 0.0 <= metrics["dense_recall@10"] <= 1.0

    # Every system of the harness, both versions side by side, and the section written from it.
    from eval.leakage import split_retrieval_set
    from eval.sets import read_retrieval_set
    from eval.training_compare import compare_retrieval
    from eval.training_report import training_section

    test = split_retrieval_set(read_retrieval_set(synthetic_retrieval_set), test_fraction=0.3, seed=0).test
    [comparison] = compare_retrieval(
        v1.version,
        run.version,
        [test],
        models_dir=registry.root,
        report_dir=tmp_path / "report",
        cache_dir=tmp_path / ".cache" / "vectors",
    )
    names = {s.name for s in comparison.run.systems}
    for v in (v1.version, run.version):
        assert {f"dense:{v}@onnx-int8", f"hybrid:{v}", f"fusion-zscore:{v}"} <= names
        # The table's served hybrid and dense are the numbers promotion compares.
        recorded = evaluations_of(registry.get(v))[key]
        assert comparison.run.system(f"hybrid:{v}").summary.recall[10] == pytest.approx(recorded["recall@10"])
        assert comparison.run.system(f"dense:{v}@onnx-int8").summary.recall[10] == pytest.approx(
            recorded["dense_recall@10"]
        )
    assert {"bm25", "tfidf-char", "tfidf-jieba"} <= names
    paired = comparison.pair(f"hybrid:{v1.version}", f"hybrid:{run.version}")
    assert paired is not None and paired.n_queries == comparison.run.n_queries
    assert (comparison.report_dir / "paired.json").is_file()
    section = training_section(registry.root, run.version, [comparison], docs=tmp_path / "docs")
    image = tmp_path / "docs" / "img" / f"training-{comparison.report_dir.name}-recall_at_k.png"
    assert image.is_file() and f"]({image.relative_to(tmp_path / 'docs')})" in section
    assert "Did fine-tuning help?" in section and "leakage guard" in section and "LEAKED" not in section

    # The same through the CLI (vectors cached under the working directory's .cache/vectors).
    from api.cli import main
    from api.settings import get_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(registry.root.parent))
    get_settings.cache_clear()
    try:
        report = tmp_path / "cli-report"
        assert (
            main(
                [
                    "models",
                    "report",
                    run.version,
                    "--retrieval-set",
                    str(synthetic_retrieval_set),
                    "--report",
                    str(report),
                ]
            )
            == 0
        )
        assert f"hybrid:{run.version}" in capsys.readouterr().out
        written = (report / "training.md").read_text(encoding="utf-8")
        assert "Did fine-tuning help?" in written and (report / "img").is_dir()
        assert not (tmp_path / "docs").joinpath("benchmarks.md").exists()  # only --benchmarks writes docs
    finally:
        get_settings.cache_clear()

    decision = decide_promotion(run.version, new_evals, v1.version, old_evals)
    if decision.allowed:
        promote(registry, run.version)
        assert registry.active_version() == run.version
        assert registry.rollback().version == v1.version
    else:
        with pytest.raises(PromotionRefused, match="worse than v1"):
            promote(registry, run.version)
        assert registry.active_version() == v1.version
