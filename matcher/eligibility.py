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
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corpus.conditions import (
    FIELD_LABELS,
    LEVELS,
    NUMERIC_FIELDS,
    NUMERIC_OPS,
    PROFILE_FIELDS,
    Condition,
    ConditionResult,
    Entry,
    Group,
    ItemVerdict,
    Level,
    SemanticJudge,
    Verdict,
    _actual_value,
    _is_number,
    evaluate_condition,
    judge_item,
    split_tiers,
)

MET, UNMET, UNKNOWN = 0, 1, 2
VERDICTS: tuple[Verdict, ...] = ("met", "unmet", "unknown")
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}
EXCLUSION_LABELS = {"credit_status": "失信", "major_violation": "重大违法"}
# Weight of the share of bonus conditions met in the rules score (bonus ranks, never decides).
BONUS_WEIGHT = 0.1
_ROLE_CODE = {"require": 0, "bonus": 1, "exclude": 2}

# Same tolerance as corpus.conditions._compare.
_EPS = 1e-9
_DATE_OPS = {"established_after": "gte", "established_before": "lte"}
# Profile fields kept raw in EnterpriseColumns (numbers and the date have their own arrays).
RAW_FIELDS = tuple(sorted(PROFILE_FIELDS - set(NUMERIC_FIELDS) - {"id", "name"}))

# Scores of semantic conditions for one profile: (condition value texts) → cosine array, or None if unknown.
SemanticScorer = Callable[[Sequence[str]], "np.ndarray | None"]
# Turns a semantic score array into verdict codes.
SemanticRule = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Gap:
    """What stands between a profile and one condition: the field, the kind and the sentence."""

    field: str
    kind: str  # "unmet" or "unknown"
    text: str
    shortfall: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"field": self.field, "kind": self.kind, "text": self.text, "shortfall": self.shortfall}


def gaps_of(verdict: ItemVerdict) -> tuple[Gap, ...]:
    """List the gaps of every counted condition not satisfied, failed ones first (near misses), then missing data.

    A group is one gap ("满足其一即可：…"); an exclusion hit is a failed gap; bonus
    conditions are never gaps; with tiers, the way to the next better tier comes last.
    """
    gaps: list[Gap] = []
    for wanted in ("unmet", "unknown"):
        for result in verdict.counted:
            if (result.is_failed if wanted == "unmet" else result.is_open) is False:
                continue
            cond = result.condition
            fld = cond.field if isinstance(cond, Condition) else ",".join(result.fields())
            text = result.gap or f"{FIELD_LABELS.get(fld, fld)}：{cond.describe()}"
            gaps.append(Gap(fld, wanted, text, _shortfall(result)))
    better = verdict.next_tier
    if better is not None and better.gaps:
        note = f"（{better.tier.support}）" if better.tier.support else ""
        gaps.append(
            Gap("tier", "tier", f"更高一档「{better.tier.label}」{note}还需：" + "；".join(better.gaps))
        )
    return tuple(gaps)


def _shortfall(result: ConditionResult) -> float | None:
    """How far a numeric condition is from being met, in the field's unit (None when not numeric)."""
    cond = result.condition
    if not isinstance(cond, Condition) or cond.role != "require":
        return None
    if result.verdict != "unmet" or cond.op not in NUMERIC_OPS or not _is_number(cond.value):
        return None
    if not _is_number(result.actual):
        return None
    return round(abs(float(cond.value) - float(result.actual)), 6)


def judge(
    conditions: Iterable[Entry], profile: Mapping[str, Any], semantic_judge: SemanticJudge | None = None
) -> ItemVerdict:
    """Evaluate an item's conditions against one profile (``corpus.conditions.judge_item``)."""
    return judge_item(conditions, profile, semantic_judge)


def exclusion_hits(verdict: ItemVerdict) -> tuple[str, ...]:
    """Labels (失信, 重大违法) of the exclusions this profile hits on this item."""
    return tuple(
        EXCLUSION_LABELS.get(r.condition.field, r.condition.field)
        for r in verdict.results
        if r.verdict == "unmet" and r.condition.is_exclusion
    )


