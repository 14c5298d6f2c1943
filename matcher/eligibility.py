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
    EXCLUSION_FIELDS,
    FIELD_LABELS,
    LEVELS,
    NUMERIC_FIELDS,
    NUMERIC_OPS,
    PROFILE_FIELDS,
    Condition,
    ConditionResult,
    ItemVerdict,
    Level,
    SemanticJudge,
    Verdict,
    _actual_value,
    _is_number,
    evaluate_condition,
    judge_item,
)

MET, UNMET, UNKNOWN = 0, 1, 2
VERDICTS: tuple[Verdict, ...] = ("met", "unmet", "unknown")
LEVEL_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}
EXCLUSION_LABELS = {"credit_status": "失信", "major_violation": "重大违法"}

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
    """List the gaps of every condition not met, unmet ones first (near misses), then missing data."""
    gaps: list[Gap] = []
    for wanted in ("unmet", "unknown"):
        for result in verdict.results:
            if result.verdict != wanted:
                continue
            fld = result.condition.field
            text = (
                result.gap
                or f"{FIELD_LABELS.get(fld, fld)}：{result.condition.span or result.condition.value}"
            )
            gaps.append(Gap(fld, wanted, text, _shortfall(result)))
    return tuple(gaps)


def _shortfall(result: ConditionResult) -> float | None:
    """How far a numeric condition is from being met, in the field's unit (None when not numeric)."""
    cond = result.condition
    if result.verdict != "unmet" or cond.op not in NUMERIC_OPS or not _is_number(cond.value):
        return None
    if not _is_number(result.actual):
        return None
    return round(abs(float(cond.value) - float(result.actual)), 6)


def judge(
    conditions: Iterable[Condition], profile: Mapping[str, Any], semantic_judge: SemanticJudge | None = None
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


# --- one profile against every item ---------------------------------------------------------


@dataclass(frozen=True)
class TableVerdicts:
    """Per-item verdict counts and levels of one profile over a :class:`ConditionTable`."""

    level: np.ndarray  # int8 rank per item
    n_met: np.ndarray
    n_conditions: np.ndarray
    excluded: np.ndarray  # bool: an exclusion is unmet
    level_without_exclusions: np.ndarray  # the level had the profile no 失信/重大违法 mark: flag, never drop


class ConditionTable:
    """The conditions of many items, compiled once, judged against one profile in a few numpy passes."""

    def __init__(self, conditions_per_item: Sequence[Sequence[Condition]]) -> None:
        """Compile the conditions of items ``0 … n-1`` (one list per item)."""
        self.n_items = len(conditions_per_item)
        rows: list[tuple[int, Condition]] = [
            (i, c) for i, conds in enumerate(conditions_per_item) for c in conds
        ]
        self.conditions = [c for _, c in rows]
        self.item_of = np.array([i for i, _ in rows], dtype=np.int64)
        self.is_exclusion = np.array([c.is_exclusion for c in self.conditions], dtype=bool)
        self.n_conditions = np.bincount(self.item_of, minlength=self.n_items).astype(np.int32)
        kinds = [_fast_kind(c) for c in self.conditions]

        self._numeric: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        for (fld, op), index in _group(rows, kinds, "numeric", lambda c: (c.field, c.op)).items():
            want = np.array([float(self.conditions[j].value) for j in index])
            self._numeric[(fld, op)] = (np.array(index, dtype=np.int64), want)
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
        for (fld, op), (index, want) in self._numeric.items():
            actual = _numeric_actual(fld, profile)
            codes[index] = _compare(np.full(len(index), actual), op, want)
        if self._dates:
            have = _date_number(_actual_value("established", profile))
            for op, (index, want) in self._dates.items():
                codes[index] = _compare(np.full(len(index), have), op, want)
                # An unreadable condition date can only come from a malformed table: leave unknown.
                codes[index[np.isnan(want)]] = UNKNOWN
        if len(self._generic):
            per_code = np.empty(len(self._generic), dtype=np.int8)
            for fld, members in self._generic_by_field.items():
                sub = {fld: profile.get(fld)}
                if fld == "rd_ratio":
                    sub = dict(profile)
                for code in members:
                    verdict = evaluate_condition(self._generic[code], sub).verdict
                    per_code[code] = VERDICTS.index(verdict)
            codes[self._generic_rows] = per_code[self._generic_code]
        if len(self._semantic_rows) and semantic_scores is not None and semantic_rule is not None:
            codes[self._semantic_rows] = semantic_rule(np.asarray(semantic_scores))[self._semantic_code]
        return codes

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
        conditions: Sequence[Condition],
        semantic_scores: Mapping[str, np.ndarray] | None = None,
        semantic_rule: SemanticRule | None = None,
    ) -> ColumnVerdicts:
        """Levels of one item (its ``conditions``) for every row; ``semantic_scores`` maps value text → scores."""
        n = len(self.ids)
        n_unmet = np.zeros(n, dtype=np.int16)
        n_unknown = np.zeros(n, dtype=np.int16)
        n_met = np.zeros(n, dtype=np.int16)
        n_excl = np.zeros(n, dtype=np.int16)
        per_condition = []
        for cond in conditions:
            scores = None
            if cond.op == "semantic" and semantic_scores is not None:
                scores = semantic_scores.get(str(cond.value or cond.span))
            codes = self.verdict_codes(cond, scores, semantic_rule)
            per_condition.append(codes)
            unmet = codes == UNMET
            n_unmet += unmet
            n_unknown += codes == UNKNOWN
            n_met += codes == MET
            if cond.field in EXCLUSION_FIELDS:
                n_excl += unmet
        level = levels_from_counts(n_unmet, n_unknown, n_excl)
        without = levels_from_counts(n_unmet - n_excl, n_unknown, np.zeros_like(n_excl))
        return ColumnVerdicts(level, n_met, len(conditions), n_excl > 0, without, tuple(per_condition))

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
    """Levels of one item for every enterprise row, with the per-condition verdict codes."""

    level: np.ndarray
    n_met: np.ndarray
    n_conditions: int
    excluded: np.ndarray
    level_without_exclusions: np.ndarray
    per_condition: tuple[np.ndarray, ...]


def level_name(rank: int) -> Level:
    """Name the level of a rank code."""
    return LEVELS[int(rank)]
