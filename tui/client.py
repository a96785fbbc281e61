"""The console's only way to the NOC: the HTTP API, through an ``httpx.AsyncClient``.

The caller hands the client in, so the same code reaches an in-process API (httpx's ASGI
transport) or a server over HTTP with a bearer token. Answers are parsed into the core's read
models; every failure becomes :class:`ApiError` (or :class:`ApiUnavailable`) with a message for
people, so no httpx exception ever reaches a screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from core.errors import NocError
from core.model import Status
from core.state.views import (
    DeviceDetail,
    DeviceSummary,
    InterfaceView,
    RegionNode,
    StatusCounts,
)

T = TypeVar("T")

API_PREFIX = "/api/v1"
# Statuses meaning "the service is not there right now" rather than "you asked wrongly".
_UNAVAILABLE = frozenset({502, 503, 504})


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


class ApiUnavailable(ApiError):
    """The API could not be reached, or a store behind it is down."""


class ApiHealth(BaseModel):
    """What ``GET /health`` answers (the console's copy: it does not import the API)."""

    model_config = ConfigDict(frozen=True)

    status: str
    version: str
    time: datetime
    devices: StatusCounts


_REGIONS = TypeAdapter(list[RegionNode])
_DEVICES = TypeAdapter(list[DeviceSummary])
_INTERFACES = TypeAdapter(list[InterfaceView])


class NocApiClient:
    """Typed calls to the NOC API. Does not own ``http``: whoever made it closes it."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    async def health(self) -> ApiHealth:
        return await self._get("/health", TypeAdapter(ApiHealth))

    async def region_tree(self) -> list[RegionNode]:
        return await self._get("/regions", _REGIONS)

    async def region(self, code: str) -> RegionNode:
        return await self._get(f"/regions/{code}", TypeAdapter(RegionNode))

    async def devices(
        self,
        region: str | None = None,
        status: Status | None = None,
        text: str | None = None,
    ) -> list[DeviceSummary]:
        params = {"region": region, "status": status.value if status else None, "q": text}
        return await self._get("/devices", _DEVICES, params)

    async def device(self, device_id: str) -> DeviceDetail:
        return await self._get(f"/devices/{_segment(device_id)}", TypeAdapter(DeviceDetail))

    async def interfaces(self, device_id: str) -> list[InterfaceView]:
        return await self._get(f"/devices/{_segment(device_id)}/interfaces", _INTERFACES)

    async def _get(
        self, path: str, adapter: TypeAdapter[T], params: Mapping[str, str | None] | None = None
    ) -> T:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = await self._http.get(f"{API_PREFIX}{path}", params=query)
        except httpx.TimeoutException as exc:
            raise ApiUnavailable(f"the API at {self.base_url} did not answer in time") from exc
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise ApiUnavailable(f"cannot reach the API at {self.base_url}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise ApiError(f"talking to the API failed: {exc}") from exc
        if response.is_error:
            raise _error_from(response)
        try:
            return adapter.validate_json(response.content)
        except ValidationError as exc:
            raise ApiError(
                f"the API answered {path} with something unexpected "
                f"({exc.error_count()} problem(s)); is it a different version?",
                response.status_code,
                "unexpected_answer",
            ) from exc


def _segment(value: str) -> str:
    # An id is one path segment; quoting keeps a '/' or '?' in it from changing the route.
    return quote(value, safe="")


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
