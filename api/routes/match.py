"""智能匹配: ``POST /v1/match`` for an enterprise (its own id only, with an enterprise key) or an ad-hoc profile."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import MatchCallerDep, ServicesDep
from api.errors import ApiError
from api.schemas import MatchRequest, MatchResponse
from api.services import record_audit
from api.views import as_dict, profile_fingerprint, require_enterprise
from corpus.schemas import validate_profile

router = APIRouter(prefix="/v1", tags=["match"])


@router.post("/match", response_model=MatchResponse)
def match(body: MatchRequest, principal: MatchCallerDep, services: ServicesDep) -> dict[str, Any]:
    """Policy items for one enterprise, best first, each with its level, condition verdicts, evidence and gaps."""
    if (body.enterprise_id is None) == (body.profile is None):
        raise ApiError(422, "invalid_request", "Send exactly one of 'enterprise_id' or 'profile'.")
    if body.top_k > services.limits.max_top_k:
        raise ApiError(
            422,
            "invalid_request",
            f"Field 'top_k' must be at most {services.limits.max_top_k}, got {body.top_k}.",
            {"field": "top_k"},
        )
    store = services.store
    if body.enterprise_id is not None:
        principal.require_enterprise(body.enterprise_id)
        require_enterprise(store, body.enterprise_id)
        target = body.enterprise_id
        snapshot: Any = store.enterprise_snapshot_id(body.enterprise_id)
        response = services.matcher.match(
            enterprise_id=body.enterprise_id, top_k=body.top_k, levels=tuple(body.levels)
        )
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
        response = services.matcher.match(
            profile=profile.to_dict(), top_k=body.top_k, levels=tuple(body.levels)
        )
    out = as_dict(response)
    results = out.get("results", [])
    versions = {p.id: p.version for p in store.list_policies()} if results else {}
    record_audit(
        services,
        principal,
        "match",
        target,
        profile_snapshot=snapshot,
        adhoc_profile=body.profile is not None,
        top_k=body.top_k,
        levels=list(body.levels),
        n_results=len(results),
        results=[
            {
                "item_id": r.get("item_id"),
                "level": r.get("level"),
                "policy_version": versions.get(r.get("policy_id")),
            }
            for r in results
        ],
    )
    return out
