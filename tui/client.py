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
from core.state.config_views import (
    BackupStatusView,
    ConfigDiff,
    ConfigVersion,
    ConfigVersionSummary,
)
from core.state.views import (
    DeviceDetail,
    DeviceSummary,
    InterfaceView,
    RegionNode,
    StatusCounts,
)
from tui.api_models import BackupResult, DeviceAccount, DeviceSsh

T = TypeVar("T")

API_PREFIX = "/api/v1"
# Statuses meaning "the service is not there right now" rather than "you asked wrongly".
_UNAVAILABLE = frozenset({502, 503, 504})
BACKUP_TIMEOUT_S = 180.0
"""A backup on demand logs into the device and reads its whole configuration: far longer than
any read, so it gets its own timeout."""


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
_VERSIONS = TypeAdapter(list[ConfigVersionSummary])
_BACKUPS = TypeAdapter(list[BackupStatusView])
_ACCOUNTS = TypeAdapter(list[DeviceAccount])


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

    # ------------------------------------------------------------------ configurations

    async def config_versions(self, device_id: str) -> list[ConfigVersionSummary]:
        """Newest first."""
        return await self._get(f"/devices/{_segment(device_id)}/configs", _VERSIONS)

    async def config_version(self, version_id: int) -> ConfigVersion:
        return await self._get(f"/configs/{version_id}", TypeAdapter(ConfigVersion))

    async def config_diff(self, from_id: int, to_id: int) -> ConfigDiff:
        params = {"from": str(from_id), "to": str(to_id)}
        return await self._get("/configs/diff", TypeAdapter(ConfigDiff), params)

    async def backup_status(self, device_id: str) -> BackupStatusView:
        return await self._get(
            f"/devices/{_segment(device_id)}/backup", TypeAdapter(BackupStatusView)
        )

    async def backups(
        self, stale: bool = False, older_than_h: float | None = None
    ) -> list[BackupStatusView]:
        """Every device's backup record; with ``stale``, those without a successful backup in
        ``older_than_h`` hours (the server's default: 24), worst first."""
        params = {
            "stale": "true" if stale else None,
            "older_than_h": f"{older_than_h:g}" if older_than_h is not None else None,
        }
        return await self._get("/backups", _BACKUPS, params)

    async def backup_now(self, device_id: str) -> BackupResult:
        """Back the device up now (the server connects to it; this may take a while)."""
        return await self._request(
            "POST",
            f"/devices/{_segment(device_id)}/backup",
            TypeAdapter(BackupResult),
            timeout_s=BACKUP_TIMEOUT_S,
        )

    # ------------------------------------------------------------------ accounts and SSH

    async def accounts(self, device_id: str) -> list[DeviceAccount]:
        return await self._get(f"/devices/{_segment(device_id)}/accounts", _ACCOUNTS)

    async def search_accounts(
        self,
        text: str | None = None,
        privileged: bool = False,
        device: str | None = None,
    ) -> list[DeviceAccount]:
        params = {"q": text, "privileged": "true" if privileged else None, "device": device}
        return await self._get("/accounts", _ACCOUNTS, params)

    async def device_ssh(self, device_id: str) -> DeviceSsh:
        return await self._get(f"/devices/{_segment(device_id)}/ssh", TypeAdapter(DeviceSsh))

    # ------------------------------------------------------------------ transport

    async def _get(
        self, path: str, adapter: TypeAdapter[T], params: Mapping[str, str | None] | None = None
    ) -> T:
        return await self._request("GET", path, adapter, params)

    async def _request(
        self,
        method: str,
        path: str,
        adapter: TypeAdapter[T],
        params: Mapping[str, str | None] | None = None,
        timeout_s: float | None = None,
    ) -> T:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        # Without an explicit timeout the client's own applies (USE_CLIENT_DEFAULT).
        timeout: Any = httpx.USE_CLIENT_DEFAULT if timeout_s is None else timeout_s
        try:
            response = await self._http.request(
                method, f"{API_PREFIX}{path}", params=query, timeout=timeout
            )
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
