"""精准推送: the target list of one policy item over every enterprise, and 免申即享 lists.

The heavy part is :meth:`matcher.eligibility.EnterpriseColumns.judge` (every
condition as a numpy pass over all enterprises); here the rows that pass are put
in the stable order that paging relies on — level, then score descending, then
enterprise id — and only the rows of the page asked for are spelled out with
their per-condition verdicts and gaps.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corpus.conditions import LEVELS, Condition, ConditionResult, Entry, fields_read, judge_item, leaves
from matcher.answer import target_layout, targets_layout
from matcher.eligibility import (
    LEVEL_RANK,
    VERDICTS,
    ColumnVerdicts,
    EnterpriseColumns,
    Gap,
    gaps_of,
    need_info_at_best,
    region_unknown,
)
from matcher.facts import ItemFacts, result_extras
from matcher.fusion import FusionConfig, PartScores, fuse, rank_score

DEFAULT_LEVELS: tuple[str, ...] = ("eligible", "need_info", "near_miss")
# Weight of the share of conditions met in the target score, beside the fused text relevance.
RULES_WEIGHT = 0.8


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


def unknown_region_capped(
    verdicts: ColumnVerdicts, applicable: np.ndarray, unknown: np.ndarray
) -> tuple[ColumnVerdicts, np.ndarray]:
    """Return a regional item's verdicts and applicable rows with the rows of unknown region let in, at best need_info.

    An enterprise with no region may be inside the item's region: a missing field is unknown, never a
    failure, so it is listed as 智能匹配 answers it (``eligible`` becomes ``need_info``), not dropped.
    """
    n = min(len(applicable), len(unknown))
    rows = np.zeros(len(np.asarray(verdicts.level)), dtype=bool)
    rows[:n] = unknown[:n]
    level = need_info_at_best(verdicts.level, rows)
    without = need_info_at_best(verdicts.level_without_exclusions, rows)
    opened = np.asarray(applicable, dtype=bool).copy()
    opened[:n] |= rows[:n]
    return dataclasses.replace(verdicts, level=level, level_without_exclusions=without), opened


def order_targets(
    item_id: str,
    columns: EnterpriseColumns,
    verdicts: ColumnVerdicts,
    applicable: np.ndarray,
    levels: Sequence[str],
    dense: np.ndarray | None = None,
    include_excluded: bool = True,
    fusion: FusionConfig | None = None,
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
    # Per row since the condition language v2 (tiers: each row counts the conditions of the tier it reached).
    rules = np.asarray(verdicts.rules_share(), dtype=np.float64)[keep]
    dense_part = np.zeros(len(keep)) if dense is None else np.clip(np.asarray(dense)[keep], 0.0, 1.0)
    # The served fusion ranks enterprises as it ranks items: here the dense part is the only text part.
    fused = fuse(PartScores(np.zeros(len(keep)), None, dense_part), fusion).total
    score = rank_score(fused, rules, RULES_WEIGHT)
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
    fulfilment: str | None = None
    support: str | None = None  # the item's 支持内容 (``matcher.item_catalog.support_text``)
    extras: Mapping[str, Any] = field(default_factory=dict)  # v2: tier, bonus, amount, window (matcher.facts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the shape of api.md's target (plus the v2 keys of ``extras``): :func:`target_layout`."""
        return target_layout(self)[0]


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
            "data": targets_layout(self.rows)[0],
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
    conditions: Sequence[Entry],
    facts: ItemFacts | None = None,
    as_of: dt.date | None = None,
    *,
    fulfilment: str | None = None,
    support: str | None = None,
    region_prefix: str = "",
) -> TargetRow:
    """Spell out the row at ``position`` of a target list: each condition's verdict with the actual value and gap.

    ``region_prefix``: the item's region; a row with no region is at best ``need_info``, its region a gap.
    """
    row = int(order.rows[position])
    # Only the fields the conditions read (rd_ratio is stored already derived).
    profile = columns.profile_view(row, fields_read(conditions))
    codes = order.verdicts.leaf_codes or {}

    def semantic(cond: Condition, _profile: Any) -> Any:
        # The verdict the bulk pass gave this row (from the enterprise's text vector).
        found = codes.get(cond)
        return "unknown" if found is None else VERDICTS[int(found[row])]

    verdict_all = judge_item(conditions, profile, semantic)
    level, gaps = verdict_all.level, gaps_of(verdict_all)
    if region_prefix and bool(columns.region_unknown()[row]):
        level, gaps = region_unknown(level, gaps, region_prefix)
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
        conditions=verdict_all.results,
        gaps=gaps,
        flags=columns.flags[row],
        excluded=bool(order.excluded[position]),
        rank=position + 1,
        fulfilment=fulfilment,
        support=support,
        extras=result_extras(verdict_all, facts, as_of or dt.date.today()),
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


def undecidable_conditions(conditions: Sequence[Entry]) -> tuple[Condition, ...]:
    """Conditions no profile field settles (``undecidable`` and ``semantic``, in groups and tiers too): no 免申即享."""
    return tuple(c for c in leaves(conditions) if c.field == "undecidable" or c.op == "semantic")
