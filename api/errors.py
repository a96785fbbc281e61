"""Every error the API answers with has one JSON shape: ``{"error": {"code", "message"}}``.

The core's :class:`~core.errors.NocError` tree is mapped to HTTP statuses here, once, so routes
simply let errors rise. Anything unexpected becomes a 500 "internal error", logged with the request
path; a traceback never reaches a client (it may be a console on another machine).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.schemas import ErrorBody, ErrorResponse
from core.errors import (
    AccountLocked,
    AuthenticationFailed,
    ConfigError,
    NocError,
    NotFound,
    PermissionDenied,
    RateLimited,
    StoreError,
    VaultError,
)
from core.security.passwords import PasswordRejected
from core.security.user_views import InvalidUserRequest, UserExists

log = logging.getLogger(__name__)


class ApiProblem(Exception):
    """An error the API raises itself (auth, cross-field parameter checks)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


class Unauthorized(ApiProblem):
    def __init__(self, message: str) -> None:
        # RFC 6750: a 401 tells the client which scheme to use.
        super().__init__(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


class Forbidden(ApiProblem):
    def __init__(self, message: str) -> None:
        super().__init__(403, "forbidden", message)


class BadRequest(ApiProblem):
    """A request that is well-formed but asks for something that cannot be (a diff across
    devices)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, "bad_request", message)


class ServiceUnavailable(ApiProblem):
    """What the request needs is not configured or not running in this server."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(503, code, message)


class InvalidParameter(ApiProblem):
    """A parameter that is well-formed alone but wrong with the others (start after end…)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(422, "invalid_parameter", f"query parameter '{parameter}': {message}")
        self.parameter = parameter


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=dict(headers or {}))


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting the error shape for ``statuses``."""
    meaning = {
        400: "The request cannot be answered as asked; the message says why",
        401: "Not logged in: missing, wrong, expired or revoked token",
        403: "No role of the user grants the permission",
        404: "No such object (or not visible to the principal)",
        409: "The object exists already, or is in a state that refuses this",
        422: "A parameter is invalid; the message names it",
        429: "Too many attempts from this client; Retry-After says when to try again",
        503: "A store is unavailable, or the server cannot do this (the message says which)",
    }
    return {s: {"model": ErrorResponse, "description": meaning.get(s, "Error")} for s in statuses}


# Statuses and codes of the core's errors, most specific first (isinstance order matters).
_NOC_ERRORS: tuple[tuple[type[NocError], int, str], ...] = (
    (NotFound, 404, "not_found"),
    (AccountLocked, 401, "account_locked"),
    (AuthenticationFailed, 401, "unauthorized"),
    (RateLimited, 429, "rate_limited"),
    (PermissionDenied, 403, "forbidden"),
    (VaultError, 503, "vault_unavailable"),
    (UserExists, 409, "conflict"),
    (InvalidUserRequest, 422, "invalid_request"),
    (PasswordRejected, 422, "password_rejected"),
    (ConfigError, 400, "bad_request"),
    (StoreError, 503, "store_unavailable"),
)


async def _noc_error(_request: Request, exc: Exception) -> JSONResponse:
    for kind, status, code in _NOC_ERRORS:
        if isinstance(exc, kind):
            return error_response(status, code, str(exc), _headers_for(exc))
    # A deliberate NocError has a message meant for people; it is not a crash.
    return error_response(500, "server_error", str(exc) or type(exc).__name__)


def _headers_for(exc: NocError) -> dict[str, str]:
    if isinstance(exc, AuthenticationFailed):
        return {"WWW-Authenticate": "Bearer"}  # RFC 6750
    if isinstance(exc, RateLimited):
        return {"Retry-After": str(max(1, round(exc.retry_after_s)))}
    return {}


async def _api_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiProblem)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "invalid_parameter", describe_validation(exc))


async def _http_exception(_request: Request, exc: Exception) -> JSONResponse:
    # Starlette's own errors: unknown path (404), wrong method (405).
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), exc.headers)


def describe_validation(exc: RequestValidationError) -> str:
    """One line per bad parameter, each naming where it was and which one."""
    parts: list[str] = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        where, name = (location[0], ".".join(location[1:])) if location else ("request", "")
        if where in ("query", "path", "header"):
            label = f"{where} parameter '{name}'"
        elif where == "body" and name:
            label = f"body field '{name}'"  # which field of a JSON body: ends_at, matchers…
        else:
            label = where
        parts.append(f"{label}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


class CatchAllMiddleware:
    """Turn an unexpected exception into the one error shape.

    Starlette's own 500 handler re-raises after answering, which would hand the exception to an
    in-process client (the console over ASGITransport); this answers and stops it here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:  # the request boundary: log it, answer 500, keep serving
            log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                response = error_response(500, "internal_error", "internal error")
                await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NocError, _noc_error)
    app.add_exception_handler(ApiProblem, _api_problem)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_middleware(CatchAllMiddleware)
