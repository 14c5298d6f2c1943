"""Enterprises: upsert and merge-patch (admin), search and read (an enterprise key sees only itself)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.deps import AdminDep, PrincipalDep, ServicesDep
from api.errors import ApiError, validation_error
from api.schemas import EnterpriseCreate, EnterpriseList, EnterpriseProfileIn, EnterpriseUpserted
from api.services import Services, record_audit
from api.views import require_enterprise
from corpus import reference
from corpus.merge import merge_profile
from corpus.schemas import validate_profile

#: Content types ``PATCH /v1/enterprises/{id}`` reads as a JSON merge patch (RFC 7396).
MERGE_PATCH_TYPES = ("application/merge-patch+json", "application/json")

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
    services.changed(enterprises=[profile.id])
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
    _check_path_id(record, enterprise_id)
    record["id"] = enterprise_id
    return _upsert(services, principal, record)


def _check_path_id(record: dict[str, Any], enterprise_id: str) -> None:
    """422 when the body names another enterprise than the path (a body without ``id`` is the path's)."""
    if record.get("id") not in (None, enterprise_id):
        raise ApiError(
            422,
            "invalid_request",
            f"Field 'id' is {record['id']!r} but the path names enterprise {enterprise_id!r}.",
            {"field": "id"},
        )


async def merge_patch_body(request: Request) -> dict[str, Any]:
    """Read the body of a PATCH as a JSON merge patch: 415 for another content type, 422 unless a JSON object."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in MERGE_PATCH_TYPES:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Send the patch as {' or '.join(MERGE_PATCH_TYPES)}, not {media_type or 'no content type'}.",
        )
    raw = await request.body()
    try:
        patch = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(422, "invalid_request", f"The request body is not valid JSON ({exc}).") from None
    if not isinstance(patch, dict):
        raise ApiError(
            422,
            "invalid_request",
            f"A merge patch of an enterprise must be a JSON object of fields, got {type(patch).__name__}.",
        )
    return patch


@router.patch("/{enterprise_id}", response_model=EnterpriseUpserted)
def patch_enterprise(
    enterprise_id: str,
    principal: AdminDep,
    services: ServicesDep,
    patch: Annotated[dict[str, Any], Depends(merge_patch_body)],
) -> dict[str, Any]:
    """Change some fields of a stored profile (JSON merge patch, RFC 7396): named fields change, ``null`` clears one.

    Fields the patch does not name keep their stored values; the result is validated as a
    whole profile, kept as a new snapshot, and reaches every serving process from the change feed.
    """
    try:  # the same field rules as a whole profile (types, lengths, no unknown fields)
        EnterpriseProfileIn.model_validate(patch)
    except pydantic.ValidationError as exc:
        raise validation_error(list(exc.errors())) from None
    _check_path_id(patch, enterprise_id)
    store = services.store
    with services.write_lock:  # read, merge and write with no other write of this process between
        stored = require_enterprise(store, enterprise_id)
        profile = merge_profile(stored, {k: v for k, v in patch.items() if k != "id"})
        counts = store.upsert_enterprises([profile], action="patch")
    services.changed(enterprises=[enterprise_id])
    before, after = stored.to_dict(), profile.to_dict()
    changed = sorted(k for k in after if before.get(k) != after.get(k))
    record_audit(
        services,
        principal,
        "enterprise.patch",
        enterprise_id,
        profile_snapshot=store.enterprise_snapshot_id(enterprise_id),
        fields=changed,
        before={k: before.get(k) for k in changed},
        after={k: after.get(k) for k in changed},
        updated=counts.updated,
    )
    return EnterpriseUpserted(id=enterprise_id, created=False, profile=after).model_dump()


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
