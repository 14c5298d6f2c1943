"""A target page written without validating it is the bytes ``TargetPage`` dumps (issues 17 and 19).

The route lays the rows out once (:func:`matcher.answer.targets_layout`) and writes them by orjson
when every typed value is as the schema dumps it; these tests hold that to the schema's own dump of
the rows' former dicts (the row's v2 extras first, then its own keys, the risk note last).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from api_helpers import LEVELS_ALL, auth
from pydantic import ValidationError
from test_conditions_v2 import ITEM, V2
from test_match_serialise import GAPS, LEAF, MEMBER, VERDICTS

from api.schemas import TargetPage
from api.views import published_json
from corpus.conditions import ConditionResult, Group
from matcher.answer import targets_layout
from matcher.eligibility import Gap
from matcher.targets import TargetRow

RISK = {"colour": "yellow", "reasons": [{"code": "r", "text": "理由"}], "already": []}


def former_dict(row: TargetRow, risk: dict[str, Any] | None) -> dict[str, Any]:
    """The row's dict as ``TargetRow.to_dict`` and the page wrote it before v27 (extras first, risk added last)."""
    return {
        **row.extras,
        "enterprise_id": row.enterprise_id,
        "name": row.name,
        "policy_id": row.policy_id,
        "item_id": row.item_id,
        "level": row.level,
        "score": round(row.score, 6),
        "score_breakdown": {k: round(v, 6) for k, v in row.score_breakdown.items()},
        "conditions": [c.to_dict() for c in row.conditions],
        "gaps": [g.text for g in row.gaps],
        "flags": list(row.flags),
        "excluded": row.excluded,
        "rank": row.rank,
        "fulfilment": row.fulfilment,
        "support": row.support,
        "risk": risk,
    }


def page_of(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data": data,
        "next_cursor": None,
        "total": len(data),
        "model": "m",
        "index": "i",
        "counts": {"x": 1},
    }


def schema_bytes(page: dict[str, Any]) -> bytes:
    """The plain path: validate against the published schema, then dump (what FastAPI's response_model did)."""
    return TargetPage.model_validate(page).model_dump_json().encode()


def row(**changed: Any) -> TargetRow:
    """One row in the matcher's shape: the verdict shapes of the answer's test (``VERDICTS``), extras, no fulfilment."""
    fields: dict[str, Any] = {
        "enterprise_id": "E1",
        "name": "台州某公司",
        "policy_id": "p",
        "item_id": "p#1",
        "level": "need_info",
        "score": 0.123456789,
        "score_breakdown": {"rules": 0.5, "dense": float("nan")},
        "conditions": VERDICTS,
        "gaps": GAPS,
        "flags": ("失信",),
        "excluded": False,
        "rank": 3,
        "fulfilment": None,
        "support": "10万元",
        "extras": {"tier": None, "bonus": [], "window": ["2024-01-01", None]},
    }
    fields.update(changed)
    return TargetRow(**fields)


def test_real_pages_with_groups_roles_and_tiers_are_the_schema_bytes(client, keys, services):
    assert client.put(ITEM, json=V2, headers=auth(keys["admin"])).status_code == 200
    seen_group = seen_tier = seen_risk = False
    for summary in services.store.list_policies():
        for item in services.store.get_policy(summary.id).items:
            url = f"/v1/policies/{summary.id}/targets?item_id={quote(item.id)}&limit=500&levels={','.join(LEVELS_ALL)}"
            response = client.get(url, headers=auth(keys["push"]))
            assert response.status_code == 200
            page = json.loads(response.content)
            rows = services.matcher.targets(summary.id, item.id, LEVELS_ALL, 0, 500).rows
            former = [former_dict(r, d["risk"]) for r, d in zip(rows, page["data"], strict=True)]
            assert response.content == schema_bytes({**page, "data": former})
            laid_out, typed = targets_layout(rows)
            assert typed  # written without the schema
            assert laid_out == [r.to_dict() for r in rows]  # the rows' own dicts are the page's layout
            assert [{k: v for k, v in d.items() if k != "risk"} for d in page["data"]] == json.loads(
                json.dumps(laid_out)
            )
            for laid in laid_out:
                seen_group |= any("any" in c for c in laid["conditions"])
                seen_tier |= laid.get("tier") is not None
            seen_risk |= any(d["risk"]["colour"] for d in page["data"])
    assert seen_group and seen_tier and seen_risk


def test_the_layout_is_the_schemas_key_order():
    rows = [row(), row(enterprise_id="E2", rank=4, extras={})]
    data, typed = targets_layout(rows, risk=True)
    assert typed
    for laid in data:
        laid["risk"] = RISK
    body = published_json(page_of(data), typed, TargetPage)
    assert body == schema_bytes(page_of([former_dict(r, RISK) for r in rows]))
    assert list(json.loads(body)["data"][0]) == [*data[0]]
    assert list(json.loads(body)) == ["data", "next_cursor", "total", "model", "index", "counts"]


@pytest.mark.parametrize(
    "changed",
    [
        {"score": 1},  # an int the schema turns into 1.0
        {"score_breakdown": {"rules": 1.0, "dense": 0}},
        {"score_breakdown": {1: 1.0}},  # a key not a string
        {"name": None},
        {"item_id": None},
        {"fulfilment": 3},
        {"support": 7},
        {"gaps": (Gap("revenue", "unknown", 5),)},  # type: ignore[arg-type]
        {"conditions": (ConditionResult(LEAF, "maybe", 2),)},  # type: ignore[arg-type]
        {"conditions": (ConditionResult(Group("all", (MEMBER,)), "met", members=()),)},
        {"conditions": (ConditionResult(LEAF, "met", 2**70),)},  # past 64 bits: orjson refuses it
        {"extras": {1: "x"}},
        {"extras": {"rank": 99, "level": "shadow", "tier": None}},  # extras named as keys of the row
        {"extras": {"risk": "extra"}},
    ],
)
def test_values_outside_the_fast_layout_are_the_schemas_bytes_or_refused(changed):
    one = row(**changed)
    try:
        want = schema_bytes(page_of([former_dict(one, RISK)]))
    except ValidationError:
        want = None
    data, typed = targets_layout([one], risk=True)
    data[0]["risk"] = RISK
    if want is None:
        with pytest.raises(ValidationError):
            published_json(page_of(data), typed, TargetPage)
        return
    assert published_json(page_of(data), typed, TargetPage) == want
