import json

import pytest
from jsonl_files import write_jsonl

from eval.leakage import (
    LeakageError,
    assert_no_leakage,
    check_leakage,
    check_retrieval_split,
    split_eligibility_set,
    split_groups,
    split_retrieval_set,
)
from eval.sets import (
    FeedbackRecord,
    SetFormatError,
    read_eligibility_set,
    read_feedback,
    read_retrieval_set,
    set_sha256,
    write_feedback,
)


@pytest.fixture()
def eligibility_dir(tmp_path):
    items = [
        {
            "id": f"P{p}#{s}",
            "title": f"条款{p}{s}",
            "text": "营业收入达到1亿元以上的企业给予奖励",
            "region_code": "3310",
            "department": "台州市经信局",
            "source": "demo",
            "conditions": [
                {"field": "revenue", "op": "gte", "value": 10000, "span": "营业收入达到1亿元以上"}
            ],
        }
        for p in range(6)
        for s in (1, 2)
    ]
    profiles = [{"id": "E1", "revenue": 20000}, {"id": "E2", "revenue": 50}]
    truth = [
        {
            "profile": e["id"],
            "item": i["id"],
            "verdict": "eligible" if e["revenue"] >= 10000 else "ineligible",
            "failed": [] if e["revenue"] >= 10000 else ["revenue"],
            "unknown": [],
        }
        for e in profiles
        for i in items
    ]
    write_jsonl(tmp_path / "items.jsonl", items)
    write_jsonl(tmp_path / "profiles.jsonl", profiles)
    write_jsonl(tmp_path / "truth.jsonl", truth)
    return tmp_path


def test_read_eligibility_set(eligibility_dir):
    eset = read_eligibility_set(eligibility_dir)
    assert len(eset.items) == 12 and len(eset.profiles) == 2 and len(eset.truth) == 24
    assert eset.items[0].policy_id == "P0" and eset.items[0].conditions[0].value == 10000
    assert eset.has_conditions and len(eset.sha256) == 64
    assert eset.item("P3#2").title == "条款32"


def test_checksum_changes_with_content(eligibility_dir):
    before = set_sha256(eligibility_dir)
    with open(eligibility_dir / "profiles.jsonl", "a") as handle:
        handle.write(json.dumps({"id": "E3"}) + "\n")
    assert set_sha256(eligibility_dir) != before


