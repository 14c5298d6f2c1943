"""智能匹配: ``POST /v1/match`` for an enterprise (its own id only, with an enterprise key) or an ad-hoc profile.

A stored enterprise's answer is serialised once and kept in the services'
:class:`~api.services.MatchCache` under its profile snapshot, the matcher's
model and index versions, ``top_k``, the levels and the day; the audit row is
written for every request, cached or not.

The answer and its audit row are made in a worker thread under the app's match limiter
(``POLICYMATCH_MATCH_THREADS`` threads, one by default, see :mod:`api.runtime`); the wait for the audit row's group
commit happens outside it, in the event loop (:meth:`api.services.AuditWriter.commit`), so no thread
waits for it and none holds a matching slot meanwhile.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio.to_thread
import pydantic_core
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import MatchCallerDep, ServicesDep
from api.errors import ApiError, not_found
from api.schemas import (
    ConditionVerdictPublic,
    GroupVerdictPublic,
    MatchRequest,
    MatchResponse,
    ResultPublic,
)
from api.security import Principal
from api.services import CachedMatch, Services, audit_event, commit_audit
from api.views import as_dict, profile_fingerprint
from corpus.schemas import validate_profile

router = APIRouter(prefix="/v1", tags=["match"])


def _serialise(out: dict[str, Any]) -> CachedMatch:
    """Keep the answer's published JSON bytes and the audit summary.

    The bytes are what ``MatchResponse.model_validate(out).model_dump_json()`` writes. An answer
    in the shapes the matcher produces is laid out in the schema's order and written by pydantic's
    own JSON writer directly (validating the whole answer cost a first request ≈ 0.5 ms); anything
    else goes through the schema.
    """
    fast = _public(out)
    body = (
        pydantic_core.to_json(fast, inf_nan_mode="null")
        if fast is not None
        else MatchResponse.model_validate(out).model_dump_json().encode()
    )
    results = tuple(
        (str(r.get("policy_id")), str(r.get("item_id")), str(r.get("level"))) for r in out.get("results", [])
    )
    return CachedMatch(body, results)


class _Unexpected(Exception):
    """A value the fast layout does not know: the schema validates the answer instead."""


_VERDICTS = frozenset(("met", "unmet", "unknown"))
# The declared keys of each part of the answer, in the order its schema dumps them (the schema is the one place).
_LEAF = tuple(ConditionVerdictPublic.model_fields)
_GROUP = tuple(GroupVerdictPublic.model_fields)
_RESULT = tuple(ResultPublic.model_fields)
_ANSWER = tuple(MatchResponse.model_fields)


def _text(value: Any) -> str:
    if type(value) is not str:
        raise _Unexpected
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _number(value: Any) -> float:
    if type(value) is not float:
        raise _Unexpected
    return value


def _with_extras(raw: dict[str, Any], laid_out: dict[str, Any], declared: tuple[str, ...]) -> dict[str, Any]:
    """Append the undeclared keys of ``raw`` after the declared fields, in their own order (as ``extra="allow"``)."""
    for key, value in raw.items():
        if key not in declared:
            if type(key) is not str:
                raise _Unexpected
            laid_out[key] = value
    return laid_out


# Key order of the public layout per tuple of a dict's own keys, for dicts holding every declared key
# (None: some key is missing or not a string). An answer's dicts come in a handful of key sets, so
# each is laid out by one comprehension instead of a default per declared field and a pass for extras.
_PLANS: dict[tuple[tuple[str, ...], tuple[Any, ...]], tuple[str, ...] | None] = {}
_MAX_PLANS = 4096


def _plan(declared: tuple[str, ...], keys: tuple[Any, ...]) -> tuple[str, ...] | None:
    """Return the declared keys then the others in their own order, or None unless every declared key is there."""
    found = _PLANS.get((declared, keys), _PLANS)
    if found is not _PLANS:
        return found  # type: ignore[return-value]
    plan: tuple[str, ...] | None = None
    if all(type(k) is str for k in keys) and all(d in keys for d in declared):
        plan = declared + tuple(k for k in keys if k not in declared)
    if len(_PLANS) < _MAX_PLANS:
        _PLANS[(declared, keys)] = plan
    return plan


def _condition(raw: Any) -> dict[str, Any]:
    """Lay out a condition verdict as ``ConditionVerdictPublic`` or ``GroupVerdictPublic`` dumps it."""
    verdict = raw.get("verdict") if type(raw) is dict else None
    if type(verdict) is not str or verdict not in _VERDICTS:
        raise _Unexpected
    if "field" in raw:
        if "any" in raw:
            raise _Unexpected
        plan = _plan(_LEAF, tuple(raw))
        if plan is not None:
            if type(raw["field"]) is not str or type(raw["op"]) is not str or type(raw["span"]) is not str:
                raise _Unexpected
            return {k: raw[k] for k in plan}
        leaf = {
            "field": _text(raw["field"]),
            "op": _text(raw.get("op")),
            "value": raw.get("value"),
            "span": _text(raw.get("span", "")),
            "verdict": raw["verdict"],
            "actual": raw.get("actual"),
        }
        return _with_extras(raw, leaf, _LEAF)
    members = raw.get("any")
    if type(members) is not list or any(type(m) is not dict for m in members):
        raise _Unexpected
    if any(type(k) is not str for m in members for k in m):
        raise _Unexpected
    group = {"any": members, "verdict": raw["verdict"], "span": _text(raw.get("span", ""))}
    return _with_extras(raw, group, _GROUP)


def _result(raw: Any) -> dict[str, Any]:
    """Lay out one result as ``ResultPublic`` dumps it."""
    if type(raw) is not dict:
        raise _Unexpected
    breakdown = raw.get("score_breakdown", {})
    conditions = raw.get("conditions", [])
    gaps = raw.get("gaps", [])
    if type(breakdown) is not dict or type(conditions) is not list or type(gaps) is not list:
        raise _Unexpected
    plan = _plan(_RESULT, tuple(raw))
    if plan is not None:
        for key in ("policy_id", "item_id", "title", "level"):
            _text(raw[key])
        _number(raw["score"])
        for key, value in breakdown.items():
            _text(key)
            _number(value)
        for gap in gaps:
            _text(gap)
        _optional_text(raw["fulfilment"])
        _optional_text(raw["support"])
        laid_out = {k: raw[k] for k in plan}
        laid_out["conditions"] = [_condition(c) for c in conditions]
        return laid_out
    result = {
        "policy_id": _text(raw.get("policy_id")),
        "item_id": _text(raw.get("item_id")),
        "title": _text(raw.get("title")),
        "level": _text(raw.get("level")),
        "score": _number(raw.get("score")),
        "score_breakdown": {_text(k): _number(v) for k, v in breakdown.items()},
        "conditions": [_condition(c) for c in conditions],
        "gaps": [_text(g) for g in gaps],
        "fulfilment": _optional_text(raw.get("fulfilment")),
        "support": _optional_text(raw.get("support")),
    }
    return _with_extras(raw, result, _RESULT)


def _public(out: dict[str, Any]) -> dict[str, Any] | None:
    """Lay out ``out`` as ``MatchResponse.model_validate(out)`` dumps it; None when a value is not as expected."""
    try:
        results = out.get("results")
        if type(results) is not list:
            raise _Unexpected
        answer = {
            "results": [_result(r) for r in results],
            "model": _text(out.get("model")),
            "index": _text(out.get("index")),
        }
        return _with_extras(out, answer, _ANSWER)
    except _Unexpected:
        return None


@router.post("/match", response_model=MatchResponse)
async def match(
    request: Request, body: MatchRequest, principal: MatchCallerDep, services: ServicesDep
) -> Response:
    """Policy items for one enterprise, best first, each with its level, condition verdicts, evidence and gaps."""
    limiter = getattr(request.app.state, "match_limiter", None)  # None without the lifespan: the default pool
    answer, event = await anyio.to_thread.run_sync(
        partial(_answer_and_audit_row, body, principal, services), limiter=limiter
    )
    # The row's commit is awaited here, in the event loop: no thread waits for it and no matching slot is held.
    await commit_audit(services, event)
    return Response(answer.body, media_type="application/json")


def _answer_and_audit_row(
    body: MatchRequest, principal: Principal, services: Services
) -> tuple[CachedMatch, Any]:
    """Return the answer for ``body`` and the audit row that records it (made in the same worker thread)."""
    answer, target, snapshot = _answer(body, principal, services)
    return answer, _audit_event(services, principal, body, target, snapshot, answer)


def _answer(body: MatchRequest, principal: Principal, services: Services) -> tuple[CachedMatch, str, Any]:
    """Compute (or take from the cache) the answer for ``body``; also return the audited target and snapshot."""
    if (body.enterprise_id is None) == (body.profile is None):
        raise ApiError(422, "invalid_request", "Send exactly one of 'enterprise_id' or 'profile'.")
    if body.top_k > services.limits.max_top_k:
        raise ApiError(
            422,
            "invalid_request",
            f"Field 'top_k' must be at most {services.limits.max_top_k}, got {body.top_k}.",
            {"field": "top_k"},
        )
    store, matcher = services.store, services.matcher
    levels = tuple(body.levels)
    if body.enterprise_id is not None:
        principal.require_enterprise(body.enterprise_id)
        target = body.enterprise_id
        snapshot: Any = store.enterprise_snapshot_id(body.enterprise_id)
        if snapshot is None:
            raise not_found("enterprise", body.enterprise_id)
        key = (
            body.enterprise_id,
            snapshot,
            matcher.model_version,
            matcher.index_version,
            body.top_k,
            levels,
            (body.as_of or matcher.today).toordinal(),
        )
        answer = services.match_cache.get(matcher, key)
        if answer is None:
            response = matcher.match(
                enterprise_id=body.enterprise_id, top_k=body.top_k, levels=levels, as_of=body.as_of
            )
            answer = _serialise(as_dict(response))
            services.match_cache.put(matcher, key, answer)
    else:
        assert body.profile is not None
        record = body.profile.record()
        if principal.role == "enterprise":
            # An enterprise key may try "what if" profiles, but only under its own id.
            if record.get("id") not in (None, principal.enterprise_id):
                principal.require_enterprise(str(record["id"]))
            record["id"] = principal.enterprise_id
        record.setdefault("id", "profile")
        record.setdefault("name", "（表单填写的企业）")
        profile = validate_profile(record)
        target = profile.id
        snapshot = profile_fingerprint(profile)
        response = matcher.match(profile=profile.to_dict(), top_k=body.top_k, levels=levels, as_of=body.as_of)
        answer = _serialise(as_dict(response))
    return answer, target, snapshot


def _audit_event(
    services: Services,
    principal: Principal,
    body: MatchRequest,
    target: str,
    snapshot: Any,
    answer: CachedMatch,
) -> Any:
    """Make the audit row of one match: target, profile snapshot, request, each result's policy version."""
    # The version map is re-read from the store at most every VERSIONS_TTL_S: here, in the worker thread.
    versions = services.policy_versions() if answer.results else {}
    return audit_event(
        services,
        principal,
        "match",
        target,
        profile_snapshot=snapshot,
        adhoc_profile=body.profile is not None,
        top_k=body.top_k,
        levels=list(body.levels),
        n_results=len(answer.results),
        results=[
            {"item_id": item_id, "level": level, "policy_version": versions.get(policy_id)}
            for policy_id, item_id, level in answer.results
        ],
    )
