"""闭环反馈: ``POST /v1/feedback`` (enterprise for itself, push, admin), stored with the result it refers to."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import AnalystDep, FeedbackCallerDep, ServicesDep
from api.errors import ApiError
from api.schemas import FeedbackCreate, FeedbackPublic
from api.services import record_audit
from api.views import require_enterprise

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])


@router.post("", status_code=201, response_model=FeedbackPublic)
def create_feedback(
    body: FeedbackCreate, principal: FeedbackCallerDep, services: ServicesDep
) -> JSONResponse:
    """Record one judgement of a result; the result as judged now (level, verdicts, gaps, versions) goes with it."""
    store = services.store
    principal.require_enterprise(body.enterprise_id)
    profile = require_enterprise(store, body.enterprise_id)
    item = store.get_item(body.item_id)
    if item is None:
        raise ApiError(404, "item_not_found", f"Unknown item id {body.item_id!r}.", {"item_id": body.item_id})
    # The matcher's own judgement (semantic conditions included), as a match would have shown it.
    verdict = services.matcher.explain(item.id, profile.id)
    stored = store.get_policy(item.policy_id)
    result = {
        "policy_id": item.policy_id,
        "item_id": item.id,
        "title": item.title,
        "level": verdict.level,
        "conditions": [r.to_dict() for r in verdict.results],
        "gaps": verdict.gaps,
        "policy_version": stored.document.version if stored else None,
        "profile_snapshot": store.enterprise_snapshot_id(body.enterprise_id),
        "model_version": services.model_version or None,
        "index_version": services.index_version or None,
    }
    feedback = store.add_feedback(body.enterprise_id, body.item_id, body.kind, body.rating, body.comment)
    record_audit(
        services,
        principal,
        "feedback",
        body.item_id,
        policy_version=result["policy_version"],
        profile_snapshot=result["profile_snapshot"],
        feedback_id=feedback.id,
        enterprise_id=body.enterprise_id,
        kind=body.kind,
        result=result,
    )
    out = FeedbackPublic(**asdict(feedback), result=result)
    return JSONResponse(out.model_dump(), status_code=201)


@router.get("")
def list_feedback(
    principal: AnalystDep,
    services: ServicesDep,
    since: Annotated[str | None, Query(max_length=40, description="ISO time; only feedback after it")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Feedback in the order it came, each with the result it referred to (analyst, admin)."""
    store = services.store
    feedback_rows = []
    for feedback in store.iter_feedback(since=since):
        feedback_rows.append(feedback)
        if len(feedback_rows) >= limit:
            break
    results: dict[Any, Any] = {}
    if feedback_rows:
        # Each feedback's audit row is written just after it, so reading from the first one's time finds them all.
        events = store.query_audit(action="feedback", since=feedback_rows[0].created_at, limit=1_000_000)
        results = {event.details.get("feedback_id"): event.details.get("result") for event in events}
    record_audit(
        services,
        principal,
        "feedback.read",
        since or "",
        returned=sorted({f.enterprise_id for f in feedback_rows}),
    )
    return {
        "data": [
            {
                "id": f.id,
                "enterprise_id": f.enterprise_id,
                "item_id": f.item_id,
                "kind": f.kind,
                "rating": f.rating,
                "comment": f.comment,
                "created_at": f.created_at,
                "result": results.get(f.id),
            }
            for f in feedback_rows
        ]
    }
