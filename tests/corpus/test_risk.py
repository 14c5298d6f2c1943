"""风险监管 rules on their own: ledger rows and readers, 就高不重复 groups, duplicate checks, colours, monitoring."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from corpus.ledger import LedgerEntry, LedgerError, benefit_states, read_ledger_text, validate_entry
from corpus.ledger_demo import generate_ledger, precision_recall
from corpus.risk import (
    BenefitGroup,
    ItemFacts,
    ProfileFacts,
    colour_of,
    duplicate_hits,
    legal_person,
    monitor,
    push_checks,
    read_no_repeat_clauses,
    satisfaction,
    working_days_between,
)
from corpus.schemas import uscc_check_digit

TODAY = dt.date(2026, 6, 1)
CODE = "91331002MA2AB1234" + uscc_check_digit("91331002MA2AB1234")


def row(
    n: int, enterprise: str, item: str, status: str = "paid", department: str = "科技局", **kw
) -> LedgerEntry:
    base = LedgerEntry(
        enterprise, item, kw.pop("amount", 10.0), department, kw.pop("date", "2026-01-05"), status
    )
    return replace(base, id=n, **kw)


def test_validate_entry_reads_csv_strings_and_names_every_problem():
    entry = validate_entry(
        {
            "enterprise_id": "E1",
            "item_id": "p#1",
            "amount": "12.5",
            "department": "科技局",
            "date": "2026-01-02",
            "status": "paid",
        }
    )
    assert entry.amount == 12.5 and entry.policy_id == "p"
    with pytest.raises(LedgerError) as err:
        validate_entry(
            {
                "enterprise_id": "E1",
                "item_id": "p1",
                "amount": "-3",
                "date": "2026-13-01",
                "status": "given",
                "x": 1,
            }
        )
    assert {"item_id", "amount", "date", "status", "department", "x"} <= set(err.value.fields)
    with pytest.raises(LedgerError, match="future"):
        validate_entry(
            {
                "enterprise_id": "E",
                "item_id": "p#1",
                "amount": 1,
                "department": "d",
                "date": "2099-01-01",
                "status": "paid",
            },
            today=TODAY,
        )


def test_readers_name_bad_lines():
    csv_text = (
        "\ufeffenterprise_id,item_id,amount,department,date,status\n"
        "E1,p#1,10,科技局,2026-01-02,paid\n"
        "E2,p#1,ten,科技局,2026-01-02,paid\n"
        "E3,p#1,5,科技局,2026-01-02,paid,extra\n"
    )
    rows, errors = read_ledger_text(csv_text, "csv", today=TODAY)
    assert [line for line, _ in rows] == [2]
    assert [e.line for e in errors] == [3, 4] and "amount" in errors[0].message
    jsonl = '{"enterprise_id":"E1","item_id":"p#1","amount":1,"department":"d","date":"2026-01-02","status":"paid"}\n{bad\n\n[1]\n'
    rows, errors = read_ledger_text(jsonl, "jsonl", today=TODAY)
    assert len(rows) == 1 and [e.line for e in errors] == [2, 4]
    _, errors = read_ledger_text("a,b\n1,2\n", "csv")
    assert errors[0].line == 1 and "lacks the columns" in errors[0].message


def test_corrections_replace_and_states_follow_the_latest_effective_row():
    rows = [
        row(1, "E1", "p#1", "approved", amount=10),
        row(2, "E1", "p#1", "paid", amount=10, date="2026-02-01"),
        row(3, "E1", "p#1", "paid", amount=12, date="2026-02-01", corrects=2),
    ]
    state = benefit_states(rows)[("E1", "p#1", "科技局")]
    assert (state.id, state.amount) == (3, 12)


def test_no_repeat_reader_finds_the_clause_shapes():
    text = "一、奖励20万元。\n二、同一企业同一项目按就高原则不重复享受。\n三、与本市其他同类政策不重复享受。\n四、其他。"
    groups = read_no_repeat_clauses("p", text, ["p#1", "p#2"])
    assert [g.span for g in groups] == [
        "二、同一企业同一项目按就高原则不重复享受",
        "三、与本市其他同类政策不重复享受",
    ]
    assert all(g.items == {"p#1", "p#2"} and g.source == "text" for g in groups)
    assert read_no_repeat_clauses("p", "对新认定的企业给予奖励。", ["p#1"]) == []


def test_duplicate_hits_by_legal_person_group_and_department():
    persons = {"A": legal_person("A", CODE), "A2": legal_person("A2", CODE), "B": "id:B"}
    groups = [BenefitGroup("g", frozenset({"p#1", "q#1"}))]
    rows = [
        row(1, "A", "p#1"),
        row(2, "A2", "q#1"),  # same legal person, other item of the group
        row(3, "B", "p#1", department="科技局"),
        row(4, "B", "p#1", department="经信局"),  # same item from two departments
        row(5, "B", "q#1", "applied"),  # applying is not holding
    ]
    hits = {h.ident: h for h in duplicate_hits(rows, persons, groups)}
    assert set(hits) == {("same_group", f"uscc:{CODE}", "g"), ("same_item", "id:B", "p#1")}
    assert hits[("same_item", "id:B", "p#1")].departments == ("科技局", "经信局")
    # A revocation ends holding: no hit any more.
    rows.append(row(6, "B", "p#1", "revoked", department="经信局", date="2026-03-01"))
    assert {h.ident for h in duplicate_hits(rows, persons, groups)} == {("same_group", f"uscc:{CODE}", "g")}


def test_push_checks_flag_what_is_held_and_pick_the_highest_of_a_group():
    groups = [BenefitGroup("g", frozenset({"p#1", "q#1"}))]
    rows = [row(1, "A", "q#1")]
    checks = push_checks(
        "p#1", ["A", "B", "C"], rows, {}, groups, {("B", "p#1"): 5, ("B", "q#1"): 20, ("C", "p#1"): 5}
    )
    assert checks["A"].already and checks["B"].higher == "q#1"
    assert not checks["C"].already and checks["C"].higher is None


def test_colours_and_their_reasons():
    facts = ProfileFacts("A", CODE, "normal", False, "2026-05-01T00:00:00+00:00")
    assert colour_of(facts, [], [], TODAY).colour == "green"
    assert colour_of(replace(facts, uscc=None), [], [], TODAY).reasons[0].code == "no_uscc"
    assert colour_of(replace(facts, uscc=CODE[:-1] + "0"), [], [], TODAY).colour == "yellow"
    stale = colour_of(replace(facts, updated_at="2024-01-01T00:00:00"), [], [], TODAY, max_age_days=365)
    assert [r.code for r in stale.reasons] == ["stale_profile"]
    shared = colour_of(facts, [], [], TODAY, code_holders={CODE: ["A", "Z"]})
    assert [r.code for r in shared.reasons] == ["shared_uscc"]
    revoked = [row(1, "A", "p#1", "revoked", reason="恶意套取补贴")]
    red = colour_of(replace(facts, uscc=None), revoked, [], TODAY)
    assert red.colour == "red" and [r.code for r in red.reasons] == ["revoked_fraud", "no_uscc"]
    assert colour_of(replace(facts, credit_status="dishonest"), [], [], TODAY).colour == "red"
    assert colour_of(replace(facts, major_violation=True), [], [], TODAY).colour == "red"


def test_monitoring_counts_from_the_data_alone():
    items = [
        ItemFacts("p#1", "科技局", "免申即享", "2026-01-02", cap=10.0, promised_days=30),
        ItemFacts("q#1", "经信局", "一般申报", "2026-01-02", cap=None),
    ]
    rows = [
        row(1, "A", "p#1", amount=10),
        row(2, "B", "p#1", amount=15),  # above the cap
        row(3, "R", "p#1", amount=10),  # red, and not eligible
        row(4, "A", "q#1", "applied", department="经信局", date="2026-01-09"),
    ]
    eligible = {"p#1": frozenset({"A", "B", "C", "D"}), "q#1": frozenset({"A", "B"})}
    pushed = {"p#1": {"A": "2026-01-05", "B": "2026-01-12"}, "q#1": {"A": "2026-01-09"}}
    per_item, per_department = monitor(
        items, rows, [], eligible, frozenset({"R"}), pushed, TODAY, {"p#1": (4.5, 2)}
    )
    p = per_item[0].to_dict()
    assert p["multi_paid"] == {"duplicates": 0, "over_cap": 1}
    assert p["wrong_paid"] == {"ineligible": 1, "flagged": 1}
    assert p["missed"] == 2 and p["details"]["missed"] == ["C", "D"]
    # Sun 4 Jan 2026 is a make-up workday (调休): Fri 2 → Mon 5 is 2 working days, Fri 2 → Fri 9 is 6
    assert (p["push_share"], p["days_to_push"], p["push_on_time"]) == (0.5, 2, True)
    assert per_item[1].to_dict()["days_to_push"] == 6 and per_item[1].missed == 0
    assert [d.key for d in per_department] == ["科技局", "经信局"]
    again, _ = monitor(items, rows, [], eligible, frozenset({"R"}), pushed, TODAY, {"p#1": (4.5, 2)})
    assert [m.to_dict() for m in again] == [m.to_dict() for m in per_item]


def test_working_days_and_satisfaction():
    # 2026: Sun 4 Jan is a make-up workday (调休), so Fri → next Fri is 6 working days, not 5
    assert working_days_between(dt.date(2026, 1, 2), dt.date(2026, 1, 9)) == 6
    # 国庆 2025: 1–8 Oct are holidays, so from 30 Sep only 9 Oct counts (Mon–Fri would say 7)
    assert working_days_between(dt.date(2025, 9, 30), dt.date(2025, 10, 9)) == 1
    assert working_days_between(dt.date(2025, 10, 9), dt.date(2025, 9, 30)) == -1
    assert satisfaction(
        [{"convenience": 5, "progress": 4, "usage": 3}, {"convenience": 3, "progress": 4, "usage": 5}]
    ) == (4.0, 2)
    assert satisfaction([]) is None


@pytest.mark.parametrize("seed", range(5))
def test_planted_duplicates_found_with_precision_and_recall_one(seed):
    generated = generate_ledger(seed)
    found = {h.ident for h in duplicate_hits(generated.entries, generated.persons, generated.groups)}
    assert precision_recall(found, generated.truth) == (1.0, 1.0)
    assert len(generated.truth) == 60 and sum(generated.distractors.values()) > 0
    # The distractors matter: counting every row ignoring corrections and revocations finds hits that are not there.
    naive = [replace(e, corrects=None, status="paid") for e in generated.entries]
    naive_found = {h.ident for h in duplicate_hits(naive, generated.persons, generated.groups)}
    assert precision_recall(naive_found, generated.truth)[0] < 1.0
