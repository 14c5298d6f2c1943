"""Pre-forked workers: load the matcher once, then fork N processes that share it copy-on-write.

``policymatch serve --workers N`` loads model, store, items, index and enterprise
columns in one process, collects and freezes the heap (``gc.freeze``: later
collections in the workers never touch the loaded objects, so their pages stay
shared), binds the listening socket, then forks N workers that accept on it. Each
worker builds its own :class:`~api.services.Services` around the inherited matcher
(its own store connection, audit thread, limiter and answer cache): nothing that a
thread or a connection holds crosses the fork.

**Every worker writes.** A worker's matcher starts as the parent's snapshot and
follows the store's change feed from the point the parent loaded it
(:class:`api.feed.ChangeTailer`, one thread per worker): a policy, its conditions, an
enterprise or a merge written through any worker — or by the CLI, or another process —
is applied by the worker that wrote it before it answers, and by every other worker
within the feed's poll interval. The pages such an apply writes become that worker's
own (copy-on-write), so private memory grows with the changes since the fork; a restart
shares them again. One request stays with a one-worker process: an index rebuild
switches the index of the process that runs it only, so with more than one worker it is
refused with 409 ``one_worker_only`` (run ``policymatch index build``, then restart).
docs/scaling.md describes the same split over several machines.

**One dispatcher per server.** With events on, one more forked process (not a worker: it
serves no requests) produces the events and delivers the webhooks, following the change
feed as the workers do. The parent keeps no database connection across a fork: SQLite's
lock state is per process, and a worker forked beside an open connection inherits it.
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
from dataclasses import dataclass
from typing import Any

from api.errors import error_body
from api.status_board import StatusBoard

# (method, path) of every request whose effect one worker cannot pass to the others through the change feed.
#: The slot of the events process among the forked children (workers have slots 0 … N-1).
EVENTS_SLOT = -1

ONE_WORKER_ONLY: tuple[tuple[str, re.Pattern[str]], ...] = (("POST", re.compile(r"^/v1/index/rebuild/?$")),)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


def is_one_worker_only(method: str, path: str) -> bool:
    """Tell whether a request must run in a one-worker process (refused by pre-forked workers)."""
    return any(method == m and pattern.match(path) for m, pattern in ONE_WORKER_ONLY)


class WorkerDoor:
    """ASGI middleware of a pre-forked worker: name the worker; refuse one-worker-only requests with 409."""

    def __init__(self, app: ASGIApp, workers: int) -> None:
        self.app = app
        self.workers = workers
        self.worker = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Answer index rebuilds with ``one_worker_only``; pass everything else on, with ``X-Policymatch-Worker``."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def named(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-policymatch-worker", self.worker)]
            await send(message)

        if self.workers > 1 and is_one_worker_only(scope["method"], scope["path"]):
            import json

            body = json.dumps(
                error_body(
                    "one_worker_only",
                    f"This server runs {self.workers} workers and a rebuild would switch the index of one; "
                    "run `policymatch index build`, then restart the server.",
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


@dataclass(frozen=True)
class Loaded:
    """What every forked child inherits from the loaded parent, and the services it builds on it."""

    settings: Any
    store: Any
    matcher: Any
    limits: Any = None
    #: The newest change when the matcher read the store: every child applies the change feed from there.
    feed_cursor: int | None = None
    #: Where the events process publishes its dispatcher's status, for every worker's ``/readyz``.
    board: StatusBoard | None = None

    def services(self) -> Any:
        """Return this child's services over the inherited store and matcher."""
        from api.services import Services

        return Services(
            settings=self.settings,
            store=self.store,
            matcher=self.matcher,
            feed_cursor=self.feed_cursor,
            events_board=self.board,
            **({"limits": self.limits} if self.limits else {}),
        )


