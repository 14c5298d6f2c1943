"""Eligibility conditions: the shared language of ``shared/spec/conditions.md``.

A :class:`Condition` is what a policy item requires of an enterprise; it is
data, and so are its semantics: :func:`evaluate_condition` decides one
condition against one profile (``met`` / ``unmet`` / ``unknown``) and
:func:`level_of` turns the verdicts of an item into its level. Both are pure
functions over plain values, shared by the demo generator (which writes the
ground truth) and the matcher (which predicts it), so the two can never drift.

The language is v2 (docs/conditions.md): a leaf may carry a ``role``
(``require`` / ``bonus`` / ``exclude``), leaves may be gathered in an ``any``
group (:class:`Group`, one condition for the level), and an item may have
:class:`Tier` s (its outcomes, best first, each with its own conditions and
support). An item's conditions are one flat tuple of nodes — leaves, groups,
and its tiers after them — so a v1 list is a v2 list with the same meaning.
:func:`judge_item` judges all of it; :class:`ItemVerdict` reports the tier
reached, the gap to the next better one, the bonus verdicts and the expected
amount (:class:`Formula`).

Missing data is never a match and never a failure: it is ``unknown``.

The language lives in three modules — :mod:`~corpus.conditions.language` (the vocabulary),
:mod:`~corpus.conditions.nodes` (the nodes and their parsing) and :mod:`~corpus.conditions.judge`
(judging) — and every public name is importable from here.
"""

from corpus.conditions.judge import (
    ConditionResult,
    ItemVerdict,
    LeafJudge,
    SemanticJudge,
    TierVerdict,
    choose_tier,
    evaluate_condition,
    evaluate_conditions,
    evaluate_node,
    group_verdict,
    judge_item,
    level_of,
    truth_verdict,
)
from corpus.conditions.language import (
    CONDITION_FIELDS,
    EXCLUSION_FIELDS,
    FIELD_LABELS,
    LEVELS,
    NUMERIC_FIELDS,
    NUMERIC_OPS,
    OP_WORDS,
    OPS,
    PROFILE_FIELDS,
    ROLES,
    TEXT_FIELDS,
    ConditionError,
    Level,
    Role,
    Source,
    Verdict,
    industry_section,
)

# _actual_value and _is_number: matcher.eligibility reads a profile with the scalar judge's readers.
from corpus.conditions.language import (
    _actual_value as _actual_value,
)
from corpus.conditions.language import (
    _is_number as _is_number,
)
from corpus.conditions.nodes import (
    Condition,
    Entry,
    Formula,
    Group,
    Node,
    Tier,
    conditions_json,
    fields_read,
    is_v1,
    leaves,
    node_from_dict,
    parse_conditions,
    split_tiers,
    with_source,
)

__all__ = [
    "CONDITION_FIELDS",
    "Condition",
    "ConditionError",
    "ConditionResult",
    "EXCLUSION_FIELDS",
    "Entry",
    "FIELD_LABELS",
    "Formula",
    "Group",
    "ItemVerdict",
    "LEVELS",
    "LeafJudge",
    "Level",
    "NUMERIC_FIELDS",
    "NUMERIC_OPS",
    "Node",
    "OPS",
    "OP_WORDS",
    "PROFILE_FIELDS",
    "ROLES",
    "Role",
    "SemanticJudge",
    "Source",
    "TEXT_FIELDS",
    "Tier",
    "TierVerdict",
    "Verdict",
    "choose_tier",
    "conditions_json",
    "evaluate_condition",
    "evaluate_conditions",
    "evaluate_node",
    "fields_read",
    "group_verdict",
    "industry_section",
    "is_v1",
    "judge_item",
    "leaves",
    "level_of",
    "node_from_dict",
    "parse_conditions",
    "split_tiers",
    "truth_verdict",
    "with_source",
]
