"""智能匹配: ``POST /v1/match`` for an enterprise (its own id only, with an enterprise key) or an ad-hoc profile.

A stored enterprise's answer is serialised once and kept in the services'
:class:`~api.services.MatchCache` under its profile snapshot, the matcher's
model and index versions, ``top_k``, the levels and the day; the audit row is
written for every request, cached or not.

The answer and its audit row are made in a thread of the app's :class:`~api.runtime.MatchPool`
(``POLICYMATCH_MATCH_THREADS`` threads, one by default); the thread hands the row to the group commit
(:meth:`api.services.AuditWriter.submit`) and is free for the next request at once, and the request's
coroutine awaits one future, resolved when the row is committed: no thread waits for the commit,
none holds a matching slot meanwhile, and the event loop wakes once per request for both.
"""

from __future__ import annotations

import asyncio
import contextvars
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import MatchCallerDep, ServicesDep
from api.errors import ApiError, not_found
from api.runtime import match_pool
from api.schemas import MatchRequest, MatchResponse
from api.security import Principal
from api.services import CachedMatch, Services, audit_event, submit_audit
from api.views import as_dict, profile_fingerprint, published_json
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
    body = published_json(out, typed, MatchResponse)
    results = tuple(
        (str(r.get("policy_id")), str(r.get("item_id")), str(r.get("level"))) for r in out.get("results", [])
    )
    return CachedMatch(body, results)


@router.post("/match", response_model=MatchResponse)
async def match(
    request: Request, body: MatchRequest, principal: MatchCallerDep, services: ServicesDep
) -> Response:
    """Policy items for one enterprise, best first, each with its level, condition verdicts, evidence and gaps."""
    loop = asyncio.get_running_loop()
    answered: asyncio.Future[CachedMatch] = loop.create_future()
    work = partial(_answer_audited, body, principal, services, partial(_resolve, loop, answered))
    pool = match_pool(request.app.state, request.app.state.settings.match_threads)  # made by the lifespan
    pool.submit(partial(contextvars.copy_context().run, work))
    # Resolved once the row is committed (or the answer or the row failed): the answer waits for its row.
    answer = await answered
    return Response(answer.body, media_type="application/json")


def _answer_audited(body: MatchRequest, principal: Principal, services: Services, resolve: Any) -> None:
    """In a matching thread: make the answer and its audit row, hand the row on, ``resolve`` once it is committed."""
    try:
        answer, event = _answer_and_audit_row(body, principal, services)
    except BaseException as exc:  # noqa: BLE001 - answered by the awaiting request (an ApiError: 404, 403, 422)
        resolve(None, exc)
        return
    submit_audit(services, event, partial(resolve, answer))


def _resolve(
    loop: asyncio.AbstractEventLoop,
    answered: asyncio.Future[CachedMatch],
    answer: CachedMatch | None,
    error: BaseException | None,
) -> None:
    """From any thread: settle the request's future in its event loop with ``answer`` or ``error``."""
    try:
        loop.call_soon_threadsafe(_settle, answered, answer, error)
    except RuntimeError:  # the loop is closed (the server stopped): no one is left to answer
        pass


def _settle(
    answered: asyncio.Future[CachedMatch], answer: CachedMatch | None, error: BaseException | None
) -> None:
    """In the event loop: give the awaiting request its answer or error (unless it was cancelled meanwhile)."""
    if answered.done():
        return
    if error is not None:
        answered.set_exception(error)
    else:
        assert answer is not None
        answered.set_result(answer)


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
