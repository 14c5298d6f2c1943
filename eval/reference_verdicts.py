"""The reference evaluator: the true verdict of one (enterprise, labelled item) pair.

Written from ``../shared/spec/conditions.md`` and ``docs/conditions.md`` (v2)
alone, with the standard library only, and never importing the served verdict
code (``corpus.conditions``, ``matcher``): the truth of the real corpus comes
from here, so the served logic is checked against the spec, not against itself.

What it reads are plain JSON values: a labelled ``document`` record, a labelled
``item`` record (``eval/sets/real_policies/README.md``) and a profile mapping
(``enterprise_profile.md`` plus the v2 fields of docs/conditions.md §4).

- Leaves give ``met`` / ``unmet`` / ``unknown`` (a missing field is unknown).
  ``undecidable`` is always unknown. ``semantic`` is unknown unless the profile
  carries the eval-only key ``truth_semantic`` (item id → true/false): a
  person, not a model, says whether the enterprise does what the item asks.
- Roles: ``require`` (default) counts; ``bonus`` never counts; ``exclude``
  turns ``met`` into an exclusion hit, ``unmet`` into met. The v1 exclusion
  form (``credit_status eq normal``, ``major_violation eq false``) unmet is an
  exclusion hit; other leaves on those fields are plain conditions.
- ``any`` groups: met when a member is met, unmet when all are, else unknown;
  counted once. ``all`` members: met when all are met, unmet when one is.
- Tiers, best first: the level of common + tier for each; the first tier with
  the best level wins; when no tier is eligible or need_info, the lowest tier.
- Document facts first: not a policy, an item not for enterprises, an
  enterprise outside ``region_code``, or ``as_of`` outside
  ``valid_from``..``valid_until`` → ``ineligible``. An unknown region of a
  regional document is one unknown condition.
- ``governs_conditions`` of the document (closing clauses that govern every
  item) join every item's common conditions.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MET, UNMET, UNKNOWN = "met", "unmet", "unknown"
LEVELS = ("eligible", "need_info", "near_miss", "ineligible")
THREE_WAY = {
    "eligible": "eligible",
    "need_info": "unknown",
    "near_miss": "ineligible",
    "ineligible": "ineligible",
}
NUMERIC = frozenset({"gte", "gt", "lte", "lt", "eq"})
_EPS = 1e-9


@dataclass(frozen=True)
class PairTruth:
    """The true verdict of one pair: the 4-level level, the 3-way verdict, why, and the tier chosen."""

    level: str
    verdict: str
    reason: str  # "conditions", "not_policy", "not_for_enterprises", "region", "validity", "excluded"
    failed: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    tier: int | None = None
    bonus_met: int = 0
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "level": self.level,
            "verdict": self.verdict,
            "reason": self.reason,
            "failed": list(self.failed),
            "unknown": list(self.unknown),
            "tier": self.tier,
        }


# --- leaves ------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(float(value)) else None
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def leaf_verdict(leaf: Mapping[str, Any], profile: Mapping[str, Any]) -> str:
    """``met`` / ``unmet`` / ``unknown`` of one leaf condition (its role not applied)."""
    name, op, value = leaf.get("field"), leaf.get("op"), leaf.get("value")
    if name == "undecidable":
        return UNKNOWN
    if op == "semantic":
        said = (profile.get("truth_semantic") or {}).get(str(leaf.get("_item", "")))
        return UNKNOWN if said is None else (MET if said else UNMET)
    actual = profile.get(str(name))
    if _missing(actual):
        return UNKNOWN
    if name == "qualifications":
        held = set(_as_list(actual))
        if op in ("has", "in", "eq"):
            return MET if held & set(_as_list(value)) else UNMET
        if op == "not_has":
            return UNMET if held & set(_as_list(value)) else MET
        return UNKNOWN
    if op in NUMERIC:
        left, right = _number(actual), _number(value)
        if left is None or right is None:
            if op == "eq":  # strings and booleans: 信用, 亩均, 规模
                return MET if actual == value else UNMET
            return UNKNOWN
        ok = {
            "gte": left >= right - _EPS,
            "gt": left > right + _EPS,
            "lte": left <= right + _EPS,
            "lt": left < right - _EPS,
            "eq": abs(left - right) <= _EPS,
        }[str(op)]
        return MET if ok else UNMET
    if op == "in":
        return MET if actual in _as_list(value) else UNMET
    if op == "within_region":
        return MET if any(str(actual).startswith(str(v)) for v in _as_list(value)) else UNMET
    if op == "industry_in":
        code = str(actual).upper()
        wanted = [str(v).upper() for v in _as_list(value)]
        # A digits-only label (``3670``) means the code without its 门类 letter.
        return MET if any(code.startswith(w) or code[1:].startswith(w) for w in wanted) else UNMET
    if op in ("established_after", "established_before"):
        when, bound = _date(actual), _date(value)
        if when is None or bound is None:
            return UNKNOWN
        return MET if (when >= bound if op == "established_after" else when < bound) else UNMET
    if op in ("has", "not_has"):  # on a list-valued field other than qualifications
        held = set(_as_list(actual))
        hit = bool(held & set(_as_list(value)))
        return MET if hit == (op == "has") else UNMET
    return UNKNOWN


# --- groups and levels -------------------------------------------------------------------------


@dataclass
class _Tally:
    unmet: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    bonus_met: int = 0


def _name(node: Mapping[str, Any]) -> str:
    if "any" in node:
        return "any(" + ",".join(_name(m) for m in node["any"]) + ")"
    if "all" in node:
        return "all(" + ",".join(_name(m) for m in node["all"]) + ")"
    return str(node.get("field"))


def node_verdict(node: Mapping[str, Any], profile: Mapping[str, Any]) -> str:
    """Verdict of a leaf, an ``any`` group or an ``all`` member (roles not applied)."""
    if "any" in node:
        members = [node_verdict(m, profile) for m in node["any"]]
        if MET in members:
            return MET
        return UNMET if members and all(v == UNMET for v in members) else UNKNOWN
    if "all" in node:
        members = [node_verdict(m, profile) for m in node["all"]]
        if UNMET in members:
            return UNMET
        return MET if all(v == MET for v in members) else UNKNOWN
    return leaf_verdict(node, profile)


def _judge_into(node: Mapping[str, Any], profile: Mapping[str, Any], tally: _Tally) -> None:
    role = node.get("role", "require") or "require"
    verdict = node_verdict(node, profile)
    name = _name(node)
    if role == "bonus":
        tally.bonus_met += verdict == MET
        return
    if role == "exclude":
        if verdict == MET:
            tally.excluded.append(name)
        elif verdict == UNKNOWN:
            tally.unknown.append(name)
        return
    if verdict == UNMET:
        if _is_base_exclusion(node):
            tally.excluded.append(name)
        else:
            tally.unmet.append(name)
    elif verdict == UNKNOWN:
        tally.unknown.append(name)


def _is_base_exclusion(node: Mapping[str, Any]) -> bool:
    """Say whether a leaf is the v1 exclusion form: 失信 (credit_status eq normal) or 重大违法 (major_violation eq false)."""
    return (node.get("field"), node.get("op"), node.get("value")) in (
        ("credit_status", "eq", "normal"),
        ("major_violation", "eq", False),
    )


def level_of(conditions: Sequence[Mapping[str, Any]], profile: Mapping[str, Any]) -> tuple[str, _Tally]:
    """Level of a flat list of leaves and groups (the base spec's table, groups once, bonus left out)."""
    tally = _Tally()
    for node in conditions:
        _judge_into(node, profile, tally)
    if tally.excluded:
        return "ineligible", tally
    if len(tally.unmet) >= 2:
        return "ineligible", tally
    if len(tally.unmet) == 1:
        return "near_miss", tally
    return ("need_info" if tally.unknown else "eligible"), tally


# --- a pair ------------------------------------------------------------------------------------


def _tagged(nodes: Sequence[Mapping[str, Any]], item_id: str) -> list[dict[str, Any]]:
    """Copy nodes, giving each leaf its item's id (the key of ``truth_semantic``)."""
    out = []
    for node in nodes:
        copy = dict(node)
        for key in ("any", "all"):
            if key in copy:
                copy[key] = _tagged(copy[key], item_id)
        copy["_item"] = item_id
        out.append(copy)
    return out


def judge_pair(
    document: Mapping[str, Any],
    item: Mapping[str, Any],
    profile: Mapping[str, Any],
    *,
    as_of: str | None = None,
) -> PairTruth:
    """Judge ``profile`` for ``item`` of ``document`` (the true verdict) at ``as_of`` (default: the document's)."""
    if document.get("is_policy") is False:
        return PairTruth("ineligible", "ineligible", "not_policy")
    if item.get("for_enterprises") is False:
        return PairTruth("ineligible", "ineligible", "not_for_enterprises")
    day = _date(as_of or document.get("as_of"))
    start, end = _date(document.get("valid_from")), _date(document.get("valid_until"))
    if day is not None and ((start is not None and day < start) or (end is not None and day > end)):
        return PairTruth("ineligible", "ineligible", "validity")
    region = document.get("region_code")
    region_unknown = False
    if region:
        mine = profile.get("region_code")
        if _missing(mine):
            region_unknown = True
        elif not str(mine).startswith(str(region)):
            return PairTruth("ineligible", "ineligible", "region")
    item_id = str(item.get("id", ""))
    common = _tagged(item.get("conditions") or [], item_id) + _tagged(
        document.get("governs_conditions") or [], item_id
    )
    tiers = item.get("tiers") or []
    choices: list[tuple[int | None, list[dict[str, Any]]]]
    if tiers:
        choices = [(n, common + _tagged(t.get("conditions") or [], item_id)) for n, t in enumerate(tiers)]
    else:
        choices = [(None, common)]
    judged = []
    for tier, conditions in choices:
        level, tally = level_of(conditions, profile)
        if region_unknown and not tally.excluded:
            tally.unknown.append("region_code")
            if level == "eligible":
                level = "need_info"
        judged.append((tier, level, tally))
    best = min(LEVELS.index(level) for _, level, _ in judged)
    if LEVELS[best] in ("eligible", "need_info"):
        tier, level, tally = next(j for j in judged if LEVELS.index(j[1]) == best)
    else:
        tier, level, tally = judged[-1]  # the nearest door: the lowest tier
    reason = "excluded" if tally.excluded else "conditions"
    return PairTruth(
        level,
        THREE_WAY[level],
        reason,
        tuple(tally.unmet + tally.excluded),
        tuple(tally.unknown),
        tier,
        tally.bonus_met,
    )
