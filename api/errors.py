"""Every error the service answers, in the contract's shape.

``{"error": {"code": "...", "message": "<one clear sentence>", "details": ...}}``
(``shared/spec/api.md``). Routes raise :class:`ApiError`; the handlers
installed by :func:`install_error_handlers` turn FastAPI's own validation
errors, Starlette's HTTP errors, the lower layers' user errors (a bad profile,
a malformed condition) and, last, anything unexpected into that shape, so bad
input is a 4xx with a sentence and never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from corpus.conditions import ConditionError
from corpus.schemas import RecordError
from corpus.store.base import NotFoundError

log = logging.getLogger("policymatch.api")

# HTTP status → the code clients switch on when a route gives no more specific one.
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "not_ready",
}


class ApiError(Exception):
    """An error answered to the client: HTTP status, a stable code, one sentence, optional details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = dict(headers or {})


def not_found(kind: str, identifier: str) -> ApiError:
    """404 for an unknown policy / item / enterprise id."""
    return ApiError(
        404, f"{kind}_not_found", f"Unknown {kind} id {identifier!r}.", {kind + "_id": identifier}
    )


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """Build the contract's error object."""
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(error: ApiError) -> JSONResponse:
    """JSON response for an :class:`ApiError`."""
    return JSONResponse(
        error_body(error.code, error.message, error.details), status_code=error.status, headers=error.headers
    )


# --- validation errors -> one sentence ---------------------------------------------------------


def field_path(loc: Sequence[Any]) -> str:
    """``("body", "profile", "qualifications", 0)`` → ``profile.qualifications[0]``."""
    parts: list[str] = []
    for index, part in enumerate(loc):
        if index == 0 and part in ("body", "query", "path", "header", "cookie") and len(loc) > 1:
            continue
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "body"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# Pydantic error types → the sentence after "Field 'x' "; {got} is the value shown, other names come from ctx.
_SENTENCES: dict[str, str] = {
    "missing": "is required.",
    "extra_forbidden": "is not a field of this request.",
    **dict.fromkeys(("int_parsing", "int_type", "int_from_float"), "must be an integer, got {got}."),
    **dict.fromkeys(("float_parsing", "float_type", "finite_number"), "must be a number, got {got}."),
    "string_type": "must be a string, got {got}.",
    **dict.fromkeys(("bool_parsing", "bool_type"), "must be true or false, got {got}."),
    **dict.fromkeys(("list_type", "tuple_type"), "must be a list, got {got}."),
    **dict.fromkeys(
        ("dict_type", "model_type", "model_attributes_type"), "must be a JSON object, got {got}."
    ),
    **dict.fromkeys(
        ("date_parsing", "date_from_datetime_parsing", "date_type", "date_from_datetime_inexact"),
        "must be a date YYYY-MM-DD, got {got}.",
    ),
    "string_too_long": "is too long: at most {max_length} characters, got {length}.",
    "string_too_short": "is too short: at least {min_length} characters.",
    "too_long": "has too many entries: at most {max_length}.",
    "too_short": "needs at least {min_length} entries.",
    "less_than_equal": "must be at most {le}, got {got}.",
    "greater_than_equal": "must be at least {ge}, got {got}.",
    "less_than": "must be less than {lt}, got {got}.",
    "greater_than": "must be greater than {gt}, got {got}.",
    **dict.fromkeys(("literal_error", "enum"), "must be one of {expected}, got {got}."),
    "string_pattern_mismatch": "has an invalid format (expected pattern {pattern}), got {got}.",
}


class _Context(dict[str, Any]):
    """A pydantic error's ctx for ``str.format_map``: a name it lacks reads as None, as ``ctx.get`` did."""

    def __missing__(self, key: str) -> Any:
        return None


