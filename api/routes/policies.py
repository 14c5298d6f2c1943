"""Policies: ingest (admin), read (any role), a person's correction of an item's conditions (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import AdminDep, PrincipalDep, ServicesDep
from api.errors import ApiError
from api.schemas import ConditionsUpdate, PolicyCreate, PolicyList, PolicyPublic
from api.services import record_audit
from api.views import conditions_from, item_view, policy_view, require_item, require_policy
from corpus.schemas import validate_policy

router = APIRouter(prefix="/v1/policies", tags=["policies"])


@router.post("", status_code=201, response_model=PolicyPublic)
def create_policy(body: PolicyCreate, principal: AdminDep, services: ServicesDep) -> JSONResponse:
    """Ingest one policy document: split, extract, store (re-posting an id makes a new version)."""
    from matcher.ingest import IngestFailed, ingest_policies

    record = body.model_dump(mode="json", exclude_none=True)
    limits = services.limits
    if len(body.text) > limits.max_policy_text_chars:
        raise ApiError(
            422,
            "invalid_request",
            f"Field 'text' is too long: {len(body.text)} characters, the limit is {limits.max_policy_text_chars}.",
            [{"field": "text", "type": "string_too_long", "max_chars": limits.max_policy_text_chars}],
        )
    document = validate_policy(record)  # domain checks (region code, dates) answer 422 before any work
    store = services.store
    # Split and extract in a worker process, before the write lock: a long document holds up no other request.
    try:
        assert services.extraction is not None
        prepared = services.extraction.prepare(
            document,
            budget_s=limits.extraction_budget_s,
            max_chars=limits.max_policy_text_chars,
            home_region=getattr(services.settings, "home_region", None),
        )
    except ValueError as exc:
        raise ApiError(
            422, "invalid_policy", f"The policy could not be ingested: {exc}.", {"field": "text"}
        ) from None
    with services.write_lock:
        previous = store.get_policy(body.id)
        try:
            ingest_policies(store, [prepared], strict=True, progress=False)
        except IngestFailed as exc:
            errors = [str(e) for e in exc.report.errors]
            first = errors[0] if errors else str(exc)
            raise ApiError(
                422, "invalid_policy", f"The policy could not be ingested: {first}.", errors
            ) from None
    services.changed(policies=[body.id])
    stored = require_policy(store, body.id)
    record_audit(
        services,
        principal,
        "policy.ingest",
        body.id,
        policy_version=stored.document.version,
        previous_version=previous.document.version if previous else None,
        n_items=len(stored.items),
        stale_edits=len(store.stale_edits(body.id)),
    )
    return JSONResponse(policy_view(store, stored), status_code=201 if previous is None else 200)


@router.get("", response_model=PolicyList)
def list_policies(
    principal: PrincipalDep,
    services: ServicesDep,
    q: Annotated[str | None, Query(max_length=100, description="filter by title or id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """Every policy (id, title, version, number of items), most recently updated first."""
    rows = services.store.list_policies()
    if q:
        rows = [r for r in rows if q in r.title or q in r.id]
    return {
        "data": [
            {
                "id": r.id,
                "title": r.title,
                "version": r.version,
                "n_items": r.n_items,
                "region_code": r.region_code,
                "department": r.department,
                "issued": r.issued,
                "fulfilment": r.fulfilment,
            }
            for r in rows[:limit]
        ],
        "total": len(rows),
    }


@router.get("/{policy_id}", response_model=PolicyPublic)
def get_policy(policy_id: str, principal: PrincipalDep, services: ServicesDep) -> dict[str, Any]:
    """Return the policy, its items, tags and conditions (``source``: extracted or edited)."""
    return policy_view(services.store, require_policy(services.store, policy_id))


@router.put("/{policy_id}/items/{item_id}/conditions")
def put_conditions(
    policy_id: str, item_id: str, body: ConditionsUpdate, principal: AdminDep, services: ServicesDep
) -> dict[str, Any]:
    """Store a person's correction of an item's conditions; it follows the item's text through re-ingests."""
    store = services.store
    stored = require_policy(store, policy_id)
    item = require_item(store, policy_id, item_id)
    conditions = conditions_from(body.conditions, source="edited", tiers=body.tiers)
    before = [c.to_dict() for c in store.item_conditions(item_id)]
    with services.write_lock:
        store.set_item_conditions(item_id, conditions, source="edited")
    services.changed(policies=[policy_id])
    after = [c.to_dict() for c in store.item_conditions(item_id)]
    record_audit(
        services,
        principal,
        "conditions.edit",
        item_id,
        policy_version=stored.document.version,
        policy_id=policy_id,
        before=before,
        after=after,
        note=body.note,
    )
    return item_view(store, item)


@router.delete("/{policy_id}/items/{item_id}/conditions")
def reset_conditions(
    policy_id: str, item_id: str, principal: AdminDep, services: ServicesDep
) -> dict[str, Any]:
    """Drop a person's correction so the extracted conditions apply again."""
    store = services.store
    stored = require_policy(store, policy_id)
    item = require_item(store, policy_id, item_id)
    with services.write_lock:
        cleared = store.clear_edited_conditions(item_id)
    services.changed(policies=[policy_id])
    record_audit(
        services,
        principal,
        "conditions.reset",
        item_id,
        policy_version=stored.document.version,
        policy_id=policy_id,
        cleared=cleared,
    )
    return item_view(store, item)
