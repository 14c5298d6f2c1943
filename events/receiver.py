"""A reference webhook receiver: checks the signature, dedupes on the event id, answers 2xx.

What an integrator's receiver must do, small enough to read: verify
``X-Policymatch-Signature`` over the raw body, treat a repeated event id as already
handled (deliveries are at-least-once), answer 2xx fast. The tests and the
delivery benchmark run it on loopback; ``fail_first`` / ``status`` make it
misbehave on purpose.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from events.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, verify


@dataclass
class Received:
    """What the receiver has seen."""

    first_at: dict[str, float] = field(
        default_factory=dict
    )  # event id → time.time() of its first valid receipt
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: int = 0
    duplicates: int = 0
    bad_signatures: int = 0
    refused: int = 0
    truncated: int = 0  # bodies cut short by a sender that died mid-request


class Receiver:
    """A loopback HTTP server that accepts signed events (``with Receiver(secret) as r: r.url``)."""

    def __init__(
        self,
        secret: str,
        *,
        fail_first: int = 0,
        status: int = 204,
        delay_s: float = 0.0,
        host: str = "127.0.0.1",
    ) -> None:
        self.secret = secret
        self.delay_s = delay_s  # a slow receiver: each answer waits this long (outside the lock)
        self.fail_first = fail_first  # answer 503 to this many posts first
        self.status = status  # what a good post is answered (set to 500 to make every post fail)
        self.received = Received()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a dispatcher reuses its connection

            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                if len(body) < length:  # the sender died mid-body (a SIGKILL): nothing to judge
                    with receiver._lock:
                        receiver.received.truncated += 1
                    self.close_connection = True
                    return
                code = receiver.handle(
                    body, self.headers.get(SIGNATURE_HEADER), self.headers.get(EVENT_ID_HEADER)
                )
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server name
                return

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="webhook-receiver", daemon=True
        )

    @property
    def url(self) -> str:
        """Where to subscribe."""
        host, port = self.server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}/hook"

    def handle(self, body: bytes, signature: str | None, event_id: str | None) -> int:
        """Judge one POST; returns the status to answer."""
        now = time.time()
        with self._lock:
            r = self.received
            r.posts += 1
            if not verify(body, self.secret, signature):
                r.bad_signatures += 1
                return 401
            if self.fail_first > 0:
                self.fail_first -= 1
                r.refused += 1
                return 503
            if self.status >= 300:
                r.refused += 1
                return self.status
            envelope = json.loads(body)
            if event_id is None or envelope.get("id") != event_id:
                r.bad_signatures += 1
                return 400
            if event_id in r.first_at:
                r.duplicates += 1
            else:
                r.first_at[event_id] = now
                r.bodies[event_id] = envelope
            return self.status

    def wait_for(self, n: int, timeout_s: float = 30.0) -> bool:
        """Wait until ``n`` distinct events have arrived; False on timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if len(self.received.first_at) >= n:
                return True
            time.sleep(0.02)
        return len(self.received.first_at) >= n

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
