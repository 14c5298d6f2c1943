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
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import MatchCallerDep, ServicesDep
from api.errors import ApiError, not_found
from api.schemas import MatchRequest, MatchResponse
from api.security import Principal
from api.services import CachedMatch, Services, audit_event, commit_audit
from api.views import as_dict, profile_fingerprint
from corpus.schemas import validate_profile
from matcher.answer import answer_layout
from matcher.matching import MatchResponse as MatchAnswer

router = APIRouter(prefix="/v1", tags=["match"])


def answer_bytes(response: Any) -> CachedMatch:
    """Keep the answer's published JSON bytes and the audit summary.

    The bytes are what ``MatchResponse.model_validate(out).model_dump_json()`` writes for the
    answer's dict ``out``. The matcher's answer is laid out once, in the schema's key order
    (:func:`matcher.answer.answer_layout`, the same dict as its ``to_dict``), and written by orjson
    without validating it (validating the whole answer cost a first request ≈ 0.5 ms) when every
    typed value is as the schema dumps it; anything else goes through the schema.
    """
    if isinstance(response, MatchAnswer):
        out, typed = answer_layout(response)
    else:
        out, typed = as_dict(response), False
    body = None
    if typed:
        try:
            body = orjson.dumps(out)  # the schema's bytes: compact, UTF-8, NaN and infinities as null
        except orjson.JSONEncodeError:  # an integer past 64 bits, a key not a string: the schema decides
            body = None
    if body is None:
        body = MatchResponse.model_validate(out).model_dump_json().encode()
    results = tuple(
        (str(r.get("policy_id")), str(r.get("item_id")), str(r.get("level"))) for r in out.get("results", [])
    )
    return CachedMatch(body, results)


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
            answer = answer_bytes(response)
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
        answer = answer_bytes(response)
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
