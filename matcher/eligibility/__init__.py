"""Eligibility verdicts: every condition of an item against a profile, and the item's level.

The meaning of a condition lives in :mod:`corpus.conditions` (``evaluate_condition``,
``level_of``); this module makes it fast in both directions without changing it:

- :class:`ConditionTable` holds the conditions of *every* item, pre-compiled into
  arrays, and judges them all against one profile at once (智能匹配: one
  enterprise → all items, so no item is lost by retrieval).
- :class:`EnterpriseColumns` holds every enterprise as columns (numbers as float
  arrays with NaN for unknown, dates as day numbers, everything else factorised
  into codes) and judges one item's conditions against all of them at once
  (精准推送: one item → all enterprises).

Both speak the condition language v2 (docs/conditions.md): every *leaf* (group
members and tier conditions included) is a row judged as below; the rows are then
combined, still in numpy, into ``all`` members, ``any`` groups (one condition for
the level), roles (``bonus`` never counts, an ``exclude`` met is a hit) and tiers
(the best tier with the best level wins; none reachable → the lowest), exactly
as :func:`corpus.conditions.judge_item` rules.

Numbers and dates are compared with numpy exactly as ``evaluate_condition``
compares them; every other op is decided by ``evaluate_condition`` itself, once
per distinct value, and gathered — so both fast paths agree with the scalar one
(tests check it on random profiles). Verdicts are coded ``MET`` / ``UNMET`` /
``UNKNOWN`` and levels by their rank (eligible 0 … ineligible 3).

The code lives in :mod:`~matcher.eligibility.common` (codes, gaps, the leaf memo; the scalar judge is
:func:`corpus.conditions.judge_item` itself),
:mod:`~matcher.eligibility.table` (:class:`ConditionTable`), :mod:`~matcher.eligibility.structure`
(how leaf verdicts combine into item levels, :class:`TableVerdicts`) and
:mod:`~matcher.eligibility.columns` (:class:`EnterpriseColumns`); every public name is
importable from here.
"""

from __future__ import annotations

from matcher.eligibility.columns import ColumnVerdicts, EnterpriseColumns, level_name
from matcher.eligibility.common import (
    BONUS_WEIGHT,
    EXCLUSION_LABELS,
    LEVEL_RANK,
    MET,
    RAW_FIELDS,
    UNKNOWN,
    UNMET,
    VERDICTS,
    Gap,
    LeafMemo,
    ProfileKeys,
    SemanticRule,
    SemanticScorer,
    exclusion_hits,
    gaps_of,
    levels_from_counts,
    need_info_at_best,
    profile_flags,
    region_unknown,
)
from matcher.eligibility.structure import TableVerdicts, rules_share
from matcher.eligibility.table import ConditionTable

__all__ = [
    "BONUS_WEIGHT",
    "ColumnVerdicts",
    "ConditionTable",
    "EXCLUSION_LABELS",
    "EnterpriseColumns",
    "Gap",
    "LEVEL_RANK",
    "LeafMemo",
    "MET",
    "ProfileKeys",
    "RAW_FIELDS",
    "SemanticRule",
    "SemanticScorer",
    "TableVerdicts",
    "UNKNOWN",
    "UNMET",
    "VERDICTS",
    "exclusion_hits",
    "gaps_of",
    "level_name",
    "levels_from_counts",
    "need_info_at_best",
    "profile_flags",
    "region_unknown",
    "rules_share",
]
