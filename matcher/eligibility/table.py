"""One profile against every item: :class:`ConditionTable`, the conditions of all items compiled into arrays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from corpus.conditions import (
    Condition,
    Entry,
    _actual_value,
    evaluate_condition,
)
from matcher.eligibility.common import (
    _DATE_OPS,
    _GENERIC_MEMO_SIZE,
    _NUMERIC_OP_ORDER,
    MET,
    UNKNOWN,
    UNMET,
    VERDICTS,
    LeafMemo,
    SemanticRule,
    _bound,
    _compare_codes,
    _date_number,
    _fast_kind,
    _group,
    _memo_key,
    _numeric_actual,
    _value_key,
    levels_from_counts,
)
from matcher.eligibility.structure import Structure, TableVerdicts, rules_share, run_bounds, take_items

__all__ = ["ConditionTable", "TableVerdicts", "rules_share"]


class ItemsPart(NamedTuple):
    """Some items of a table compiled: their condition rows, their level pass and where each kind of row sits."""

    rows: np.ndarray  # positions of the items' rows among the table's, item by item
    structure: Structure
    plan: _RowPlan | None  # None when an item is passed twice (its rows would be written twice)


class _RowPlan:
    """Where each kind of condition row sits among some rows of a table (or all), for :meth:`ConditionTable.verdict_codes`.

    Positions are into the codes written (the rows' order); the table's per-op order of the numeric and
    date rows is kept, so every comparison is the one the pass over all rows makes, on fewer rows.
    """

    def __init__(
        self,
        n: int,
        numeric: tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[str, slice]]],
        dates: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
        generic: tuple[np.ndarray, np.ndarray],
        semantic: tuple[np.ndarray, np.ndarray],
    ) -> None:
        self.n = n
        self.numeric_rows, self.numeric_field, self.numeric_bound, self.numeric_slices = numeric
        self.dates = dates
        self.generic_rows, self.generic_code = generic
        self.semantic_rows, self.semantic_code = semantic

    def subset(self, rows: np.ndarray, n_rows: int) -> _RowPlan:
        """Return the plan of ``rows`` (positions into this plan's ``n_rows`` rows), each kept row in its old order."""
        local = np.full(n_rows, -1, dtype=np.int64)
        local[rows] = np.arange(len(rows), dtype=np.int64)

        def keep(at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            moved = local[at]
            kept = moved >= 0
            return moved[kept], kept

        numeric_rows, kept = keep(self.numeric_rows)
        slices, start = [], 0
        for op, part in self.numeric_slices:
            end = start + int(kept[part].sum())
            if end > start:
                slices.append((op, slice(start, end)))
            start = end
        dates = {}
        for op, (at, bound, unreadable) in self.dates.items():
            moved, kept_dates = keep(at)
            if len(moved):
                dates[op] = (moved, bound[kept_dates], keep(unreadable)[0])
        generic_rows, kept_generic = keep(self.generic_rows)
        semantic_rows, kept_semantic = keep(self.semantic_rows)
        return _RowPlan(
            len(rows),
            (numeric_rows, self.numeric_field[kept], self.numeric_bound[kept], slices),
            dates,
            (generic_rows, self.generic_code[kept_generic]),
            (semantic_rows, self.semantic_code[kept_semantic]),
        )


class ConditionTable:
    """The conditions of many items, compiled once, judged against one profile in a few numpy passes."""

    def __init__(self, conditions_per_item: Sequence[Sequence[Entry]]) -> None:
        """Compile the entries (leaves, groups, tiers) of items ``0 … n-1`` (one list per item)."""
        self.n_items = len(conditions_per_item)
        self.structure = Structure(conditions_per_item)
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
        numeric_field = np.array([field_index[self.conditions[j].field] for j in order], dtype=np.int64)
        numeric_want = np.array([float(self.conditions[j].value) for j in order], dtype=np.float64)
        # What each row's actual value is compared with (want ± the tolerance), computed once, not per profile.
        numeric_bound = np.empty_like(numeric_want)
        numeric_slices: list[tuple[str, slice]] = []
        start = 0
        for op in _NUMERIC_OP_ORDER:
            end = start + len(numeric.get(op, []))
            if end > start:
                numeric_slices.append((op, slice(start, end)))
                numeric_bound[start:end] = _bound(op, numeric_want[start:end])
            start = end
        # Generic verdicts per distinct profile value of a field (e.g. one size class, one industry):
        # evaluate_condition sees only that field, so its verdicts for the field's conditions repeat.
        self._generic_memo: dict[tuple[str, Any], np.ndarray] = {}
        # Per op: the rows, their bounds, and the rows whose own date is unreadable (always unknown).
        dates: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for op, index in _group(rows, kinds, "date", lambda c: _DATE_OPS[c.op]).items():
            want = np.array([_date_number(self.conditions[j].value) for j in index])
            at = np.array(index, dtype=np.int64)
            dates[op] = (at, _bound(op, want), at[np.isnan(want)])
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
        # Every row's plan; undecidable rows are in none of its kinds: they stay unknown.
        self._plan = _RowPlan(
            len(self.conditions),
            (np.array(order, dtype=np.int64), numeric_field, numeric_bound, numeric_slices),
            dates,
            (np.array(generic_rows, dtype=np.int64), np.array(generic_codes, dtype=np.int64)),
            (np.array(sem_rows, dtype=np.int64), np.array(sem_codes, dtype=np.int64)),
        )
        # Re-judging a match's top items one by one (for their conditions and gaps) reads this.
        self.leaf_memo = LeafMemo(self.conditions, conditions_per_item, kinds)
        # The items' entries, for the level pass over some items only (``levels_of_items``).
        self._entries = list(conditions_per_item)
        self._leaf_bounds = run_bounds(self.item_of, self.n_items)
        self._parts: dict[bytes, ItemsPart] = {}

    def verdict_codes(
        self,
        profile: Mapping[str, Any],
        semantic_scores: np.ndarray | None = None,
        semantic_rule: SemanticRule | None = None,
    ) -> np.ndarray:
        """Verdict code of every condition row for ``profile`` (semantic ones from scores over ``semantic_texts``)."""
        return self._codes(self._plan, profile, semantic_scores, semantic_rule)

    def judge_items(
        self,
        profile: Mapping[str, Any],
        items: np.ndarray,
        semantic_scores: np.ndarray | None = None,
        semantic_rule: SemanticRule | None = None,
    ) -> TableVerdicts:
        """``levels_of_items(verdict_codes(profile, …), items)``, judging the rows of ``items`` only.

        智能匹配 passes the region's items (≈ 40 % of the rows for a district enterprise of the demo): each
        row's code is the one ``verdict_codes`` gives it, so every verdict is the same.
        """
        items = np.asarray(items, dtype=np.int64)
        every = len(items) == self.n_items and bool((items == np.arange(self.n_items)).all())
        if every or self.structure.simple:
            return self.levels_of_items(self.verdict_codes(profile, semantic_scores, semantic_rule), items)
        part = self.compile_items(items)
        if part.plan is None:
            return part.structure.levels(
                self.verdict_codes(profile, semantic_scores, semantic_rule)[part.rows]
            )
        return part.structure.levels(self._codes(part.plan, profile, semantic_scores, semantic_rule))

    def _codes(
        self,
        plan: _RowPlan,
        profile: Mapping[str, Any],
        semantic_scores: np.ndarray | None,
        semantic_rule: SemanticRule | None,
    ) -> np.ndarray:
        """Verdict codes of the rows of ``plan``, in its order."""
        codes = np.full(plan.n, UNKNOWN, dtype=np.int8)
        # As ``_compare`` decides, against bounds computed once: one comparison per op slice written as the codes.
        if len(plan.numeric_rows):
            values = np.array([_numeric_actual(fld, profile) for fld in self._numeric_fields])
            actual = values[plan.numeric_field]
            numeric = np.empty(len(actual), dtype=np.int8)
            with np.errstate(invalid="ignore"):
                for op, part in plan.numeric_slices:
                    _compare_codes(actual[part], op, plan.numeric_bound[part], numeric[part])
            numeric += np.isnan(actual).view(np.int8) * np.int8(UNKNOWN)  # a missing value: unknown
            codes[plan.numeric_rows] = numeric
        if plan.dates:
            have = _date_number(_actual_value("established", profile))
            if have == have:  # not NaN: a missing or unreadable date leaves every date row unknown
                for op, (index, bound, unreadable) in plan.dates.items():
                    dated = np.empty(len(index), dtype=np.int8)
                    _compare_codes(have, op, bound, dated)
                    codes[index] = dated
                    # An unreadable condition date can only come from a malformed table: leave unknown.
                    codes[unreadable] = UNKNOWN
        if len(plan.generic_rows):
            per_code = np.empty(len(self._generic), dtype=np.int8)
            for fld, members in self._generic_by_field.items():
                per_code[members] = self._generic_verdicts(fld, members, profile)
            codes[plan.generic_rows] = per_code[plan.generic_code]
        if len(plan.semantic_rows) and semantic_scores is not None and semantic_rule is not None:
            codes[plan.semantic_rows] = semantic_rule(np.asarray(semantic_scores))[plan.semantic_code]
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

    def levels_of_items(self, codes: np.ndarray, items: np.ndarray) -> TableVerdicts:
        """``levels_from_codes`` of the items at ``items`` (positions) only: their verdicts, in that order.

        An item's verdict reads its own rows only, so each gets the numbers ``levels_from_codes``
        gives it. 智能匹配 passes the items of the enterprise's region (often 40 % of them): the level
        pass over their rows is compiled once per set of items (a region's prefixes: a dozen sets) and kept.
        """
        items = np.asarray(items, dtype=np.int64)
        every = len(items) == self.n_items and bool((items == np.arange(self.n_items)).all())
        if every or self.structure.simple:
            verdicts = self.levels_from_codes(codes)
            return verdicts if every else take_items(verdicts, items)
        part = self.compile_items(items)
        return part.structure.levels(codes[part.rows])

    def compile_items(self, items: np.ndarray) -> ItemsPart:
        """Return the rows, the level pass and the row plan of the items at ``items``, compiled once and kept."""
        items = np.asarray(items, dtype=np.int64)
        key = items.tobytes()
        part = self._parts.get(key)
        if part is None:
            bounds = [np.arange(self._leaf_bounds[i], self._leaf_bounds[i + 1]) for i in items.tolist()]
            rows = np.concatenate(bounds).astype(np.int64) if bounds else np.zeros(0, dtype=np.int64)
            # An item passed twice has its rows twice: no plan (each row's code is written once), judged whole.
            unique = len(np.unique(rows)) == len(rows)
            part = ItemsPart(
                rows,
                Structure([self._entries[i] for i in items.tolist()]),
                self._plan.subset(rows, len(self.conditions)) if unique else None,
            )
            if len(self._parts) >= 64:  # bounded: a caller passing arbitrary sets never grows it without end
                self._parts.clear()
            self._parts[key] = part
        return part

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
