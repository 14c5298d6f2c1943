"""The 智能匹配 answer's bytes written without validating it equal the schema's own dump (issue 19)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_helpers import LEVELS_ALL, auth, enterprises
from pydantic import ValidationError
from test_conditions_v2 import ITEM, V2

from api.routes.match import answer_bytes
from api.schemas import MatchResponse
from corpus.conditions import Condition, ConditionResult, Group
from matcher.answer import answer_layout
from matcher.eligibility import Gap
from matcher.matching import MatchResponse as MatchAnswer
from matcher.matching import MatchResult


def schema_bytes(out: dict) -> bytes:
    """The plain path: validate against the published schema, then dump."""
    return MatchResponse.model_validate(out).model_dump_json().encode()


def assert_schema_bytes_or_refused(response: MatchAnswer) -> None:
    """``answer_bytes`` writes the schema's bytes of ``response.to_dict()``, or refuses it as the schema does."""
    try:
        want = schema_bytes(response.to_dict())
    except ValidationError:
        with pytest.raises(ValidationError):
            answer_bytes(response)
        return
    assert answer_bytes(response).body == want


LEAF = Condition("revenue", "gte", 1, span="营业收入", role="bonus")
MEMBER = Condition("employees", "in", ["a", "b"], span="人数")
# The verdict shapes an answer or a target row lays out: a bonus leaf met, an ``any`` group unknown with a gap and
# a member's verdict, a leaf unmet with a gap; and one gap.
VERDICTS = (
    ConditionResult(LEAF, "met", 2),
    ConditionResult(
        Group("any", (MEMBER, Condition("revenue", "gte", 5)), span="之一", source="edited"),
        "unknown",
        gap="缺",
        members=(ConditionResult(MEMBER, "met", ("a",)),),
    ),
    ConditionResult(MEMBER, "unmet", None, gap="人数不在范围内"),
)
GAPS = (Gap("revenue", "unknown", "缺少"),)


def result(**changed: Any) -> MatchResult:
    """One result in the matcher's shape: the verdict shapes of ``VERDICTS``, a tier, no fulfilment."""
    fields: dict[str, Any] = {
        "policy_id": "p",
        "item_id": "p#1",
        "title": "标题",
        "level": "eligible",
        "score": 0.5,
        "score_breakdown": {"bm25": 1.0, "dense": float("nan")},
        "conditions": VERDICTS,
        "gaps": GAPS,
        "fulfilment": None,
        "support": "10万元",
        "extras": {"tier": None, "bonus": [], "window": ["2024-01-01", None]},
    }
    fields.update(changed)
    return MatchResult(**fields)


def answer(*results: MatchResult) -> MatchAnswer:
    """An answer of ``results`` (one plain result by default)."""
    return MatchAnswer(results or (result(),), "m", "i", "e1", {"eligible": 1}, 3)


def test_real_answers_with_groups_roles_and_tiers_are_the_schema_bytes(client, keys, services):
    assert client.put(ITEM, json=V2, headers=auth(keys["admin"])).status_code == 200
    seen_group = seen_tier = False
    for profile in enterprises():
        response = services.matcher.match(enterprise_id=profile["id"], top_k=50, levels=LEVELS_ALL)
        out, typed = answer_layout(response)
        assert typed  # written without the schema
        assert out == response.to_dict()  # the matcher's dict is the one the route writes
        assert answer_bytes(response).body == schema_bytes(out)
        for laid_out in out["results"]:
            seen_group |= any("any" in c for c in laid_out["conditions"])
            seen_tier |= laid_out.get("tier") is not None
    assert seen_group and seen_tier


def test_the_layout_is_the_schemas_key_order_and_the_matchers_dict():
    response = answer(result(), result(item_id="p#2", extras={}))
    out, typed = answer_layout(response)
    assert typed
    body = answer_bytes(response).body
    assert body == schema_bytes(out)
    assert list(json.loads(body)["results"][0]) == [*out["results"][0]]
    assert answer_bytes(answer()).results == (("p", "p#1", "eligible"),)
    # A group's members stay as the matcher writes a condition (the schema keeps them as plain dicts).
    member = out["results"][0]["conditions"][1]["any"][0]
    assert list(member) == ["field", "op", "value", "span", "source", "verdict", "actual"]


@pytest.mark.parametrize(
    "changed",
    [
        {"score": 1},  # an int the schema turns into 1.0
        {"score_breakdown": {"bm25": 1.0, "tags": 0}},
        {"score_breakdown": {1: 1.0}},  # a key not a string
        {"fulfilment": 3},
        {"title": None},
        {"level": 3},
        {"support": 7},
        {"gaps": (Gap("revenue", "unknown", 5),)},  # type: ignore[arg-type]
        {"conditions": (ConditionResult(Condition("revenue", "gte", 1, span=None), "met", 2),)},  # type: ignore[arg-type]
        {"conditions": (ConditionResult(LEAF, "maybe", 2),)},  # type: ignore[arg-type]
        {"conditions": (ConditionResult(Group("all", (MEMBER,)), "met", members=()),)},
        {"conditions": (ConditionResult(LEAF, "met", 2**70),)},  # past 64 bits: orjson refuses it
        {"extras": {1: "x"}},
        {"extras": {"title": "shadow", "excluded": True}},  # extras named as keys of the result
    ],
)
def test_values_outside_the_fast_layout_are_the_schemas_bytes_or_refused(changed):
    assert_schema_bytes_or_refused(answer(result(**changed)))


def test_an_empty_answer_and_a_plain_dict_are_the_schemas_bytes():
    empty = answer_layout(MatchAnswer((), "m", "i", None))
    assert empty[1]
    assert answer_bytes(MatchAnswer((), "m", "i", None)).body == schema_bytes(empty[0])
    out = answer().to_dict()
    assert answer_bytes(out).body == schema_bytes(out)  # not the matcher's answer: through the schema
