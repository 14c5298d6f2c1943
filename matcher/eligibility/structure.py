"""How an item's leaf verdicts become its level: :class:`Structure`, the level pass of many items at once.

Leaves combine into ``all`` units, units into nodes (``any`` groups or single leaves), nodes
into scopes (an item's common conditions or one of its tiers) and scopes into choices (common
plus one tier); :class:`Structure` lays them out contiguously so one profile's verdicts over
every item are counted in a few numpy passes, as :func:`corpus.conditions.judge_item` counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from corpus.conditions import Condition, Entry, Group, split_tiers
from matcher.eligibility.common import (
    _ROLE_CODE,
    BONUS_WEIGHT,
    LEVEL_RANK,
    MET,
    UNKNOWN,
    UNMET,
    levels_from_counts,
)


@dataclass(frozen=True)
class TableVerdicts:
    """Per-item verdict counts and levels of one profile over a :class:`ConditionTable`."""

    level: np.ndarray  # int8 rank per item
    n_met: np.ndarray  # counted conditions satisfied (a group once) on the tier reached
    n_conditions: np.ndarray  # counted conditions (bonus left out) on the tier reached
    excluded: np.ndarray  # bool: an exclusion is unmet
    level_without_exclusions: np.ndarray  # the level had the profile no 失信/重大违法 mark: flag, never drop
    tier: np.ndarray | None = None  # index of the tier reached per item (-1 without tiers)
    n_bonus_met: np.ndarray | None = None
    n_bonus: np.ndarray | None = None

    def rules_share(self) -> np.ndarray:
        """Share of counted conditions met, plus a small weight for bonus conditions met (ranking only)."""
        return rules_share(self.n_met, self.n_conditions, self.n_bonus_met, self.n_bonus)


def rules_share(
    n_met: np.ndarray, n_conditions: np.ndarray, n_bonus_met: np.ndarray | None, n_bonus: np.ndarray | None
) -> np.ndarray:
    """Share of counted conditions met (1 with none), plus ``BONUS_WEIGHT`` × the share of bonus ones met."""
    n_conditions = np.asarray(n_conditions)
    share = np.where(n_conditions > 0, np.asarray(n_met) / np.maximum(n_conditions, 1), 1.0)
    if n_bonus_met is not None and n_bonus is not None:
        share = share + BONUS_WEIGHT * np.where(n_bonus > 0, n_bonus_met / np.maximum(n_bonus, 1), 0.0)
    return np.asarray(share, dtype=np.float64)


class Structure:
    """How the leaf rows of some items combine: leaf → unit (``all``) → node (``any``/leaf) → scope → choice.

    A *scope* is the common conditions of an item or one of its tiers; a *choice* is
    common + one tier (or common alone without tiers). Choices of one item are contiguous.
    """

    def __init__(self, entries_per_item: Sequence[Sequence[Entry]]) -> None:
        self.leaves: list[Condition] = []
        self.leaf_item: list[int] = []
        unit_of_leaf: list[int] = []
        node_of_unit: list[int] = []
        node_any: list[bool] = []
        node_role: list[int] = []
        node_v1_excl: list[bool] = []
        scope_of_node: list[int] = []
        n_scopes = 0
        choice_common: list[int] = []
        choice_tier: list[int] = []
        choice_item: list[int] = []
        choice_pos: list[int] = []
        n_units = 0

        def add_leaf(leaf: Condition, item: int) -> None:
            self.leaves.append(leaf)
            self.leaf_item.append(item)
            unit_of_leaf.append(n_units)

        for item, entries in enumerate(entries_per_item):
            common, tiers = split_tiers(entries)
            scopes = [common, *(t.conditions for t in tiers)]
            first_scope = n_scopes
            for nodes in scopes:
                for node in nodes:
                    node_id = len(node_role)
                    node_role.append(_ROLE_CODE[node.role])
                    node_v1_excl.append(isinstance(node, Condition) and node.is_exclusion)
                    scope_of_node.append(n_scopes)
                    if isinstance(node, Condition):
                        node_any.append(True)  # any over one unit: the leaf itself
                        add_leaf(node, item)
                        node_of_unit.append(node_id)
                        n_units += 1
                        continue
                    node_any.append(node.kind == "any")
                    for member in node.members:
                        if isinstance(member, Group):  # an ``all`` member: one unit of its leaves
                            for leaf in member.members:
                                assert isinstance(leaf, Condition)
                                add_leaf(leaf, item)
                        else:
                            add_leaf(member, item)
                        node_of_unit.append(node_id)
                        n_units += 1
                n_scopes += 1
            if tiers:
                for position in range(len(tiers)):
                    choice_common.append(first_scope)
                    choice_tier.append(first_scope + 1 + position)
                    choice_item.append(item)
                    choice_pos.append(position)
            else:
                choice_common.append(first_scope)
                choice_tier.append(-1)
                choice_item.append(item)
                choice_pos.append(-1)
        self.n_items = len(entries_per_item)
        self.n_units = n_units
        self.n_nodes = len(node_role)
        self.n_scopes = n_scopes
        self.unit_of_leaf = np.array(unit_of_leaf, dtype=np.int64)
        self.node_of_unit = np.array(node_of_unit, dtype=np.int64)
        self.node_any = np.array(node_any, dtype=bool)
        self.node_role = np.array(node_role, dtype=np.int8)
        self.node_v1_excl = np.array(node_v1_excl, dtype=bool)
        self.scope_of_node = np.array(scope_of_node, dtype=np.int64)
        self.choice_common = np.array(choice_common, dtype=np.int64)
        self.choice_tier = np.array(choice_tier, dtype=np.int64)
        self.choice_item = np.array(choice_item, dtype=np.int64)
        self.choice_pos = np.array(choice_pos, dtype=np.int64)
        self.has_tiers = bool((self.choice_tier >= 0).any())
        self.simple = (
            self.n_units == len(self.leaves)
            and self.n_nodes == self.n_units
            and not self.has_tiers
            and not (self.node_role != 0).any()
        )
        starts = (
            np.flatnonzero(np.r_[True, self.choice_item[1:] != self.choice_item[:-1]])
            if len(choice_item)
            else np.zeros(0, dtype=np.int64)
        )
        self.choice_start = starts.astype(np.int64)
        self.n_choices = np.diff(np.r_[self.choice_start, len(choice_item)]).astype(np.int64)
        # Static per scope: counted nodes (bonus left out) and bonus nodes.
        self.scope_counted = np.bincount(
            self.scope_of_node, weights=self.node_role != 1, minlength=n_scopes + 1
        )
        self.scope_bonus = np.bincount(
            self.scope_of_node, weights=self.node_role == 1, minlength=n_scopes + 1
        )
        # Contiguous layouts (rows are appended item by item): each owner's rows are one run.
        self.units = _Runs(run_bounds(self.unit_of_leaf, n_units), None)
        self.nodes = _Runs(run_bounds(self.node_of_unit, self.n_nodes), self.node_any)
        self.scope_bounds = run_bounds(self.scope_of_node, n_scopes + 1)  # the last scope stays empty
        self.node_class = 3 * (2 * self.node_role.astype(np.int64) + self.node_v1_excl)
        self.tiered = np.flatnonzero(self.n_choices > 1)
        self.tiered_rows = (
            np.concatenate(
                [
                    np.arange(self.choice_start[i], self.choice_start[i] + self.n_choices[i])
                    for i in self.tiered
                ]
            )
            if len(self.tiered)
            else np.zeros(0, dtype=np.int64)
        )
        self.tiered_starts = np.r_[0, np.cumsum(self.n_choices[self.tiered])[:-1]].astype(np.int64)
        # Bits per packed count: enough for a choice (common + one tier) counting every node of both.
        widest = int(np.diff(self.scope_bounds).max()) if n_scopes else 0
        self.pack_shift = max(1, (2 * widest + 1).bit_length())
        if self.pack_shift * _N_FLAGS > 63:
            self.pack_shift = 0  # too wide to pack (hundreds of conditions in one scope): count unpacked
        self.choice_counted = self.scope_counted[self.choice_common] + self.scope_counted[self.choice_tier]
        self.choice_bonus = self.scope_bonus[self.choice_common] + self.scope_bonus[self.choice_tier]
        # As the level pass hands them out (int32 per choice; the tier's position, -1 without tiers).
        self.choice_counted32 = self.choice_counted.astype(np.int32)
        self.choice_bonus32 = self.choice_bonus.astype(np.int32)
        self.tier_of_choice = np.where(self.choice_tier >= 0, self.choice_pos, -1)
        self.no_tier = np.full(self.n_items, -1, dtype=np.int64)
        for shared in (self.choice_counted32, self.choice_bonus32, self.no_tier):
            shared.setflags(write=False)  # handed out without a copy: a caller writing to one raises

    def levels(self, codes: np.ndarray) -> TableVerdicts:
        """Per-item verdicts from per-leaf codes (one profile over many items).

        Leaves, units, nodes and scopes are laid out contiguously in that order, so each
        step is a gather (most units are one leaf, most nodes one unit) plus a small
        reduction over the few runs of several; a node's six counts travel packed in one
        integer, summed per scope by one cumulative sum (the first version ran a weighted
        ``bincount`` per flag: 3 ms of a 5k-item request on 2 busy cores).
        """
        n = self.n_items
        if not n:
            return TableVerdicts(*(np.zeros(0, dtype=np.int32) for _ in range(5)))
        unit = self.units.codes(codes)
        node = self.nodes.codes(unit)
        shift = self.pack_shift
        flags = (_NODE_FLAGS_PACKED[shift] if shift else _NODE_FLAGS)[self.node_class + node]
        cumulative = np.zeros((len(flags) + 1, *flags.shape[1:]), dtype=np.int64)
        np.cumsum(flags, axis=0, out=cumulative[1:])
        per_scope = cumulative[self.scope_bounds[1:]] - cumulative[self.scope_bounds[:-1]]
        # The last scope is empty: what a choice without a tier adds (choice_tier = -1).
        per_choice = per_scope[self.choice_common] + per_scope[self.choice_tier]
        if shift:
            mask = (1 << shift) - 1

            def count(packed: np.ndarray, k: int) -> np.ndarray:
                return (packed >> (shift * k)) & mask if k else packed & mask

        else:

            def count(packed: np.ndarray, k: int) -> np.ndarray:
                return packed[:, k]

        chosen: np.ndarray | None = None
        tier = self.no_tier
        if self.has_tiers:
            # Only items with tiers choose (a reduction over their choices, by the choices' levels); the
            # chosen choice's packed counts are then gathered once and unpacked per item, not per choice.
            if len(self.tiered):
                rows = self.tiered_rows
                tiered = per_choice[rows]
                level_of_row = levels_from_counts(count(tiered, 0), count(tiered, 3), count(tiered, 1))
                chosen = self.choice_start.copy()
                chosen[self.tiered] = rows[
                    _choose(level_of_row, self.tiered_starts, self.n_choices[self.tiered])
                ]
            else:
                chosen = self.choice_start
            per_item = per_choice[chosen]
            tier = self.tier_of_choice[chosen]
        else:  # one choice per item, in item order
            per_item = per_choice
        n_fail, n_hit, n_v1, n_open, n_sat, n_bonus_met = (count(per_item, k) for k in range(_N_FLAGS))
        # v1 exclusions are counted among the failed as well (as level_of does): the level is ineligible either way.
        level = levels_from_counts(n_fail, n_open, n_hit)
        excluded = n_v1 > 0
        return TableVerdicts(
            level,
            n_sat.astype(np.int32),
            self.choice_counted32 if chosen is None else self.choice_counted32[chosen],
            excluded,
            # The level had the profile no 失信/重大违法 mark: flag it, never drop it. Without such a mark
            # hit on any item it is the level itself (one array for both: callers only read them).
            levels_from_counts(n_fail - n_v1, n_open, n_hit - n_v1) if excluded.any() else level,
            tier,
            n_bonus_met.astype(np.int32),
            self.choice_bonus32 if chosen is None else self.choice_bonus32[chosen],
        )


def take_items(verdicts: TableVerdicts, items: np.ndarray) -> TableVerdicts:
    """Return the verdicts of the items at ``items``, in that order."""

    def pick(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else values[items]

    v = verdicts
    return TableVerdicts(
        v.level[items],
        v.n_met[items],
        v.n_conditions[items],
        v.excluded[items],
        v.level_without_exclusions[items],
        pick(v.tier),
        pick(v.n_bonus_met),
        pick(v.n_bonus),
    )


# Verdict codes ordered by how they win an ``all`` (unmet over unknown over met): an ``all`` run takes
# the highest priority of its members, an ``any`` run the lowest (met over unknown over unmet).
_PRIORITY = np.array([0, 2, 1], dtype=np.int8)  # MET 0, UNMET 1, UNKNOWN 2 -> priority
_CODE_OF_PRIORITY = np.array([MET, UNKNOWN, UNMET], dtype=np.int8)
_N_FLAGS = 6


def _node_flags() -> np.ndarray:
    """Per (role class, node code) the six counts a node adds to its scope, as ``level_of`` counts them.

    Columns: fail, hit, v1 exclusion hit, open, satisfied, bonus met. Row = 3 × role class
    + code, role class = 2 × role (require 0, bonus 1, exclude 2) + (a v1 exclusion leaf).
    """
    rows = []
    for role in (0, 1, 2):
        for v1_excl in (False, True):
            for code in (MET, UNMET, UNKNOWN):
                rows.append(
                    (
                        (role == 0 and code == UNMET) or (role == 2 and code == MET),
                        (role == 2 and code == MET) or (v1_excl and code == UNMET),
                        v1_excl and code == UNMET,
                        role != 1 and code == UNKNOWN,
                        (role == 0 and code == MET) or (role == 2 and code == UNMET),
                        role == 1 and code == MET,
                    )
                )
    return np.array(rows, dtype=np.int64)


_NODE_FLAGS = _node_flags()
# The six flags packed into one int64 at ``shift`` bits each (index: shift), so one sum counts all six.
_NODE_FLAGS_PACKED = {
    shift: (_NODE_FLAGS << (shift * np.arange(_N_FLAGS))).sum(axis=1)
    for shift in range(1, 64 // _N_FLAGS + 1)
}


def run_bounds(owner: np.ndarray, n_owners: int) -> np.ndarray:
    """Start of each owner's run of consecutive rows, plus the end (``owner`` is sorted; owners may be empty)."""
    return np.searchsorted(owner, np.arange(n_owners + 1)).astype(np.int64)


