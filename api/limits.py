"""Limits on what one request may ask: body size (413), result counts, text lengths, rate (429).

The text caps are constants the schemas read (ceilings for the OpenAPI document);
every other limit is a field of :class:`Limits`, made from the one
:class:`~api.settings.Settings` (``POLICYMATCH_MAX_BODY_BYTES``, ``POLICYMATCH_RATE_PER_MINUTE``
and so on, listed in docs/service.md). The body-size guard is a small ASGI
middleware that counts bytes as they arrive, so a lying or absent
``Content-Length`` cannot slip a large body past it; the rate limit is a
token bucket per API key (per client address when running open).
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from dataclasses import dataclass, fields
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Text caps, read by api/schemas.py (characters, not bytes).
MAX_ID_CHARS = 128
MAX_TITLE_CHARS = 500
# Ceiling of a policy text in the schema; the setting max_policy_text_chars (default 200 000) is what applies.
MAX_POLICY_TEXT_CHARS = 1_000_000
MAX_PROFILE_TEXT_CHARS = 5_000
MAX_COMMENT_CHARS = 2_000
MAX_SPAN_CHARS = 2_000
MAX_CONDITIONS_PER_ITEM = 100
MAX_ENTERPRISES_PER_REQUEST = 1_000


@dataclass(frozen=True)
class Limits:
    """What one request or client may ask for; defaults are the settings' defaults, tests narrow them."""

    max_body_bytes: int = 2 * 1024 * 1024
    max_top_k: int = 100
    default_top_k: int = 20
    max_page_size: int = 500
    default_page_size: int = 50
    rate_per_minute: int = 600
    burst: int = 60
    unauth_rate_per_minute: int = 60
    unauth_burst: int = 20
    max_policy_text_chars: int = 200_000
    extraction_budget_s: float = 60.0
    refusal_audit_window_s: int = 60
    read_timeout_s: float = 15.0

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """Read the limits from the settings (every field of this class is a setting of the same name)."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls) if hasattr(settings, f.name)})


class RateLimiter:
    """Token bucket per caller: ``burst`` requests at once, refilled at ``rate_per_minute``."""

    def __init__(self, rate_per_minute: int, burst: int) -> None:
        self.rate_per_second = rate_per_minute / 60.0
        self.burst = max(1, burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def acquire(self, caller: str, now: float | None = None) -> float:
        """Take one token for ``caller``; returns 0 when allowed, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(caller, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_second)
            if tokens >= 1.0:
                self._buckets[caller] = (tokens - 1.0, now)
                return 0.0
            self._buckets[caller] = (tokens, now)
            if self.rate_per_second <= 0:
                return 60.0
            return (1.0 - tokens) / self.rate_per_second

    def waiting(self, caller: str, now: float | None = None) -> float:
        """Seconds until ``caller`` has a token again (0 when it has one now); takes nothing."""
        now = time.monotonic() if now is None else now
        with self._lock:
            found = self._buckets.get(caller)
            if found is None:
                return 0.0
            tokens = min(float(self.burst), found[0] + (now - found[1]) * self.rate_per_second)
        if tokens >= 1.0:
            return 0.0
        return 60.0 if self.rate_per_second <= 0 else (1.0 - tokens) / self.rate_per_second


def retry_after_header(wait_seconds: float) -> dict[str, str]:
    """``Retry-After`` in whole seconds (at least 1)."""
    return {"Retry-After": str(max(1, math.ceil(wait_seconds)))}


class BodySizeLimit:
    """ASGI middleware: 413 when a request body exceeds ``max_bytes``, 408 when it takes longer than ``read_timeout_s``.

    The timeout covers the body from the first read to its last byte: a client that sends
    headers and then trickles (or stops sending) its body is answered 408 and its connection
    closed, instead of holding a worker thread and a connection for ever. It ends with the body:
    waiting for a disconnect after it (a streamed answer does) is never timed.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, read_timeout_s: float | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout_s = read_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length first, then count the bytes as they arrive."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        received = 0
        response_started = False
        body_done = False
        deadline: float | None = None

        async def counting_receive() -> Message:
            nonlocal received, body_done, deadline
            if body_done or self.read_timeout_s is None:
                message = await receive()
            else:
                now = time.monotonic()
                deadline = deadline or now + self.read_timeout_s
                try:
                    message = await asyncio.wait_for(receive(), max(0.0, deadline - now))
                except TimeoutError:
                    raise HTTPException(
                        408, f"The request body did not arrive within {self.read_timeout_s:g} s"
                    ) from None
            if message["type"] == "http.request":
                body_done = not message.get("more_body", False)
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises its HTTPException from body parsing, so the app's handler shapes it.
                    raise HTTPException(
                        413, f"The request body is larger than the limit of {self.max_bytes} bytes"
                    )
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:
            if exc.status_code not in (408, 413) or response_started:
                raise
            if exc.status_code == 408:
                await self._timeout(send)
            else:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        await _send_error(
            send,
            413,
            "payload_too_large",
            f"The request body is larger than the limit of {self.max_bytes} bytes.",
            {"max_bytes": self.max_bytes},
        )

    async def _timeout(self, send: Send) -> None:
        await _send_error(
            send,
            408,
            "request_timeout",
            f"The request body did not arrive within {self.read_timeout_s:g} s.",
            {"read_timeout_s": self.read_timeout_s},
            close=True,
        )


async def _send_error(
    send: Send, status: int, code: str, message: str, details: Any, *, close: bool = False
) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "details": details}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
