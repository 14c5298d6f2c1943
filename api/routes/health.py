"""``/healthz`` (liveness) and ``/readyz`` (store open, index loaded, model loaded)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.schemas import Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers (in the event loop: no worker thread to wait for under load)."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request) -> JSONResponse:
    """Readiness: the store answers, the index and the model are loaded (503 otherwise)."""
    services = getattr(request.app.state, "services", None)
    checks = {"store": False, "index": False, "model": False}
    model = index = None
    feed = events = None
    if services is not None:
        if getattr(services, "dispatcher", None) is not None:
            events = services.dispatcher.status()
        elif getattr(services, "events_board", None) is not None:
            events = services.events_board.read()  # pre-forked: the events process's status
        if services.tailer is not None:
            feed = services.tailer.status()
        try:
            services.store.schema_version()
            checks["store"] = True
        except Exception:  # noqa: BLE001 - any failure means not ready
            checks["store"] = False
        index = services.index_version or None
        model = services.model_version or None
        checks["index"] = bool(index)
        checks["model"] = bool(model)
    ready = all(checks.values())
    body = Readiness(ready=ready, checks=checks, model=model, index=index, feed=feed, events=events)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
