"""Ingestion end to end on a real SQLite file with the real extraction (matcher.ingest)."""

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from corpus.conditions import Condition
from corpus.schemas import PolicyDocument
from corpus.store import open_store
from matcher.ingest import IngestFailed, ingest_enterprises, ingest_policies

POLICY = {
    "id": "tz-jj-2024-01",
    "title": "椒江区关于支持企业创新发展的若干政策",
    "region_code": "331002",
    "department": "椒江区经信局",
    "issued": "2024-03-01",
    "text": (
        "一、研发费用补助\n对上年度研发费用500万元以上的规上工业企业，按研发费用的5%给予补助，最高不超过50万元。\n"
        "二、高企奖励\n对首次认定为国家高新技术企业的企业，给予一次性奖励20万元。\n"
        "三、组织保障\n各部门要加强协作。\n"
    ),
}


def rows(path: Path, sql: str):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def store(tmp_path: Path):
    opened = open_store(tmp_path / "ingest.sqlite3")
    yield opened
    opened.close()


def test_policies_are_split_extracted_and_stored(store):
    report = ingest_policies(store, [POLICY], progress=False)
    assert (report.read, report.inserted, report.replaced, report.items) == (1, 1, 0, 2)
    assert report.ok and report.conditions == sum(
        len(store.item_conditions(i.id)) for i in store.iter_items()
    )
    stored = store.get_policy("tz-jj-2024-01")
    assert [i.title for i in stored.items] == ["研发费用补助", "高企奖励"]
    conditions = store.item_conditions("tz-jj-2024-01#2")
    assert any(c.field == "qualifications" for c in conditions)
    for condition in conditions:  # spans point into the item's own text
        assert condition.span in stored.items[1].text
    assert store.item_tags("tz-jj-2024-01#1") is not None


def test_a_measure_naming_no_support_is_stored_never_offered_and_states_no_condition(store):
    text = (
        "一、房租减免\n对承租国有经营用房的中小微企业，免收3个月房租。\n"
        "二、加强监管\n各部门要加强对防疫物资市场的价格监管。\n"
        "三、贷款贴息\n对新增贷款的小微企业给予50%贴息。\n"
    )
    ingest_policies(store, [{**POLICY, "id": "tz-measures", "text": text}], progress=False)
    items = store.get_policy("tz-measures").items
    assert [(i.title, i.is_policy) for i in items] == [
        ("房租减免", True),
        ("加强监管", False),
        ("贷款贴息", True),
    ]
    assert not store.item_conditions(items[1].id)
    assert store.item_conditions(items[0].id)  # the offered measures keep theirs


def test_duplicate_ids_replace_never_duplicate(store):
    ingest_policies(store, [POLICY], progress=False)
    changed = {**POLICY, "text": POLICY["text"].replace("20万元", "30万元")}
    report = ingest_policies(store, [changed, changed], progress=False)  # twice in one batch, too
    assert (report.inserted, report.replaced) == (0, 2)
    assert [(p.id, p.version, p.n_items) for p in store.list_policies()] == [("tz-jj-2024-01", 3, 2)]
    assert rows(store.path, "SELECT count(*) FROM items") == [(2,)]
    assert "30万元" in store.get_item("tz-jj-2024-01#2").text


def test_edited_conditions_survive_reingest(store):
    ingest_policies(store, [POLICY], progress=False)
    edited = [
        Condition("qualifications", "has", "国家高新技术企业", "首次认定为国家高新技术企业", "edited"),
        Condition("region_code", "within_region", "331002", "椒江区", "edited"),
    ]
    store.set_item_conditions("tz-jj-2024-01#2", edited)
    ingest_policies(
        store, [{**POLICY, "text": POLICY["text"] + "四、附则\n本政策自发布之日起施行。\n"}], progress=False
    )
    assert store.get_policy("tz-jj-2024-01").document.version == 2
    assert store.item_conditions("tz-jj-2024-01#2") == edited
    assert {c.source for c in store.item_conditions("tz-jj-2024-01#1")} == {"extracted"}


def test_bad_records_are_reported_and_good_ones_go_in(store, tmp_path: Path):
    path = tmp_path / "policies.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(POLICY, ensure_ascii=False),
                json.dumps({"id": "tz-2", "title": "缺正文"}, ensure_ascii=False),
                json.dumps({**POLICY, "id": "tz-3", "fulfilment": "随到随办"}, ensure_ascii=False),
            ]
        ),
        encoding="utf-8",
    )
    report = ingest_policies(store, [path], progress=False)
    assert (report.read, report.inserted, report.failed) == (3, 1, 2)
    assert [(e.line, e.field) for e in report.errors] == [(2, "text"), (3, "fulfilment")]
    assert f"{path}:2: text:" in report.summary()
    assert [p.id for p in store.list_policies()] == ["tz-jj-2024-01"]


