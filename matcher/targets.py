"""精准推送: the target list of one policy item over every enterprise, and 免申即享 lists.

The heavy part is :meth:`matcher.eligibility.EnterpriseColumns.judge` (every
condition as a numpy pass over all enterprises); here the rows that pass are put
in the stable order that paging relies on — level, then score descending, then
enterprise id — and only the rows of the page asked for are spelled out with
their per-condition verdicts and gaps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corpus.conditions import LEVELS, Condition, ConditionResult, level_of
from matcher.eligibility import (
    LEVEL_RANK,
    VERDICTS,
    ColumnVerdicts,
    EnterpriseColumns,
    Gap,
    evaluate_condition,
    gaps_of,
)

DEFAULT_LEVELS: tuple[str, ...] = ("eligible", "need_info", "near_miss")
# Weights of the target score: the share of conditions met, then text relevance.
RULES_WEIGHT = 0.8
DENSE_WEIGHT = 0.2


def check_levels(levels: Sequence[str]) -> tuple[str, ...]:
    """Validate level names (raises ValueError naming the valid ones)."""
    bad = [lvl for lvl in levels if lvl not in LEVELS]
    if bad:
        raise ValueError(f"unknown level {bad[0]!r}; valid levels: {', '.join(LEVELS)}")
    return tuple(dict.fromkeys(levels))


@dataclass(frozen=True)
class TargetOrder:
    """The whole target list of one item, ordered: enterprise rows with their level rank, score and flags."""

    item_id: str
    rows: np.ndarray  # column rows, in list order
    level: np.ndarray  # int8 rank per listed row
    score: np.ndarray  # float per listed row
    excluded: np.ndarray  # bool: an exclusion (失信 / 重大违法) is what keeps the row from its level
    rules: np.ndarray  # share of conditions met
    dense: np.ndarray  # text relevance (0 when unknown)
    verdicts: ColumnVerdicts
    columns_version: int

    def __len__(self) -> int:
        """Rows in the list."""
        return len(self.rows)

    def counts(self) -> dict[str, int]:
        """Rows per level name (excluded rows counted under ``excluded``)."""
        out: dict[str, int] = {
            LEVELS[rank]: int(((self.level == rank) & ~self.excluded).sum()) for rank in range(len(LEVELS))
        }
        out["excluded"] = int(self.excluded.sum())
        return {k: v for k, v in out.items() if v}


def order_targets(
    item_id: str,
    columns: EnterpriseColumns,
    verdicts: ColumnVerdicts,
    applicable: np.ndarray,
    levels: Sequence[str],
    dense: np.ndarray | None = None,
    include_excluded: bool = True,
) -> TargetOrder:
    """Select the rows of ``levels`` among applicable, present enterprises and order them stably.

    Enterprises kept out only by an exclusion (失信, 重大违法) are listed after the
    chosen levels, flagged, never silently dropped (``include_excluded``).
    """
    n = len(columns)
    wanted = np.zeros(len(LEVELS), dtype=bool)
    wanted[[LEVEL_RANK[lvl] for lvl in check_levels(levels)]] = True
    base = columns.alive[:n] & applicable[:n]
    chosen = base & wanted[verdicts.level]
    excluded = (
        base & verdicts.excluded & wanted[verdicts.level_without_exclusions] & include_excluded & ~chosen
    )
    keep = np.flatnonzero(chosen | excluded)
    rules = verdicts.rules_share()[keep]
    dense_part = np.zeros(len(keep)) if dense is None else np.clip(np.asarray(dense)[keep], 0.0, 1.0)
    score = RULES_WEIGHT * rules + DENSE_WEIGHT * dense_part
    is_excluded = excluded[keep]
    # Excluded rows sort after every chosen level.
    level_key = np.where(is_excluded, len(LEVELS), verdicts.level[keep])
    order = np.lexsort((columns.id_rank()[keep], -np.round(score, 9), level_key))
    rows = keep[order]
    return TargetOrder(
        item_id=item_id,
        rows=rows,
        level=verdicts.level[rows],
        score=score[order],
        excluded=is_excluded[order],
        rules=np.asarray(rules, dtype=np.float64)[order],
        dense=dense_part[order],
        verdicts=verdicts,
        columns_version=columns.version,
    )


@dataclass(frozen=True)
class TargetRow:
    """One enterprise on an item's target list (api.md's *target*): level, score, conditions, gaps, flags."""

    enterprise_id: str
    name: str
    policy_id: str
    item_id: str
    level: str
    score: float
    score_breakdown: dict[str, float]
    conditions: tuple[ConditionResult, ...]
    gaps: tuple[Gap, ...]
    flags: tuple[str, ...]
    excluded: bool
    rank: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the shape of api.md's target."""
        return {
            "enterprise_id": self.enterprise_id,
            "name": self.name,
            "policy_id": self.policy_id,
            "item_id": self.item_id,
            "level": self.level,
            "score": round(self.score, 6),
            "score_breakdown": {k: round(v, 6) for k, v in self.score_breakdown.items()},
            "conditions": [c.to_dict() for c in self.conditions],
            "gaps": [g.text for g in self.gaps],
            "flags": list(self.flags),
            "excluded": self.excluded,
            "rank": self.rank,
        }


