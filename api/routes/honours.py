"""Honour lists (荣誉认定名单): import as qualification grants, list, show, reverse (admin); grants of an enterprise."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from api.deps import AdminDep, AnalystDep, PrincipalDep, ServicesDep
from api.errors import ApiError
from api.schemas import HonourImportIn, HonourReverseIn
from api.services import record_audit
from api.views import require_enterprise
from corpus.honours import KIND, HonourImportError, honour_rows, import_honours, reverse_import

router = APIRouter(prefix="/v1", tags=["honours"])


@router.post("/honours/imports", status_code=201)
def create_import(body: HonourImportIn, principal: AdminDep, services: ServicesDep) -> JSONResponse:
    """Grant each row's title to its enterprise (统一社会信用代码 first, exact name second); unmatched rows are reported."""
    defaults = body.model_dump(include={"title", "level", "year", "issuer", "expires"})
    rows, errors = honour_rows(
        ((n, row.model_dump(exclude_none=True)) for n, row in enumerate(body.rows, start=1)),
        body.source,
        defaults,
    )
    with services.write_lock:
        report = import_honours(
            services.store,
            rows,
            actor=principal.key_id,
            source=body.source,
            errors=errors,
            dry_run=body.dry_run,
        )
    if report.import_id is not None:
        record = services.store.get_import(report.import_id)
        services.changed(enterprises=[r.enterprise_id for r in record.rows] if record else [])
    return JSONResponse(report.to_dict(), status_code=201 if report.import_id else 200)


@router.get("/honours/imports")
def list_imports(
    principal: AnalystDep, services: ServicesDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """Honour imports, newest first (admin, analyst)."""
    return {"data": [r.to_dict() for r in services.store.list_imports(KIND, limit=limit)]}


@router.get("/honours/imports/{import_id}")
def get_import(import_id: str, principal: AnalystDep, services: ServicesDep) -> dict[str, Any]:
    """One import: its summary (unmatched rows included) and the grants per enterprise (admin, analyst)."""
    record = services.store.get_import(import_id)
    if record is None or record.kind != KIND:
        raise ApiError(404, "not_found", f"No honour import {import_id!r}.")
    return record.to_dict(rows=True)


@router.post("/honours/imports/{import_id}/reverse")
def reverse(
    import_id: str,
    principal: AdminDep,
    services: ServicesDep,
    body: Annotated[HonourReverseIn | None, Body()] = None,
) -> dict[str, Any]:
    """Put every profile the import changed back as it was (409 when some changed since, unless ``force``)."""
    force = bool(body and body.force)
    record = services.store.get_import(import_id)
    if record is None or record.kind != KIND:
        raise ApiError(404, "not_found", f"No honour import {import_id!r}.")
    try:
        with services.write_lock:
            report = reverse_import(services.store, import_id, actor=principal.key_id, force=force)
    except HonourImportError as exc:
        message = str(exc)
        raise ApiError(409, "conflict", message[0].upper() + message[1:].rstrip(".") + ".") from None
    services.changed(enterprises=report.restored)
    return report.to_dict()


@router.get("/enterprises/{enterprise_id}/grants")
def grants(enterprise_id: str, principal: PrincipalDep, services: ServicesDep) -> dict[str, Any]:
    """List the qualification grants honour imports gave an enterprise (an enterprise key may read only its own)."""
    principal.require_enterprise(enterprise_id)
    require_enterprise(services.store, enterprise_id)
    found = services.store.import_grants(enterprise_id, KIND)
    record_audit(services, principal, "enterprise.grants.read", enterprise_id, returned=len(found))
    return {"data": found}
