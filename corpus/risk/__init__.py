"""风险监管 rules, as pure functions of data: 就高不重复 groups, duplicate-benefit checks, 三色预警, monitoring.

Nothing here reads a clock, a store or a model: every figure is a function of the
ledger rows, the profiles, the groups and the dates it is given, so the same data
gives the same colours and the same monitoring (docs/risk.md states every rule).

A *legal person* is its 统一社会信用代码 when the record carries a valid one, else the
record id: two records with one code are one legal person to every check here.

The rules live in three modules — :mod:`~corpus.risk.duplicates` (legal persons, 就高不重复 groups,
duplicate-benefit and push checks), :mod:`~corpus.risk.colours` (三色预警) and :mod:`~corpus.risk.monitoring`
(多发、错发、漏发 and 闭环评价) — and every public name is importable from here.
"""

from corpus.risk.colours import (
    DEFAULT_MAX_PROFILE_AGE_DAYS,
    FRAUD_WORDS,
    Colour,
    ProfileFacts,
    Reason,
    colour_of,
    data_reasons,
    profile_age_days,
)
from corpus.risk.duplicates import (
    BenefitGroup,
    DuplicateHit,
    PushCheck,
    duplicate_hits,
    groups_of_items,
    legal_person,
    push_checks,
    read_no_repeat_clauses,
)
from corpus.risk.monitoring import (
    DEFAULT_PROMISED_DAYS,
    PUSH_TARGET_WORKING_DAYS,
    RATING_DIMENSIONS,
    ItemFacts,
    ItemMonitor,
    monitor,
    satisfaction,
    working_days_between,
)

__all__ = [
    "BenefitGroup",
    "Colour",
    "DEFAULT_MAX_PROFILE_AGE_DAYS",
    "DEFAULT_PROMISED_DAYS",
    "DuplicateHit",
    "FRAUD_WORDS",
    "ItemFacts",
    "ItemMonitor",
    "PUSH_TARGET_WORKING_DAYS",
    "ProfileFacts",
    "PushCheck",
    "RATING_DIMENSIONS",
    "Reason",
    "colour_of",
    "data_reasons",
    "duplicate_hits",
    "groups_of_items",
    "legal_person",
    "monitor",
    "profile_age_days",
    "push_checks",
    "read_no_repeat_clauses",
    "satisfaction",
    "working_days_between",
]
