"""Identical texts in the real corpus carry identical labels, and the check tool finds and copies them.

Runs on the label files alone (the sha256 stored in each record): no ../shared needed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.real_corpus import LABELS_DIR
from eval.real_corpus.duplicates import (
    consistency_report,
    duplicate_groups,
    item_label,
    propagate,
    read_label_records,
    tune_item_hashes,
    write_changes,
)


def test_identical_item_texts_in_the_committed_labels_carry_identical_labels() -> None:
    records = read_label_records(LABELS_DIR)
    if not records:
        pytest.skip("no committed labels")
    report = consistency_report(records)
    assert report["item_groups"] > 0  # NCP reposts: the check must have something to check
    lines = [
        f"{g['kind']} {g['sha256'][:12]}: "
        + ", ".join(f"{m['key']} ({m['split']}) label {m['label']}" for m in g["members"])
        for g in report["differing"]
    ]
    assert not lines, (
        "identical texts labelled differently (policymatch eval corpus --consistency):\n" + "\n".join(lines)
    )


def _item(rid: str, doc: str, digest: str, conditions: list, **extra: object) -> dict:
    return {
        "kind": "item", "id": rid, "doc": doc, "start": 0, "end": 20, "sha256": digest, "title": rid,
        "support_type": "补贴", "for_enterprises": True, "conditions": conditions, "labeller": "t", **extra,
    }  # fmt: skip


def _leaf(field: str, value: object, span: list[int]) -> dict:
    return {"field": field, "op": "in" if isinstance(value, list) else "eq", "value": value, "span": span}


def test_groups_ignore_ids_offsets_notes_and_propagation_copies_only_the_label(tmp_path: Path) -> None:
    size = _leaf("size_class", ["小", "微"], [0, 4])
    undecidable = {"field": "undecidable", "op": "eq", "span": [5, 9], "value_from_span": True}
    rows = [
        _item("ncp-aaaa0001-01", "ncp:aaaa0001", "h1", [size], note="one reader", labeller="A"),
        _item("ncp-bbbb0002-01", "ncp:bbbb0002", "h1", [size], start=100, end=120, labeller="B"),
        _item("ncp-cccc0003-01", "ncp:cccc0003", "h1", [size, undecidable]),
        _item("ncp-dddd0004-01", "ncp:dddd0004", "h2", []),
    ]
    path = tmp_path / "lab.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    records = read_label_records(files=[path])
    (group,) = duplicate_groups(records)
    assert [m.key for m in group.members] == ["ncp-aaaa0001-01", "ncp-bbbb0002-01", "ncp-cccc0003-01"]
    assert group.labels[0] == group.labels[1] != group.labels[2]  # ids, offsets, notes, labeller ignored
    assert consistency_report(records)["item_groups_differing"] == 1

    assert write_changes(propagate(records, "ncp-cccc0003-01")) == 2
    after = read_label_records(files=[path])
    assert all(g.consistent for g in duplicate_groups(after))
    moved = {r.key: r.record for r in after}["ncp-bbbb0002-01"]
    assert (moved["start"], moved["end"], moved["labeller"], moved["doc"]) == (100, 120, "B", "ncp:bbbb0002")
    assert item_label(moved) == item_label(rows[2]) and "ncp-cccc0003-01" in moved["note"]
    assert {r.key: r.record for r in after}["ncp-dddd0004-01"] == rows[3]  # a lone text is untouched
    with pytest.raises(KeyError):
        propagate(after, "ncp-nothere-01")


def test_tune_hashes_come_from_the_labels_without_texts(tmp_path: Path) -> None:
    from eval.real_corpus import split_of

    tune_doc = next(f"ncp:t{i}" for i in range(100) if split_of(f"ncp:t{i}") == "tune")
    check_doc = next(f"ncp:c{i}" for i in range(100) if split_of(f"ncp:c{i}") == "check")
    path = tmp_path / "lab.jsonl"
    rows = [
        _item("a", tune_doc, "shared", []),
        _item("b", check_doc, "shared", []),
        _item("c", check_doc, "own", []),
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert tune_item_hashes(read_label_records(files=[path])) == frozenset({"shared"})
    assert consistency_report(read_label_records(files=[path]))["items_whose_text_is_in_tune"] == {"check": 1}


def test_unseen_view_leaves_out_check_items_whose_text_tune_holds() -> None:
    from eval.real_corpus import Corpus, LabelledDocument, LabelledItem, SourceDoc, sha256_text, split_of
    from eval.real_corpus.duplicates import items_seen_in_tune
    from eval.real_eval import UNSEEN, ItemResult, RealRun, compare, split_report
    from eval.real_eval.leaves import Leaf

    tune_key = next(f"ncp:t{i}" for i in range(100) if split_of(f"ncp:t{i}") == "tune")
    check_key = next(f"ncp:c{i}" for i in range(100) if split_of(f"ncp:c{i}") == "check")
    repost = "对受影响的小微企业给予房租减免。"  # the same clause in both documents
    own = "对新认定的企业奖励十万元。"
    texts = {tune_key: repost, check_key: repost + "\n" + own}
    documents = {
        k: LabelledDocument(
            k, {"issuer": k, "is_policy": True}, SourceDoc(k, "ncp", k[4:], t), split_of(k), "t"
        )
        for k, t in texts.items()
    }

    def item(rid: str, doc: str, start: int, end: int) -> LabelledItem:
        text = texts[doc][start:end]
        record = {"id": rid, "doc": doc, "start": start, "end": end, "sha256": sha256_text(text)}
        return LabelledItem(rid, doc, record, text, split_of(doc))

    items = (item("t-01", tune_key, 0, len(repost)), item("c-01", check_key, 0, len(repost)),
             item("c-02", check_key, len(repost) + 1, len(texts[check_key])))  # fmt: skip
    size = Leaf("size_class", "in", ("小", "微"))
    results = [
        ItemResult(items[0], "s0", compare([size], [size]), [], True, 1),
        ItemResult(items[1], "s1", compare([size], [size]), [], True, 1),
        ItemResult(items[2], "s2", compare([size], []), [], True, 0),  # a silent eligible on unseen text
    ]
    pairs = [("p1", i.id, i.split, "eligible", "eligible" if i.id != "c-02" else "ineligible") for i in items]
    levels = {(p, i): "eligible" if said == "eligible" else "not_listed" for p, i, _, _, said in pairs}
    run = RealRun(Corpus(documents, items), results, pairs, levels)

    seen = items_seen_in_tune(items)
    assert seen == {"c-01": "same text"}
    whole = split_report(run, "check", seen)
    unseen = whole[UNSEEN]
    assert (whole["items"], unseen["items"], unseen["items_left_out"]) == (2, 1, 1)
    assert whole["eligibility"]["eligible_recall"] == 0.5  # the split as a whole is kept as computed
    assert unseen["eligibility"]["eligible_recall"] == 0.0  # what tune never showed is what fails
    assert (whole["extraction"]["f1"], unseen["extraction"]["f1"]) == (2 / 3, 0.0)
    assert unseen["extraction"]["silent_eligible"] == 1
    assert UNSEEN not in split_report(run, "tune", seen)
    assert UNSEEN not in split_report(run, "check")  # no seen set given: no view


def test_cli_lists_differing_groups_and_propagates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from api.cli import main

    size = _leaf("size_class", ["小", "微"], [0, 4])
    rows = [
        _item("ncp-aaaa0001-01", "ncp:aaaa0001", "h1", [size]),
        _item("ncp-bbbb0002-01", "ncp:bbbb0002", "h1", []),
    ]
    (tmp_path / "lab.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    shared = tmp_path / "no-shared"  # the check reads no text
    assert main(["eval", "corpus", "--consistency", "--labels", str(tmp_path), "--shared", str(shared)]) == 1
    assert "ncp-bbbb0002-01" in capsys.readouterr().out
    argv = [
        "eval",
        "corpus",
        "--labels",
        str(tmp_path),
        "--shared",
        str(shared),
        "--propagate",
        "ncp-aaaa0001-01",
    ]
    assert main(argv) == 0
    assert "0 with differing labels" in capsys.readouterr().out