def test_errors_name_file_line_and_field(eligibility_dir):
    lines = (eligibility_dir / "truth.jsonl").read_text().splitlines()
    bad = json.loads(lines[2])
    bad["verdict"] = "maybe"
    lines[2] = json.dumps(bad)
    (eligibility_dir / "truth.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(SetFormatError, match=r"truth\.jsonl:3: field 'verdict'"):
        read_eligibility_set(eligibility_dir)
    (eligibility_dir / "items.jsonl").write_text(
        '{"id": "x", "text": "t", "conditions": [{"field": "revenue", "op": "gte", "value": "many"}]}\n'
    )
    with pytest.raises(SetFormatError, match=r"items\.jsonl:1: field 'conditions\[0\]'"):
        read_eligibility_set(eligibility_dir)
    (eligibility_dir / "items.jsonl").write_text('{"id": "x"}\n')
    with pytest.raises(SetFormatError, match=r"items\.jsonl:1: field 'text' is missing"):
        read_eligibility_set(eligibility_dir)
    (eligibility_dir / "profiles.jsonl").unlink()
    with pytest.raises(SetFormatError, match="profiles.jsonl: file is missing"):
        read_eligibility_set(eligibility_dir)


def test_read_retrieval_set_single_and_several_docids(tmp_path):
    write_jsonl(tmp_path / "docs.jsonl", [{"docid": f"d{i}", "text": f"文本{i}"} for i in range(4)])
    write_jsonl(
        tmp_path / "queries.jsonl",
        [
            {"qid": "q1", "question": "问一", "docid": "d1"},
            {"qid": "q2", "question": "问二", "docids": ["d2", "d3"]},
            {"qid": "q3", "question": "问三", "docids": {"d0": 2, "d1": 1}},
        ],
    )
    rset = read_retrieval_set(tmp_path)
    assert [q.docids for q in rset.queries] == [("d1",), ("d2", "d3"), ("d0", "d1")]
    assert rset.queries[2].relevant["d0"] == 2.0
    write_jsonl(tmp_path / "queries.jsonl", [{"qid": "q1", "question": "问一", "docid": "nope"}])
    with pytest.raises(SetFormatError, match=r"queries\.jsonl:1: field 'docid' names 'nope'"):
        read_retrieval_set(tmp_path)


def test_ncp_set_reads_and_splits_without_leakage(shared_dir):
    rset = read_retrieval_set(shared_dir / "data/retrieval/ncp_policies")
    assert len(rset.docs) >= 500 and len(rset.queries) >= 600
    split = split_retrieval_set(rset, test_fraction=0.3, seed=0)
    assert split.report.ok and split.report.n_test_members == len(split.test.queries)
    test_docs = {d for q in split.test.queries for d in q.docids}
    assert not any(set(q.docids) & test_docs for q in split.train.queries)
    assert 0.2 < len(split.test.queries) / len(rset.queries) < 0.4


def test_leakage_guard_catches_a_leaked_split(tmp_path):
    write_jsonl(tmp_path / "docs.jsonl", [{"docid": f"d{i}", "text": f"文本{i}"} for i in range(10)])
    write_jsonl(
        tmp_path / "queries.jsonl",
        [{"qid": f"q{i}", "question": f"问{i}", "docid": f"d{i % 10}"} for i in range(40)],
    )
    split = split_retrieval_set(read_retrieval_set(tmp_path), test_fraction=0.3, seed=1)
    assert split.report.ok
    # Leak: split by question instead of by document, so test documents get training questions.
    rset = read_retrieval_set(tmp_path)
    leaked_train = rset.subset([q.qid for q in rset.queries[:30]], "train")
    leaked_test = rset.subset([q.qid for q in rset.queries[30:]], "test")
    report = check_retrieval_split(leaked_train, leaked_test)
    assert not report.ok and len(report.leaked) == 30
    with pytest.raises(LeakageError, match="30 training members touch a test document"):
        assert_no_leakage(report)


def test_duplicate_text_under_another_docid_is_reported(tmp_path):
    write_jsonl(
        tmp_path / "docs.jsonl",
        [
            {"docid": "a", "text": "同一文本"},
            {"docid": "b", "text": "同一文本"},
            {"docid": "c", "text": "别的"},
        ],
    )
    write_jsonl(
        tmp_path / "queries.jsonl",
        [{"qid": "q1", "question": "问", "docid": "a"}, {"qid": "q2", "question": "问", "docid": "b"}],
    )
    rset = read_retrieval_set(tmp_path)
    report = check_retrieval_split(rset.subset(["q1"], "train"), rset.subset(["q2"], "test"))
    assert report.ok and report.duplicate_texts == (("b", "a"),)


def test_eligibility_split_by_policy(eligibility_dir):
    eset = read_eligibility_set(eligibility_dir)
    split = split_eligibility_set(eset, test_fraction=0.5, seed=3)
    assert split.train_items and split.test_items
    train_policies = {i.split("#")[0] for i in split.train_items}
    test_policies = {i.split("#")[0] for i in split.test_items}
    assert not train_policies & test_policies
    assert check_leakage({"P0#1": ["P0"]}, {"P0"}).leaked == ("P0#1",)


def test_split_groups_is_stable_and_both_sides_exist():
    first = split_groups([f"d{i}" for i in range(100)], test_fraction=0.3, seed=7)
    grown = split_groups([f"d{i}" for i in range(200)], test_fraction=0.3, seed=7)
    assert first.test_groups <= grown.test_groups
    tiny = split_groups(["a", "b"], test_fraction=0.01)
    assert tiny.train_groups and tiny.test_groups


def test_feedback_round_trip(tmp_path):
    records = [
        FeedbackRecord("E1", "P1#1", "useful", "软件开发", "软件企业奖励"),
        FeedbackRecord("E1", "P2#1", "not_useful", "软件开发", "农业补贴"),
    ]
    path = tmp_path / "fb.jsonl"
    assert write_feedback(records, path) == 2
    back = read_feedback(path)
    assert back == tuple(records) and back[0].positive and not back[1].positive
    path.write_text(
        '{"enterprise_id": "E1", "item_id": "x", "label": "meh", "query_text": "q", "item_text": "t"}\n'
    )
    with pytest.raises(SetFormatError, match=r"fb\.jsonl:1: field 'label'"):
        read_feedback(path)


def test_split_keeps_copies_of_a_document_on_one_side(tmp_path):
    docs = [{"docid": f"d{i}", "text": f"文本{i // 2}"} for i in range(40)]  # d0=d1, d2=d3, ...
    write_jsonl(tmp_path / "docs.jsonl", docs)
    write_jsonl(
        tmp_path / "queries.jsonl", [{"qid": f"q{i}", "question": "问", "docid": f"d{i}"} for i in range(40)]
    )
    split = split_retrieval_set(read_retrieval_set(tmp_path), test_fraction=0.5, seed=2)
    assert split.report.ok and not split.report.duplicate_texts
    for i in range(0, 40, 2):
        assert (f"d{i}" in split.split.test_groups) == (f"d{i + 1}" in split.split.test_groups)


def test_items_of_one_policy_stay_together_and_train_answers_drop_test_items(tmp_path):
    docs = [{"docid": f"P{p}#{s}", "text": f"政策{p}第{s}条"} for p in range(20) for s in (1, 2, 3)]
    queries = [
        {"qid": f"q{p}", "question": "问", "docids": [f"P{p}#1", f"P{(p + 7) % 20}#2"]} for p in range(20)
    ]
    write_jsonl(tmp_path / "docs.jsonl", docs)
    write_jsonl(tmp_path / "queries.jsonl", queries)
    split = split_retrieval_set(read_retrieval_set(tmp_path), test_fraction=0.3, seed=0)
    for p in range(20):
        sides = {f"P{p}#{s}" in split.split.test_groups for s in (1, 2, 3)}
        assert len(sides) == 1
    for q in split.train.queries:
        assert q.docids and not set(q.docids) & split.split.test_groups
    assert all(q.docids[0] in split.split.test_groups for q in split.test.queries)
    assert len(split.train.queries) + len(split.test.queries) == 20


def test_eligibility_set_reads_conditions_v2(tmp_path):
    """Any groups, roles and tiers (docs/conditions.md) read as the entries judge_item takes."""
    from corpus.conditions import Group, Tier, judge_item

    item = {
        "id": "P1#1",
        "text": "新认定为省级专精特新中小企业的奖励20万元；拥有发明专利2件以上或研发人员占比10%以上；纳税信用A级优先",
        "conditions": [
            {
                "any": [
                    {"field": "invention_patents", "op": "gte", "value": 2, "span": "发明专利2件以上"},
                    {"field": "rd_staff_ratio", "op": "gte", "value": 10, "span": "研发人员占比10%以上"},
                ],
                "span": "拥有发明专利2件以上或研发人员占比10%以上",
            },
            {"field": "tax_credit_grade", "op": "eq", "value": "A", "span": "纳税信用A级", "role": "bonus"},
        ],
        "tiers": [
            {
                "label": "省级专精特新中小企业",
                "conditions": [
                    {
                        "field": "qualifications",
                        "op": "has",
                        "value": "省级专精特新中小企业",
                        "span": "省级专精特新中小企业",
                    }
                ],
                "support": "奖励20万元",
                "amount": 20,
            }
        ],
    }
    write_jsonl(tmp_path / "items.jsonl", [item])
    write_jsonl(
        tmp_path / "profiles.jsonl",
        [{"id": "E1", "rd_staff_ratio": 12, "qualifications": ["省级专精特新中小企业"]}],
    )
    write_jsonl(tmp_path / "truth.jsonl", [{"profile": "E1", "item": "P1#1", "verdict": "eligible"}])
    eset = read_eligibility_set(tmp_path)
    entries = eset.items[0].conditions
    assert [type(e) for e in entries] == [Group, type(entries[1]), Tier]
    assert entries[1].role == "bonus"
    verdict = judge_item(entries, eset.profiles[0])
    assert verdict.level == "eligible" and verdict.amount == 20


def test_eligibility_set_names_a_bad_tier(tmp_path):
    write_jsonl(
        tmp_path / "items.jsonl",
        [
            {
                "id": "P1#1",
                "text": "x",
                "conditions": [],
                "tiers": [{"label": "a", "conditions": [{"field": "revenue", "op": "gte", "value": "many"}]}],
            }
        ],
    )
    write_jsonl(tmp_path / "profiles.jsonl", [{"id": "E1"}])
    write_jsonl(tmp_path / "truth.jsonl", [{"profile": "E1", "item": "P1#1", "verdict": "unknown"}])
    with pytest.raises(SetFormatError, match=r"items\.jsonl:1: field 'tiers\[0\]'"):
        read_eligibility_set(tmp_path)
