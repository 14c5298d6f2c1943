"""The HTTP app over a benchmark's data directory, served in its own process by ``policymatch bench scale``."""

from __future__ import annotations

from pathlib import Path


def serve_for_bench(data_dir: str, port: int, models_dir: str) -> None:
    """Serve the real app over a bench data directory (run in its own process by ``bench scale``)."""
    import uvicorn

    from api.app import create_app
    from api.limits import Limits
    from api.services import Services
    from api.settings import get_settings
    from corpus.store import open_store
    from eval.bench.encoders import served_encoder
    from eval.bench.scale import bench_encoder
    from matcher.service import Matcher

    settings = get_settings().model_copy(update={"data_dir": Path(data_dir), "port": port})
    store = open_store(Path(data_dir) / "policymatch.sqlite3")
    real = served_encoder(settings.encoder_backend, settings.model, Path(models_dir or settings.models_dir))
    encoder = bench_encoder(real)
    matcher = Matcher.open(Path(data_dir), store, encoder, build_index=False)
    # Capacity, not the per-caller limiter, is what is measured: one caller sends every request.
    services = Services(
        settings=settings, store=store, matcher=matcher, limits=Limits(rate_per_minute=10**9, burst=10**6)
    )
    app = create_app(settings, services)
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
