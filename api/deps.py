"""``Annotated`` dependency aliases that keep the routes short: services, caller, role checks.

The dependencies that only read memory are ``async``: FastAPI runs them in the
event loop instead of handing each to a worker thread. The caller's key lookup
is answered from the key ring's memory there too; only when it must read the
store (a key not seen for ``recheck_seconds``, an unknown key) does it move to a
worker thread.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from api.limits import retry_after_header
from api.security import NeedsStore, Principal, key_from_headers
from api.services import Services


async def get_services(request: Request) -> Services:
    """Return the app's :class:`Services`; 503 while they are not open yet."""
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise ApiError(503, "not_ready", "The service is still starting; try again in a moment.")
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
# The key's two headers, read by the caller's dependencies (`Authorization` kept out of the OpenAPI document).
AuthorizationHeader = Annotated[str | None, Header(include_in_schema=False)]
ApiKeyHeader = Annotated[str | None, Header(alias="X-API-Key", description="API key")]


async def current_principal(
    request: Request, authorization: AuthorizationHeader = None, x_api_key: ApiKeyHeader = None
) -> Principal:
    """Identify the caller behind the request's API key (401 / 403), after its rate limit (429).

    Answered in the event loop when the key ring remembers what it needs (the usual case);
    a key lookup that reads the store runs in a worker thread. The services are taken by calling
    :func:`get_services` (503 while starting), not as a dependency of their own: every level of
    dependencies costs FastAPI's solving on every request.
    """
    services = await get_services(request)
    try:
        return _identify(request, services, authorization, x_api_key, memory_only=True)
    except NeedsStore:
        return await run_in_threadpool(_identify, request, services, authorization, x_api_key)


def _identify(
    request: Request,
    services: Services,
    authorization: str | None,
    x_api_key: str | None,
    *,
    memory_only: bool = False,
) -> Principal:
    client_host = request.client.host if request.client else None
    assert services.keyring is not None and services.rate_limiter is not None
    assert services.unauth_limiter is not None
    try:
        secret = key_from_headers(authorization, x_api_key)
        principal = services.keyring.authenticate(secret, client_host, memory_only=memory_only)
    except ApiError as exc:
        # Failed authentications are rate-limited per client address: past the burst a flood of bad keys
        # meets 429 (and one audit row per minute). A valid key is never held up by someone else's flood.
        if exc.status == 401:
            wait = services.unauth_limiter.acquire(f"unauth:{client_host}")
            if wait > 0:
                raise _rate_limited("Too many failed authentications from this client", wait) from None
        raise
    request.state.key_id = principal.key_id
    request.state.role = principal.role
    bucket = principal.key_id if not principal.open else f"open:{client_host}"
    wait = services.rate_limiter.acquire(bucket)
    if wait > 0:
        raise _rate_limited("Too many requests for this key", wait)
    return principal


def _rate_limited(what: str, wait: float) -> ApiError:
    """429 saying ``what`` and when to retry (also in ``Retry-After``)."""
    return ApiError(
        429,
        "rate_limited",
        f"{what}; retry in {max(1, round(wait))} s.",
        {"retry_after_s": round(wait, 2)},
        headers=retry_after_header(wait),
    )


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(*roles: str) -> Any:
    """Make a dependency that admits only ``roles`` (an admin is always admitted).

    It identifies the caller with :func:`current_principal` itself (the one way a caller is
    identified), then checks the role: one dependency where two nested ones cost FastAPI's
    solving twice per request. A route takes either this or :data:`PrincipalDep`, never both
    (both would identify the caller, and take a rate-limit token, twice).
    """

    async def check(
        request: Request, authorization: AuthorizationHeader = None, x_api_key: ApiKeyHeader = None
    ) -> Principal:
        principal = await current_principal(request, authorization, x_api_key)
        principal.require(*roles)
        return principal

    return Depends(check)


AdminDep = Annotated[Principal, require("admin")]
PushDep = Annotated[Principal, require("push")]
MatchCallerDep = Annotated[Principal, require("enterprise")]
FeedbackCallerDep = Annotated[Principal, require("enterprise", "push")]
AnalystDep = Annotated[Principal, require("analyst")]
