"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from corpus.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    """Build the HTTP app over the data directory named by ``settings``."""
    app = FastAPI(title="policymatch", version="0.1.0", description="政策匹配: 智能匹配 and 精准推送 of 惠企政策")
    app.state.settings = settings

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    return app
