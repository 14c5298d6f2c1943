"""The 智能匹配 answer's bytes written without validating it equal the schema's own dump (issue 19)."""

from __future__ import annotations

import copy

import pytest
from api_helpers import LEVELS_ALL, auth, enterprises
from pydantic import ValidationError
from test_conditions_v2 import ITEM, V2

from api.routes.match import _public, _serialise
from api.schemas import MatchResponse
from api.views import as_dict


def schema_bytes(out: dict) -> bytes:
    """The plain path: validate against the published schema, then dump."""
    return MatchResponse.model_validate(out).model_dump_json().encode()


def assert_schema_bytes_or_refused(out: dict) -> None:
    """``_serialise`` writes the schema's bytes of ``out``, or refuses it as the schema does."""
    try:
        want = schema_bytes(out)
    except ValidationError:
        with pytest.raises(ValidationError):
            _serialise(out)
        return
    assert _serialise(out).body == want


def result(conditions: list, *, support: str | None = None, **declared: object) -> dict:
    """One result in the matcher's shape (``tier`` and ``excluded`` beside the declared keys; no fulfilment)."""
    return {
        "tier": None,
        "policy_id": "p",
        "item_id": "p#1",
        "title": "标题",
        "level": "eligible",
        "score": 0.5,
        "score_breakdown": {"bm25": 1.0, "dense": float("nan")},
        "conditions": conditions,
        "gaps": ["缺少"],
        "support": support,
        **declared,
        "excluded": False,
    }


def test_real_answers_with_groups_roles_and_tiers_are_the_schema_bytes(client, keys, services):
    assert client.put(ITEM, json=V2, headers=auth(keys["admin"])).status_code == 200
    seen_group = seen_tier = False
    for profile in enterprises():
        response = services.matcher.match(enterprise_id=profile["id"], top_k=50, levels=LEVELS_ALL)
        out = as_dict(response)
        assert _public(out) is not None  # the fast layout, not the fallback
        assert _serialise(out).body == schema_bytes(out)
        for result in out["results"]:
            seen_group |= any("any" in c for c in result["conditions"])
            seen_tier |= result.get("tier") is not None
    assert seen_group and seen_tier


def test_values_outside_the_fast_layout_fall_back_to_the_schema():
    leaf = {"field": "revenue", "op": "gte", "value": 1, "verdict": "met", "actual": 2, "role": "bonus"}
    group = {"any": [dict(leaf)], "span": "之一", "source": "x", "verdict": "unknown", "gap": "缺"}
    out = {
        "results": [result([leaf, group])],
        "model": "m",
        "index": "i",
        "counts": {"eligible": 1},
        "candidates": 3,
    }
    assert _public(out) is not None
    assert _serialise(out).body == schema_bytes(out)
    for change in (
        lambda o: o["results"][0].update(score=1),  # an int the schema turns into 1.0
        lambda o: o["results"][0]["score_breakdown"].update(tags=0),
        lambda o: o["results"][0].update(fulfilment=3),
        lambda o: o["results"][0]["conditions"][0].pop("span", None),
        lambda o: o["results"][0]["conditions"][0].update(any=[]),
    ):
        changed = copy.deepcopy(out)
        change(changed)
        assert_schema_bytes_or_refused(changed)
    bad = copy.deepcopy(out)
    bad["results"][0]["conditions"][1] = {"all": [leaf], "verdict": "met"}
    assert _public(bad) is None
    with pytest.raises(ValidationError):
        _serialise(bad)


def test_layout_by_key_order_plan_writes_the_schema_bytes():
    """Dicts holding every declared key (the matcher's shapes) are laid out by a remembered key order."""
    leaf = {
        "source": "s",
        "field": "revenue",
        "op": "gte",
        "value": 1,
        "span": "营业收入",
        "verdict": "met",
        "actual": 2,
    }
    group = {"any": [dict(leaf)], "span": "之一", "verdict": "unknown", "gap": "缺"}
    first = result([leaf, group, dict(leaf, verdict="unmet")], support="10万元", fulfilment=None, bonus=1.5)
    out = {
        "results": [first, dict(first, item_id="p#2")],
        "model": "m",
        "index": "i",
        "counts": {"eligible": 2},
    }
    assert _public(out) is not None
    assert _serialise(out).body == schema_bytes(out)
    for key, wrong in (("title", None), ("score", 1), ("level", 3), ("support", 7)):
        changed = dict(out, results=[dict(first, **{key: wrong})])
        assert _public(changed) is None  # not the fast layout: the schema decides
        assert_schema_bytes_or_refused(changed)
    bad_leaf = dict(out, results=[dict(first, conditions=[dict(leaf, op=None)])])
    assert _public(bad_leaf) is None
