"""``policymatch serve``: run the HTTP service on the data directory's model, store and index."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.services import Services


def register(sub: argparse._SubParsersAction, group: Any) -> None:
    """Add ``serve``."""
    serve = sub.add_parser(
        "serve", help="run the HTTP service (bootstraps the model and demo corpus on first run)"
    )
    serve.add_argument("--host", default=None, help="bind address (default from settings: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default from settings: 8000)")
    serve.add_argument(
        "--no-demo", action="store_true", help="do not load the demo corpus into an empty store"
    )
    serve.set_defaults(func=_serve)

    bench = group("bench").add_parser(
        "api", help="HTTP latency of match, target pages and CSV export, into docs/benchmarks.md"
    )
    bench.add_argument("--queries", type=int, default=100, help="timed matches (default 100)")
    bench.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    bench.set_defaults(func=_bench_api)


class OpenServiceError(RuntimeError):
    """Refusing to serve without API keys on an address other computers can reach."""


def _serve(args: argparse.Namespace) -> int:
    import sys
    import threading

    import uvicorn

    from api.app import create_app
    from api.logs import configure_logging
    from api.security import is_loopback
    from api.services import open_services
    from corpus.settings import get_settings
    from corpus.store import open_store

    settings = get_settings()
    if args.host:
        settings = settings.model_copy(update={"host": args.host})
    if args.port:
        settings = settings.model_copy(update={"port": args.port})
    if args.no_demo:
        settings = settings.model_copy(update={"demo_enterprises": 0, "demo_policies": 0})

    def say(message: str) -> None:
        print(f"policymatch: {message}", file=sys.stderr, flush=True)

    store = open_store(settings.store_location)
    try:
        has_keys = any(key.active for key in store.list_api_keys())
    finally:
        store.close()
    if not has_keys and not is_loopback(settings.host):
        raise OpenServiceError(
            f"no API key exists, so the service may only listen on loopback, not {settings.host}; "
            "create one with `policymatch keys create --role admin` or use --host 127.0.0.1"
        )
    say(f"data directory: {settings.data_dir.resolve()}")
    services = open_services(settings, prepare=True, say=say)
    say(f"ready: model {services.model_version}, index {services.index_version}")
    _audit_start(services, settings.host, settings.port, open_mode=not has_keys)
    if not has_keys:
        say(
            "running OPEN: no API key is configured, every caller is an admin and only loopback clients are served; "
            "create keys with `policymatch keys create --role ...` to close it"
        )
    else:
        say("API keys are required (Authorization: Bearer <key> or X-API-Key)")
    say(f"serving http://{settings.host}:{settings.port}/ (OpenAPI docs at /docs)")
    configure_logging()
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


def _bench_api(args: argparse.Namespace) -> int:
    """Time the HTTP path (auth, validation, matcher, audit row, JSON) on a copy of the data dir's store."""
    import sqlite3
    import statistics
    import tempfile
    import time
    from pathlib import Path

    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.limits import Limits
    from api.services import open_services
    from corpus.settings import get_settings
    from eval.benchfile import machine_description, update_section

    if args.queries < 1:
        raise ValueError("--queries must be at least 1")
    settings = get_settings()
    if not settings.store_path.exists():
        raise FileNotFoundError(
            f"no store at {settings.store_path}; run `policymatch serve` once (it loads the demo)"
        )
    with tempfile.TemporaryDirectory(prefix="policymatch-bench-") as tmp:
        # A copy, so the benchmark's audit rows and cursors never touch the real store; models and indexes are shared.
        data_dir = Path(tmp)
        source = sqlite3.connect(settings.store_path)
        target = sqlite3.connect(data_dir / settings.store_path.name)
        source.backup(target)
        source.close()
        target.close()
        for name in ("models", "indexes", "cache"):
            if (settings.data_dir / name).exists():
                (data_dir / name).symlink_to((settings.data_dir / name).resolve(), target_is_directory=True)
        local = settings.model_copy(update={"data_dir": data_dir})
        started = time.perf_counter()
        # No rate limit in a benchmark: it times the service, not the limiter.
        services = open_services(local, prepare=False, limits=Limits(rate_per_minute=10**9, burst=10**9))
        open_s = time.perf_counter() - started
        try:
            for key in services.store.list_api_keys():
                services.store.revoke_api_key(key.key_id)  # the copy runs open: no secrets needed
            client = TestClient(create_app(local, services), client=("127.0.0.1", 1))
            ids = [row[0] for row in services.enterprise_directory()[: args.queries]]
            if not ids:
                raise RuntimeError("the store holds no enterprises to match")

            def timed(call: Any) -> float:
                t0 = time.perf_counter()
                response = call()
                elapsed = (time.perf_counter() - t0) * 1000
                if response.status_code != 200:
                    raise RuntimeError(
                        f"benchmark request failed: {response.status_code} {response.text[:200]}"
                    )
                return elapsed

            client.post("/v1/match", json={"enterprise_id": ids[0]})  # warm-up
            match_ms = [timed(lambda e=e: client.post("/v1/match", json={"enterprise_id": e})) for e in ids]
            # Again: the first match of an enterprise also embeds its text for semantic conditions (kept after).
            repeat_ms = [timed(lambda e=e: client.post("/v1/match", json={"enterprise_id": e})) for e in ids]
            profile = services.store.get_enterprise(ids[0]).to_dict()
            profile.pop("size_class", None)
            profile.pop("id", None)
            adhoc_ms = [
                timed(
                    lambda: client.post(
                        "/v1/match", json={"profile": {k: v for k, v in profile.items() if v is not None}}
                    )
                )
                for _ in range(max(1, args.queries // 4))
            ]
            items = [item for item in services.store.iter_items()][:20]
            page_ms, next_ms = [], []
            for item in items:
                url = f"/v1/policies/{item.policy_id}/targets"
                params = {"item_id": item.id, "limit": 50}
                page_ms.append(timed(lambda url=url, params=params: client.get(url, params=params)))
                cursor = client.get(url, params=params).json()["next_cursor"]
                if cursor:
                    next_ms.append(
                        timed(
                            lambda url=url, params=params, c=cursor: client.get(
                                url, params={**params, "cursor": c}
                            )
                        )
                    )
            biggest = max(
                items,
                key=lambda i: client.get(
                    f"/v1/policies/{i.policy_id}/targets", params={"item_id": i.id, "limit": 1}
                ).json()["total"],
            )
            t0 = time.perf_counter()
            with client.stream(
                "GET", f"/v1/policies/{biggest.policy_id}/targets.csv", params={"item_id": biggest.id}
            ) as response:
                csv_rows = sum(chunk.count("\n") for chunk in response.iter_text()) - 1
            csv_s = time.perf_counter() - t0
            n_enterprises = services.store.count_enterprises()
            n_items = services.store.count_items()
        finally:
            services.close()

    def p(values: list[float], q: float) -> float:
        return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]

    text = "\n".join(
        [
            "## HTTP service latency (`policymatch bench api`)",
            "",
            f"Machine: {machine_description()}. Store: {n_items:,} items, {n_enterprises:,} enterprises "
            f"(a copy of {settings.store_path}); model {services.model_version}. In-process client (no network), "
            f"every request authenticated, validated, judged and written to the audit trail. Opening model, store and index (the index is rebuilt when the served model changed): {open_s:.1f} s.",
            "",
            "| request | n | p50 | p99 |",
            "|---|---|---|---|",
            f"| POST /v1/match, stored enterprise, first time (embeds its text) | {len(match_ms)} | {p(match_ms, 50):.1f} ms | {p(match_ms, 99):.1f} ms |",
            f"| POST /v1/match, stored enterprise, again | {len(repeat_ms)} | {p(repeat_ms, 50):.1f} ms | {p(repeat_ms, 99):.1f} ms |",
            f"| POST /v1/match, ad-hoc profile | {len(adhoc_ms)} | {p(adhoc_ms, 50):.1f} ms | {p(adhoc_ms, 99):.1f} ms |",
            f"| GET targets, first page of 50 | {len(page_ms)} | {p(page_ms, 50):.1f} ms | {p(page_ms, 99):.1f} ms |",
            (
                f"| GET targets, next page by cursor | {len(next_ms)} | {p(next_ms, 50):.1f} ms | {p(next_ms, 99):.1f} ms |"
                if next_ms
                else "| GET targets, next page by cursor | 0 | | |"
            ),
            f"| GET targets.csv, whole list streamed | 1 ({csv_rows:,} rows) | {csv_s * 1000:.0f} ms | |",
        ]
    )
    print(text)
    if not args.no_write:
        update_section("api", text)
    return 0
