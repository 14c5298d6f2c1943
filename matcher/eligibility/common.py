"""Verdict codes, levels, gaps and the leaf memo shared by both fast paths of :mod:`matcher.eligibility`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
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
    LeafJudge,
    Level,
    SemanticJudge,
    Tier,
    Verdict,
    _actual_value,
    _is_number,
    evaluate_condition,
    evaluate_node,
    judge_item,
    level_of,
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
    # One pass over the results, the rules of ``is_failed`` / ``is_open`` spelt out (as ``level_of``): a match
    # builds the gaps of each of its top items, and the properties per result were most of this function.
    failed: list[Gap] = []
    missing: list[Gap] = []
    for result in verdict.results:
        cond = result.condition
        role = cond.role
        if role == "bonus":
            continue
        said = result.verdict
        if said == "unknown":
            wanted, into = "unknown", missing
        elif said == ("met" if role == "exclude" else "unmet"):
            wanted, into = "unmet", failed
        else:
            continue
        fld = cond.field if isinstance(cond, Condition) else ",".join(result.fields())
        text = result.gap or f"{FIELD_LABELS.get(fld, fld)}：{cond.describe()}"
        into.append(Gap(fld, wanted, text, _shortfall(result)))
    gaps = failed + missing
    better = verdict.next_tier
    if better is not None and better.gaps:
        note = f"（{better.tier.support}）" if better.tier.support else ""
        gaps.append(
            Gap("tier", "tier", f"更高一档「{better.tier.label}」{note}还需：" + "；".join(better.gaps))
        )
    return tuple(gaps)


def region_unknown(level: Level, gaps: tuple[Gap, ...], region_prefix: str) -> tuple[Level, tuple[Gap, ...]]:
    """Return the level and gaps of an enterprise with no region for an item of ``region_prefix``.

    Whether the item's region holds it is unknown, never a failure: ``eligible`` becomes ``need_info``
    and the missing region is one more gap (智能匹配 and target rows answer it alike).
    """
    gap = Gap("region_code", "unknown", f"缺少注册地数据（region_code），本项适用区域 {region_prefix}")
    return ("need_info" if level == "eligible" else level), (*gaps, gap)


def need_info_at_best(levels: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Return a copy of level ranks with ``eligible`` lowered to ``need_info`` on ``rows`` (a mask)."""
    out = np.array(levels, copy=True)
    out[rows & (out == LEVEL_RANK["eligible"])] = LEVEL_RANK["need_info"]
    return out


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


# Exact types _memo_key keys as (type name, value) before any isinstance check (the hot case).
_SCALARS = frozenset({str, int, float, bool, type(None), dt.date})
# Leaf results, and whole items, a LeafMemo remembers before starting again.
_LEAF_MEMO_SIZE = 65536
_ITEM_MEMO_SIZE = 20000


class ProfileKeys(dict[str, Any]):
    """The ``_memo_key`` of each field of one profile, worked out at its first use.

    A match makes one and hands it to :meth:`LeafMemo.judged` for each of its top items, so a field
    read by many of their leaves is keyed once per request, not once per leaf.
    """

    def __init__(self, profile: Mapping[str, Any]) -> None:
        """Key the fields of ``profile`` (which must not change while this is in use)."""
        super().__init__()
        self.profile = profile
        # The leaf judge of the memo last asked with these keys (made once per request, not per item).
        self.leaf: tuple[LeafMemo, LeafJudge] | None = None

    def __missing__(self, fld: str) -> Any:
        key = self[fld] = _memo_key(self.profile.get(fld))
        return key


