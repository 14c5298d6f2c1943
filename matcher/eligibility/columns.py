"""One item against every enterprise: :class:`EnterpriseColumns`, every profile held as columns."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from corpus.conditions import (
    LEVELS,
    NUMERIC_FIELDS,
    Condition,
    Entry,
    Group,
    Level,
    _actual_value,
    evaluate_condition,
    split_tiers,
)
from matcher.eligibility.common import (
    _DATE_OPS,
    LEVEL_RANK,
    MET,
    RAW_FIELDS,
    UNKNOWN,
    UNMET,
    VERDICTS,
    SemanticRule,
    _compare,
    _date_number,
    _fast_kind,
    _numeric_actual,
    _value_key,
    levels_from_counts,
    profile_flags,
)
from matcher.eligibility.structure import rules_share

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

    def region_unknown(self) -> np.ndarray:
        """Rows with no region (``region_code`` missing): whether a regional item is theirs is unknown."""
        n = len(self.ids)
        cached = self._cache.get(("region", None))
        if cached is not None and len(cached) == n:
            return cached
        codes, values = self.column_codes("region_code")
        out = np.array([not v for v in values], dtype=bool)[codes[:n]]
        self._cache[("region", None)] = out
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