def profile_flags(profile: Mapping[str, Any]) -> tuple[str, ...]:
    """Exclusion marks of a profile itself (失信, 重大违法), whether or not an item states them."""
    flags = []
    if str(profile.get("credit_status") or "").strip() == "dishonest":
        flags.append("失信")
    if profile.get("major_violation") is True:
        flags.append("重大违法")
    return tuple(flags)


def levels_from_counts(n_unmet: np.ndarray, n_unknown: np.ndarray, n_excluded: np.ndarray) -> np.ndarray:
    """Level ranks (0 eligible … 3 ineligible) from per-row counts, exactly as ``level_of`` rules."""
    level = np.zeros(n_unmet.shape, dtype=np.int8)
    level[n_unknown > 0] = 1
    level[n_unmet == 1] = 2
    level[(n_unmet >= 2) | (n_excluded > 0)] = 3
    return level


def _compare(actual: np.ndarray, op: str, want: np.ndarray | float) -> np.ndarray:
    """Verdict codes of a numeric comparison (NaN actual → unknown), as ``corpus.conditions._compare``."""
    with np.errstate(invalid="ignore"):
        if op == "gte":
            ok = actual >= want - _EPS
        elif op == "gt":
            ok = actual > want + _EPS
        elif op == "lte":
            ok = actual <= want + _EPS
        elif op == "lt":
            ok = actual < want - _EPS
        else:
            ok = np.abs(actual - want) <= _EPS
    codes = np.where(ok, MET, UNMET).astype(np.int8)
    codes[np.isnan(actual)] = UNKNOWN
    return codes


def _date_number(value: Any) -> float:
    """Days since 0001-01-01 of a date-like value, NaN when missing or unreadable (→ unknown)."""
    if value is None:
        return float("nan")
    if isinstance(value, dt.date):
        return float(value.toordinal())
    text = str(value).strip()
    if not text:
        return float("nan")
    try:
        return float(dt.date.fromisoformat(text[:10]).toordinal())
    except ValueError:
        return float("nan")


def _numeric_actual(fld: str, profile: Mapping[str, Any]) -> float:
    value = _actual_value(fld, profile)
    return float(value) if _is_number(value) else float("nan")


def _fast_kind(cond: Condition) -> str:
    """How a condition is judged in bulk: numeric, date, semantic, undecidable or generic."""
    if cond.field == "undecidable":
        return "undecidable"
    if cond.op == "semantic":
        return "semantic"
    if cond.field in NUMERIC_FIELDS and cond.op in NUMERIC_OPS and _is_number(cond.value):
        return "numeric"
    if cond.field == "established" and cond.op in _DATE_OPS:
        return "date"
    return "generic"


def _value_key(value: Any) -> Any:
    """Make a hashable, order-free key of a profile value (lists of titles become sorted tuples)."""
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(sorted(str(v) for v in value))
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


# Numeric ops in the order their rows are laid out (one slice each).
_NUMERIC_OP_ORDER = tuple(sorted(NUMERIC_OPS))
# Distinct (field, value) verdict vectors a ConditionTable remembers before starting again.
_GENERIC_MEMO_SIZE = 4096


def _memo_key(value: Any) -> Any:
    """Hashable key that tells apart every value evaluate_condition could tell apart (type and order kept); None: unhashable."""
    if isinstance(value, list | tuple):
        parts = tuple(_memo_key(v) for v in value)
        return None if any(p is None for p in parts) else (type(value).__name__, parts)
    if value is None or isinstance(value, str | int | float | bool | dt.date):
        return (type(value).__name__, value)
    return None


# --- one profile against every item ---------------------------------------------------------


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