class _Runs:
    """Owners of consecutive runs of rows (units of leaves, nodes of units), combined as ``all`` or ``any``."""

    def __init__(self, bounds: np.ndarray, any_of: np.ndarray | None) -> None:
        starts, sizes = bounds[:-1], np.diff(bounds)
        n_rows = int(bounds[-1]) if len(bounds) else 0
        self.identity = bool((sizes == 1).all())
        self.first = np.minimum(starts, max(n_rows - 1, 0))
        any_flags = np.zeros(len(starts), dtype=bool) if any_of is None else np.asarray(any_of, dtype=bool)
        self.multi = np.flatnonzero(sizes > 1)
        self.multi_any = any_flags[self.multi]
        self.multi_rows = (
            np.concatenate([np.arange(bounds[i], bounds[i + 1]) for i in self.multi])
            if len(self.multi)
            else np.zeros(0, dtype=np.int64)
        )
        self.multi_starts = np.r_[0, np.cumsum(sizes[self.multi])[:-1]].astype(np.int64)
        empty = np.flatnonzero(sizes == 0)
        self.empty = empty
        # No member met and none unknown: an empty ``any`` is unmet, an empty ``all`` met.
        self.empty_code = np.where(any_flags[empty], UNMET, MET).astype(np.int8)

    def codes(self, rows: np.ndarray) -> np.ndarray:
        """Code of each owner from its rows' codes: ``all`` unmet over unknown over met, ``any`` met first."""
        if self.identity:
            return rows
        out = rows[self.first] if len(rows) else np.zeros(len(self.first), dtype=np.int8)
        if len(self.multi):
            priority = _PRIORITY[rows[self.multi_rows]]
            highest = np.maximum.reduceat(priority, self.multi_starts)
            lowest = np.minimum.reduceat(priority, self.multi_starts)
            out[self.multi] = _CODE_OF_PRIORITY[np.where(self.multi_any, lowest, highest)]
        if len(self.empty):
            out[self.empty] = self.empty_code
        return out


def _choose(level: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Pick per item the choice judged on, as ``corpus.conditions.choose_tier`` does.

    The best level wins; among ties the first when it can be reached (eligible,
    need_info), else the last (the nearest door).
    """
    if not len(starts):
        return np.zeros(0, dtype=np.int64)
    index = np.arange(len(level))
    best = np.minimum.reduceat(level, starts)
    tied = level == np.repeat(best, counts)
    first = np.minimum.reduceat(np.where(tied, index, len(level)), starts)
    last = np.maximum.reduceat(np.where(tied, index, -1), starts)
    return np.where(best >= LEVEL_RANK["near_miss"], last, first)
