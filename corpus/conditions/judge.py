"""Judging conditions against a profile: one leaf, a group, a whole item with its tiers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from corpus.conditions.language import (
    FIELD_LABELS,
    LEVELS,
    NUMERIC_OPS,
    ConditionError,
    Level,
    Verdict,
    _actual_value,
    _as_titles,
    _compare,
    _eq_gap,
    _fmt,
    _implied,
    _industry_key,
    _is_number,
    _numeric_gap,
    _parse_date,
    _same,
)
from corpus.conditions.nodes import Condition, Entry, Group, Tier, split_tiers


@dataclass(frozen=True)
class ConditionResult:
    """The verdict of one condition (leaf or group) for one profile, with the evidence."""

    condition: Condition | Group
    verdict: Verdict
    actual: Any = None
    gap: str | None = None
    members: tuple[ConditionResult, ...] = ()

    def __init__(
        self,
        condition: Condition | Group,
        verdict: Verdict,
        actual: Any = None,
        gap: str | None = None,
        members: tuple[ConditionResult, ...] = (),
    ) -> None:
        # The fields' dict in one step, not the frozen dataclass's five ``object.__setattr__``: a first
        # 智能匹配 builds ~100 of these while re-judging its top items (≈ 0.25 µs saved each). Same fields,
        # same order, still frozen (``@dataclass`` keeps an ``__init__`` the class defines).
        object.__setattr__(
            self,
            "__dict__",
            {"condition": condition, "verdict": verdict, "actual": actual, "gap": gap, "members": members},
        )

    @property
    def role(self) -> str:
        """The condition's role (require, bonus or exclude)."""
        return self.condition.role

    @property
    def satisfied(self) -> bool:
        """True when this result does not hold the item back: require met, exclude unmet, or a bonus."""
        if self.role == "bonus":
            return True
        if self.role == "exclude":
            return self.verdict == "unmet"
        return self.verdict == "met"

    @property
    def is_hit(self) -> bool:
        """True when the result rules the item out: an ``exclude`` met, or a 失信/重大违法 exclusion unmet."""
        if self.role == "exclude":
            return self.verdict == "met"
        return self.verdict == "unmet" and self.condition.is_exclusion

    @property
    def is_failed(self) -> bool:
        """True when the result counts against the level: a requirement unmet or an exclusion hit."""
        if self.role == "bonus":
            return False
        return self.is_hit if self.role == "exclude" else self.verdict == "unmet"

    @property
    def is_open(self) -> bool:
        """True when the result is unknown and counts for the level (bonus never does)."""
        return self.role != "bonus" and self.verdict == "unknown"

    def fields(self) -> list[str]:
        """List the profile fields this result reads (a group's members' fields)."""
        if isinstance(self.condition, Group):
            return sorted({f for m in self.members for f in m.fields()})
        return [self.condition.field]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the condition plus ``verdict`` and ``actual`` (api.md's result.conditions)."""
        if isinstance(self.condition, Group):
            out: dict[str, Any] = {
                self.condition.kind: [m.to_dict() for m in self.members],
                "span": self.condition.span,
                "source": self.condition.source,
                "role": self.condition.role,
                "verdict": self.verdict,
            }
        else:
            out = self.condition.to_dict()
            out["verdict"] = self.verdict
            out["actual"] = list(self.actual) if isinstance(self.actual, tuple) else self.actual
        if self.gap:
            out["gap"] = self.gap
        return out


# A judge for ``semantic`` conditions: returns met/unmet/unknown for (condition, profile).
SemanticJudge = Callable[[Condition, Mapping[str, Any]], Verdict]
# Judges one leaf as ``evaluate_condition`` does; a caller may pass one that answers from what it remembers.
LeafJudge = Callable[[Condition, Mapping[str, Any], SemanticJudge | None], ConditionResult]


def evaluate_condition(
    condition: Condition,
    profile: Mapping[str, Any],
    semantic_judge: SemanticJudge | None = None,
) -> ConditionResult:
    """Decide one leaf against one profile (a Mapping in the shape of enterprise_profile.md).

    The verdict says whether the leaf's statement holds; its role (bonus, exclude)
    is applied by :func:`level_of`. A group is passed on to :func:`evaluate_node`.
    """
    if isinstance(condition, Group):
        return evaluate_node(condition, profile, semantic_judge)
    result = _evaluate_leaf(condition, profile, semantic_judge)
    if condition.role == "exclude":
        gap = None
        if result.verdict == "met":
            gap = f"属于不予支持的情形：{condition.describe()}"
        elif result.verdict == "unknown":
            gap = f"需核实是否属于排除情形：{condition.describe()}（{result.gap or '缺少数据'}）"
        return ConditionResult(condition, result.verdict, result.actual, gap)
    if condition.role == "bonus" and result.verdict != "met":
        return ConditionResult(condition, result.verdict, result.actual, f"加分项：{condition.describe()}")
    return result


def _evaluate_leaf(
    condition: Condition, profile: Mapping[str, Any], semantic_judge: SemanticJudge | None
) -> ConditionResult:
    op, fld, want = condition.op, condition.field, condition.value
    if fld == "undecidable":
        return ConditionResult(
            condition, "unknown", None, f"{FIELD_LABELS['undecidable']}需人工核实：{condition.span or want}"
        )
    if op == "semantic":
        verdict: Verdict = semantic_judge(condition, profile) if semantic_judge else "unknown"
        gap = None if verdict == "met" else f"需核实经营内容：{want}"
        return ConditionResult(condition, verdict, None, gap)

    actual = _actual_value(fld, profile)
    if actual is None:
        return ConditionResult(condition, "unknown", None, f"缺少{FIELD_LABELS.get(fld, fld)}数据（{fld}）")

    if op in NUMERIC_OPS and _is_number(want):
        if not _is_number(actual):
            return ConditionResult(condition, "unknown", actual, f"{fld} 不是数值：{actual!r}")
        ok = _compare(float(actual), op, float(want))
        return ConditionResult(
            condition,
            "met" if ok else "unmet",
            actual,
            None if ok else _numeric_gap(fld, op, float(actual), float(want)),
        )
    if op == "eq":
        ok = _same(actual, want)
        return ConditionResult(
            condition, "met" if ok else "unmet", actual, None if ok else _eq_gap(fld, actual, want)
        )
    if op in ("has", "not_has"):
        titles = _as_titles(actual)
        # A title meets what it implies (国家级“小巨人” meets 专精特新中小企业): the taxonomy's closure.
        present = str(want) in _implied(titles)
        ok = present if op == "has" else not present
        gap = None if ok else (f"缺少资质：{want}" if op == "has" else f"已有{want}，本项要求不具备该资质")
        return ConditionResult(condition, "met" if ok else "unmet", tuple(sorted(titles)), gap)
    if op == "in":
        options = {str(v) for v in want}
        if fld == "qualifications":
            titles = _as_titles(actual)
            ok = bool(_implied(titles) & options)
            gap = None if ok else f"缺少以下资质之一：{'、'.join(sorted(options))}"
            return ConditionResult(condition, "met" if ok else "unmet", tuple(sorted(titles)), gap)
        ok = str(actual) in options
        gap = None if ok else f"{fld}: {actual} 不在 {'、'.join(sorted(options))} 之中"
        return ConditionResult(condition, "met" if ok else "unmet", actual, gap)
    if op == "within_region":
        ok = str(actual).startswith(str(want))
        return ConditionResult(
            condition,
            "met" if ok else "unmet",
            actual,
            None if ok else f"注册地 {actual} 不在适用区域 {want} 内",
        )
    if op == "industry_in":
        code = _industry_key(str(actual))
        ok = any(code.startswith(_industry_key(str(c))) for c in want)
        gap = None if ok else f"行业 {actual} 不在适用行业 {'、'.join(str(c) for c in want)} 内"
        return ConditionResult(condition, "met" if ok else "unmet", actual, gap)
    if op in ("established_after", "established_before"):
        try:
            have = _parse_date(actual, what="profile.established")
        except ConditionError:
            return ConditionResult(condition, "unknown", actual, f"成立日期无法识别：{actual!r}")
        limit = _parse_date(want, what="condition value")
        # Both bounds are inclusive: "2020年1月1日以后成立" admits 2020-01-01.
        ok = have >= limit if op == "established_after" else have <= limit
        word = "之后" if op == "established_after" else "之前"
        return ConditionResult(
            condition,
            "met" if ok else "unmet",
            actual,
            None if ok else f"成立日期 {actual} 不在 {want} {word}",
        )
    return ConditionResult(condition, "unknown", actual, f"无法判断 {fld} {op}")


def group_verdict(kind: str, verdicts: Sequence[str]) -> Verdict:
    """Combine member verdicts: ``any`` met when one is met, unmet when all are; ``all`` the other way round."""
    if kind == "any":
        if "met" in verdicts:
            return "met"
        return "unmet" if all(v == "unmet" for v in verdicts) else "unknown"
    if "unmet" in verdicts:
        return "unmet"
    return "met" if all(v == "met" for v in verdicts) else "unknown"


def evaluate_node(
    node: Condition | Group,
    profile: Mapping[str, Any],
    semantic_judge: SemanticJudge | None = None,
    leaf: LeafJudge | None = None,
) -> ConditionResult:
    """Decide a leaf or a group (members first, then the group as one condition); ``leaf`` judges the leaves."""
    if isinstance(node, Condition):
        return (leaf or evaluate_condition)(node, profile, semantic_judge)
    members = tuple(evaluate_node(m, profile, semantic_judge, leaf) for m in node.members)
    verdict = group_verdict(node.kind, [m.verdict for m in members])
    return ConditionResult(node, verdict, None, _group_gap(node, verdict, members), members)


def _group_gap(group: Group, verdict: Verdict, members: Sequence[ConditionResult]) -> str | None:
    if group.role == "exclude":
        if verdict == "met":
            return f"属于不予支持的情形：{group.describe()}"
        return None if verdict == "unmet" else f"需核实是否属于排除情形：{group.describe()}"
    if verdict == "met":
        return None
    if group.kind == "all":
        return "且".join(m.gap or m.condition.describe() for m in members if m.verdict != "met")
    parts = [m.gap or m.condition.describe() for m in members]
    prefix = "加分项（满足其一）：" if group.role == "bonus" else "满足其一即可："
    return prefix + "；或 ".join(parts)


def evaluate_conditions(
    conditions: Iterable[Condition | Group],
    profile: Mapping[str, Any],
    semantic_judge: SemanticJudge | None = None,
    leaf: LeafJudge | None = None,
) -> list[ConditionResult]:
    """Decide every leaf and group of an item against one profile (``leaf``: see :func:`evaluate_node`)."""
    return [evaluate_node(c, profile, semantic_judge, leaf) for c in conditions if not isinstance(c, Tier)]


def level_of(results: Sequence[ConditionResult]) -> Level:
    """Derive the level from condition verdicts, as conditions.md §6 defines it (groups once, bonus left out).

    A hit (an exclude met, a 失信/重大违法 exclusion unmet) makes it ineligible; else two failed
    requirements ineligible, one near_miss; else an unknown need_info. One pass over the results
    with the rules of ``is_hit`` / ``is_failed`` / ``is_open`` spelled out (a match re-judges its top
    items: these properties were a tenth of that).
    """
    failed = 0
    is_open = False
    for r in results:
        condition = r.condition
        role = condition.role
        if role == "bonus":
            continue
        verdict = r.verdict
        if role == "exclude":
            if verdict == "met":
                return "ineligible"  # a hit; an exclusion unmet is satisfied
        elif verdict == "unmet":
            if condition.is_exclusion:
                return "ineligible"  # a hit
            failed += 1
        if verdict == "unknown":
            is_open = True
    if failed >= 2:
        return "ineligible"
    if failed == 1:
        return "near_miss"
    return "need_info" if is_open else "eligible"


def truth_verdict(level: Level) -> Literal["eligible", "ineligible", "unknown"]:
    """Map a level to the 3-way verdict of ``truth.jsonl`` (need_info → unknown; near_miss and ineligible → ineligible)."""
    return {"eligible": "eligible", "need_info": "unknown"}.get(level, "ineligible")  # type: ignore[return-value]


@dataclass(frozen=True)
class TierVerdict:
    """One tier judged for one profile: its level (with the common conditions) and its own conditions' verdicts."""

    index: int
    tier: Tier
    level: Level
    results: tuple[ConditionResult, ...]
    amount: float | None

    @property
    def gaps(self) -> list[str]:
        """What this tier's own conditions lack."""
        return [r.gap for r in self.results if not r.satisfied and r.gap]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: label, level, support, amount (expected for this profile), formula, gaps."""
        return {
            "index": self.index,
            "label": self.tier.label,
            "level": self.level,
            "support": self.tier.support,
            "amount": self.amount,
            "formula": None if self.tier.formula is None else self.tier.formula.text(),
            "gaps": self.gaps,
        }


@dataclass(frozen=True)
class ItemVerdict:
    """All verdicts of one item for one profile: level, results (common + the tier reached), tiers, bonus."""

    level: Level
    results: tuple[ConditionResult, ...] = field(default_factory=tuple)
    tiers: tuple[TierVerdict, ...] = ()
    tier_index: int | None = None

    @property
    def tier(self) -> TierVerdict | None:
        """The tier the item is judged on (the best one reached, else the lowest), or None without tiers."""
        return None if self.tier_index is None else self.tiers[self.tier_index]

    @property
    def next_tier(self) -> TierVerdict | None:
        """The next better tier than the one reached, with what it lacks (None at the top or without tiers)."""
        if self.tier_index is None or self.tier_index == 0:
            return None
        return self.tiers[self.tier_index - 1]

    @property
    def counted(self) -> tuple[ConditionResult, ...]:
        """The results that count for the level (every one but bonus)."""
        return tuple(r for r in self.results if r.condition.role != "bonus")

    @property
    def bonus(self) -> tuple[ConditionResult, ...]:
        """The bonus results (shown and used for ranking, never required)."""
        return tuple(r for r in self.results if r.condition.role == "bonus")

    @property
    def n_satisfied(self) -> int:
        """Counted conditions satisfied (requirements met, exclusions not hit); a group counts once."""
        return sum(r.satisfied for r in self.counted)

    @property
    def n_bonus_met(self) -> int:
        """Bonus conditions met."""
        return sum(r.verdict == "met" for r in self.bonus)

    @property
    def amount(self) -> float | None:
        """The expected amount (万元) for this profile on the tier reached (None without tiers or amounts)."""
        return None if self.tier is None else self.tier.amount

    @property
    def failed_fields(self) -> list[str]:
        """Fields of failed conditions (truth.jsonl's ``failed``): requirements unmet, exclusions hit."""
        return sorted({f for r in self.counted if r.is_failed for f in r.fields()})

    @property
    def unknown_fields(self) -> list[str]:
        """Fields of unknown conditions that count (truth.jsonl's ``unknown``)."""
        return sorted({f for r in self.counted if r.is_open for f in r.fields()})

    @property
    def gaps(self) -> list[str]:
        """Human-readable gaps of every counted condition not satisfied, then the way to the next better tier."""
        out = [r.gap for r in self.counted if not r.satisfied and r.gap]
        better = self.next_tier
        if better is not None and better.gaps:
            out.append(
                f"更高一档「{better.tier.label}」{_support_note(better.tier)}还需：" + "；".join(better.gaps)
            )
        return out


def _support_note(tier: Tier) -> str:
    if tier.support:
        return f"（{tier.support}）"
    return f"（{_fmt(tier.amount)} 万元）" if tier.amount is not None else ""


def choose_tier(ranks: Sequence[int]) -> int:
    """Pick the tier an item is judged on from each tier's level rank (tiers best first).

    The best level wins. Among tiers at that level: when it can be reached (eligible,
    need_info) the first, best one; when it cannot (near_miss, ineligible) the last,
    lowest one — the nearest door, whose gaps say what it lacks.
    """
    best = min(ranks)
    tied = [n for n, rank in enumerate(ranks) if rank == best]
    return tied[-1] if best >= LEVELS.index("near_miss") else tied[0]


def judge_item(
    conditions: Iterable[Entry],
    profile: Mapping[str, Any],
    semantic_judge: SemanticJudge | None = None,
    leaf: LeafJudge | None = None,
) -> ItemVerdict:
    """Evaluate an item's entries (v1 list, or v2 with groups, roles and tiers) and derive its level.

    With tiers, each is judged together with the common conditions and :func:`choose_tier`
    picks the one the item is judged on (docs/conditions.md §3). ``leaf`` judges each leaf in
    place of :func:`evaluate_condition` (the matcher's remembers verdicts per field value).
    """
    common, tiers = split_tiers(conditions)
    results = tuple(evaluate_conditions(common, profile, semantic_judge, leaf))
    if not tiers:
        return ItemVerdict(level_of(results), results)
    judged: list[TierVerdict] = []
    for index, tier in enumerate(tiers):
        own = tuple(evaluate_conditions(tier.conditions, profile, semantic_judge, leaf))
        judged.append(TierVerdict(index, tier, level_of(results + own), own, tier.expected_amount(profile)))
    chosen = choose_tier([LEVELS.index(t.level) for t in judged])
    return ItemVerdict(judged[chosen].level, results + judged[chosen].results, tuple(judged), chosen)


# --- helpers ---------------------------------------------------------------------------------
