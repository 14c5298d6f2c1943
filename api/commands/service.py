"""``policymatch serve``: run the HTTP service on the data directory's model, store and index."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from api.commands import flag

if TYPE_CHECKING:
    from api.services import Services


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add ``serve``."""
    serve = sub.add_parser(
        "serve", help="run the HTTP service (bootstraps the model and demo corpus on first run)"
    )
    serve.add_argument("--host", default=None, help="bind address (default from settings: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default from settings: 8000)")
    flag(serve, "--no-demo", "do not load the demo corpus into an empty store")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="pre-forked worker processes sharing the loaded matcher (default 1); each takes writes and "
        "follows the others' through the store's change feed (docs/scaling.md)",
    )
    serve.set_defaults(func=_serve)


class OpenServiceError(RuntimeError):
    """Refusing to serve without API keys on an address other computers can reach."""


def _serve(args: argparse.Namespace) -> int:
    import threading

    # Only what the webhook deliveries need is imported before they start: after a crash they
    # resume within a second or two, while the app's imports and the model take much longer.
    from api.commands.store_access import say
    from api.settings import get_settings
    from corpus.store import open_store

    settings = get_settings()
    if args.host:
        settings = settings.model_copy(update={"host": args.host})
    if args.port:
        settings = settings.model_copy(update={"port": args.port})
    if args.no_demo:
        settings = settings.model_copy(update={"demo_enterprises": 0, "demo_policies": 0})

    store = open_store(settings.store_location)
    try:
        has_keys = any(key.active for key in store.list_api_keys())
    finally:
        store.close()
    dispatcher = None
    if settings.events:
        from events.runtime import start_delivering

        # Deliveries need only the store: after a crash they resume before the model and index load.
        dispatcher = start_delivering(settings)
    try:
        import uvicorn

        from api.app import create_app
        from api.logs import configure_logging
        from api.security import is_loopback
        from api.services import open_services

        if not has_keys and not is_loopback(settings.host):
            raise OpenServiceError(
                f"no API key exists, so the service may only listen on loopback, not {settings.host}; "
                "create one with `policymatch keys create --role admin` or use --host 127.0.0.1"
            )
        say(f"data directory: {settings.data_dir.resolve()}")
        if dispatcher is not None:
            say("events: delivering webhooks from the outbox (POLICYMATCH_EVENTS=false to leave it off)")
        services = open_services(settings, prepare=True, say=say)
    except BaseException:
        if dispatcher is not None:
            dispatcher.stop()
        raise
    say(f"ready: model {services.model_version}, index {services.index_version}")
    _audit_start(services, settings.host, settings.port, open_mode=not has_keys)
    if not has_keys:
        say(
            "running OPEN: no API key is configured, every caller is an admin and only loopback clients are served; "
            "create keys with `policymatch keys create --role ...` to close it"
        )
    else:
        say("API keys are required (Authorization: Bearer <key> or X-API-Key)")
    if dispatcher is not None:
        from events.runtime import attach

        attach(dispatcher, services)
        say("events: producing events from the store's changes and 申报 windows")
    say(f"serving http://{settings.host}:{settings.port}/ (OpenAPI docs at /docs)")
    configure_logging()
    workers = int(getattr(args, "workers", 1) or 1)
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    if workers > 1:
        from api.prefork import serve_services

        return serve_services(services, workers, say, settings=settings)
    app = create_app(settings, services)
    if services.extraction is not None:
        # Start the policy-reading worker beside serving (a few seconds), not at the first POST /v1/policies.
        threading.Thread(target=services.extraction.warm, name="policymatch-warm", daemon=True).start()
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            # An idle keep-alive connection is closed after this; a slow body meets api.limits' read timeout.
            timeout_keep_alive=settings.keep_alive_timeout_s,
        )
    finally:
        services.close()
    return 0


def _audit_start(services: Services, host: str, port: int, *, open_mode: bool) -> None:
    """Record which model and index version the service starts serving (a model or index switch shows here)."""
    from corpus.store import AuditEvent

    services.store.append_audit(
        AuditEvent(
            actor="cli",
            action="service.start",
            target=f"{host}:{port}",
            details={
                "model_version": services.model_version,
                "index_version": services.index_version,
                "open": open_mode,
            },
        )
    )