def sentence_for(error: Mapping[str, Any]) -> str:
    """One clear sentence for one pydantic error (missing, wrong type, out of range, too long, unknown value)."""
    where = field_path(error.get("loc", ()))
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    got = error.get("input")
    if kind == "json_invalid":
        return f"The request body is not valid JSON ({ctx.get('error', 'parse error')})."
    if kind in ("model_attributes_type", "dict_type", "model_type") and where == "body":
        return "The request body must be a JSON object."
    template = _SENTENCES.get(kind)
    if template is not None:
        length = len(got) if isinstance(got, str) else "more"
        return f"Field '{where}' " + template.format_map(_Context(ctx, got=_shown(got), length=length))
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"Field '{where}': {message}." if not message.endswith(".") else f"Field '{where}': {message}"


def validation_error(errors: Sequence[Mapping[str, Any]]) -> ApiError:
    """422 naming the first problem in one sentence; every problem listed in ``details``."""
    details = [
        {"field": field_path(e.get("loc", ())), "type": e.get("type"), "message": sentence_for(e)}
        for e in errors
    ]
    if not details:
        return ApiError(422, "invalid_request", "The request is invalid.")
    message = str(details[0]["message"])
    if len(details) > 1:
        message = (
            message.rstrip(".")
            + f" (and {len(details) - 1} more problem{'s' if len(details) > 2 else ''}, see details)."
        )
    return ApiError(422, "invalid_request", message, details)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error in the contract's shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        if exc.status in REFUSALS:
            record_refusal(request, exc)
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(validation_error(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "error")
        if exc.status_code == 404:
            message = f"No route {request.method} {request.url.path}."
        elif exc.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}."
        else:
            message = str(exc.detail).rstrip(".") + "."
        return error_response(ApiError(exc.status_code, code, message, headers=exc.headers))

    @app.exception_handler(ConditionError)
    async def _condition(request: Request, exc: ConditionError) -> JSONResponse:
        return error_response(ApiError(422, "invalid_condition", _sentence(str(exc))))

    @app.exception_handler(RecordError)
    async def _record(request: Request, exc: RecordError) -> JSONResponse:
        return error_response(record_error(exc))

    @app.exception_handler(LookupError)
    async def _lookup(request: Request, exc: LookupError) -> JSONResponse:
        # The matcher's EnterpriseNotFound / ItemNotFound; routes check ids first, this is the backstop.
        return error_response(ApiError(404, "not_found", _sentence(str(exc).strip("'\""))))

    @app.exception_handler(NotFoundError)
    async def _missing(request: Request, exc: NotFoundError) -> JSONResponse:
        return error_response(ApiError(404, "not_found", _sentence(str(exc))))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path, "method": request.method})
        return error_response(
            ApiError(500, "internal_error", "The server failed on this request; it has been logged.")
        )


def record_error(exc: RecordError, prefix: str = "") -> ApiError:
    """422 naming the first field problem of a profile / policy in one sentence, all of them in details."""
    problems = [{"field": prefix + p.field, "message": p.message} for p in exc.problems]
    if problems:
        first = problems[0]
        message = f"Field '{first['field']}' {first['message']}"
        message = message.rstrip(".") + (
            f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''}, see details)."
            if len(problems) > 1
            else "."
        )
    else:
        message = str(exc)
    code = "invalid_profile" if exc.kind == "enterprise profile" else "invalid_policy"
    return ApiError(422, code, message, problems)


# Denied attempts, each counted on the audit trail (api.security.RefusalLog).
REFUSALS = (401, 403, 429)


def record_refusal(request: Request, exc: ApiError) -> None:
    """Count a 401/403/429 against its caller: the key id when the key was recognised, else the client address."""
    services = getattr(request.app.state, "services", None)
    refusals = getattr(services, "refusals", None)
    if refusals is None:
        return
    key_id = getattr(request.state, "key_id", None)
    host = request.client.host if request.client else "unknown"
    caller = key_id if key_id and key_id != "open" else f"client:{host}"
    refusals.record(caller, exc.status, exc.code, request.url.path, getattr(request.state, "role", None))


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return "The request is invalid."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "。", "!", "?")) else text + "."