@dataclass(frozen=True)
class TargetPage:
    """One page of a target list: the total, the rows, and where the next page starts."""

    total: int
    rows: tuple[TargetRow, ...]
    offset: int
    limit: int
    counts: dict[str, int]
    index_version: str

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page, or None on the last one."""
        end = self.offset + len(self.rows)
        return end if end < self.total else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "total": self.total,
            "data": [r.to_dict() for r in self.rows],
            "offset": self.offset,
            "limit": self.limit,
            "next_offset": self.next_offset,
            "counts": self.counts,
            "index": self.index_version,
        }


def build_row(
    order: TargetOrder,
    position: int,
    columns: EnterpriseColumns,
    policy_id: str,
    conditions: Sequence[Condition],
) -> TargetRow:
    """Spell out the row at ``position`` of a target list: each condition's verdict with the actual value and gap."""
    row = int(order.rows[position])
    # Only the fields the conditions read (rd_ratio is stored already derived).
    profile = columns.profile_view(row, {c.field for c in conditions})
    results: list[ConditionResult] = []
    for index, cond in enumerate(conditions):
        if cond.op == "semantic":
            verdict = VERDICTS[int(order.verdicts.per_condition[index][row])]

            def judge(_c: Condition, _p: Any, verdict: str = verdict) -> Any:
                return verdict

            results.append(evaluate_condition(cond, profile, judge))
        else:
            results.append(evaluate_condition(cond, profile))
    level = level_of(results)
    from corpus.conditions import ItemVerdict

    verdict_all = ItemVerdict(level, tuple(results))
    return TargetRow(
        enterprise_id=columns.ids[row],
        name=columns.names[row],
        policy_id=policy_id,
        item_id=order.item_id,
        level=level,
        score=float(order.score[position]),
        score_breakdown={
            "rules": float(order.rules[position]),
            "dense": float(order.dense[position]),
        },
        conditions=tuple(results),
        gaps=gaps_of(verdict_all),
        flags=columns.flags[row],
        excluded=bool(order.excluded[position]),
        rank=position + 1,
    )


@dataclass(frozen=True)
class EntitledList:
    """免申即享: the enterprises entitled to an item without applying, when every condition is decidable."""

    policy_id: str
    item_id: str
    decidable: bool
    undecidable: tuple[Condition, ...]
    enterprise_ids: tuple[str, ...]
    flagged: tuple[tuple[str, tuple[str, ...]], ...]  # entitled enterprises carrying 失信/重大违法 marks

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "policy_id": self.policy_id,
            "item_id": self.item_id,
            "decidable": self.decidable,
            "undecidable": [c.to_dict() for c in self.undecidable],
            "enterprise_ids": list(self.enterprise_ids),
            "flagged": {eid: list(flags) for eid, flags in self.flagged},
        }


def undecidable_conditions(conditions: Sequence[Condition]) -> tuple[Condition, ...]:
    """Conditions no profile field settles (``undecidable`` and ``semantic``): they rule out 免申即享."""
    return tuple(c for c in conditions if c.field == "undecidable" or c.op == "semantic")
