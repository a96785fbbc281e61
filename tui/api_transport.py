"""How the console talks to the API: one signed request, its errors, and the session behind it.

Who is asking is either a bearer token the ``httpx`` client already carries (a personal API
token, for scripts and tests) or a session opened with :meth:`ApiTransport.open_session` (a
login). A session's tokens are kept in this object only — never written anywhere, never logged
(they are :class:`~pydantic.SecretStr`) — and an access token that expired is renewed once with
the refresh token, and the request sent again. Every failure becomes :class:`ApiError` (or
:class:`ApiUnavailable`) with a message for people, so no httpx exception ever reaches a screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from core.errors import NocError
from tui.security_models import LoginAnswer

T = TypeVar("T")

API_PREFIX = "/api/v1"
# Statuses meaning "the service is not there right now" rather than "you asked wrongly".
_UNAVAILABLE = frozenset({502, 503, 504})
_LOGIN = TypeAdapter(LoginAnswer)
_NOT_A_SESSION_LOSS = frozenset({"/auth/login", "/auth/refresh", "/auth/password"})
"""Where a 401 means "wrong password" (or is handled here), not "you are no longer let in"."""

Params = Mapping[str, str | None]

SessionLost = Callable[[str], None]
"""Told why when the API stops accepting who the console is (a session expired beyond refresh,
a token revoked, the user disabled): the console goes back to its login screen."""


class ApiError(NocError):
    """The API answered with an error (``status``, ``code`` and ``message`` from its JSON)."""

    def __init__(self, message: str, status: int | None = None, code: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def unauthorized(self) -> bool:
        return self.status == 401

    @property
    def token_expired(self) -> bool:
        """The access token ran out (not a wrong, revoked or unknown one)."""
        return self.status == 401 and "expired" in self.message


class ApiUnavailable(ApiError):
    """The API could not be reached, or a store behind it is down."""


class ApiTransport:
    """Signed requests to the API, with the session (if any) that signs them. Does not own
    ``http``: whoever made it closes it."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http
        self._session: LoginAnswer | None = None
        # Two workers meeting an expired token at once must refresh once: a refresh token used
        # twice looks stolen, and the server ends the whole session.
        self._refreshing = asyncio.Lock()
        self.on_session_lost: SessionLost | None = None
        """Called when the API no longer lets the console in (see :data:`SessionLost`)."""

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    @property
    def has_credentials(self) -> bool:
        """A session is open, or the ``httpx`` client carries a bearer token of its own."""
        return self._session is not None or "authorization" in self._http.headers

    @property
    def has_session(self) -> bool:
        """Logged in with a user name and password (so there is a session to log out of)."""
        return self._session is not None

    def open_session(self, answer: LoginAnswer) -> None:
        """Sign every request from now on with this login's access token."""
        self._session = answer

    def forget_session(self) -> None:
        self._session = None

    async def _refresh(self, used: LoginAnswer) -> bool:
        """Renew the session whose access token ``used`` carried; False when it cannot be."""
        async with self._refreshing:
            current = self._session
            if current is None:
                return False
            if current is not used:
                return True  # another request renewed it meanwhile: just send again
            body = {"refresh_token": current.refresh_token.get_secret_value()}
            try:
                renewed = await self._request(
                    "POST", "/auth/refresh", _LOGIN, json=body, signed=False
                )
            except ApiError as exc:
                if exc.unauthorized:
                    return False
                raise
            self._session = renewed
            return True

    async def _get(self, path: str, adapter: TypeAdapter[T], params: Params | None = None) -> T:
        return await self._request("GET", path, adapter, params)

    async def _request(
        self,
        method: str,
        path: str,
        adapter: TypeAdapter[T],
        params: Params | None = None,
        *,
        json: Any = None,
        timeout_s: float | None = None,
        signed: bool = True,
    ) -> T:
        """Send, and parse the answer with ``adapter``."""
        response = await self._send(
            method, path, params, json=json, timeout_s=timeout_s, signed=signed
        )
        try:
            return adapter.validate_json(response.content)
        except ValidationError as exc:
            raise ApiError(
                f"the API answered {path} with something unexpected "
                f"({exc.error_count()} problem(s)); is it a different version?",
                response.status_code,
                "unexpected_answer",
            ) from exc

    async def _send(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        *,
        json: Any = None,
        timeout_s: float | None = None,
        signed: bool = True,
        retry: bool = True,
    ) -> httpx.Response:
        """One request signed with the session's access token (or the ``httpx`` client's own
        header; ``signed=False``: the session's is not sent). An expired access token is
        renewed once and the request sent again."""
        session = self._session if signed else None
        try:
            return await self._exchange(method, path, params, json, timeout_s, session)
        except ApiError as exc:
            if not (signed and exc.unauthorized):
                raise
            if retry and session is not None and exc.token_expired and await self._refresh(session):
                return await self._send(
                    method, path, params, json=json, timeout_s=timeout_s, retry=False
                )
            if path not in _NOT_A_SESSION_LOSS:
                self._lost(exc.message)
            raise

    def _lost(self, why: str) -> None:
        self._session = None
        if self.on_session_lost is not None:
            self.on_session_lost(why)

    async def _exchange(
        self,
        method: str,
        path: str,
        params: Params | None,
        json: Any,
        timeout_s: float | None,
        session: LoginAnswer | None,
    ) -> httpx.Response:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        # Without an explicit timeout the client's own applies (USE_CLIENT_DEFAULT).
        timeout: Any = httpx.USE_CLIENT_DEFAULT if timeout_s is None else timeout_s
        headers = None
        if session is not None:
            headers = {"Authorization": f"Bearer {session.access_token.get_secret_value()}"}
        try:
            response = await self._http.request(
                method,
                f"{API_PREFIX}{path}",
                params=query,
                json=json,
                headers=headers,
                timeout=timeout,
            )
        except httpx.TimeoutException as exc:
            raise ApiUnavailable(f"the API at {self.base_url} did not answer in time") from exc
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise ApiUnavailable(f"cannot reach the API at {self.base_url}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise ApiError(f"talking to the API failed: {exc}") from exc
        if response.is_error:
            raise _error_from(response)
        return response


def _error_from(response: httpx.Response) -> ApiError:
    code, message = "http_error", f"HTTP {response.status_code} {response.reason_phrase}".strip()
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        code = str(error.get("code", code))
        message = str(error.get("message", message))
    kind = ApiUnavailable if response.status_code in _UNAVAILABLE else ApiError
    return kind(message, response.status_code, code)


def path_segment(value: str) -> str:
    """``value`` quoted as one URL path segment: a '/' or '?' in an id cannot change the route."""
    return quote(value, safe="")