def test_strict_stores_nothing(store, tmp_path: Path):
    ingest_policies(store, [{**POLICY, "id": "before"}], progress=False)
    with pytest.raises(IngestFailed) as caught:
        ingest_policies(store, [POLICY, {"id": "bad", "title": "x", "text": ""}], strict=True, progress=False)
    assert caught.value.report.inserted == 0 and caught.value.report.failed == 1
    assert rows(store.path, "SELECT id FROM policies") == [("before",)]


def test_a_batch_the_store_refuses_is_retried_record_by_record(target):
    # The second document bypasses validate_policy and violates the policies.fulfilment CHECK constraint:
    # the batch's transaction fails mid-way for real and rolls back; the retry keeps only that one out.
    # On PostgreSQL too: the store turns the driver's errors into its own, which the retry catches.
    with closing(open_store(target)) as store:  # each backend (conftest's target), not the SQLite store above
        good = PolicyDocument("tz-good", "政策", POLICY["text"], "331002")
        bad = PolicyDocument("tz-bad", "政策", POLICY["text"], "331002", fulfilment="随到随办")
        also_good = PolicyDocument("tz-good-2", "政策", POLICY["text"], "331002")
        report = ingest_policies(store, [good, bad, also_good], progress=False, batch_size=10)
        assert report.inserted == 2 and [(e.path, e.line) for e in report.errors] == [("(input)", 2)]
        assert (
            "CHECK constraint failed" in report.errors[0].message
            or "violates check constraint" in report.errors[0].message
        )
        assert sorted(p.id for p in store.list_policies()) == ["tz-good", "tz-good-2"]
        assert [i.id for i in store.iter_items() if i.policy_id == "tz-bad"] == []
        # Strict: the same failure inside the one transaction leaves the store as it was.
        before = [(p.id, p.version) for p in store.list_policies()]
        with pytest.raises(IngestFailed, match="store refused"):
            ingest_policies(
                store, [PolicyDocument("tz-new", "政策", POLICY["text"]), bad], strict=True, progress=False
            )
        assert [(p.id, p.version) for p in store.list_policies()] == before


def test_enterprises(store, tmp_path: Path):
    path = tmp_path / "e.csv"
    path.write_text(
        "id,name,region_code,industry_code,employees,revenue\n"
        "e1,甲公司,331002,3670,100,5000\n"
        "e2,乙公司,331002,3670,abc,5000\n"
        "e3,丙公司,331081,C3670,10,200\n",
        encoding="utf-8",
    )
    report = ingest_enterprises(store, [path], progress=False, batch_size=1)
    assert (report.read, report.inserted, report.failed) == (3, 2, 1)
    assert str(report.errors[0]) == f"{path}:3: employees: must be a number, got 'abc'"
    assert store.get_enterprise("e1").size_class == "小"
    again = ingest_enterprises(
        store, [{"id": "e1", "name": "甲公司", "employees": 120}, store.get_enterprise("e3")], progress=False
    )
    assert (again.inserted, again.replaced, again.unchanged) == (0, 1, 1)
    assert [s.profile.employees for s in store.enterprise_history("e1")] == [100, 120]
    with pytest.raises(IngestFailed):
        ingest_enterprises(store, [{"id": "e9", "name": "新"}, {"id": "e10"}], strict=True, progress=False)
    assert store.get_enterprise("e9") is None and store.count_enterprises() == 2


def test_cli_ingest(tmp_path: Path, monkeypatch, capsys):
    from api.cli import main
    from api.settings import get_settings

    monkeypatch.setenv("POLICYMATCH_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        policies = tmp_path / "p.jsonl"
        policies.write_text(json.dumps(POLICY, ensure_ascii=False) + "\n{bad\n", encoding="utf-8")
        assert main(["ingest", "policies", str(policies), "--quiet"]) == 1
        out = capsys.readouterr().out
        assert "2 policies read: 1 new" in out and f"{policies}:2: is not valid JSON" in out
        assert main(["ingest", "policies", str(policies), "--quiet", "--strict"]) == 2
        assert "strict: nothing was stored" in capsys.readouterr().out
        enterprises = tmp_path / "e.jsonl"
        enterprises.write_text(
            json.dumps({"id": "e1", "name": "甲"}, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        assert main(["ingest", "enterprises", str(enterprises), "--quiet"]) == 0
        store = open_store(tmp_path / "var" / "policymatch.sqlite3")
        assert store.count_enterprises() == 1 and store.get_policy("tz-jj-2024-01").document.version == 1
        assert {e.action for e in store.query_audit(actor="cli")} == {"ingest.policies", "ingest.enterprises"}
        store.close()
    finally:
        get_settings.cache_clear()
