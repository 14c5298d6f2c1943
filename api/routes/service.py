"""The service itself: who am I, the audit trail, the index rebuild, the model registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import AdminDep, AnalystDep, PrincipalDep, ServicesDep
from api.runtime import settle_heap
from api.schemas import RebuildPublic
from api.services import record_audit

router = APIRouter(prefix="/v1", tags=["service"])


@router.get("/whoami")
def whoami(principal: PrincipalDep, services: ServicesDep) -> dict[str, Any]:
    """Return the caller's key id, role and bound enterprise; ``open`` when the service runs without keys."""
    out = principal.to_dict()
    out["model"] = services.model_version
    out["index"] = services.index_version
    return out


@router.get("/audit")
def audit(
    principal: AnalystDep,
    services: ServicesDep,
    actor: Annotated[str | None, Query(max_length=64, description="key id")] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    target: Annotated[str | None, Query(max_length=200, description="policy, item or enterprise id")] = None,
    since: Annotated[str | None, Query(max_length=40, description="ISO time")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Audit rows, newest first (admin, analyst); refusals counted so far are written first, so they show."""
    if services.refusals is not None:
        services.refusals.flush()
    events = services.store.query_audit(actor=actor, action=action, target=target, since=since, limit=limit)
    return {"data": [event.to_dict() for event in events]}


@router.post("/index/rebuild", response_model=RebuildPublic)
def rebuild_index(principal: AdminDep, services: ServicesDep) -> dict[str, Any]:
    """Build a new index version from the store and switch to it atomically (admin)."""
    previous = services.index_version
    services.matcher.encode_items()  # the slow part first, while writes still go through
    with services.write_lock:
        services.matcher.rebuild_index()
    settle_heap()  # the new index's objects leave later collections, as at startup
    record_audit(services, principal, "index.switch", services.index_version, previous_index=previous)
    return {
        "index": services.index_version,
        "previous_index": previous or None,
        "model": services.model_version,
    }


@router.get("/models")
def models(principal: AnalystDep, services: ServicesDep) -> dict[str, Any]:
    """List the model registry's versions, the active one and the one being served (analyst, admin)."""
    from models.registry import ModelRegistry

    registry = ModelRegistry(services.settings.models_dir)
    versions = [
        {k: v for k, v in version.to_dict().items() if k != "files"} for version in registry.versions()
    ]
    try:
        active = registry.active().version
    except (LookupError, ValueError, OSError):
        active = None
    return {"data": versions, "active": active, "served": services.model_version}
