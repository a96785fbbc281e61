"""The console's only way to the NOC: typed calls to the HTTP API.

The caller hands an ``httpx.AsyncClient`` in, so the same code reaches an in-process API (httpx's
ASGI transport) or a server over HTTP; who is asking, and how requests are signed and their
errors told, is :mod:`tui.api_transport`. Answers are parsed into the core's read models and the
console's copies of the API's own shapes (:mod:`tui.api_models`, :mod:`tui.security_models`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, SecretStr, TypeAdapter

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
from tui.alert_client import AlertCalls
from tui.api_models import BackupResult, DeviceAccount, DeviceSsh
from tui.api_transport import API_PREFIX, ApiError, ApiUnavailable, SessionLost, path_segment
from tui.security_models import (
    AccessReviewSummary,
    AccountFindings,
    ApiTokenInfo,
    AuditQuery,
    AuditRecord,
    AuditVerification,
    GrantInfo,
    LoginAnswer,
    MeInfo,
    PasswordReset,
    ReviewChanges,
    SignedReview,
    UserCreated,
    UserInfo,
)
from tui.topology_models import (
    DiscoveryFindings,
    FailoverBoard,
    ImpactReport,
    RedundancyFinding,
    RegionTopology,
    RootCause,
    SitePaths,
)

__all__ = [
    "API_PREFIX",
    "BACKUP_TIMEOUT_S",
    "ApiError",
    "ApiHealth",
    "ApiUnavailable",
    "NocApiClient",
    "SessionLost",
]

BACKUP_TIMEOUT_S = 180.0
"""A backup on demand logs into the device and reads its whole configuration: far longer than
any read, so it gets its own timeout."""


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
_USER = TypeAdapter(UserInfo)
_USERS = TypeAdapter(list[UserInfo])
_TOKENS = TypeAdapter(list[ApiTokenInfo])
_AUDIT = TypeAdapter(list[AuditRecord])
_IMPACT = TypeAdapter(ImpactReport)


class NocApiClient(AlertCalls):
    """Typed calls to the NOC API (those of the alert routes in :class:`AlertCalls`). Does not
    own its ``httpx`` client: whoever made it closes it."""

    # ------------------------------------------------------------------ sessions

    async def login(self, username: str, password: SecretStr) -> UserInfo:
        """Open a session: its tokens sign every request from now on (kept in memory only)."""
        body = {"username": username, "password": password.get_secret_value()}
        answer = await self._request(
            "POST", "/auth/login", TypeAdapter(LoginAnswer), json=body, signed=False
        )
        self.open_session(answer)
        return answer.user

    async def logout(self) -> None:
        """End the session on the server, and forget it here even when the server cannot be
        told (its tokens die on their own)."""
        if not self.has_session:
            return
        try:
            await self._send("POST", "/auth/logout", retry=False)
        finally:
            self.forget_session()

    async def me(self) -> MeInfo:
        """Who is asking, and each permission they hold with the scopes it holds in."""
        return await self._get("/auth/me", TypeAdapter(MeInfo))

    async def change_password(self, old: SecretStr, new: SecretStr) -> None:
        body = {"old_password": old.get_secret_value(), "new_password": new.get_secret_value()}
        await self._send("POST", "/auth/password", json=body)

    # ------------------------------------------------------------------ inventory

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
        return await self._get(f"/devices/{path_segment(device_id)}", TypeAdapter(DeviceDetail))

    async def interfaces(self, device_id: str) -> list[InterfaceView]:
        return await self._get(f"/devices/{path_segment(device_id)}/interfaces", _INTERFACES)

    # ------------------------------------------------------------------ configurations

    async def config_versions(self, device_id: str) -> list[ConfigVersionSummary]:
        """Newest first."""
        return await self._get(f"/devices/{path_segment(device_id)}/configs", _VERSIONS)

    async def config_version(self, version_id: int) -> ConfigVersion:
        return await self._get(f"/configs/{version_id}", TypeAdapter(ConfigVersion))

    async def config_diff(self, from_id: int, to_id: int) -> ConfigDiff:
        params = {"from": str(from_id), "to": str(to_id)}
        return await self._get("/configs/diff", TypeAdapter(ConfigDiff), params)

    async def backup_status(self, device_id: str) -> BackupStatusView:
        return await self._get(
            f"/devices/{path_segment(device_id)}/backup", TypeAdapter(BackupStatusView)
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
            f"/devices/{path_segment(device_id)}/backup",
            TypeAdapter(BackupResult),
            timeout_s=BACKUP_TIMEOUT_S,
        )

    # ------------------------------------------------------------------ accounts and SSH

    async def accounts(self, device_id: str) -> list[DeviceAccount]:
        return await self._get(f"/devices/{path_segment(device_id)}/accounts", _ACCOUNTS)

    async def search_accounts(
        self,
        text: str | None = None,
        privileged: bool = False,
        device: str | None = None,
    ) -> list[DeviceAccount]:
        params = {"q": text, "privileged": "true" if privileged else None, "device": device}
        return await self._get("/accounts", _ACCOUNTS, params)

    async def device_ssh(self, device_id: str) -> DeviceSsh:
        return await self._get(f"/devices/{path_segment(device_id)}/ssh", TypeAdapter(DeviceSsh))

    # ------------------------------------------------------------------ users

    async def users(self) -> list[UserInfo]:
        return await self._get("/users", _USERS)

    async def user(self, username: str) -> UserInfo:
        return await self._get(f"/users/{path_segment(username)}", _USER)

    async def create_user(
        self, username: str, display_name: str = "", grants: Sequence[GrantInfo] = ()
    ) -> UserCreated:
        """A new user; the answer carries the temporary password, to be shown once."""
        body = {
            "username": username,
            "display_name": display_name,
            "grants": [{"role": g.role, "scope": g.scope} for g in grants],
        }
        return await self._request("POST", "/users", TypeAdapter(UserCreated), json=body)

    async def set_user_disabled(self, username: str, disabled: bool) -> UserInfo:
        verb = "disable" if disabled else "enable"
        return await self._request("POST", f"/users/{path_segment(username)}/{verb}", _USER)

    async def unlock_user(self, username: str) -> UserInfo:
        return await self._request("POST", f"/users/{path_segment(username)}/unlock", _USER)

    async def reset_password(self, username: str) -> SecretStr:
        """A new temporary password for ``username`` (to be shown once)."""
        path = f"/users/{path_segment(username)}/reset-password"
        answer = await self._request("POST", path, TypeAdapter(PasswordReset))
        return answer.temporary_password

    async def grant_role(self, username: str, grant: GrantInfo) -> UserInfo:
        body = {"role": grant.role, "scope": grant.scope}
        path = f"/users/{path_segment(username)}/grants"
        return await self._request("POST", path, _USER, json=body)

    async def revoke_role(self, username: str, grant: GrantInfo) -> UserInfo:
        grants = f"/users/{path_segment(username)}/grants"
        path = f"{grants}/{path_segment(grant.role)}/{path_segment(grant.scope)}"
        return await self._request("DELETE", path, _USER)

    async def user_tokens(self, username: str) -> list[ApiTokenInfo]:
        return await self._get(f"/users/{path_segment(username)}/tokens", _TOKENS)

    async def revoke_user_token(self, username: str, token_id: int) -> ApiTokenInfo:
        path = f"/users/{path_segment(username)}/tokens/{token_id}"
        return await self._request("DELETE", path, TypeAdapter(ApiTokenInfo))

    # ------------------------------------------------------------------ audit trail

    async def audit(self, query: AuditQuery) -> list[AuditRecord]:
        """Records newest first, as filtered by ``query``."""
        return await self._get("/audit", _AUDIT, query.params())

    async def verify_audit(self) -> AuditVerification:
        return await self._get("/audit/verify", TypeAdapter(AuditVerification))

    async def export_audit(self, since: datetime, until: datetime, fmt: str = "jsonl") -> bytes:
        """A period of the trail as JSON lines (or CSV); the server records the export."""
        params = {"since": since.isoformat(), "until": until.isoformat(), "format": fmt}
        response = await self._send("GET", "/audit/export", params=params)
        return response.content

    async def record_console_action(
        self, action: str, target: str | None = None, detail: str | None = None
    ) -> None:
        """Write ``console.<action>`` to the audit trail as the caller."""
        body = {"action": action, "target": target, "detail": detail}
        await self._send("POST", "/audit/console", json=body)

    # ------------------------------------------------------------------ security reports

    async def account_findings(self, region: str | None = None) -> AccountFindings:
        params = {"region": region}
        return await self._get("/reports/accounts", TypeAdapter(AccountFindings), params)

    async def export_findings(self, region: str | None = None) -> bytes:
        """The account findings as CSV, as the server writes them (it records the export)."""
        params = {"region": region, "format": "csv"}
        return (await self._send("GET", "/reports/accounts", params)).content

    async def access_review(self) -> AccessReviewSummary:
        return await self._get("/reports/access", TypeAdapter(AccessReviewSummary))

    async def review_changes(self) -> ReviewChanges:
        """What changed since the last signed access review."""
        return await self._get("/reports/changes", TypeAdapter(ReviewChanges))

    async def sign_off_review(self) -> SignedReview:
        """Sign the access review off as the caller (the next changes compare with it)."""
        return await self._request("POST", "/reports/reviews", TypeAdapter(SignedReview))

    # ------------------------------------------------------------------ topology

    async def region_topology(self, code: str) -> RegionTopology:
        """A region's devices and links (with the far ends of its uplinks) and its children."""
        path = f"/topology/regions/{path_segment(code)}"
        return await self._get(path, TypeAdapter(RegionTopology))

    async def site_paths(self, region: str | None = None) -> list[SitePaths]:
        """The primary and backup paths of the city and county nodes at or below ``region``
        (default: all the caller may see)."""
        return await self._get("/topology/paths", TypeAdapter(list[SitePaths]), {"region": region})

    async def single_points_of_failure(self, region: str | None = None) -> list[RedundancyFinding]:
        adapter = TypeAdapter(list[RedundancyFinding])
        return await self._get("/topology/spof", adapter, {"region": region})

    async def failover_board(
        self, region: str | None = None, all_sites: bool = False
    ) -> FailoverBoard:
        """Sites on backup or isolated, worst first (``all_sites``: every site), with counts."""
        params = {"region": region, "all": "true" if all_sites else "false"}
        return await self._get("/topology/failover", TypeAdapter(FailoverBoard), params)

    async def device_impact(self, device_id: str) -> ImpactReport:
        """What the device's failure would cost (or costs now, when it is down)."""
        return await self._get("/topology/impact", _IMPACT, {"device": device_id})

    async def link_impact(self, link_id: str) -> ImpactReport:
        """What the link's failure would cost (or costs now, when it is down)."""
        return await self._get("/topology/impact", _IMPACT, {"link": link_id})

    async def root_causes(self) -> list[RootCause]:
        return await self._get("/topology/root-causes", TypeAdapter(list[RootCause]))

    async def discovery(self, region: str | None = None) -> DiscoveryFindings:
        """LLDP neighbours seen against the links intended."""
        adapter = TypeAdapter(DiscoveryFindings)
        return await self._get("/topology/discovery", adapter, {"region": region})
