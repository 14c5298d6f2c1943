"""Generated benefits ledgers with planted duplicates: the truth duplicate-benefit detection is measured against.

The planting (docs/risk.md repeats it):

- *Clean rows.* Every legal person has one record (an id and a valid 统一社会信用代码) and
  holds a few benefits. An item belongs to at most one 就高不重复 group (groups are
  disjoint) and is granted by its one home department; a person holds at most one item
  of a group and each item once. A benefit is written as its steps (``applied`` →
  ``approved`` → ``paid``, some stop earlier).
- *Distractors* (look like duplicates, are not): a benefit later ``revoked`` and another
  item of its group granted afterwards; an ``applied``-only row for a second item of a
  group (applying is not holding); a row granted under the wrong department and then
  corrected by a row naming the right one (``corrects``: the wrong row stops counting);
  an amount correction.
- *Planted duplicates*, each on a (person, key) no other plant uses, each one truth hit:
  ``same_group`` — a second item of a group the person holds, from its home department;
  ``same_item`` across departments — the same item granted again by another department;
  ``same_item`` across records — a second record of the same legal person (same code)
  granted the same item; ``same_group`` across records — the second record granted
  another item of the group.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from corpus.ledger import LedgerEntry
from corpus.risk import BenefitGroup, legal_person
from corpus.schemas import uscc_check_digit

PLANT_KINDS: tuple[str, ...] = ("group", "department", "record", "record_group")
_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class GeneratedLedger:
    """A generated ledger with its records, groups and the duplicates planted in it."""

    entries: tuple[LedgerEntry, ...]
    persons: dict[str, str]  # record id → legal person
    codes: dict[str, str]  # record id → 统一社会信用代码
    groups: tuple[BenefitGroup, ...]
    truth: frozenset[tuple[str, str, str]]  # (kind, person, key) of every planted duplicate
    planted: dict[str, int]  # plants per kind
    distractors: dict[str, int]


def make_uscc(rng: random.Random) -> str:
    """Make a random 统一社会信用代码 with a valid GB 32100-2015 check digit (registration 9, type 1: 企业)."""
    body = (
        "91"
        + "".join(rng.choice("0123456789") for _ in range(6))
        + "".join(rng.choice(_CHARS) for _ in range(9))
    )
    return body + uscc_check_digit(body)


def generate_ledger(
    seed: int = 0,
    n_persons: int = 300,
    n_items: int = 40,
    n_groups: int = 8,
    group_size: int = 3,
    n_departments: int = 5,
    plants: int = 60,
) -> GeneratedLedger:
    """Generate a ledger as the module docstring describes; the same arguments give the same ledger."""
    rng = random.Random(seed)
    departments = [f"部门{d + 1:02d}" for d in range(n_departments)]
    items = [f"gen-{seed}-{i // 4:03d}#{i % 4 + 1}" for i in range(n_items)]
    home = {item: rng.choice(departments) for item in items}
    shuffled = items[:]
    rng.shuffle(shuffled)
    groups = tuple(
        BenefitGroup(
            f"g{g:02d}", frozenset(shuffled[g * group_size : (g + 1) * group_size]), "admin", f"组{g}"
        )
        for g in range(n_groups)
    )
    group_of = {item: g for g in groups for item in g.items}
    records = [f"ENT{p:05d}" for p in range(n_persons)]
    codes = {r: make_uscc(rng) for r in records}
    rows: list[LedgerEntry] = []
    held: dict[str, set[str]] = {r: set() for r in records}
    distractors = {
        "revoked_then_other": 0,
        "applied_only": 0,
        "department_corrected": 0,
        "amount_corrected": 0,
    }

    def add(entry: LedgerEntry) -> LedgerEntry:
        stored = replace(entry, id=len(rows) + 1)
        rows.append(stored)
        return stored

    def grant(record: str, item: str, department: str, day: int, final: str = "paid") -> LedgerEntry:
        amount = float(rng.choice((5, 10, 20, 50)))
        last = None
        for n, status in enumerate(("applied", "approved", "paid")):
            last = add(LedgerEntry(record, item, amount, department, _day(day + n * 7), status, "generated"))
            if status == final:
                break
        assert last is not None
        return last

    for record in records:
        for item in rng.sample(items, rng.randint(1, 4)):
            group = group_of.get(item)
            if item in held[record] or (group is not None and held[record] & group.items):
                continue
            held[record].add(item)
            grant(record, item, home[item], rng.randint(0, 300), rng.choice(("approved", "paid", "paid")))

    # Distractors.
    for record in rng.sample(records, n_persons // 10):
        options = [i for i in held[record] if i in group_of and len(group_of[i].items) > 1]
        if not options:
            continue
        item = options[0]
        others = sorted(group_of[item].items - {item})
        kind = rng.choice(tuple(distractors))
        if kind == "revoked_then_other":
            last = [e for e in rows if e.enterprise_id == record and e.item_id == item][-1]
            add(replace(last, id=None, status="revoked", reason="企业主动退回", date=_day(320)))
            held[record].discard(item)
            held[record].add(others[0])
            grant(record, others[0], home[others[0]], 330)
        elif kind == "applied_only":
            add(LedgerEntry(record, others[0], 5.0, home[others[0]], _day(340), "applied", "generated"))
        elif kind == "department_corrected":
            wrong = next(d for d in departments if d != home[item]) if len(departments) > 1 else home[item]
            extra = [i for i in items if i not in held[record] and i not in group_of]
            if not extra:
                continue
            target = extra[0]
            bad = add(LedgerEntry(record, target, 8.0, wrong, _day(200), "approved", "generated"))
            add(replace(bad, id=None, department=home[target], corrects=bad.id, reason="部门录入错误"))
            held[record].add(target)
        else:
            last = [e for e in rows if e.enterprise_id == record and e.item_id == item][-1]
            add(replace(last, id=None, amount=last.amount + 1, corrects=last.id, reason="金额更正"))
        distractors[kind] += 1

    persons = {r: legal_person(r, codes[r]) for r in records}
    truth: set[tuple[str, str, str]] = set()
    planted = dict.fromkeys(PLANT_KINDS, 0)
    used_keys: set[tuple[str, str]] = set()
    attempts = 0
    while sum(planted.values()) < plants and attempts < plants * 50:
        attempts += 1
        kind = PLANT_KINDS[sum(planted.values()) % len(PLANT_KINDS)]
        record = rng.choice(records)
        person = persons[record]
        holding = sorted(i for i in held[record] if _holds(rows, record, i))
        if not holding:
            continue
        if kind in ("group", "record_group"):
            in_group = [i for i in holding if i in group_of]
            if not in_group:
                continue
            group = group_of[in_group[0]]
            free = sorted(group.items - held[record])
            if not free or (person, group.id) in used_keys:
                continue
            target_record = record
            if kind == "record_group":
                target_record = _second_record(record, records, codes, persons, held)
            grant(target_record, free[0], home[free[0]], 350)
            held[target_record].add(free[0])
            used_keys.add((person, group.id))
            truth.add(("same_group", person, group.id))
        else:
            item = rng.choice(holding)
            if (person, item) in used_keys or (item in group_of and (person, group_of[item].id) in used_keys):
                continue
            if kind == "department":
                other = [d for d in departments if d != home[item]]
                grant(record, item, rng.choice(other), 350)
            else:
                second = _second_record(record, records, codes, persons, held)
                grant(second, item, home[item], 350)
                held[second].add(item)
            used_keys.add((person, item))
            truth.add(("same_item", person, item))
        planted[kind] += 1
    return GeneratedLedger(tuple(rows), persons, codes, groups, frozenset(truth), planted, distractors)


def _holds(rows: list[LedgerEntry], record: str, item: str) -> bool:
    states = [e for e in rows if e.enterprise_id == record and e.item_id == item]
    return bool(states) and states[-1].status in ("approved", "paid")


def _second_record(
    record: str, records: list[str], codes: dict[str, str], persons: dict[str, str], held: dict[str, set[str]]
) -> str:
    """Return a second record of the legal person of ``record`` (created once; same 统一社会信用代码)."""
    second = record + "-B"
    if second not in codes:
        codes[second] = codes[record]
        persons[second] = persons[record]
        held[second] = set()
    return second


def _day(n: int) -> str:
    import datetime as dt

    return (dt.date(2025, 1, 1) + dt.timedelta(days=n)).isoformat()


def precision_recall(
    found: set[tuple[str, str, str]], truth: frozenset[tuple[str, str, str]]
) -> tuple[float, float]:
    """Precision and recall of found duplicate hits against the planted ones (1.0 when both are empty)."""
    hit = len(found & truth)
    precision = hit / len(found) if found else 1.0
    recall = hit / len(truth) if truth else 1.0
    return precision, recall
