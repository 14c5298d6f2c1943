"""Signing deliveries: ``X-Policymatch-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>``."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Policymatch-Signature"
EVENT_ID_HEADER = "X-Policymatch-Event-Id"
EVENT_TYPE_HEADER = "X-Policymatch-Event-Type"
DELIVERY_ID_HEADER = "X-Policymatch-Delivery-Id"
ATTEMPT_HEADER = "X-Policymatch-Attempt"
#: Shortest secret a subscription may use (a shorter key is guessable offline from one signed body).
MIN_SECRET_CHARS = 16


def sign(body: bytes, secret: str) -> str:
    """Return the signature header's value for ``body``: ``sha256=`` and the hex HMAC-SHA256 keyed by ``secret``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str | None) -> bool:
    """Tell whether ``header`` is the signature of ``body`` under ``secret`` (compared in constant time)."""
    return header is not None and hmac.compare_digest(sign(body, secret), header.strip())