class _Structure:
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
        self.units = _Runs(_bounds(self.unit_of_leaf, n_units), None)
        self.nodes = _Runs(_bounds(self.node_of_unit, self.n_nodes), self.node_any)
        self.scope_bounds = _bounds(self.scope_of_node, n_scopes + 1)  # the last scope stays empty
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
            counts = [(per_choice >> (shift * k)) & mask for k in range(_N_FLAGS)]
        else:
            counts = list(per_choice.T)
        n_fail, n_hit, n_v1, n_open, n_sat, n_bonus_met = counts
        # v1 exclusions are counted among the failed as well (as level_of does): the level is ineligible either way.
        level = levels_from_counts(n_fail, n_open, n_hit)
        without = levels_from_counts(n_fail - n_v1, n_open, n_hit - n_v1)
        if self.has_tiers:
            # Items of one choice take it; only items with tiers choose (a reduction over their choices).
            chosen = self.choice_start.copy()
            if len(self.tiered):
                sub = _choose(level[self.tiered_rows], self.tiered_starts, self.n_choices[self.tiered])
                chosen[self.tiered] = self.tiered_rows[sub]
            tier = np.where(self.choice_tier[chosen] >= 0, self.choice_pos[chosen], -1)
        else:  # one choice per item, in item order
            chosen = np.arange(n)
            tier = np.full(n, -1, dtype=np.int64)
        return TableVerdicts(
            level[chosen],
            n_sat[chosen].astype(np.int32),
            self.choice_counted[chosen].astype(np.int32),
            n_v1[chosen] > 0,
            without[chosen],
            tier,
            n_bonus_met[chosen].astype(np.int32),
            self.choice_bonus[chosen].astype(np.int32),
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


def _bounds(owner: np.ndarray, n_owners: int) -> np.ndarray:
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


class ConditionTable:
    """The conditions of many items, compiled once, judged against one profile in a few numpy passes."""

    def __init__(self, conditions_per_item: Sequence[Sequence[Entry]]) -> None:
        """Compile the entries (leaves, groups, tiers) of items ``0 … n-1`` (one list per item)."""
        self.n_items = len(conditions_per_item)
        self.structure = _Structure(conditions_per_item)
        rows: list[tuple[int, Condition]] = list(
            zip(self.structure.leaf_item, self.structure.leaves, strict=True)
        )
        self.conditions = [c for _, c in rows]
        self.item_of = np.array([i for i, _ in rows], dtype=np.int64)
        self.is_exclusion = np.array([c.is_exclusion for c in self.conditions], dtype=bool)
        self.n_conditions = np.bincount(self.item_of, minlength=self.n_items).astype(np.int32)
        kinds = [_fast_kind(c) for c in self.conditions]

        # Numeric rows, ordered by op so each comparison runs once over one slice of all of them.
        numeric = _group(rows, kinds, "numeric", lambda c: c.op)
        self._numeric_fields = tuple(
            sorted({self.conditions[j].field for idx in numeric.values() for j in idx})
        )
        field_index = {fld: k for k, fld in enumerate(self._numeric_fields)}
        order = [j for op in _NUMERIC_OP_ORDER for j in numeric.get(op, [])]
        self._numeric_rows = np.array(order, dtype=np.int64)
        self._numeric_field = np.array([field_index[self.conditions[j].field] for j in order], dtype=np.int64)
        self._numeric_want = np.array([float(self.conditions[j].value) for j in order], dtype=np.float64)
        self._numeric_slices: list[tuple[str, slice]] = []
        start = 0
        for op in _NUMERIC_OP_ORDER:
            end = start + len(numeric.get(op, []))
            if end > start:
                self._numeric_slices.append((op, slice(start, end)))
            start = end
        # Generic verdicts per distinct profile value of a field (e.g. one size class, one industry):
        # evaluate_condition sees only that field, so its verdicts for the field's conditions repeat.
        self._generic_memo: dict[tuple[str, Any], np.ndarray] = {}
        self._dates: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for op, index in _group(rows, kinds, "date", lambda c: _DATE_OPS[c.op]).items():
            want = np.array([_date_number(self.conditions[j].value) for j in index])
            self._dates[op] = (np.array(index, dtype=np.int64), want)
        # Generic ops: one evaluate_condition per distinct condition, gathered to its rows.
        distinct: dict[tuple[Any, ...], int] = {}
        generic_rows, generic_codes = [], []
        self._generic: list[Condition] = []
        for j, (cond, kind) in enumerate(zip(self.conditions, kinds, strict=True)):
            if kind != "generic":
                continue
            key = (cond.field, cond.op, _value_key(cond.value))
            if key not in distinct:
                distinct[key] = len(self._generic)
                self._generic.append(cond)
            generic_rows.append(j)
            generic_codes.append(distinct[key])
        self._generic_rows = np.array(generic_rows, dtype=np.int64)
        self._generic_code = np.array(generic_codes, dtype=np.int64)
        self._generic_by_field: dict[str, list[int]] = {}
        for code, cond in enumerate(self._generic):
            self._generic_by_field.setdefault(cond.field, []).append(code)
        # Semantic conditions: scored per distinct value text.
        texts: dict[str, int] = {}
        sem_rows, sem_codes = [], []
        for j, (cond, kind) in enumerate(zip(self.conditions, kinds, strict=True)):
            if kind == "semantic":
                sem_rows.append(j)
                sem_codes.append(texts.setdefault(str(cond.value or cond.span), len(texts)))
        self.semantic_texts = tuple(texts)
        self._semantic_rows = np.array(sem_rows, dtype=np.int64)
        self._semantic_code = np.array(sem_codes, dtype=np.int64)
        self._undecidable_rows = np.array(
            [j for j, k in enumerate(kinds) if k == "undecidable"], dtype=np.int64
        )

    def verdict_codes(
        self,
        profile: Mapping[str, Any],
        semantic_scores: np.ndarray | None = None,
        semantic_rule: SemanticRule | None = None,
    ) -> np.ndarray:
        """Verdict code of every condition row for ``profile`` (semantic ones from scores over ``semantic_texts``)."""
        codes = np.full(len(self.conditions), UNKNOWN, dtype=np.int8)
        if len(self._numeric_rows):
            values = np.array([_numeric_actual(fld, profile) for fld in self._numeric_fields])
            actual = values[self._numeric_field]
            numeric = np.empty(len(actual), dtype=np.int8)
            for op, part in self._numeric_slices:
                numeric[part] = _compare(actual[part], op, self._numeric_want[part])
            codes[self._numeric_rows] = numeric
        if self._dates:
            have = _date_number(_actual_value("established", profile))
            for op, (index, want) in self._dates.items():
                codes[index] = _compare(np.full(len(index), have), op, want)
                # An unreadable condition date can only come from a malformed table: leave unknown.
                codes[index[np.isnan(want)]] = UNKNOWN
        if len(self._generic):
            per_code = np.empty(len(self._generic), dtype=np.int8)
            for fld, members in self._generic_by_field.items():
                per_code[members] = self._generic_verdicts(fld, members, profile)
            codes[self._generic_rows] = per_code[self._generic_code]
        if len(self._semantic_rows) and semantic_scores is not None and semantic_rule is not None:
            codes[self._semantic_rows] = semantic_rule(np.asarray(semantic_scores))[self._semantic_code]
        return codes

    def _generic_verdicts(self, fld: str, members: list[int], profile: Mapping[str, Any]) -> np.ndarray:
        """Codes of the generic conditions ``members`` (all on ``fld``), remembered per distinct value of the field."""
        value = profile.get(fld)
        key = None if fld == "rd_ratio" else _memo_key(value)  # rd_ratio may be derived from other fields
        if key is not None:
            found = self._generic_memo.get((fld, key))
            if found is not None:
                return found
        sub = dict(profile) if fld == "rd_ratio" else {fld: value}
        out = np.array(
            [VERDICTS.index(evaluate_condition(self._generic[code], sub).verdict) for code in members],
            dtype=np.int8,
        )
        if key is not None:
            if len(self._generic_memo) >= _GENERIC_MEMO_SIZE:
                self._generic_memo.clear()  # bounded: a field of free text never grows it without end
            self._generic_memo[(fld, key)] = out
        return out

    def judge_all(
        self,
        profile: Mapping[str, Any],
        semantic_scores: np.ndarray | None = None,
        semantic_rule: SemanticRule | None = None,
    ) -> TableVerdicts:
        """Levels of every item for ``profile``."""
        codes = self.verdict_codes(profile, semantic_scores, semantic_rule)
        return self.levels_from_codes(codes)

    def levels_from_codes(self, codes: np.ndarray) -> TableVerdicts:
        """Per-item counts and levels from per-row verdict codes."""
        if not self.structure.simple:
            return self.structure.levels(codes)
        n = self.n_items
        unmet = codes == UNMET
        n_unmet = np.bincount(self.item_of, weights=unmet, minlength=n)
        n_unknown = np.bincount(self.item_of, weights=codes == UNKNOWN, minlength=n)
        n_met = np.bincount(self.item_of, weights=codes == MET, minlength=n)
        n_excl = np.bincount(self.item_of, weights=unmet & self.is_exclusion, minlength=n)
        level = levels_from_counts(n_unmet, n_unknown, n_excl)
        # Without its exclusions the item would not be ineligible: flag it rather than drop it.
        without = levels_from_counts(n_unmet - n_excl, n_unknown, np.zeros_like(n_excl))
        return TableVerdicts(level, n_met.astype(np.int32), self.n_conditions, n_excl > 0, without)


def _group(
    rows: Sequence[tuple[int, Condition]], kinds: Sequence[str], kind: str, key: Callable[[Condition], Any]
) -> dict[Any, list[int]]:
    groups: dict[Any, list[int]] = {}
    for j, ((_, cond), k) in enumerate(zip(rows, kinds, strict=True)):
        if k == kind:
            groups.setdefault(key(cond), []).append(j)
    return groups


# --- one item against every enterprise ------------------------------------------------------


class _Factor:
    """A factorised column: one code per row into a growing list of distinct values."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.index: dict[Any, int] = {}

    def code(self, value: Any) -> int:
        key = _value_key(value)
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.values)
            self.values.append(key)
        return found


class EnterpriseColumns:
    """Every enterprise profile as columns, updated in place, judged one condition at a time over all rows.

    Numbers are float64 arrays (NaN = unknown; ``rd_ratio`` derived as the profile
    contract says), ``established`` is a day number, every other field a code into
    its distinct values. Deleted rows stay as tombstones (``alive`` false) so row
    numbers never move; text vectors for ``semantic`` conditions sit beside.
    Writers take the lock; readers read consistent arrays because a growth
    replaces them whole.
    """

    def __init__(self, capacity: int = 1024) -> None:
        """Start an empty table."""
        self.ids: list[str] = []
        self.row: dict[str, int] = {}
        self._capacity = max(16, capacity)
        self.alive = np.zeros(self._capacity, dtype=bool)
        self.numeric: dict[str, np.ndarray] = {f: np.full(self._capacity, np.nan) for f in NUMERIC_FIELDS}
        self.established = np.full(self._capacity, np.nan)
        self.factors: dict[str, _Factor] = {}
        self.codes: dict[str, np.ndarray] = {}
        self.names: list[str] = []
        self.flags: list[tuple[str, ...]] = []
        self.vectors: np.ndarray | None = None
        self.has_vector = np.zeros(self._capacity, dtype=bool)
        self.version = 0
        self._lock = threading.RLock()
        self._id_rank: np.ndarray | None = None
        self._cache: dict[tuple[Any, ...], np.ndarray] = {}
        # Raw values of the non-numeric fields, factorised on first use by a condition.
        self._raw: dict[str, list[Any]] = {f: [] for f in RAW_FIELDS}

    def __len__(self) -> int:
        """Rows ever added (tombstones included)."""
        return len(self.ids)

    @property
    def n_alive(self) -> int:
        """Enterprises currently present."""
        return int(self.alive[: len(self.ids)].sum())

    def _grow(self, needed: int) -> None:
        if needed <= self._capacity:
            return
        capacity = max(needed, self._capacity * 2)

        def grown(array: np.ndarray, fill: Any) -> np.ndarray:
            out = np.full((capacity, *array.shape[1:]), fill, dtype=array.dtype)
            out[: len(array)] = array
            return out

        self.alive = grown(self.alive, False)
        self.numeric = {f: grown(a, np.nan) for f, a in self.numeric.items()}
        self.established = grown(self.established, np.nan)
        self.codes = {f: grown(a, -1) for f, a in self.codes.items()}
        self.has_vector = grown(self.has_vector, False)
        if self.vectors is not None:
            self.vectors = grown(self.vectors, 0.0)
        self._capacity = capacity

    def upsert(self, profiles: Iterable[Mapping[str, Any]]) -> list[int]:
        """Add or replace profiles (by ``id``); returns their row numbers."""
        with self._lock:
            batch = list(profiles)
            new = {str(p.get("id")) for p in batch} - set(self.row)
            self._grow(len(self.ids) + len(new))
            rows = []
            for profile in batch:
                key = str(profile.get("id"))
                row = self.row.get(key)
                if row is None:
                    row = self.row[key] = len(self.ids)
                    self.ids.append(key)
                    self.names.append("")
                    self.flags.append(())
                    for column in self._raw.values():
                        column.append(None)
                    self._id_rank = None
                self._write(row, profile)
                rows.append(row)
            self.version += 1
            self._cache.clear()
            return rows

    def _write(self, row: int, profile: Mapping[str, Any]) -> None:
        self.alive[row] = True
        for fld, column in self.numeric.items():
            column[row] = _numeric_actual(fld, profile)
        self.established[row] = _date_number(_actual_value("established", profile))
        for fld, column in self.codes.items():
            column[row] = self.factors[fld].code(profile.get(fld))
        self.names[row] = str(profile.get("name") or "")
        self.flags[row] = profile_flags(profile)
        self.has_vector[row] = False
        for fld, raw in self._raw.items():
            raw[row] = profile.get(fld)

    def remove(self, ids: Iterable[str]) -> int:
        """Mark enterprises as gone; returns how many were present."""
        with self._lock:
            removed = 0
            for key in ids:
                row = self.row.get(str(key))
                if row is not None and self.alive[row]:
                    self.alive[row] = False
                    removed += 1
            self.version += 1
            self._cache.clear()
            return removed

    def set_vectors(self, rows: Sequence[int], vectors: np.ndarray) -> None:
        """Store text vectors (for ``semantic`` conditions) of the given rows."""
        with self._lock:
            vectors = np.asarray(vectors, dtype=np.float32)
            if self.vectors is None:
                self.vectors = np.zeros((self._capacity, vectors.shape[1]), dtype=np.float32)
            self.vectors[np.asarray(rows, dtype=np.int64)] = vectors
            self.has_vector[np.asarray(rows, dtype=np.int64)] = True
            self._cache.clear()

    def column_codes(self, fld: str) -> tuple[np.ndarray, list[Any]]:
        """Codes of a factorised field for all rows, and its distinct values (built on first use)."""
        with self._lock:
            if fld not in self.codes:
                factor = _Factor()
                raw = self._raw.get(fld, [])
                codes = np.full(self._capacity, -1, dtype=np.int64)
                for row in range(len(self.ids)):
                    codes[row] = factor.code(raw[row] if row < len(raw) else None)
                self.factors[fld] = factor
                self.codes[fld] = codes
            return self.codes[fld], self.factors[fld].values

    def id_rank(self) -> np.ndarray:
        """Rank of each row's id in sorted order (the last key of a stable target order)."""
        with self._lock:
            if self._id_rank is None or len(self._id_rank) < len(self.ids):
                order = np.argsort(np.array(self.ids, dtype=object), kind="stable")
                rank = np.empty(len(self.ids), dtype=np.int64)
                rank[order] = np.arange(len(self.ids))
                self._id_rank = rank
            return self._id_rank

    def verdict_codes(
        self,
        condition: Condition,
        semantic_scores: np.ndarray | None = None,
        semantic_rule: SemanticRule | None = None,
    ) -> np.ndarray:
        """Verdict code of ``condition`` for every row (length ``len(self)``)."""
        n = len(self.ids)
        kind = _fast_kind(condition)
        if kind == "undecidable":
            return np.full(n, UNKNOWN, dtype=np.int8)
        if kind == "semantic":
            if semantic_scores is None or semantic_rule is None:
                return np.full(n, UNKNOWN, dtype=np.int8)
            # Scores may predate rows upserted since (a concurrent ingest): those rows have no vector yet,
            # so they are unknown, never a shape mismatch (found by the soak, tests/reliability/soak.py).
            scores = np.asarray(semantic_scores[:n])
            m = len(scores)
            codes = np.full(n, UNKNOWN, dtype=np.int8)
            codes[:m] = np.where(self.has_vector[:m], semantic_rule(scores), UNKNOWN)
            return codes
        if kind == "numeric":
            return _compare(self.numeric[condition.field][:n], condition.op, float(condition.value))
        if kind == "date":
            return _compare(self.established[:n], _DATE_OPS[condition.op], _date_number(condition.value))
        key = ("generic", condition.field, condition.op, _value_key(condition.value))
        cached = self._cache.get(key)
        if cached is not None and len(cached) == n:
            return cached
        if condition.field in NUMERIC_FIELDS:
            # A numeric field under a non-numeric op (eq "abc"): rare; decide row by row on the number.
            column = self.numeric[condition.field][:n]
            out = np.array(
                [
                    VERDICTS.index(
                        evaluate_condition(
                            condition, {condition.field: None if np.isnan(v) else float(v)}
                        ).verdict
                    )
                    for v in column
                ],
                dtype=np.int8,
            )
        else:
            codes, values = self.column_codes(condition.field)
            per_value = np.array(
                [VERDICTS.index(evaluate_condition(condition, {condition.field: v}).verdict) for v in values],
                dtype=np.int8,
            )
            out = per_value[codes[:n]]
        self._cache[key] = out
        return out

    def judge(
        self,
        conditions: Sequence[Entry],
        semantic_scores: Mapping[str, np.ndarray] | None = None,
        semantic_rule: SemanticRule | None = None,
    ) -> ColumnVerdicts:
        """Levels of one item (its entries: leaves, groups, tiers) for every row; ``semantic_scores`` maps value text → scores."""
        n = len(self.ids)
        per_leaf: list[np.ndarray] = []
        leaf_codes: dict[Condition, np.ndarray] = {}

        def leaf(cond: Condition) -> np.ndarray:
            scores = None
            if cond.op == "semantic" and semantic_scores is not None:
                scores = semantic_scores.get(str(cond.value or cond.span))
            codes = self.verdict_codes(cond, scores, semantic_rule)
            per_leaf.append(codes)
            leaf_codes.setdefault(cond, codes)
            return codes

        def node(entry: Condition | Group) -> np.ndarray:
            if isinstance(entry, Condition):
                return leaf(entry)
            stack = np.stack([node(m) for m in entry.members])
            return _combine_rows(entry.kind, stack)

        common, tiers = split_tiers(conditions)
        base = _scope_counts([(e, node(e)) for e in common], n)
        if not tiers:
            counts = [base]
        else:
            counts = [base.plus(_scope_counts([(e, node(e)) for e in t.conditions], n)) for t in tiers]
        if not tiers:
            # One choice (no tiers): no picking, as fast as the v1 pass over every row.
            only = counts[0]
            return ColumnVerdicts(
                only.level(),
                only.sat,
                only.counted,
                only.v1 > 0,
                only.level_without(),
                tuple(per_leaf),
                np.full(n, -1, dtype=np.int64),
                only.bonus_met,
                only.bonus,
                leaf_codes,
            )
        levels = np.stack([c.level() for c in counts])
        width = len(counts)
        best = levels.min(axis=0)
        tied = levels == best[None, :]
        rank = np.arange(width)[:, None]
        first = np.where(tied, rank, width).min(axis=0)
        last = np.where(tied, rank, -1).max(axis=0)
        # As corpus.conditions.choose_tier: ties go to the best tier when reachable, else the nearest door.
        chosen = np.where(best >= LEVEL_RANK["near_miss"], last, first)
        cols = np.arange(n)

        def pick(name: str) -> np.ndarray:
            return np.stack([getattr(c, name) for c in counts])[chosen, cols]

        return ColumnVerdicts(
            levels[chosen, cols],
            pick("sat"),
            pick("counted"),
            pick("v1") > 0,
            np.stack([c.level_without() for c in counts])[chosen, cols],
            tuple(per_leaf),
            chosen.astype(np.int64),
            pick("bonus_met"),
            pick("bonus"),
            leaf_codes,
        )

    def region_applicable(self, prefix: str) -> np.ndarray:
        """Rows whose region starts with ``prefix`` (all rows when the prefix is empty = national)."""
        n = len(self.ids)
        if not prefix:
            return np.ones(n, dtype=bool)
        key = ("region", prefix)
        cached = self._cache.get(key)
        if cached is not None and len(cached) == n:
            return cached
        codes, values = self.column_codes("region_code")
        per_value = np.array([bool(v) and str(v).startswith(prefix) for v in values], dtype=bool)
        out = per_value[codes[:n]]
        self._cache[key] = out
        return out

    def profile_view(self, row: int, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """Rebuild the stored profile of one row as a dict (only ``fields`` when given; unknown ones left out)."""
        wanted = None if fields is None else set(fields)
        view: dict[str, Any] = {"id": self.ids[row], "name": self.names[row]}
        for fld, column in self.numeric.items():
            if wanted is not None and fld not in wanted:
                continue
            value = float(column[row])
            if not np.isnan(value):
                view[fld] = value
        for fld, raw in self._raw.items():
            if wanted is not None and fld not in wanted:
                continue
            value = raw[row]
            if value is not None:
                view[fld] = value
        return view


@dataclass(frozen=True)
class ColumnVerdicts:
    """Levels of one item for every enterprise row, with the per-leaf verdict codes."""

    level: np.ndarray
    n_met: np.ndarray  # counted conditions satisfied on the tier reached
    n_conditions: np.ndarray  # counted conditions on the tier reached
    excluded: np.ndarray
    level_without_exclusions: np.ndarray
    per_condition: tuple[np.ndarray, ...]  # codes per leaf, in ``corpus.conditions.leaves`` order
    tier: np.ndarray | None = None  # index of the tier reached (-1 without tiers)
    n_bonus_met: np.ndarray | None = None
    n_bonus: np.ndarray | None = None
    leaf_codes: Mapping[Condition, np.ndarray] | None = None

    def rules_share(self) -> np.ndarray:
        """Share of counted conditions met (plus the bonus weight), per row."""
        return rules_share(self.n_met, self.n_conditions, self.n_bonus_met, self.n_bonus)


def _combine_rows(kind: str, stack: np.ndarray) -> np.ndarray:
    """Combine member codes (members × rows) into the group's codes, as ``corpus.conditions.group_verdict``."""
    if kind == "any":
        return np.where(
            (stack == MET).any(axis=0), MET, np.where((stack == UNKNOWN).any(axis=0), UNKNOWN, UNMET)
        ).astype(np.int8)
    return np.where(
        (stack == UNMET).any(axis=0), UNMET, np.where((stack == UNKNOWN).any(axis=0), UNKNOWN, MET)
    ).astype(np.int8)


@dataclass(frozen=True)
class _Counts:
    """Per-row counts of one scope (or choice) of an item, for the level."""

    fail: np.ndarray
    open: np.ndarray
    hit: np.ndarray
    v1: np.ndarray
    sat: np.ndarray
    bonus_met: np.ndarray
    counted: np.ndarray
    bonus: np.ndarray

    def plus(self, other: _Counts) -> _Counts:
        return _Counts(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))

    def level(self) -> np.ndarray:
        return levels_from_counts(self.fail, self.open, self.hit)

    def level_without(self) -> np.ndarray:
        return levels_from_counts(self.fail - self.v1, self.open, self.hit - self.v1)


def _scope_counts(nodes: Sequence[tuple[Condition | Group, np.ndarray]], n: int) -> _Counts:
    z = np.zeros(n, dtype=np.int16)
    fail, open_, hit, v1, sat, bonus_met = z.copy(), z.copy(), z.copy(), z.copy(), z.copy(), z.copy()
    counted = np.zeros(n, dtype=np.int16)
    bonus = np.zeros(n, dtype=np.int16)
    for entry, codes in nodes:
        if entry.role == "bonus":
            bonus_met += codes == MET
            bonus += 1
            continue
        counted += 1
        open_ += codes == UNKNOWN
        if entry.role == "exclude":
            hit += codes == MET
            fail += codes == MET
            sat += codes == UNMET
            continue
        unmet = codes == UNMET
        fail += unmet
        sat += codes == MET
        if entry.is_exclusion:
            hit += unmet
            v1 += unmet
    return _Counts(fail, open_, hit, v1, sat, bonus_met, counted, bonus)


def level_name(rank: int) -> Level:
    """Name the level of a rank code."""
    return LEVELS[int(rank)]
