"""``policymatch serve``: run the HTTP service on the data directory's model, store and index."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, group: object) -> None:  # type: ignore[type-arg]
    """Add ``serve``."""
    serve = sub.add_parser("serve", help="run the HTTP service (bootstraps the model and demo corpus on first run)")
    serve.add_argument("--host", default=None, help="bind address (default from settings: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default from settings: 8000)")
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from corpus.settings import get_settings

    settings = get_settings()
    if args.host:
        settings = settings.model_copy(update={"host": args.host})
    if args.port:
        settings = settings.model_copy(update={"port": args.port})
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    return 0
