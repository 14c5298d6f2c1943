"""Who is calling: roles by API key, and the open demo mode.

Roles (``shared/spec/api.md``):

- ``admin`` — ingest, edit conditions, upsert enterprises, rebuild the index; may do anything;
- ``push`` — target lists and exports (精准推送), read-only, and feedback;
- ``enterprise`` — bound to one enterprise id: it may match and read only that
  enterprise (anything else is 403) and give feedback on its own results;
- ``analyst`` — evaluation and models: read policies, models, audit and feedback.

A key is sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. The
store keeps only a hash of each key (:mod:`corpus.store`); the comparison
with the stored hash is constant-time. Keys never reach a log line.

With no key created at all, the service runs **open**: every caller is an
admin, and only loopback clients are served (the command refuses to bind
another address; the app checks the peer address too).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal, cast

from api.errors import ApiError

Role = Literal["admin", "push", "enterprise", "analyst", "finance"]
ROLES: tuple[Role, ...] = ("admin", "push", "enterprise", "analyst", "finance")
OPEN_KEY_ID = "open"


@dataclass(frozen=True)
class Principal:
    """The caller of one request: key id (never the key), role, and the enterprise an enterprise key is bound to."""

    key_id: str
    role: Role
    enterprise_id: str | None = None
    open: bool = False

    def has_role(self, *roles: str) -> bool:
        """Tell whether the caller's role is one of ``roles`` (an admin has every role)."""
        return self.role == "admin" or self.role in roles

    def require(self, *roles: str) -> None:
        """Raise 403 unless the caller has one of ``roles``."""
        if not self.has_role(*roles):
            allowed = ", ".join(sorted({"admin", *roles}))
            raise ApiError(
                403,
                "forbidden",
                f"A {self.role} key may not do this; it needs one of these roles: {allowed}.",
                {"role": self.role, "allowed": sorted({"admin", *roles})},
            )

    def require_enterprise(self, enterprise_id: str) -> None:
        """Raise 403 when an enterprise key reaches for another enterprise."""
        if self.role == "enterprise" and self.enterprise_id != enterprise_id:
            raise ApiError(
                403,
                "forbidden_enterprise",
                "This key belongs to another enterprise and may read only its own data.",
                {"enterprise_id": enterprise_id},
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (``GET /v1/whoami``)."""
        return {
            "key_id": self.key_id,
            "role": self.role,
            "enterprise_id": self.enterprise_id,
            "open": self.open,
        }


def key_from_headers(authorization: str | None, x_api_key: str | None) -> str | None:
    """Return the presented key, from ``Authorization: Bearer`` or ``X-API-Key``; None when absent."""
    if x_api_key and x_api_key.strip():
        return x_api_key.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        raise ApiError(
            401,
            "unauthorized",
            "The Authorization header must be 'Bearer <API key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return None


@functools.lru_cache(maxsize=1024)
def is_loopback(host: str | None) -> bool:
    """Tell whether a host is loopback: 127.0.0.0/8, ::1 and ``localhost`` (remembered: asked on every open request)."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class NeedsStore(Exception):
    """Raised by ``KeyRing.authenticate(..., memory_only=True)`` when the answer needs a store read."""


class KeyRing:
    """Looks keys up in the store; remembers for ``recheck_seconds`` whether any key exists and each key found.

    A found key is remembered by the SHA-256 of its secret (never the secret), so a
    revoked key stops working within ``recheck_seconds`` (at once when the revocation
    goes through :meth:`forget`); unknown keys are never remembered.
    """

    max_remembered = 4096

    def __init__(self, store: Any, recheck_seconds: float = 2.0) -> None:
        self.store = store
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._any_keys: bool | None = None
        self._checked_at = 0.0
        self._found: dict[str, tuple[float, Any]] = {}

    def _find(self, secret: str, memory_only: bool = False) -> Any:
        """Return the store's active key for ``secret`` (remembered briefly), or None."""
        digest = hashlib.sha256(secret.encode()).hexdigest()
        now = time.monotonic()
        remembered = self._found.get(digest)
        if remembered is not None and now - remembered[0] <= self.recheck_seconds:
            return remembered[1]
        if memory_only:
            raise NeedsStore
        found = self.store.find_api_key(secret)
        with self._lock:
            if found is None:
                self._found.pop(digest, None)
            else:
                if len(self._found) >= self.max_remembered:
                    self._found.clear()
                self._found[digest] = (now, found)
        return found

    def any_keys(self, memory_only: bool = False) -> bool:
        """Whether at least one active key exists (then the service is closed)."""
        now = time.monotonic()
        with self._lock:
            if self._any_keys is None or now - self._checked_at > self.recheck_seconds:
                if memory_only:
                    raise NeedsStore
                self._any_keys = any(key.active for key in self.store.list_api_keys())
                self._checked_at = now
            return self._any_keys

    def forget(self) -> None:
        """Re-read the store on the next request (after a key was created or revoked)."""
        with self._lock:
            self._any_keys = None
            self._found.clear()

    def authenticate(
        self, secret: str | None, client_host: str | None, *, memory_only: bool = False
    ) -> Principal:
        """Identify the caller behind ``secret``; 401 for a missing or unknown key, 403 for an open service off loopback.

        ``memory_only``: raise :class:`NeedsStore` instead of reading the store (the event loop asks
        first and hands the call to a worker thread only then: the keys read are remembered, so
        most requests are answered from memory).
        """
        if not self.any_keys(memory_only):
            if secret is not None:
                # A key sent to an open service is still checked: an unknown one is a client mistake worth naming.
                found = self._find(secret, memory_only)
                if found is not None:
                    return _principal(found)
            if not is_loopback(client_host):
                raise ApiError(
                    403,
                    "open_loopback_only",
                    "This service runs without API keys and answers only loopback clients; create a key with `policymatch keys create`.",
                )
            return Principal(key_id=OPEN_KEY_ID, role="admin", open=True)
        if secret is None:
            raise ApiError(
                401,
                "unauthorized",
                "An API key is required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        found = self._find(secret, memory_only)
        if found is None:
            raise ApiError(
                401, "unauthorized", "The API key is not valid.", headers={"WWW-Authenticate": "Bearer"}
            )
        return _principal(found)


def _principal(key: Any) -> Principal:
    role = str(key.role)
    if role not in ROLES:
        raise ApiError(403, "forbidden", f"The key's role {role!r} is not one this service knows.")
    return Principal(key_id=str(key.key_id), role=cast(Role, role), enterprise_id=key.enterprise_id)


@dataclass
class _RefusalCount:
    count: int = 0
    first: str = ""
    last: str = ""
    paths: dict[str, int] | None = None
    role: str | None = None


class RefusalLog:
    """Denied attempts (401, 403, 429) on the audit trail, one row per caller, status and code per time window.

    A caller is the key id when the key was recognised (a 403 or 429 of a known key) and
    ``client:<address>`` otherwise (a missing or unknown key). Counting in memory and writing
    one row per window keeps a flood from filling the disk: at most ``max_callers`` rows per
    window (beyond, the rest share the caller ``(many)``), each with the count, the first and
    last time and up to five paths. Closed windows are written by a background thread;
    :meth:`flush` writes what is pending (the audit read and shutdown call it).
    """

    max_callers = 10_000
    max_paths = 5

    def __init__(self, append: Any, window_s: int = 60, clock: Any = time.time) -> None:
        self.append = append
        self.window_s = max(1, int(window_s))
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: dict[tuple[int, str, int, str], _RefusalCount] = {}
        self._callers: dict[int, set[str]] = {}
        self.recorded = 0
        self.rows_written = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Write closed windows every few seconds in a daemon thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="policymatch-refusals", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(min(5.0, self.window_s / 4)):
            try:
                self.flush(closed_only=True)
            except Exception:  # noqa: BLE001 - the next round retries; a refusal row must not kill the thread
                logging.getLogger("policymatch.api").exception("writing refusal audit rows failed")

    def record(self, caller: str, status: int, code: str, path: str, role: str | None = None) -> None:
        """Count one refusal of ``caller`` (key id or ``client:<address>``)."""
        now = self.clock()
        window = int(now // self.window_s) * self.window_s
        stamp = _iso(now)
        with self._lock:
            callers = self._callers.setdefault(window, set())
            if caller not in callers and len(callers) >= self.max_callers:
                caller = "(many)"
            callers.add(caller)
            entry = self._pending.setdefault(
                (window, caller, status, code), _RefusalCount(first=stamp, paths={})
            )
            entry.count += 1
            entry.last = stamp
            entry.role = entry.role or role
            assert entry.paths is not None
            if path in entry.paths or len(entry.paths) < self.max_paths:
                entry.paths[path] = entry.paths.get(path, 0) + 1
            self.recorded += 1

    def flush(self, *, closed_only: bool = False) -> int:
        """Write pending rows (only those of windows already over with ``closed_only``); returns rows written."""
        from corpus.store import AuditEvent

        current = int(self.clock() // self.window_s) * self.window_s
        with self._lock:
            keys = [k for k in self._pending if not closed_only or k[0] < current]
            taken = [(k, self._pending.pop(k)) for k in keys]
            for window in [w for w in self._callers if not closed_only or w < current]:
                if not any(k[0] == window for k in self._pending):
                    self._callers.pop(window, None)
        for (window, caller, status, code), entry in sorted(taken, key=lambda kv: (kv[0][0], kv[1].first)):
            self.append(
                AuditEvent(
                    actor=caller,
                    action="request.refused",
                    target=str(status),
                    details={
                        "status": status,
                        "code": code,
                        "count": entry.count,
                        "window_start": _iso(window),
                        "window_s": self.window_s,
                        "first": entry.first,
                        "last": entry.last,
                        "paths": entry.paths,
                        "role": entry.role,
                    },
                )
            )
            self.rows_written += 1
        return len(taken)

    def close(self) -> None:
        """Stop the thread and write everything pending."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()


def _iso(seconds: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
