"""The 智能匹配 answer and the 精准推送 target row laid out once, in the published key order (api.md).

:meth:`matcher.matching.MatchResponse.to_dict` and the route both take the answer from
:func:`answer_layout`, the one place that knows its key order: the declared keys of each part in
the order of the API's schemas (``api.schemas.MatchResponse``, ``ResultPublic``,
``ConditionVerdictPublic``, ``GroupVerdictPublic``), then the other keys in the order the
service layer gives them (the schemas allow extra keys and dump them after the declared ones). A
group's members are written as :meth:`ConditionResult.to_dict` writes them: the schema keeps
them as plain dicts. ``tests/api/test_match_serialise.py`` holds this layout to the schema's own
dump, byte for byte.

A target row (``GET /v1/policies/{id}/targets``, the CSV export, :meth:`matcher.targets.TargetRow.to_dict`)
is laid out by :func:`target_layout` the same way, in ``api.schemas.TargetPublic``'s order, its conditions
by the same :func:`condition_layout` and its numbers by the same rounding.

The layout also says whether every typed value is as the schema dumps it (texts are ``str``,
numbers ``float``, verdicts one of three, groups ``any``): only then may its JSON be written
without validating it against the schema (by a writer that refuses keys that are not strings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from corpus.conditions import ConditionResult, Group
from matcher.facts import round6

if TYPE_CHECKING:
    from matcher.eligibility import Gap
    from matcher.matching import MatchResponse, MatchResult
    from matcher.targets import TargetRow

_VERDICTS = frozenset(("met", "unmet", "unknown"))
_OPTIONAL_TEXT = (str, type(None))


def condition_layout(result: ConditionResult) -> tuple[dict[str, Any], bool]:
    """Lay out one condition verdict of a result; also say whether its typed values are the schema's."""
    condition = result.condition
    verdict = result.verdict
    if isinstance(condition, Group):
        out: dict[str, Any] = {
            condition.kind: [m.to_dict() for m in result.members],
            "verdict": verdict,
            "span": condition.span,
            "source": condition.source,
            "role": condition.role,
        }
        typed = condition.kind == "any"
    else:
        value, actual = condition.value, result.actual
        out = {
            "field": condition.field,
            "op": condition.op,
            "value": list(value) if isinstance(value, tuple) else value,
            "span": condition.span,
            "verdict": verdict,
            "actual": list(actual) if isinstance(actual, tuple) else actual,
            "source": condition.source,
        }
        if condition.role != "require":
            out["role"] = condition.role
        typed = type(condition.field) is str and type(condition.op) is str
    if result.gap:
        out["gap"] = result.gap
    return out, typed and type(condition.span) is str and verdict in _VERDICTS


def result_layout(result: MatchResult, rounded: Sequence[float] | None = None) -> tuple[dict[str, Any], bool]:
    """Lay out one result (its v2 ``extras`` after the declared keys); also say whether it is typed as published.

    ``rounded``: the score and the breakdown's values already rounded to six places (``round6``, so
    floats); without it each is rounded here, and the result counts as typed only if all are floats.
    A key that is not a string is left to the JSON writer, which refuses it (the schema decides then).
    """
    breakdown = result.score_breakdown
    rounded, typed = _rounded(result.score, breakdown, rounded)
    conditions, gaps, verdicts_typed = _verdicts_layout(result.conditions, result.gaps)
    typed = typed and verdicts_typed
    fulfilment, support = result.fulfilment, result.support
    out: dict[str, Any] = {
        "policy_id": result.policy_id,
        "item_id": result.item_id,
        "title": result.title,
        "level": result.level,
        "score": rounded[0],
        "score_breakdown": dict(zip(breakdown, rounded[1:], strict=True)),
        "conditions": conditions,
        "gaps": gaps,
        "fulfilment": fulfilment,
        "support": support,
    }
    extras = result.extras
    if extras.keys().isdisjoint(out):
        out.update(extras)
    else:  # an extra named as a declared key: the declared value stays (as in the matcher's own dict)
        out.update((key, value) for key, value in extras.items() if key not in out)
    out["excluded"] = result.excluded
    out["exclusions"] = list(result.exclusions)
    typed = (
        typed
        and type(result.policy_id) is str
        and type(result.item_id) is str
        and type(result.title) is str
        and type(result.level) is str
        and (fulfilment is None or type(fulfilment) is str)
        and (support is None or type(support) is str)
    )
    return out, typed


