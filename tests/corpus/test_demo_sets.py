"""The demo corpus's labelled sets (truth by judge_item) and loading it into a store, by function and by the CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from corpus.conditions import Condition, judge_item, leaves, parse_conditions, truth_verdict
from corpus.demo import DEFAULT_SEED, generate, write_eligibility_set, write_retrieval_set
from corpus.demo.sets import true_level
from corpus.demo.vocab import COUNTIES
from corpus.schemas import validate_profile

# --- labelled sets ---------------------------------------------------------------------------------


def _read(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_eligibility_set_truth_is_judge_item_and_every_level_is_common(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = write_eligibility_set(corpus, tmp_path, n_items=120, n_profiles=80)
    items, profiles, truth = (_read(tmp_path / f"{name}.jsonl") for name in ("items", "profiles", "truth"))
    assert (
        (len(items), len(profiles), len(truth))
        == (120, 80, 120 * 80)
        == (report.n_items, report.n_profiles, report.n_pairs)
    )
    assert {(t["profile"], t["item"]) for t in truth} == {(p["id"], i["id"]) for p in profiles for i in items}
    levels = Counter(t["level"] for t in truth)
    for level in ("eligible", "need_info", "near_miss", "ineligible"):
        assert levels[level] > 0.02 * len(truth), levels
    assert Counter(t["verdict"] for t in truth).keys() == {"eligible", "ineligible", "unknown"}
    by_id = {i.id: i for i in corpus.items}
    judge = corpus.semantic_judge()
    conditions = {
        i["id"]: list(parse_conditions(i["conditions"], i["tiers"], source="edited")) for i in items
    }
    assert all(conditions[i["id"]] == list(by_id[i["id"]].conditions) for i in items)
    profile_by_id = {p["id"]: p for p in profiles}
    for row in truth[::37]:
        item = by_id[row["item"]]
        level, failed, unknown = true_level(item, profile_by_id[row["profile"]], judge)
        assert row["verdict"] == truth_verdict(level)
        assert row["failed"] == failed and row["unknown"] == unknown
        if item.is_policy and not failed[:1] == ["valid_until"] and not failed[:1] == ["region_code"]:
            verdict = judge_item(conditions[row["item"]], profile_by_id[row["profile"]], judge)
            assert level == verdict.level  # past the document facts, the truth is judge_item's
    semantic = [t for t in truth if any(c.op == "semantic" for c in leaves(conditions[t["item"]]))]
    assert semantic and not all(
        "business_scope" in t["unknown"] for t in semantic
    )  # the generator settles them
    # Profiles are written as the service holds them: validated, size class derived from the figures.
    # (the v2 fields are kept as generated where the running validation does not know them yet)
    assert all(all(p.get(k) == v for k, v in validate_profile(p).to_dict().items()) for p in profiles)
    assert any(p["size_class"] for p in profiles)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pairs"] == len(truth) and "semantic" in manifest["semantic_truth"]


def test_semantic_truth_follows_the_true_line_of_business(corpus, profiles) -> None:  # type: ignore[no-untyped-def]
    judge = corpus.semantic_judge()
    ic_design = Condition("business_scope", "semantic", "集成电路设计", span="从事集成电路设计")
    designers = [p for p in profiles if p.get("industry_code") == "I6520"][:5]
    others = [p for p in profiles if p.get("industry_code") == "C3670"][:5]
    assert designers and others
    assert {judge(ic_design, p) for p in designers} == {"met"}
    assert {judge(ic_design, p) for p in others} == {"unmet"}
    assert judge(ic_design, {"id": "not-a-demo-id"}) == "unknown"


def test_retrieval_set_has_enterprise_questions_with_their_items(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = write_retrieval_set(corpus, tmp_path, n_queries=120)
    docs, queries = _read(tmp_path / "docs.jsonl"), _read(tmp_path / "queries.jsonl")
    assert len(docs) == len(corpus.items) == report.n_docs and len(queries) == 120
    ids = {d["docid"] for d in docs}
    assert all(d["text"] for d in docs)
    for q in queries:
        assert q["docid"] == q["docids"][0] and set(q["docids"]) <= ids
        assert any(name in q["question"] for name, _, _ in COUNTIES.values())
    assert len({q["question"] for q in queries}) > 110
    assert 1 < report.mean_relevant < 30


# --- loading into a store and the CLI --------------------------------------------------------------


def test_demo_loads_into_an_empty_sqlite_store_once(tmp_path: Path) -> None:
    from corpus.store import open_store
    from matcher.demo import ensure_demo

    store = open_store(tmp_path / "demo.sqlite3")
    try:
        report = ensure_demo(store, seed=DEFAULT_SEED, n_policies=12, n_enterprises=400)
        assert (
            report.loaded and report.policy_report and report.policy_report.ok and report.enterprise_report.ok
        )  # type: ignore[union-attr]
        expected = generate(DEFAULT_SEED, 12, 400)
        assert store.count_enterprises() == 400 and report.enterprises == 400
        assert sorted(i.id for i in store.iter_items()) == sorted(i.id for i in expected.items)
        first = next(expected.iter_enterprises())
        assert store.get_enterprise(first["id"]).name == first["name"]  # type: ignore[union-attr]
        again = ensure_demo(store, seed=DEFAULT_SEED, n_policies=12, n_enterprises=400)
        assert not again.loaded and store.count_enterprises() == 400
    finally:
        store.close()


def test_cli_demo_loads_then_writes_sets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from api.cli import main
    from api.settings import get_settings

    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        assert main(["demo", "--policies", "5", "--enterprises", "50", "--quiet"]) == 0
        assert "5 policies" in capsys.readouterr().out
        assert main(["demo", "--policies", "5", "--enterprises", "50", "--quiet"]) == 0
        assert "not loaded" in capsys.readouterr().out
        out = tmp_path / "sets"
        args = [
            "demo",
            "--policies",
            "20",
            "--write-set",
            str(out),
            "--set-items",
            "30",
            "--set-profiles",
            "10",
        ]
        assert main(args + ["--set-queries", "10"]) == 0
        assert len(_read(out / "eligibility" / "truth.jsonl")) == 300
        assert len(_read(out / "retrieval" / "queries.jsonl")) == 10
        assert main(["demo", "--policies", "-1"]) == 2
    finally:
        get_settings.cache_clear()


def test_sets_read_with_the_evaluation_readers(corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from eval.sets import read_eligibility_set, read_retrieval_set

    write_eligibility_set(corpus, tmp_path / "eligibility", n_items=40, n_profiles=15)
    write_retrieval_set(corpus, tmp_path / "retrieval", n_queries=25)
    eligibility = read_eligibility_set(tmp_path / "eligibility")
    retrieval = read_retrieval_set(tmp_path / "retrieval")
    assert (len(eligibility.items), len(eligibility.profiles), len(eligibility.truth)) == (40, 15, 600)
    assert len(retrieval.docs) == len(corpus.items) and len(retrieval.queries) == 25


@pytest.mark.slow
def test_the_default_demo_loads_without_a_single_refused_record(tmp_path: Path) -> None:
    from corpus.store import open_store
    from matcher.demo import load_demo

    store = open_store(tmp_path / "default.sqlite3")
    try:
        report = load_demo(store)  # the settings' defaults: seed 20241, 200 policies, 10,000 enterprises
        assert report.policy_report is not None and report.enterprise_report is not None
        assert not report.policy_report.errors
        assert not report.enterprise_report.errors
        assert (report.policies, report.enterprises) == (200, 10_000)
        assert report.items == len(generate(DEFAULT_SEED, 200, 0).items) == store.count_items()
        assert "loaded" in report.summary()
    finally:
        store.close()
