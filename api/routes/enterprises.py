"""Enterprises: upsert (admin), search and read (an enterprise key sees only itself)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from api.deps import AdminDep, PrincipalDep, ServicesDep
from api.errors import ApiError
from api.schemas import EnterpriseCreate, EnterpriseList, EnterpriseProfileIn, EnterpriseUpserted
from api.services import Services, record_audit
from api.views import require_enterprise
from corpus import reference
from corpus.schemas import validate_profile

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])


def _upsert(services: Services, principal: Any, record: dict[str, Any]) -> JSONResponse:
    profile = validate_profile(record)
    # The answer is made before the write: a profile whose answer cannot be written (a value no JSON
    # carries) is refused with nothing stored, never answered 500 with the write committed.
    try:
        answer = profile.to_dict()
        json.dumps(answer, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ApiError(422, "invalid_profile", f"The profile cannot be stored: {exc}.") from None
    store = services.store
    with services.write_lock:
        if profile.uscc:
            holders = [h for h in store.uscc_holders(profile.uscc) if h != profile.id]
            if holders:
                # One legal person, one record: the code already names another record (merging is an admin action).
                raise ApiError(
                    409,
                    "uscc_conflict",
                    f"The 统一社会信用代码 {profile.uscc} is already held by enterprise {holders[0]!r}; "
                    f"update that record or merge the two (POST /v1/enterprises/{{id}}/merge).",
                    {"field": "uscc", "holder": holders[0], "holders": holders},
                )
        counts = store.upsert_enterprises([profile])
        services.matcher.enterprise_changed([profile.id])
    services.directory_changed()
    snapshot = store.enterprise_snapshot_id(profile.id)
    record_audit(
        services,
        principal,
        "enterprise.upsert",
        profile.id,
        profile_snapshot=snapshot,
        inserted=counts.inserted,
        updated=counts.updated,
    )
    body = EnterpriseUpserted(id=profile.id, created=bool(counts.inserted), profile=answer)
    return JSONResponse(body.model_dump(), status_code=201 if counts.inserted else 200)


@router.post("", status_code=201, response_model=EnterpriseUpserted)
def create_enterprise(body: EnterpriseCreate, principal: AdminDep, services: ServicesDep) -> JSONResponse:
    """Insert or replace a profile (enterprise_profile.md); a changed profile keeps the previous as a snapshot."""
    return _upsert(services, principal, body.record())


@router.put("/{enterprise_id}", response_model=EnterpriseUpserted)
def put_enterprise(
    enterprise_id: str, body: EnterpriseProfileIn, principal: AdminDep, services: ServicesDep
) -> JSONResponse:
    """Replace the profile of ``enterprise_id`` (the body's id, when given, must agree)."""
    record = body.record()
    if record.get("id") not in (None, enterprise_id):
        raise ApiError(
            422,
            "invalid_request",
            f"Field 'id' is {record['id']!r} but the path names enterprise {enterprise_id!r}.",
            {"field": "id"},
        )
    record["id"] = enterprise_id
    return _upsert(services, principal, record)


@router.get("", response_model=EnterpriseList)
def list_enterprises(
    principal: PrincipalDep,
    services: ServicesDep,
    q: Annotated[str | None, Query(max_length=100, description="part of the name or id")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
) -> dict[str, Any]:
    """Search stored enterprises by name or id (an enterprise key finds only itself)."""
    rows = services.enterprise_directory()
    if principal.role == "enterprise":
        rows = [r for r in rows if r[0] == principal.enterprise_id]
    if q:
        needle = q.strip()
        rows = [r for r in rows if needle in r[0] or needle in r[1]]
    # Every read of enterprise data is recorded (PIPL Art. 51/54): which enterprises this caller saw.
    record_audit(services, principal, "enterprise.list", q or "", returned=[r[0] for r in rows[:limit]])
    return {
        "data": [
            {
                "id": eid,
                "name": name,
                "region_code": region,
                "region_name": reference.region_name(region) if region else None,
                "industry_code": industry,
                "industry_name": reference.industry_name(industry) if industry else None,
            }
            for eid, name, region, industry in rows[:limit]
        ],
        "total": len(rows),
    }


@router.get("/{enterprise_id}")
def get_enterprise(enterprise_id: str, principal: PrincipalDep, services: ServicesDep) -> dict[str, Any]:
    """One stored profile with its current snapshot id (an enterprise key may read only its own)."""
    principal.require_enterprise(enterprise_id)
    profile = require_enterprise(services.store, enterprise_id)
    out = profile.to_dict()
    out["snapshot_id"] = services.store.enterprise_snapshot_id(enterprise_id)
    record_audit(services, principal, "enterprise.read", enterprise_id, profile_snapshot=out["snapshot_id"])
    return out