def answer_layout(response: MatchResponse) -> tuple[dict[str, Any], bool]:
    """Lay out a whole answer; also say whether every typed value is as the schema dumps it."""
    results: list[dict[str, Any]] = []
    typed = type(response.model) is str and type(response.index) is str
    for r, rounded in zip(response.results, rounded_together(response.results), strict=True):
        laid_out, result_typed = result_layout(r, rounded)
        results.append(laid_out)
        typed = typed and result_typed
    out = {
        "results": results,
        "model": response.model,
        "index": response.index,
        "enterprise_id": response.enterprise_id,
        "counts": response.counts,
        "candidates": response.candidates,
    }
    return out, typed


def target_layout(
    row: TargetRow, rounded: Sequence[float] | None = None, *, risk: bool = False
) -> tuple[dict[str, Any], bool]:
    """Lay out one target row in ``TargetPublic``'s key order; also say whether it is typed as published.

    The declared keys first (with ``risk: None`` after ``support`` when ``risk``: the page's slot for
    the 三色预警 note, filled in place), then the row's v2 ``extras`` and its own undeclared keys
    (``policy_id``, ``flags``, ``excluded``, ``rank``) in the order the schema dumped them from the
    row's former dict: the extras first, an extra named as one of the row's keys keeping its place
    with the row's value. ``rounded`` as in :func:`result_layout`.
    """
    breakdown = row.score_breakdown
    rounded, typed = _rounded(row.score, breakdown, rounded)
    conditions, gaps, verdicts_typed = _verdicts_layout(row.conditions, row.gaps)
    out: dict[str, Any] = {
        "enterprise_id": row.enterprise_id,
        "name": row.name,
        "item_id": row.item_id,
        "level": row.level,
        "score": rounded[0],
        "score_breakdown": dict(zip(breakdown, rounded[1:], strict=True)),
        "conditions": conditions,
        "gaps": gaps,
        "fulfilment": row.fulfilment,
        "support": row.support,
    }
    if risk:
        out["risk"] = None
    own = {"policy_id": row.policy_id, "flags": list(row.flags), "excluded": row.excluded, "rank": row.rank}
    extras = row.extras
    if extras.keys().isdisjoint(out) and extras.keys().isdisjoint(own):
        out.update(extras)
        out.update(own)
    else:
        out.update((key, own.get(key, value)) for key, value in extras.items() if key not in out)
        out.update((key, value) for key, value in own.items() if key not in out)
    typed = (
        typed
        and verdicts_typed
        and type(row.enterprise_id) is str
        and type(row.name) is str
        and type(row.item_id) in _OPTIONAL_TEXT
        and type(row.level) is str
        and type(row.fulfilment) in _OPTIONAL_TEXT
        and type(row.support) in _OPTIONAL_TEXT
    )
    return out, typed


def targets_layout(rows: Sequence[TargetRow], *, risk: bool = False) -> tuple[list[dict[str, Any]], bool]:
    """Lay out target rows (a page, an export's chunk); also say whether all are typed as published."""
    out: list[dict[str, Any]] = []
    typed = True
    for row, rounded in zip(rows, rounded_together(rows), strict=True):
        laid_out, row_typed = target_layout(row, rounded, risk=risk)
        out.append(laid_out)
        typed = typed and row_typed
    return out, typed


def rounded_together(scored: Sequence[MatchResult | TargetRow]) -> list[list[float] | None]:
    """Each one's score and breakdown values rounded to six places, all as one array (``round6``).

    The same floats as ``round(v, 6)``; when a value is not a float (an int rounds to an int) each
    one is left to round its own (None).
    """
    numbers = [v for r in scored for v in (r.score, *r.score_breakdown.values())]
    if not numbers or not all(type(v) is float for v in numbers):
        return [None] * len(scored)
    rounded, start = round6(numbers), 0
    out: list[list[float] | None] = []
    for r in scored:
        end = start + 1 + len(r.score_breakdown)
        out.append(rounded[start:end])
        start = end
    return out


def _rounded(
    score: float, breakdown: Mapping[str, float], rounded: Sequence[float] | None
) -> tuple[Sequence[float], bool]:
    """Round the score and the breakdown's values to six places (``rounded`` when given); say whether all are floats."""
    if rounded is not None:
        return rounded, True
    mine = [round(score, 6), *(round(v, 6) for v in breakdown.values())]
    return mine, all(type(v) is float for v in mine)


def _verdicts_layout(
    results: Sequence[ConditionResult], gaps: Sequence[Gap]
) -> tuple[list[dict[str, Any]], list[str], bool]:
    """Lay out the condition verdicts and the gaps' texts; also say whether they are typed as published."""
    typed = True
    conditions = []
    for condition in results:
        laid_out, condition_typed = condition_layout(condition)
        conditions.append(laid_out)
        typed = typed and condition_typed
    texts = []
    for gap in gaps:
        text = gap.text
        texts.append(text)
        typed = typed and type(text) is str
    return conditions, texts, typed
