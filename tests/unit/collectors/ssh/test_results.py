"""Collection results: failure kinds, and what their JSON shows (never a secret)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.ssh.host_key_policy import HostKeyRefused
from collectors.ssh.results import FailureKind, SshCollectResult, failure_kind
from collectors.ssh.target import SshTarget
from core.credentials import SshCredential
from core.errors import (
    ConfigError,
    CredentialError,
    DeviceAuthError,
    DeviceError,
    DeviceTimeout,
    DeviceUnreachable,
    MalformedResponse,
    StoreError,
)
from core.model import Platform
from core.state.host_keys import HostKeyVerdict
from core.state.ssh_views import AccountOrigin, LocalAccount, SshFacts

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
TARGET = SshTarget(
    "gz-core1",
    "127.0.0.11",
    22,
    Platform.HUAWEI_VRP,
    SshCredential.model_validate({"username": "noc", "password": "hunter2-secret"}),
)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (HostKeyRefused("d", "h:22", "SHA256:a", "SHA256:b"), FailureKind.HOST_KEY),
        (DeviceAuthError("d", "x"), FailureKind.AUTH),
        (DeviceTimeout("d", "x"), FailureKind.TIMEOUT),
        (DeviceUnreachable("d", "x"), FailureKind.UNREACHABLE),
        (MalformedResponse("d", "x"), FailureKind.MALFORMED),
        (DeviceError("d", "x"), FailureKind.UNREACHABLE),
        (CredentialError("x"), FailureKind.CONFIG),
        (ConfigError("x"), FailureKind.CONFIG),
        (StoreError("x"), FailureKind.INTERNAL),
        (RuntimeError("x"), FailureKind.INTERNAL),
    ],
)
def test_failure_kinds(error: Exception, kind: FailureKind) -> None:
    assert failure_kind(error) is kind


def test_a_refused_host_key_result() -> None:
    refusal = HostKeyRefused("gz-core1", "127.0.0.11:22", "SHA256:old", "SHA256:new")
    result = SshCollectResult.failed(TARGET, T0, 0.1, refusal)
    assert not result.ok
    assert result.host_key is HostKeyVerdict.CHANGED
    assert result.exception is refusal
    assert "pinned SHA256:old, presented SHA256:new" in (result.error or "")


def test_json_has_no_secret_and_no_configuration_unless_asked() -> None:
    result = SshCollectResult(
        device_id="gz-core1",
        endpoint="127.0.0.11:22",
        platform=Platform.HUAWEI_VRP,
        collected_at=T0,
        duration_s=0.4321,
        facts=SshFacts(hostname="GZ-CORE1", vendor="Huawei"),
        accounts=(
            LocalAccount(
                name="admin",
                origin=AccountOrigin.LOCAL_USER,
                privilege="15",
                password_type="irreversible-cipher",
            ),
        ),
        accounts_complete=True,
        running_config="sysname GZ-CORE1\n local-user admin password cipher $1a$XYZ$\n",
    )
    data = result.to_json()
    assert data["ok"] is True
    assert data["duration_s"] == 0.432
    assert data["running_config_lines"] == 2
    assert "running_config" not in data
    assert data["accounts"] == [
        {
            "name": "admin",
            "origin": "local-user",
            "privilege": "15",
            "password_type": "irreversible-cipher",
        }
    ]
    assert "$1a$XYZ$" not in repr(data)
    assert "hunter2-secret" not in repr(data)
    assert "$1a$XYZ$" in result.to_json(include_config=True)["running_config"]
