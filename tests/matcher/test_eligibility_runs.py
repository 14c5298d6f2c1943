"""The all-items judge's shortcuts (issue 19): remembered generic verdicts and wide items agree with judge_item."""

from __future__ import annotations

import random

from random_conditions import random_condition, random_entries_v2, random_profile, random_profile_v2

from corpus.conditions import LEVELS, judge_item
from matcher.eligibility import ConditionTable


def _levels(table: ConditionTable, profile: dict) -> list[int]:
    got = table.judge_all(profile)
    return [int(x) for x in got.level] + [int(x) for x in got.n_met] + [int(x) for x in got.tier]


def test_remembered_generic_verdicts_never_leak_between_profiles() -> None:
    rng = random.Random(19)
    profiles = [random_profile_v2(rng, i) for i in range(120)]
    items = [random_entries_v2(rng) for _ in range(80)]
    table = ConditionTable(items)
    first = [_levels(table, p) for p in profiles]
    # Judged again in another order, with the memo full of other profiles' values: the same answers.
    order = list(range(len(profiles)))
    rng.shuffle(order)
    for k in order:
        assert _levels(table, profiles[k]) == first[k]
    # And each equals a fresh table's (nothing remembered yet) and judge_item's.
    fresh = ConditionTable(items)
    for profile, seen in zip(profiles[:30], first[:30], strict=True):
        assert _levels(fresh, profile) == seen
        assert seen[: len(items)] == [LEVELS.index(judge_item(c, profile).level) for c in items]


def test_an_item_too_wide_to_pack_is_counted_unpacked() -> None:
    rng = random.Random(5)
    wide = [random_condition(rng) for _ in range(700)]  # beyond the packed counts' bits
    items = [wide, [random_condition(rng) for _ in range(3)], []]
    table = ConditionTable(items)
    assert table.structure.pack_shift == 0
    for i in range(40):
        profile = random_profile(rng, i)
        got = table.judge_all(profile)
        for j, conds in enumerate(items):
            verdict = judge_item(conds, profile)
            assert LEVELS[got.level[j]] == verdict.level
            assert got.n_met[j] == verdict.n_satisfied
