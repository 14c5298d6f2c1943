"""The 智能匹配 answer laid out once, in the published key order (``POST /v1/match``, api.md).

:meth:`matcher.matching.MatchResponse.to_dict` and the route both take the answer from
:func:`answer_layout`, the one place that knows its key order: the declared keys of each part in
the order of the API's schemas (``api.schemas.MatchResponse``, ``ResultPublic``,
``ConditionVerdictPublic``, ``GroupVerdictPublic``), then the other keys in the order the
service layer gives them (the schemas allow extra keys and dump them after the declared ones). A
group's members are written as :meth:`ConditionResult.to_dict` writes them: the schema keeps
them as plain dicts. ``tests/api/test_match_serialise.py`` holds this layout to the schema's own
dump, byte for byte.

The layout also says whether every typed value is as the schema dumps it (texts are ``str``,
numbers ``float``, verdicts one of three, groups ``any``): only then may its JSON be written
without validating it against the schema (by a writer that refuses keys that are not strings).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from corpus.conditions import ConditionResult, Group
from matcher.facts import round6

if TYPE_CHECKING:
    from matcher.matching import MatchResponse, MatchResult

_VERDICTS = frozenset(("met", "unmet", "unknown"))


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
    score, breakdown = result.score, result.score_breakdown
    typed = True
    if rounded is None:
        rounded = [round(score, 6), *(round(v, 6) for v in breakdown.values())]
        typed = all(type(v) is float for v in rounded)
    conditions = []
    for condition in result.conditions:
        laid_out, condition_typed = condition_layout(condition)
        conditions.append(laid_out)
        typed = typed and condition_typed
    gaps = []
    for gap in result.gaps:
        text = gap.text
        gaps.append(text)
        typed = typed and type(text) is str
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
    # Every result's score and breakdown rounded as one array (round6: the same floats as round()); a
    # value not a float (an int rounds to an int) leaves each result to round its own.
    numbers = [v for r in response.results for v in (r.score, *r.score_breakdown.values())]
    if numbers and all(type(v) is float for v in numbers):
        rounded, start = round6(numbers), 0
        for r in response.results:
            end = start + 1 + len(r.score_breakdown)
            laid_out, result_typed = result_layout(r, rounded[start:end])
            results.append(laid_out)
            typed = typed and result_typed
            start = end
    else:
        for r in response.results:
            laid_out, result_typed = result_layout(r)
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
