"""The FastAPI application factory.

``create_app(settings)`` opens model, store and index under the data
directory when the app starts (``policymatch serve``); tests and embedders
pass ready :class:`~api.services.Services` instead. Routes live one file per
resource in ``api/routes/``; errors are answered in the contract's shape by
:mod:`api.errors`; the pages are assembled from ``api/templates/`` (:mod:`api.pages`), their scripts and
styles are static files under ``api/static/``.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from api.errors import install_error_handlers
from api.limits import BodySizeLimit, Limits
from api.logs import RequestLog
from api.pages import render_all
from api.routes import enterprises, events, feedback, health, honours, match, policies, risk, service, targets
from api.runtime import MatchPool, responsive_switching, settle_heap, warm_up
from api.services import Services, open_services
from api.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"
# swagger-ui 5 (OpenAPI 3.1) as shipped in the fastapi-offline package: /docs loads nothing from elsewhere.
DOCS_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
# The pages load only their own scripts and styles (no inline code), so a strict policy costs nothing.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
log = logging.getLogger("policymatch.api")


def create_app(
    settings: Settings,
    services: Services | None = None,
    *,
    limits: Limits | None = None,
    heap_settled: bool = False,
) -> FastAPI:
    """Build the HTTP app over the data directory named by ``settings`` (or over ready ``services``).

    ``heap_settled``: the heap was frozen before this process was forked (``api.prefork``);
    collecting again would write to every shared page, so startup leaves it as it is.
    """
    limits = services.limits if services is not None else (limits or Limits.from_settings(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = None
        if getattr(app.state, "services", None) is None:
            opened = open_services(settings, limits=limits, prepare=False)
            app.state.services = opened
            if opened.extraction is not None:
                # A real server starts its extraction workers now, beside serving (they take a few seconds).
                threading.Thread(target=opened.extraction.warm, name="policymatch-warm", daemon=True).start()
        app.state.services.start_feed()  # writes made by other processes reach this one from here on
        pool = app.state.match_pool = MatchPool(settings.match_threads)
        # The first request would otherwise load jieba's dictionary (~1 s) and build the index arrays.
        warm_up(getattr(app.state.services, "matcher", None))
        responsive_switching()  # health checks stay fast beside a thread re-indexing a long policy
        # The loaded matcher leaves later collections (see api.runtime); a forked worker inherits it frozen.
        frozen = gc.get_freeze_count() if heap_settled else settle_heap()
        log.info("heap settled: %d objects frozen out of garbage collection", frozen)
        try:
            yield
        finally:
            pool.close()
            if (
                app.state.match_pool is pool
            ):  # a nested lifespan of the same app (tests) may have made its own
                app.state.match_pool = None
            if opened is not None:
                opened.close()
                app.state.services = None

    app = FastAPI(
        title="policymatch",
        version="0.1.0",
        description=(
            "政策匹配: 智能匹配 (enterprise → policy items) and 精准推送 (policy item → enterprises) of 惠企政策. "
            "Send the API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`."
        ),
        lifespan=lifespan,
        # /docs is this service's own page (below), never swagger-ui from a CDN beside the pages' API key.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.services = services
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes, read_timeout_s=limits.read_timeout_s)
    app.add_middleware(RequestLog)

    # 智能匹配 is tried right after the health probes: FastAPI tries the included routers in order on every request
    # (each walks its routes), and /v1/match is the hot path. The OpenAPI document lists paths in this order.
    for module in (health, match, policies, enterprises, honours, targets, feedback, service, risk, events):
        app.include_router(module.router)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/docs/assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs_page() -> FileResponse:
        """Serve the API reference: swagger-ui from the fastapi-offline package, under the pages' strict CSP."""
        return FileResponse(STATIC / "docs.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    # The pages are assembled from api/templates/ once, here, and served from memory.
    for path, body in render_all().items():
        app.add_api_route(path, _page_route(body), methods=["GET"], include_in_schema=False)

    return app


def _page_route(body: bytes) -> Callable[[], Response]:
    """Return a GET handler answering one assembled page under the pages' strict CSP."""

    def page() -> Response:
        return Response(body, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    return page
