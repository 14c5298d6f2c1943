"""Pre-forked workers: load the matcher once, then fork N processes that share it copy-on-write.

``policymatch serve --workers N`` loads model, store, items, index and enterprise
columns in one process, collects and freezes the heap (``gc.freeze``: later
collections in the workers never touch the loaded objects, so their pages stay
shared), binds the listening socket, then forks N workers that accept on it. Each
worker builds its own :class:`~api.services.Services` around the inherited matcher
(its own store connection, audit thread, limiter and answer cache): nothing that a
thread or a connection holds crosses the fork.

**One writer.** A worker's matcher is a snapshot: a change one worker applied would
be invisible to the others. So with more than one worker, the requests that change
what the matcher holds (policies, conditions, enterprises, merges, index rebuilds)
are refused with 409 ``read_only_worker`` before they touch the store; they go to
the single writer, a one-worker ``policymatch serve`` (or the ``ingest`` commands),
and the pre-forked readers are restarted to serve the new state. Writes that only
append to the store (audit rows, feedback, ledger, ratings) are taken by every
worker: the store serialises them (SQLite's write lock, PostgreSQL's transactions).
docs/scaling.md describes the same split over several machines.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.errors import error_body

# (method, path) of every request that changes what the matcher holds in memory.
MATCHER_WRITES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("POST", re.compile(r"^/v1/policies/?$")),
    ("PUT", re.compile(r"^/v1/policies/[^/]+/items/[^/]+/conditions/?$")),
    ("DELETE", re.compile(r"^/v1/policies/[^/]+/items/[^/]+/conditions/?$")),
    ("POST", re.compile(r"^/v1/enterprises/?$")),
    ("PUT", re.compile(r"^/v1/enterprises/[^/]+/?$")),
    ("POST", re.compile(r"^/v1/enterprises/[^/]+/merge/?$")),
    ("POST", re.compile(r"^/v1/index/rebuild/?$")),
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


def is_matcher_write(method: str, path: str) -> bool:
    """Tell whether a request would change the matcher's in-memory state (refused by read-only workers)."""
    return any(method == m and pattern.match(path) for m, pattern in MATCHER_WRITES)


class ReadOnlyWorker:
    """ASGI middleware of a pre-forked worker: name the worker, refuse matcher writes with 409 before they reach the store."""

    def __init__(self, app: ASGIApp, workers: int) -> None:
        self.app = app
        self.workers = workers
        self.worker = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Answer matcher writes with ``read_only_worker``; pass everything else on, with ``X-Policymatch-Worker``."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-policymatch-worker", self.worker)]
            await send(message)

        if self.workers > 1 and is_matcher_write(scope["method"], scope["path"]):
            import json

            body = json.dumps(
                error_body(
                    "read_only_worker",
                    f"This server runs {self.workers} read-only workers; send changes to policies, "
                    "enterprises or the index to the single writer (a one-worker `policymatch serve` or "
                    "`policymatch ingest`), then restart the workers.",
                    {"workers": self.workers},
                ),
                ensure_ascii=False,
            ).encode()
            await named(
                {
                    "type": "http.response.start",
                    "status": 409,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, named)


def bind(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """Open the listening socket every worker accepts on (bound before forking)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.set_inheritable(True)
    return sock


def serve_prefork(
    settings: Any,
    store: Any,
    matcher: Any,
    workers: int,
    say: Callable[[str], None],
    *,
    limits: Any = None,
) -> int:
    """Fork ``workers`` processes over the loaded ``matcher`` and serve until SIGTERM/SIGINT; returns an exit code.

    A worker that dies is replaced (forked again from this loaded parent); SIGTERM or
    SIGINT stops them all.
    """
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    sock = bind(settings.host, settings.port)
    # Load once, before forking, what every worker would otherwise load privately: the app's modules
    # and jieba's dictionary (tens of MB each, shared once loaded here).
    import uvicorn  # noqa: F401

    import api.app  # noqa: F401
    from api.runtime import warm_up

    warm_up()
    # No connection or thread crosses the fork: each worker opens its own store connection.
    store.forget_connections()
    gc.collect()
    gc.freeze()  # the loaded objects leave every later collection: their pages stay shared
    children: dict[int, int] = {}
    stopping = False

    def spawn(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                run_worker(settings, store, matcher, sock, workers, limits)
                code = 0
            finally:
                os._exit(code)
        children[pid] = slot

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for slot in range(workers):
        spawn(slot)
    say(f"{workers} workers forked (pids {', '.join(str(p) for p in children)})")
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid not in children:
            continue
        slot = children.pop(pid)
        if not stopping:
            say(f"worker {pid} exited ({os.waitstatus_to_exitcode(status)}); forking a new one")
            time.sleep(0.5)  # a worker failing at start must not spin
            spawn(slot)
    sock.close()
    return 0


def run_worker(
    settings: Any, store: Any, matcher: Any, sock: socket.socket, workers: int, limits: Any
) -> None:
    """Serve the app in this (forked) process on the inherited socket, around the inherited matcher."""
    import uvicorn

    from api.app import create_app
    from api.services import Services

    services = Services(
        settings=settings, store=store, matcher=matcher, **({"limits": limits} if limits else {})
    )
    app = create_app(settings, services, heap_settled=True)
    config = uvicorn.Config(
        ReadOnlyWorker(app, workers),
        log_config=None,
        access_log=False,
        timeout_keep_alive=getattr(settings, "keep_alive_timeout_s", 5),
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        services.close()
        sys.stdout.flush()
