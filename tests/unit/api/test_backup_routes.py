"""Backup records, the fleet's stale list, and backups on demand with their audit entries."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from api.app import create_app
from api.schemas import BackupNowResult
from core.errors import StoreError
from core.metrics.store import MetricStore
from core.security.audit_trail import AuditEvent, AuditOutcome
from core.security.permissions import Role
from core.security.principal import Grant, Principal
from core.state.repository import StateRepository
from tests.unit.api.auth_fakes import ADMIN_HEADERS, FakeAuditSink, FakeAuthenticator
from tests.unit.api.scenario import NOW, T0, SshStores, services
from tests.unit.api.ssh_scenario import LOGIN_FAILED


def z(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


async def test_one_device_backup_record(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices/gd-dc1-core1/backup")
    assert response.status_code == 200
    body = response.json()
    assert body["device_id"] == "gd-dc1-core1"
    assert body["device_name"] == "GD-DC1-CORE1"
    assert body["platform"] == "huawei_vrp"
    assert body["last_success_at"] == z(T0 - timedelta(days=3))
    assert body["last_failure_at"] == z(T0 - timedelta(minutes=30))
    assert body["last_error"] == LOGIN_FAILED
    assert body["last_version_id"] == 4


async def test_a_device_never_tried_has_an_empty_record(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/devices/gz-liwan-acc1/backup")).json()
    assert body["last_attempt_at"] is None
    assert body["last_success_at"] is None
    assert body["last_version_id"] is None


async def test_unknown_device_backup_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/devices/gz-core9/backup")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no device 'gz-core9'"


async def test_fleet_list_is_every_device_by_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/backups")
    assert response.status_code == 200
    assert [b["device_id"] for b in response.json()] == [
        "gd-dc1-core1",
        "gz-core1",
        "gz-liwan-acc1",
        "gz-yuexiu-acc1",
    ]


async def test_stale_list_is_worst_first_with_the_never_backed_up(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/backups", params={"stale": "true"})
    assert response.status_code == 200
    # never, then the oldest success (3 days), then 30 hours; gz-core1 is an hour old.
    assert [b["device_id"] for b in response.json()] == [
        "gz-liwan-acc1",
        "gd-dc1-core1",
        "gz-yuexiu-acc1",
    ]


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (72.5, ["gz-liwan-acc1"]),
        (48, ["gz-liwan-acc1", "gd-dc1-core1"]),
        (0.5, ["gz-liwan-acc1", "gd-dc1-core1", "gz-yuexiu-acc1", "gz-core1"]),
    ],
)
async def test_stale_limit_is_a_parameter(
    client: httpx.AsyncClient, hours: float, expected: list[str]
) -> None:
    response = await client.get("/api/v1/backups", params={"stale": "true", "older_than_h": hours})
    assert [b["device_id"] for b in response.json()] == expected


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"older_than_h": 24}, "older_than_h"),
        ({"stale": "true", "older_than_h": 0}, "older_than_h"),
        ({"stale": "true", "older_than_h": "a day"}, "older_than_h"),
        ({"stale": "maybe"}, "stale"),
    ],
)
async def test_fleet_list_rejects_bad_parameters(
    client: httpx.AsyncClient, params: dict[str, object], parameter: str
) -> None:
    response = await client.get("/api/v1/backups", params=params)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert f"query parameter '{parameter}'" in response.json()["error"]["message"]


# ---------------------------------------------------------------------- on demand


class RecordingAudit(FakeAuditSink):
    @property
    def entries(self) -> list[AuditEvent]:
        return self.events


class FakeBackup:
    """Answers what it was given, and remembers which devices it was asked for."""

    def __init__(self, result: BackupNowResult | Exception) -> None:
        self.result = result
        self.asked: list[str] = []

    async def __call__(self, device_id: str) -> BackupNowResult:
        self.asked.append(device_id)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


@pytest.fixture
def audit() -> RecordingAudit:
    return RecordingAudit()


async def post_backup(
    state: StateRepository,
    metrics: MetricStore,
    stores: SshStores,
    audit: RecordingAudit,
    backup: FakeBackup | None,
    device: str = "gz-core1",
) -> httpx.Response:
    app = create_app(services(state, metrics, stores, backup_now=backup, audit=audit))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=ADMIN_HEADERS
    ) as http:
        return await http.post(f"/api/v1/devices/{device}/backup")


CHANGED = BackupNowResult(
    device_id="gz-core1",
    at=NOW,
    changed=True,
    version_id=6,
    current_version_id=6,
    lines_added=2,
    lines_removed=1,
)


async def test_backup_now_answers_the_outcome_and_audits_who_asked(
    state: StateRepository, metrics: MetricStore, stores: SshStores, audit: RecordingAudit
) -> None:
    backup = FakeBackup(CHANGED)
    response = await post_backup(state, metrics, stores, audit, backup)
    assert response.status_code == 200
    assert response.json()["version_id"] == 6
    assert response.json()["error"] is None
    assert backup.asked == ["gz-core1"]
    (entry,) = audit.entries
    assert (entry.actor, entry.action, entry.target) == ("admin", "backup_device", "gz-core1")
    assert entry.outcome is AuditOutcome.OK
    assert entry.detail == "version 6 (+2 -1)"
    assert entry.region_code == "440100"
    assert entry.client == "127.0.0.1"


@pytest.mark.parametrize(
    ("result", "detail"),
    [
        (BackupNowResult(device_id="gz-core1", current_version_id=3), "unchanged (version 3)"),
        (
            BackupNowResult(device_id="gz-core1", baseline=True, version_id=9),
            "first version 9",
        ),
    ],
)
async def test_audit_says_what_changed(
    state: StateRepository,
    metrics: MetricStore,
    stores: SshStores,
    audit: RecordingAudit,
    result: BackupNowResult,
    detail: str,
) -> None:
    response = await post_backup(state, metrics, stores, audit, FakeBackup(result))
    assert response.status_code == 200
    assert audit.entries[0].detail == detail


async def test_a_failed_backup_is_an_answer_not_an_http_error(
    state: StateRepository, metrics: MetricStore, stores: SshStores, audit: RecordingAudit
) -> None:
    failed = BackupNowResult(device_id="gz-core1", at=NOW, error="connection refused")
    response = await post_backup(state, metrics, stores, audit, FakeBackup(failed))
    assert response.status_code == 200
    assert response.json()["error"] == "connection refused"
    (entry,) = audit.entries
    assert (entry.outcome, entry.detail) == (AuditOutcome.FAILED, "connection refused")


async def test_without_a_collector_it_is_503_and_still_audited(
    state: StateRepository, metrics: MetricStore, stores: SshStores, audit: RecordingAudit
) -> None:
    response = await post_backup(state, metrics, stores, audit, None)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "backup_unavailable"
    assert "no SSH collector" in error["message"]
    (entry,) = audit.entries
    assert entry.outcome is AuditOutcome.UNAVAILABLE


async def test_a_store_failure_in_the_hook_is_503_and_audited(
    state: StateRepository, metrics: MetricStore, stores: SshStores, audit: RecordingAudit
) -> None:
    broken = FakeBackup(StoreError("state DB: locked"))
    response = await post_backup(state, metrics, stores, audit, broken)
    assert response.status_code == 503
    assert response.json()["error"] == {"code": "store_unavailable", "message": "state DB: locked"}
    (entry,) = audit.entries
    assert (entry.outcome, entry.detail) == (AuditOutcome.FAILED, "StoreError: state DB: locked")


async def test_backup_of_an_unknown_device_is_404_and_never_reaches_the_collector(
    state: StateRepository, metrics: MetricStore, stores: SshStores, audit: RecordingAudit
) -> None:
    backup = FakeBackup(CHANGED)
    response = await post_backup(state, metrics, stores, audit, backup, device="gz-core9")
    assert response.status_code == 404
    assert backup.asked == []


async def test_a_principal_without_the_permission_is_refused_before_the_collector(
    state: StateRepository, metrics: MetricStore, stores: SshStores, audit: RecordingAudit
) -> None:
    backup = FakeBackup(CHANGED)
    reader = Principal(2, "reader", (Grant(Role.SECURITY_OFFICER, "440000"),))
    auth = FakeAuthenticator({"reader-token": reader})
    app = create_app(services(state, metrics, stores, backup_now=backup, audit=audit, auth=auth))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": "Bearer reader-token"},
    ) as http:
        assert (await http.get("/api/v1/devices/gz-core1/backup")).status_code == 200
        response = await http.post("/api/v1/devices/gz-core1/backup")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "reader may not backup_devices"
    assert backup.asked == []
    (refusal,) = audit.entries
    assert (refusal.actor, refusal.outcome) == ("reader", AuditOutcome.DENIED)
    assert refusal.action == "POST /api/v1/devices/gz-core1/backup"
