"""Structured (JSON, one object per line) logs for the service.

One ``request`` line per HTTP request: method, path (no query string), status,
milliseconds, key id. Headers are never logged, so API keys never reach a
log; :func:`scrub` masks anything that looks like a key in a message anyway.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("policymatch.api")

# Record attributes that are not extra fields (uvicorn adds an ANSI-coloured copy of its message).
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}
# Keys are "<key id>.<secret>" (corpus.store): the secret part is masked, the key id may stay.
_KEYLIKE = re.compile(r"\b(pk_[0-9a-f]+)\.[A-Za-z0-9_\-]+")
_BEARER = re.compile(r"(?i)(bearer)\s+\S+")


def scrub(text: str) -> str:
    """Mask anything that looks like an API key's secret."""
    return _BEARER.sub(r"\1 ***", _KEYLIKE.sub(r"\1.***", text))


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: ts, level, logger, msg and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        """One line of JSON."""
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value if isinstance(value, int | float | bool | type(None)) else scrub(str(value))
        if record.exc_info:
            out["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """Send policymatch's and uvicorn's logs to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("policymatch", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    # uvicorn's access log repeats what the request line below says, with the query string: off.
    logging.getLogger("uvicorn.access").disabled = True


class RequestLog:
    """ASGI middleware: one structured log line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and log its outcome."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            # The line's fields are not even gathered when no one reads them.
            if log.isEnabledFor(logging.INFO):
                _log_request(scope, status, started)


def _log_request(scope: Scope, status: int, started: float) -> None:
    """Write the ``request`` line of one request."""
    state = scope.get("state") or {}
    log.info(
        "request",
        extra={
            "method": scope.get("method"),
            "path": scope.get("path"),
            "status": status,
            "ms": round((time.perf_counter() - started) * 1000, 1),
            "key_id": state.get("key_id"),
            "client": (scope.get("client") or ("", 0))[0],
        },
    )