def serve_prefork(
    settings: Any,
    store: Any,
    matcher: Any,
    workers: int,
    say: Callable[[str], None],
    *,
    limits: Any = None,
    feed_cursor: int | None = None,
    events: bool = False,
) -> int:
    """Fork ``workers`` processes over the loaded ``matcher`` and serve until SIGTERM/SIGINT; returns an exit code.

    ``feed_cursor``: the newest change when the matcher read the store; every worker applies the
    change feed from there (None: from the newest change when the worker starts). ``events``: fork
    one more process that produces events and delivers webhooks (:func:`run_events`), the one
    dispatcher of the server.

    A worker that dies is replaced (forked again from this loaded parent); SIGTERM or
    SIGINT stops them all.
    """
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    sock = bind(settings.host, settings.port)
    # Load once, before forking, what every worker would otherwise load privately: the app's modules,
    # jieba's dictionary (tens of MB each, shared once loaded here) and the matcher's lazily built
    # index arrays (BM25 term weights per posting, row maps, item windows).
    import uvicorn  # noqa: F401

    import api.app  # noqa: F401
    from api.runtime import warm_up

    warm_up(matcher)
    # No connection or thread crosses the fork: each worker opens its own store connection.
    store.forget_connections()
    gc.collect()
    gc.freeze()  # the loaded objects leave every later collection: their pages stay shared
    children: dict[int, int] = {}
    stopping = False
    # The events process publishes its dispatcher's status on the board; every worker's /readyz reads it.
    loaded = Loaded(settings, store, matcher, limits, feed_cursor, StatusBoard() if events else None)

    def spawn(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                # Not the default handler: uvicorn re-raises the signal that stopped it once it has shut down,
                # and the default action would end the worker before ``run_worker`` closes its services (the
                # refusal counts of the open window, the queued audit rows). A stop asked for before uvicorn
                # runs ends the worker the same way.
                signal.signal(signal.SIGTERM, _leave)
                signal.signal(signal.SIGINT, _leave)
                if slot == EVENTS_SLOT:
                    sock.close()
                    run_events(loaded)
                else:
                    run_worker(loaded, sock, workers)
                code = 0
            except SystemExit as leave:
                code = 0 if leave.code in (0, None) else 1
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
    if events:
        spawn(EVENTS_SLOT)
        say("events: one process produces events and delivers webhooks for every worker")
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
            what = "events process" if slot == EVENTS_SLOT else "worker"
            say(f"{what} {pid} exited ({os.waitstatus_to_exitcode(status)}); forking a new one")
            time.sleep(0.5)  # a worker failing at start must not spin
            spawn(slot)
    sock.close()
    return 0


def _leave(signum: int, _frame: Any) -> None:
    """Unwind a worker on SIGTERM / SIGINT outside uvicorn's own handling, so that its services are closed."""
    raise SystemExit(0)


def serve_services(services: Any, workers: int, say: Callable[[str], None], *, settings: Any = None) -> int:
    """Fork ``workers`` over opened services (``settings``: theirs unless given); their writers are closed first.

    The parent keeps no threads or connections of the app across the fork. A running event
    dispatcher is stopped here and runs on in a process of its own (:func:`run_events`): a
    dispatcher thread left in the parent kept SQLite connections open across every fork, and
    each forked worker inherited their lock state (its first audited write waited forever).
    """
    events = services.dispatcher is not None
    if events:
        services.dispatcher.stop()
        services.dispatcher = None
    services.close_writers()
    return serve_prefork(
        settings or services.settings,
        services.store,
        services.matcher,
        workers,
        say,
        limits=services.limits,
        feed_cursor=services.feed_cursor,
        events=events,
    )


def run_worker(loaded: Loaded, sock: socket.socket, workers: int) -> None:
    """Serve the app in this (forked) process on the inherited socket, around the inherited matcher."""
    import uvicorn

    from api.app import create_app

    services = loaded.services()
    app = create_app(loaded.settings, services, heap_settled=True)
    config = uvicorn.Config(
        WorkerDoor(app, workers),
        log_config=None,
        access_log=False,
        timeout_keep_alive=getattr(loaded.settings, "keep_alive_timeout_s", 5),
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        services.close()
        sys.stdout.flush()


def run_events(loaded: Loaded) -> None:
    """Produce events and deliver webhooks in this (forked) process until SIGTERM: one dispatcher per server.

    Its matcher follows the change feed from ``feed_cursor`` as the workers' do, so the events a
    write produces (a policy now fits an enterprise) are computed on what that write changed.
    """
    from events.runtime import start_for_services

    services = loaded.services()
    board = loaded.board
    try:
        dispatcher = start_for_services(services)
        while True:
            if board is not None:
                board.publish(dispatcher.status())  # its last word too, once it has stopped
            if not dispatcher.running:
                break
            time.sleep(0.5)
    finally:
        services.close()
        sys.stdout.flush()