class LeafMemo:
    """``evaluate_condition`` of the leaves of compiled items, remembered per (leaf, value of its field).

    Only for leaves whose field takes few distinct values across enterprises (size class, region,
    industry, qualifications, credit status …: the generic ones, and the undecidable ones, which read
    nothing): their results repeat from one enterprise to the next, so re-judging a match's top items
    builds them once. Numbers and dates (nearly every enterprise its own value), ``rd_ratio`` (derived
    from other fields when absent) and semantic leaves are judged afresh each time. A remembered result
    is the same immutable object evaluate_condition returned for an equal value (type and order kept by
    ``_memo_key``), so every answer is the same.

    An item all of whose leaves are such (and without tiers, whose amounts read numbers) is remembered
    whole by :meth:`judged`: its verdict, gaps and exclusion hits per the values of the fields it reads.
    """

    def __init__(
        self,
        leaves: Sequence[Condition],
        items: Sequence[Sequence[Entry]] = (),
        kinds: Sequence[str] | None = None,
    ) -> None:
        """Remember for ``leaves`` (``kinds``: their ``_fast_kind`` when known) and the ``items`` holding them."""
        kinds = [_fast_kind(c) for c in leaves] if kinds is None else kinds
        # Keyed by identity: the memo lives on the table that holds every one of these leaves.
        self._field = {
            id(c): c.field
            for c, kind in zip(leaves, kinds, strict=True)
            if kind in ("generic", "undecidable") and c.field != "rd_ratio"
        }
        self._results: dict[tuple[int, Any], ConditionResult] = {}
        # Per item position: its entries, and the fields its verdict depends on (None: not remembered whole).
        self._item_entries = list(items)
        self._item_fields = [self._fields_of(entries) for entries in items]
        # Per item without tiers: its entries, each with whether it is a leaf (judged by the leaf judge
        # straight away, as ``evaluate_node`` would hand it on); None for an item with tiers.
        self._item_plans = [
            None
            if any(isinstance(e, Tier) for e in entries)
            else tuple((e, isinstance(e, Condition)) for e in entries)
            for entries in items
        ]
        self._items: dict[tuple[Any, ...], tuple[ItemVerdict, tuple[Gap, ...], tuple[str, ...]]] = {}

    def _fields_of(self, entries: Sequence[Entry]) -> tuple[str, ...] | None:
        """Return the fields an item's verdict reads when every leaf is remembered (no tiers); else None."""
        fields: set[str] = set()
        todo = list(entries)
        while todo:
            node = todo.pop()
            if isinstance(node, Condition):
                fld = self._field.get(id(node))
                if fld is None:
                    return None
                fields.add(fld)
            elif isinstance(node, Group):
                todo.extend(node.members)
            else:  # a tier: its expected amount reads the profile's numbers
                return None
        return tuple(sorted(fields))

    def judged(
        self,
        position: int,
        entries: Sequence[Entry],
        profile: Mapping[str, Any],
        semantic_judge: SemanticJudge | None,
        keys: ProfileKeys | None = None,
    ) -> tuple[ItemVerdict, tuple[Gap, ...], tuple[str, ...]]:
        """Judge an item as ``judge`` does, with its gaps (``gaps_of``) and exclusion hits; from memory when it can.

        ``keys``: the ``ProfileKeys`` of this very ``profile``, shared by the items of one request.
        """
        if keys is None or keys.profile is not profile:
            keys = ProfileKeys(profile)
        known = position < len(self._item_entries) and self._item_entries[position] is entries
        fields = self._item_fields[position] if known else None  # another item's entries: judged afresh
        key: list[Any] = [position]
        for fld in fields or ():
            value_key = keys[fld]
            if value_key is None:
                fields = None
                break
            key.append(value_key)
        if fields is None:
            verdict = self._judge(position if known else -1, entries, keys, semantic_judge)
            return verdict, gaps_of(verdict), exclusion_hits(verdict)
        whole = tuple(key)
        found = self._items.get(whole)
        if found is None:
            verdict = self._judge(position, entries, keys, semantic_judge)
            found = (verdict, gaps_of(verdict), exclusion_hits(verdict))
            if len(self._items) >= _ITEM_MEMO_SIZE:
                self._items.clear()
            self._items[whole] = found
        return found

    def _judge(
        self, position: int, entries: Sequence[Entry], keys: ProfileKeys, semantic_judge: SemanticJudge | None
    ) -> ItemVerdict:
        """``judge_item`` of an item (``position`` -1: not this memo's), its leaves judged from memory when they can.

        An item without tiers is ``judge_item``'s first branch spelt out over its plan: every entry judged
        in order (a leaf by the leaf judge, a group by ``evaluate_node``), the level by ``level_of``.
        """
        profile = keys.profile
        if keys.leaf is None or keys.leaf[0] is not self:
            keys.leaf = (self, self._leaf_judge(keys))
        leaf = keys.leaf[1]
        plan = self._item_plans[position] if position >= 0 else None
        if plan is None:
            return judge_item(entries, profile, semantic_judge, leaf)
        results = tuple(
            [
                leaf(entry, profile, semantic_judge)  # type: ignore[arg-type]
                if is_leaf
                else evaluate_node(entry, profile, semantic_judge, leaf)  # type: ignore[arg-type]
                for entry, is_leaf in plan
            ]
        )
        return ItemVerdict(level_of(results), results)

    def _leaf_judge(self, keys: ProfileKeys) -> LeafJudge:
        """Return this memo's leaf judge (``__call__``) for the profile of ``keys`` only, each field keyed once."""
        field_of, results = self._field.get, self._results

        def leaf(
            condition: Condition, profile: Mapping[str, Any], semantic_judge: SemanticJudge | None
        ) -> ConditionResult:
            fld = field_of(id(condition))
            if fld is None:
                return evaluate_condition(condition, profile, semantic_judge)
            value_key = keys[fld]
            if value_key is None:
                return evaluate_condition(condition, profile, semantic_judge)
            key = (id(condition), value_key)
            found = results.get(key)
            if found is None:
                found = evaluate_condition(condition, profile, semantic_judge)
                if len(results) >= _LEAF_MEMO_SIZE:
                    results.clear()  # bounded: a field of free text never grows it without end
                results[key] = found
            return found

        return leaf

    def __call__(
        self, condition: Condition, profile: Mapping[str, Any], semantic_judge: SemanticJudge | None
    ) -> ConditionResult:
        """Judge one leaf, as ``evaluate_condition`` (from memory when its field's value was seen)."""
        return self._leaf_judge(ProfileKeys(profile))(condition, profile, semantic_judge)


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
    """Level ranks (0 eligible … 3 ineligible) from per-row counts, exactly as ``level_of`` rules.

    Each rule gives a floor and the level is the highest: unknown → 1, one unmet → 2, two or more
    → 3 (``min(unmet, 2) + (unmet > 0)``), an exclusion hit → 3. Arithmetic, not four masked
    assignments: a third of the level pass of a 5k-item request went to those.
    """
    unmet = np.asarray(n_unmet)
    level = np.minimum(unmet, 2).astype(np.int8)
    level += unmet > 0
    np.maximum(level, np.asarray(n_unknown) > 0, out=level)
    np.maximum(level, (np.asarray(n_excluded) > 0).view(np.int8) * np.int8(3), out=level)
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


