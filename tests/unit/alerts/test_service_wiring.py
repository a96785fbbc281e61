"""How the server composes the alert service and the trap receiver from the settings: disabled
means absent, a wrong configuration stops the start with a clear message, and trap credentials
are found by name without a secret ever reaching a message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from alerts.service import AlertService
from core.clock import FakeClock
from core.credentials import AuthProtocol, Credentials, SnmpV2cCredential, SnmpV3Credential
from core.errors import ConfigError
from core.settings import AlertSettings, Settings, TrapSettings, TrapV3UserSettings
from ssnoc.server import build_trap_receiver, device_for_address, trap_receiver_config
from ssnoc.wiring import LoadedInventory, Noc, build_alert_service, build_topology_monitor, open_noc
from tests.unit.alerts.test_service import CONFIG
from tests.unit.topology.networks import LIWAN_ACC, TOY
from tests.unit.topology.toy_state import T0

COMMUNITY = "trap-c0mmunity-s3cret"
AUTH_KEY = "v3-auth-key-s3cret"
CREDENTIALS = Credentials(
    snmp={
        "traps-v2c": SnmpV2cCredential(community=SecretStr(COMMUNITY)),
        "traps-v3": SnmpV3Credential(
            user="noc-traps", auth_protocol=AuthProtocol.SHA, auth_key=SecretStr(AUTH_KEY)
        ),
    }
)


def open_test_noc(tmp_path: Path, **settings: object) -> Noc:
    return open_noc(Settings(data_dir=tmp_path, **settings), FakeClock(T0))  # type: ignore[arg-type]


@pytest.fixture
def noc(tmp_path: Path) -> Iterator[Noc]:
    noc = open_test_noc(tmp_path, alerts=AlertSettings(alerting_config_path=CONFIG))
    noc.state.sync_inventory(TOY)
    yield noc
    noc.close()


def test_the_server_builds_the_alert_service_from_the_settings(noc: Noc) -> None:
    service = build_alert_service(noc, TOY, build_topology_monitor(noc, TOY))
    assert isinstance(service, AlertService)
    assert service.notifying
    assert [s.name for s in service.schedules()] == ["duty-440000", "network-440100"]
    assert [(o.schedule, o.user) for o in service.on_call()] == [
        ("duty-440000", "sun"),
        ("network-440100", "wang"),
    ]


def test_disabled_alerts_are_not_built(tmp_path: Path) -> None:
    noc = open_test_noc(tmp_path, alerts=AlertSettings(enabled=False))
    try:
        assert build_alert_service(noc, TOY, build_topology_monitor(noc, TOY)) is None
    finally:
        noc.close()


def test_a_wrong_alerting_configuration_stops_the_start(tmp_path: Path) -> None:
    bad = Path(__file__).resolve().parents[2] / "data" / "alerts" / "routing_unknown_receiver.yaml"
    noc = open_test_noc(tmp_path, alerts=AlertSettings(alerting_config_path=bad))
    try:
        with pytest.raises(ConfigError, match=r"routing_unknown_receiver\.yaml"):
            build_alert_service(noc, TOY, build_topology_monitor(noc, TOY))
    finally:
        noc.close()


def test_trap_credentials_are_found_by_name() -> None:
    settings = TrapSettings(
        enabled=True,
        listen_address="127.0.0.1",
        port=0,
        communities=("traps-v2c",),
        v3_users=(TrapV3UserSettings(credential="traps-v3", engine_ids=("0x8000000001020304",)),),
    )
    config = trap_receiver_config(settings, CREDENTIALS)
    assert [c.community.get_secret_value() for c in config.communities] == [COMMUNITY]
    (user,) = config.v3_users
    assert (user.credential.user, user.engine_ids) == ("noc-traps", ("8000000001020304",))
    assert (config.listen_address, config.port) == ("127.0.0.1", 0)


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        (TrapSettings(communities=("nowhere",)), "no SNMP credential named 'nowhere'"),
        (TrapSettings(communities=("traps-v3",)), "'traps-v3' is not a v1/v2c community"),
        (
            TrapSettings(v3_users=(TrapV3UserSettings(credential="traps-v2c"),)),
            "'traps-v2c' is not an SNMPv3 user",
        ),
        (TrapSettings(), "configure at least one community or SNMPv3 user"),
        (
            TrapSettings(communities=("traps-v2c",), engine_id="zz"),
            "traps: engine_id: an engine ID is hex digits",
        ),
    ],
)
def test_wrong_trap_settings_say_what_is_wrong_and_never_a_secret(
    settings: TrapSettings, reason: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        trap_receiver_config(settings, CREDENTIALS)
    message = str(caught.value)
    assert message.startswith("traps")
    assert reason in message
    assert COMMUNITY not in message
    assert AUTH_KEY not in message


def test_trap_sources_are_named_by_the_inventory_addresses() -> None:
    liwan = next(d for d in TOY.devices if d.id == LIWAN_ACC)
    find = device_for_address(TOY)
    assert find(str(liwan.address)) == LIWAN_ACC
    assert find("192.0.2.1") is None


async def test_the_trap_receiver_runs_only_when_enabled(tmp_path: Path) -> None:
    loaded = LoadedInventory(TOY, CREDENTIALS, [], {})
    off = open_test_noc(tmp_path / "off")
    try:
        assert build_trap_receiver(off, loaded) is None
    finally:
        off.close()
    traps = TrapSettings(
        enabled=True, listen_address="127.0.0.1", port=0, communities=("traps-v2c",)
    )
    on = open_test_noc(tmp_path / "on", traps=traps)
    try:
        receiver = build_trap_receiver(on, loaded)
        assert receiver is not None
        await receiver.start()
        try:
            assert receiver.port > 0
        finally:
            await receiver.stop()
    finally:
        on.close()
