"""The real corpus: materialising and checking labels, profiles, the measure through the service, agreement.

Label records here are written in the test against real text from ../shared
(skipped cleanly without it); the committed labels are checked when present.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from eval.real_corpus import (
    LABELS_DIR,
    Vocabulary,
    load_corpus,
    read_sources,
    sha256_text,
    split_of,
)
from eval.real_eval.report import OFFERING_KINDS, offering_kind
from eval.real_profiles import PROFILES_PATH, build_profiles, read_profiles


def test_split_rule_is_the_readme_rule() -> None:
    for key in ("ncp:4f9096aa", "msga:m00001", "gz:16"):
        n = int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 4
        assert split_of(key) == ("tune" if n < 2 else "check" if n == 2 else "final")
    shares = [split_of(f"ncp:{i}") for i in range(4000)]
    assert 0.45 < shares.count("tune") / 4000 < 0.55
    assert 0.2 < shares.count("final") / 4000 < 0.3


@pytest.fixture(scope="module")
def sources(shared_dir: Path):  # type: ignore[no-untyped-def]
    return read_sources(shared_dir)


def _document(key: str, text: str, **facts: object) -> dict:
    source, docid = key.split(":", 1)
    record = {
        "kind": "document",
        "doc": key,
        "source": source,
        "docid": docid,
        "sha256": sha256_text(text),
        "issuer": "测试发文机关",
        "is_policy": True,
        "doc_type": "policy",
        "region_code": None,
        "valid_from": None,
        "valid_until": None,
        "window": None,
        "department": "测试发文机关",
        "fulfilment_mode": None,
        "as_of": "2024-07-29",
        "governs": [],
        "labeller": "test",
    }
    record.update(facts)
    return record


def _item(key: str, text: str, start: int, end: int, n: int, conditions: list, **extra: object) -> dict:
    return {
        "kind": "item",
        "id": f"{key.replace(':', '-')}-{n:02d}",
        "doc": key,
        "start": start,
        "end": end,
        "sha256": sha256_text(text[start:end]),
        "title": "测试事项",
        "support_type": "补助",
        "conditions": conditions,
        "labeller": "test",
        **extra,
    }


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _small_corpus(tmp_path: Path, sources: dict) -> Path:
    """Two real documents: a tune Guangzhou clause (gz:2) labelled for 4401, and an NCP notice labelled a non-policy.

    Tune, so that what the service reads of it may change with readings written from tune; the labels are this test's own.
    """
    gz = sources["gz:2"].text
    ncp_key = next(k for k in sources if k.startswith("ncp:"))
    ncp = sources[ncp_key].text
    size = {"field": "size_class", "op": "in", "value": ["小", "微"], "span": [0, 4]}
    undecidable = {"field": "undecidable", "op": "eq", "value_from_span": True, "span": [4, 10]}
    records = [
        _document("gz:2", gz, region_code="4401", as_of="2024-01-01"),
        _item("gz:2", gz, 0, 120, 1, [size]),
        _item("gz:2", gz, 120, 260, 2, [undecidable, {"any": [size, undecidable], "span": [0, 10]}]),
        _document(ncp_key, ncp, is_policy=False, doc_type="news", as_of="2020-02-20"),
        _item(ncp_key, ncp, 0, min(200, len(ncp)), 1, [], for_enterprises=True),
    ]
    folder = tmp_path / "labels"
    folder.mkdir()
    _write(folder / "t.jsonl", records)
    return folder


def test_valid_labels_load_with_text_split_and_counts(
    tmp_path: Path, shared_dir: Path, sources: dict
) -> None:
    corpus = load_corpus(_small_corpus(tmp_path, sources), shared_dir, sources=sources)
    assert not corpus.problems, corpus.problems
    assert len(corpus.documents) == 2 and len(corpus.items) == 3
    first = corpus.items_of("gz:2")[0]
    assert first.text == sources["gz:2"].text[0:120]
    assert first.split == split_of("gz:2")
    counts = corpus.counts()
    assert counts["documents"] == 2 and counts["items"] == 3
    assert counts["document_shapes"]["non-policy"] == 1 and counts["item_shapes"]["any"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.update(sha256="0" * 64), "sha256 does not match"),
        (lambda r: r.update(end=r["end"] + 5), "sha256 does not match"),
        (lambda r: r["conditions"].append({"field": "revenue", "op": "gte", "value": 1, "span": [0, 999]}), "span"),
        (lambda r: r["conditions"].append({"field": "profit", "op": "gte", "value": 1, "span": [0, 2]}), "field"),
        (lambda r: r["conditions"].append({"field": "revenue", "op": "about", "value": 1, "span": [0, 2]}), "op"),
        (
            lambda r: r["conditions"].append({"field": "qualifications", "op": "has", "value": "高企", "span": [0, 2]}),
            "canonical",
        ),
        (lambda r: r["conditions"].append({"field": "size_class", "op": "in", "value": ["小型"], "span": [0, 2]}), "size_class"),
        (lambda r: r["conditions"].append({"field": "revenue", "op": "gte", "value": 1, "span": [0, 2], "role": "must"}), "role"),
        (
            lambda r: r["conditions"].append({"any": [{"any": [{"field": "revenue", "op": "gte", "value": 1, "span": [0, 2]}]}]}),
            "nested",
        ),
    ],
)  # fmt: skip
def test_bad_item_records_are_reported_and_left_out(
    tmp_path: Path, shared_dir: Path, sources: dict, change, message: str
) -> None:
    folder = _small_corpus(tmp_path, sources)
    path = folder / "t.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    change(records[1])
    _write(path, records)
    corpus = load_corpus(folder, shared_dir, sources=sources)
    assert len(corpus.items) == 2
    assert len(corpus.problems) == 1 and message in corpus.problems[0].message
    assert corpus.problems[0].line == 2 and "t.jsonl" in str(corpus.problems[0])


def test_a_bad_document_takes_its_items_out(tmp_path: Path, shared_dir: Path, sources: dict) -> None:
    folder = _small_corpus(tmp_path, sources)
    path = folder / "t.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    records[0]["region_code"] = "999999"
    _write(path, records)
    corpus = load_corpus(folder, shared_dir, sources=sources)
    assert "gz:2" not in corpus.documents and len(corpus.items) == 1
    assert any("region_code" in p.message for p in corpus.problems)


def test_committed_labels_are_all_valid(shared_dir: Path) -> None:
    if not list(LABELS_DIR.glob("*.jsonl")):
        pytest.skip("no labels committed yet")
    corpus = load_corpus(LABELS_DIR, shared_dir)
    assert not corpus.problems, "\n".join(str(p) for p in corpus.problems[:20])
    assert corpus.documents and corpus.items


def test_committed_profiles_cover_the_corpus_regions_and_validate() -> None:
    from corpus.schemas import validate_profile

    profiles = read_profiles(PROFILES_PATH)
    assert len(profiles) >= 300
    assert len({p["id"] for p in profiles}) == len(profiles)
    for prefix in ("11", "4401", "3310"):
        assert sum(str(p["region_code"]).startswith(prefix) for p in profiles) >= 20, prefix
    assert len({str(p["region_code"])[:2] for p in profiles}) >= 10  # a national spread
    assert any(p.get("credit_status") == "dishonest" for p in profiles)
    assert sum(p.get("invention_patents") is not None for p in profiles) >= 60
    assert sum(p.get("revenue") is None for p in profiles) >= 10  # some data missing
    for profile in profiles:
        assert validate_profile(profile).size_class == profile["size_class"]


def test_population_is_deterministic() -> None:
    assert build_profiles(None, n_population=30) == build_profiles(None, n_population=30)


def test_vocabulary_knows_canonical_titles_and_codes() -> None:
    vocab = Vocabulary.load()
    assert "国家高新技术企业" in vocab.qualifications and "高企" not in vocab.qualifications
    assert {"3310", "331002", "11", "4401"} <= vocab.regions
    assert {"C", "C36", "I65", "36"} <= vocab.industries


def test_the_measure_scores_what_the_service_says(
    tmp_path: Path, shared_dir: Path, sources: dict, encoder
) -> None:
    from eval.real_eval import run_eligibility, split_report, verdict_metrics

    corpus = load_corpus(_small_corpus(tmp_path, sources), shared_dir, sources=sources)
    profiles = build_profiles(None, n_population=16)
    guangzhou = dict(
        profiles[0], id="gz-small", region_code="440106", employees=20, revenue=500.0, total_assets=600.0
    )
    guangzhou.update(industry_code="I6513", size_class="微", credit_status="normal", major_violation=False)
    guangzhou.pop("uscc", None)  # one legal person, one record: a copy must not take profiles[0]'s code
    taizhou = dict(guangzhou, id="tz-small", region_code="331002")
    profiles += [guangzhou, taizhou]
    run = run_eligibility(corpus, profiles, encoder, metadata="labelled")
    assert len(run.pairs) == len(profiles) * len(corpus.items)
    said = {(p, i): s for p, i, _, _, s in run.pairs}
    truth = {(p, i): t for p, i, _, t, _ in run.pairs}
    # Posted with its region, the Guangzhou document is never offered to a Taizhou firm: scored not eligible.
    for item in corpus.items_of("gz:2"):
        assert run.levels[("tz-small", item.id)] == "not_listed"
        assert said[("tz-small", item.id)] == "ineligible" == truth[("tz-small", item.id)]
    assert truth[("gz-small", corpus.items_of("gz:2")[0].id)] == "eligible"
    # A non-policy is ineligible for everyone in the truth.
    ncp_item = next(i for i in corpus.items if i.doc.startswith("ncp:"))
    assert all(truth[(str(p["id"]), ncp_item.id)] == "ineligible" for p in profiles)
    report = split_report(run, "all")
    assert report["eligibility"]["n_pairs"] == len(run.pairs)
    assert set(report["extraction"]["errors"]) >= {"missed", "extra", "document facts", "logic structure"}
    assert 0.0 <= report["eligibility"]["verdict_accuracy"] <= 1.0
    assert set(report["ranking"]) == {"enterprise→items", "item→enterprises"}
    assert any(score != 0.0 for (p, _), score in run.scores.items() if p == "gz-small")  # 智能匹配 was read
    # Posted as a non-policy, the NCP notice is offered to no one: no offering error counts its pairs.
    offering = report["offering_errors"]
    assert set(offering) == set(OFFERING_KINDS)
    assert offering["non-policy documents offered"] == {"items": 0, "pairs": 0, "by_reason": {}}
    # Every offering error names the reader that decided it, as ingest read the document.
    from eval.real_eval.run import NOT_SPLIT_OUT
    from matcher.ingest.policies import OFFER_REASONS

    for kind, counts in offering.items():
        assert sum(r["items"] for r in counts["by_reason"].values()) == counts["items"], kind
        assert set(counts["by_reason"]) <= {*OFFER_REASONS, NOT_SPLIT_OUT}, kind
    explained = [r for r in run.items if r.offer_reason is not None]
    assert all(r.offer_reason in {*OFFER_REASONS, NOT_SPLIT_OUT} for r in explained)
    metrics = verdict_metrics(
        [("p", "i", "tune", "eligible", "eligible"), ("p", "j", "tune", "unknown", "eligible")]
    )
    assert metrics["eligible_precision"] == 0.5 and metrics["eligible_recall"] == 1.0


def test_each_offering_error_is_told_apart() -> None:
    from eval.real_corpus import LabelledItem
    from eval.real_eval.leaves import Comparison
    from eval.real_eval.run import ItemResult

    def result(
        *, offered: bool | None, read_as_policy: bool = True, for_enterprises: bool = True
    ) -> ItemResult:
        item = LabelledItem("d-01", "d", {"start": 0, "end": 4}, "正文", "tune")
        return ItemResult(
            item, None, Comparison(), [], False, 0, not for_enterprises, offered, read_as_policy
        )

    assert offering_kind(result(offered=True), document_is_policy=False) == "non-policy documents offered"
    assert offering_kind(result(offered=False), document_is_policy=False) is None
    hidden = result(offered=False, read_as_policy=False)
    assert offering_kind(hidden, document_is_policy=True) == "policies hidden as non-policies"
    # An item no service item overlaps is offered to no one.
    assert (
        offering_kind(result(offered=None), document_is_policy=True) == "items for enterprises never offered"
    )
    assert offering_kind(result(offered=True), document_is_policy=True) is None
    idle = result(offered=True, for_enterprises=False)
    assert offering_kind(idle, document_is_policy=True) == "items not for enterprises offered"
    assert offering_kind(result(offered=False, for_enterprises=False), document_is_policy=True) is None


def test_posted_with_source_metadata_the_service_must_find_the_region_itself(
    tmp_path: Path, shared_dir: Path, sources: dict
) -> None:
    from eval.real_eval import posted_document

    corpus = load_corpus(_small_corpus(tmp_path, sources), shared_dir, sources=sources)
    document = corpus.documents["gz:2"]
    assert posted_document(document, "source").get("region_code") is None
    assert posted_document(document, "source")["department"] == sources["gz:2"].department
    assert posted_document(document, "labelled")["region_code"] == "4401"


def test_a_platform_region_is_one_per_source_never_a_documents_label() -> None:
    from eval.real_corpus import SOURCES
    from eval.real_eval import PLATFORM_REGIONS

    # One home region per source that is one platform's (msgabench: Beijing's portal), none per document.
    assert set(PLATFORM_REGIONS) <= set(SOURCES) and PLATFORM_REGIONS.get("ncp") is None


def test_agreement_of_a_labelling_with_itself_and_with_a_changed_one(
    tmp_path: Path, shared_dir: Path, sources: dict
) -> None:
    from eval.real_agreement import agreement, choose_sample, cohen_kappa

    folder = _small_corpus(tmp_path, sources)
    first = load_corpus(folder, shared_dir, sources=sources)
    profiles = build_profiles(None, n_population=20)
    # Two Guangzhou firms: the first gz item (size 小 / 微 only) is for the small one, not the large one.
    profiles = [
        *profiles,
        {**profiles[0], "id": "rp-gz-small", "region_code": "440106", "size_class": "小"},
        {**profiles[0], "id": "rp-gz-large", "region_code": "440106", "size_class": "大"},
    ]
    same = agreement(first, first, profiles)
    assert same["boundary_f1"] == 1.0 and same["condition_f1"] == 1.0 and same["verdict_kappa"] == 1.0
    assert same["for_enterprises_agreement"] == 1.0
    assert same["eligible_pairs_first"] == same["eligible_pairs_second"] > 0
    assert same["eligible_precision"] == same["eligible_recall"] == 1.0
    records = [json.loads(line) for line in (folder / "t.jsonl").read_text(encoding="utf-8").splitlines()]
    records[1]["conditions"] = []  # the second reader saw no condition in the first item
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    _write(second_dir / "s.jsonl", records)
    second = load_corpus(second_dir, shared_dir, sources=sources)
    changed = agreement(first, second, profiles)
    assert changed["boundary_f1"] == 1.0 and changed["condition_f1"] < 1.0
    # A second reader who reads no condition in the item calls more pairs eligible: precision falls, recall holds.
    assert changed["eligible_pairs_second"] > changed["eligible_pairs_first"]
    assert changed["eligible_precision"] < 1.0 and changed["eligible_recall"] == 1.0
    records[1]["for_enterprises"] = False  # …and now reads the item as not for enterprises at all
    _write(second_dir / "s.jsonl", records)
    apart = agreement(first, load_corpus(second_dir, shared_dir, sources=sources), profiles)
    assert apart["for_enterprises_agreement"] < 1.0 and apart["eligible_recall"] < 1.0
    assert cohen_kappa(["a", "b", "a", "b"], ["a", "b", "b", "a"]) == 0.0
    sample = choose_sample({f"k{i}": "ncp/tune" if i % 2 else "msga/check" for i in range(40)})
    assert len(sample) == 4 and sample == choose_sample(
        {f"k{i}": "ncp/tune" if i % 2 else "msga/check" for i in range(40)}
    )


def test_eval_corpus_command_prints_counts(tmp_path: Path, shared_dir: Path, sources: dict, capsys) -> None:
    from api.cli import main

    folder = _small_corpus(tmp_path, sources)
    code = main(["eval", "corpus", "--labels", str(folder), "--write", str(tmp_path / "set")])
    assert code == 0
    out = capsys.readouterr().out
    assert '"documents": 2' in out and "3 items" in out
    truth = (tmp_path / "set" / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(truth) == 3 * len(read_profiles(PROFILES_PATH))


def test_the_offering_table_splits_each_kind_by_the_reader_that_decided() -> None:
    from eval.real_eval.report import offering_reason_table

    never = "items for enterprises never offered"
    reports = {
        "tune": {
            "offering_errors": {
                never: {"items": 3, "pairs": 90, "by_reason": {"a": {"items": 3, "pairs": 90}}}
            }
        },
        "check": {
            "offering_errors": {never: {"items": 1, "pairs": 7, "by_reason": {"b": {"items": 1, "pairs": 7}}}}
        },
    }
    table = offering_reason_table(reports)
    assert f"| {never} | a | 90 (3) | — |" in table
    assert f"| {never} | b | — | 7 (1) |" in table
    assert offering_reason_table({"tune": {"offering_errors": {}}}) == ""