def _bound(op: str, want: np.ndarray) -> np.ndarray:
    """Return what ``_compare`` compares an actual value with for ``op``: ``want`` moved by the tolerance."""
    if op in ("gte", "lt"):
        return want - _EPS
    if op in ("gt", "lte"):
        return want + _EPS
    return want


def _compare_codes(actual: np.ndarray | float, op: str, bound: np.ndarray, out: np.ndarray) -> None:
    """Write into ``out`` (int8) MET/UNMET of ``actual`` against a precomputed ``_bound``, as ``_compare`` decides.

    The negated comparison is written straight as the code (UNMET is 1). NaN compares false either
    way, so a NaN actual comes out MET here: the caller adds UNKNOWN (2) where the actual is NaN.
    """
    if op == "gte":
        np.less(actual, bound, out=out.view(bool))
    elif op == "gt":
        np.less_equal(actual, bound, out=out.view(bool))
    elif op == "lte":
        np.greater(actual, bound, out=out.view(bool))
    elif op == "lt":
        np.greater_equal(actual, bound, out=out.view(bool))
    else:
        np.greater(np.abs(actual - bound), _EPS, out=out.view(bool))


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
    kind = type(value)
    if kind in _SCALARS:
        return (kind.__name__, value)
    if isinstance(value, list | tuple):
        parts = tuple(_memo_key(v) for v in value)
        return None if any(p is None for p in parts) else (type(value).__name__, parts)
    if value is None or isinstance(value, str | int | float | bool | dt.date):
        return (type(value).__name__, value)
    return None


def _group(
    rows: Sequence[tuple[int, Condition]], kinds: Sequence[str], kind: str, key: Callable[[Condition], Any]
) -> dict[Any, list[int]]:
    """Positions of the rows of ``kind``, grouped by ``key`` of their condition."""
    groups: dict[Any, list[int]] = {}
    for j, ((_, cond), k) in enumerate(zip(rows, kinds, strict=True)):
        if k == kind:
            groups.setdefault(key(cond), []).append(j)
    return groups
