"""LLDP neighbours from the CLI into the state DB: a device's answer to its command set's
``lldp_neighbors`` command, as the lab simulator prints it, read into its result and stored with
source ``cli`` — and what must not replace the stored neighbours (a refusal, an unreadable
answer, a device the inventory tables do not know) stays that device's command error only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from collectors.ssh import device_facts
from collectors.ssh.command_sets import LLDP_NEIGHBORS, command_set
from collectors.ssh.device_facts import interpret
from collectors.ssh.netmiko_session import DeviceSessionOutput
from collectors.ssh.parsers import ParseError
from collectors.ssh.results import SshCollectResult
from collectors.ssh.store import store_results
from collectors.ssh.target import SshTarget
from core.credentials import SshCredential
from core.errors import DeviceError, DeviceTimeout
from core.model import Platform
from core.neighbours import LldpNeighbour, NeighbourSource, interface_key
from core.state.accounts import AccountRepository
from core.state.db import migrate_to_head, open_state_engine
from core.state.neighbours import NeighbourRepository
from core.state.repository import StateRepository
from core.state.ssh_facts import SshFactsRepository
from lab.divisions import load_divisions
from lab.model import LabDevice, Province
from lab.province import build_province
from lab.ssh.device import Login, SimulatedDevice
from lab.ssh.dialects import DIALECTS
from tests.conftest import SHARED

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NETWORK = (Platform.HUAWEI_VRP, Platform.HP_COMWARE, Platform.CISCO_IOS, Platform.ZTE_ZXROS)
REFUSAL = {
    Platform.HUAWEI_VRP: "              ^\nError: Unrecognized command found at '^' position.",
    Platform.CISCO_IOS: "               ^\n% Invalid input detected at '^' marker.",
}
BROKEN_VRP = """\
GigabitEthernet0/0/2 has 1 neighbor(s):

Neighbor index                     :1
Chassis type                       :MAC Address
Chassis ID                         :00e0-fc00-0002
?? garbage ??
"""


@pytest.fixture(scope="module")
def province() -> Province:
    return build_province(load_divisions(SHARED / "data" / "guangdong_divisions.json"), "full")


@pytest.fixture
def engine(tmp_path: Path, province: Province) -> Iterator[Engine]:
    engine = open_state_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate_to_head(engine)
    StateRepository(engine).sync_inventory(province.to_inventory())
    yield engine
    engine.dispose()


def busiest(province: Province, platform: Platform) -> LabDevice:
    return max(
        (d for d in province.devices if d.platform is platform),
        key=lambda d: (len(d.neighbours), d.id),
    )


def lldp_answer(device: LabDevice) -> str:
    """What the lab simulator prints for the device's LLDP command of its command set."""
    command = command_set(device.platform).commands[LLDP_NEIGHBORS].command
    simulated = SimulatedDevice(device.platform, device, device.name, {"noc": Login("x", 15)})
    spec = next(s for s in DIALECTS[device.platform].commands if s.words == command)
    return simulated.output(spec)


def collected(
    device_id: str,
    platform: Platform,
    outputs: Mapping[str, str],
    *,
    failure: DeviceError | None = None,
    at: datetime = T0,
) -> SshCollectResult:
    """A network device's result from its raw answers, as collection builds it."""
    target = SshTarget(
        device_id,
        "127.0.0.1",
        22,
        platform,
        SshCredential(username="noc", password=SecretStr("noc-pass")),
    )
    output = DeviceSessionOutput(prompt_hostname="R1", outputs=dict(outputs), failure=failure)
    reading = interpret(command_set(platform), outputs, prompt_hostname="R1", device_id=device_id)
    return SshCollectResult.from_device(target, at, 0.1, output, reading)


def store(engine: Engine, *results: SshCollectResult) -> NeighbourRepository:
    repository = NeighbourRepository(engine)
    store_results(
        results,
        facts=SshFactsRepository(engine),
        accounts=AccountRepository(engine),
        neighbours=repository,
    )
    return repository


def as_stored(neighbours: Iterable[LldpNeighbour]) -> list[tuple[str, str | None, str, str]]:
    return sorted(
        (interface_key(n.local_port), n.remote_system_name, n.remote_port_id, n.remote_chassis_id)
        for n in neighbours
    )


def as_the_lab_says(device: LabDevice) -> list[tuple[str, str | None, str, str]]:
    return sorted(
        (interface_key(n.interface), n.remote_name, n.remote_interface, n.remote_mac)
        for n in device.neighbours
    )


@pytest.mark.parametrize("platform", NETWORK)
def test_a_device_s_lldp_answer_is_stored_as_its_cli_neighbours(
    engine: Engine, province: Province, platform: Platform
) -> None:
    device = busiest(province, platform)
    repository = NeighbourRepository(engine)
    snmp = LldpNeighbour(
        device_id=device.id,
        local_port="GigabitEthernet9/9/9",
        remote_chassis_id="00:11:22:33:44:55",
        remote_port_id="Gi0/1",
        source=NeighbourSource.SNMP,
    )
    repository.replace_neighbours(device.id, [snmp], T0)

    result = collected(device.id, platform, {LLDP_NEIGHBORS: lldp_answer(device)})
    counts = store_results(
        [result],
        facts=SshFactsRepository(engine),
        accounts=AccountRepository(engine),
        neighbours=repository,
    )

    assert result.ok
    assert result.command_errors == {}
    assert result.neighbours is not None
    assert len(result.neighbours) >= 2
    assert counts.neighbour_sets == 1
    stored = repository.neighbours([device.id])
    cli = [n for n in stored if n.source is NeighbourSource.CLI]
    assert as_stored(cli) == as_the_lab_says(device)
    assert all(n.last_seen_at == T0 for n in cli)
    by_name = {n.remote_system_name: n for n in cli}
    for neighbour in device.neighbours:
        assert by_name[neighbour.remote_name].remote_management_address == IPv4Address(
            neighbour.remote_address
        )
    # What SNMP reported of the same device is its own source's, untouched.
    (kept,) = [n for n in stored if n.source is NeighbourSource.SNMP]
    assert (kept.local_port, kept.first_seen_at) == (snmp.local_port, T0)


def test_the_next_collection_replaces_them_and_keeps_first_sightings(
    engine: Engine, province: Province
) -> None:
    device = busiest(province, Platform.HP_COMWARE)
    answer = lldp_answer(device)
    store(engine, collected(device.id, device.platform, {LLDP_NEIGHBORS: answer}))
    later = T0 + timedelta(minutes=5)
    # The device now hears nobody on its first LLDP port.
    gone = device.neighbours[0]
    fewer = device.model_copy(update={"neighbours": device.neighbours[1:]})
    repository = store(
        engine,
        collected(device.id, device.platform, {LLDP_NEIGHBORS: lldp_answer(fewer)}, at=later),
    )
    stored = repository.neighbours([device.id])
    assert gone.remote_name not in {n.remote_system_name for n in stored}
    assert len(stored) == len(device.neighbours) - 1
    assert all((n.first_seen_at, n.last_seen_at) == (T0, later) for n in stored)


def test_a_device_that_hears_nobody_clears_its_cli_neighbours(
    engine: Engine, province: Province
) -> None:
    device = busiest(province, Platform.ZTE_ZXROS)
    store(engine, collected(device.id, device.platform, {LLDP_NEIGHBORS: lldp_answer(device)}))
    repository = store(engine, collected(device.id, device.platform, {LLDP_NEIGHBORS: ""}))
    assert repository.neighbours([device.id]) == []


@pytest.mark.parametrize(
    ("platform", "answer", "why"),
    [
        (Platform.HUAWEI_VRP, BROKEN_VRP, "ntc-templates cannot parse 'display lldp neighbor'"),
        (Platform.HUAWEI_VRP, REFUSAL[Platform.HUAWEI_VRP], "refused by the device"),
        (Platform.CISCO_IOS, REFUSAL[Platform.CISCO_IOS], "refused by the device"),
    ],
    ids=["unreadable", "refused-vrp", "refused-ios"],
)
def test_an_answer_that_is_no_neighbour_list_is_that_command_s_error(
    engine: Engine, province: Province, platform: Platform, answer: str, why: str
) -> None:
    device = busiest(province, platform)
    store(engine, collected(device.id, platform, {LLDP_NEIGHBORS: lldp_answer(device)}))
    outputs = {LLDP_NEIGHBORS: answer}
    if platform is Platform.CISCO_IOS:
        outputs["version"] = (
            SHARED / "cli/cisco_ios/show_version/cisco_ios_show_version.raw"
        ).read_text()

    result = collected(device.id, platform, outputs)
    repository = store(engine, result)

    # The collection worked; only the LLDP command failed, and the last neighbours stay.
    assert result.ok
    assert result.neighbours is None
    assert why in result.command_errors[LLDP_NEIGHBORS]
    assert as_stored(repository.neighbours([device.id])) == as_the_lab_says(device)
    facts = SshFactsRepository(engine).facts(device.id)
    assert facts is not None
    assert (facts.last_success_at, facts.last_error) == (T0, None)
    if platform is Platform.CISCO_IOS:
        assert facts.model == "WS-C4948E"


def test_a_neighbour_reader_that_fails_is_a_command_error(
    engine: Engine, province: Province, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer ntc-templates reads as a whole but the neighbour reader does not."""
    device = busiest(province, Platform.HUAWEI_VRP)
    store(engine, collected(device.id, device.platform, {LLDP_NEIGHBORS: lldp_answer(device)}))

    def unreadable(platform: Platform, text: str, device_id: str) -> list[LldpNeighbour]:
        raise ParseError("cannot read the neighbour at line 3")

    monkeypatch.setattr(device_facts, "parse_lldp_neighbours", unreadable)
    result = collected(device.id, device.platform, {LLDP_NEIGHBORS: lldp_answer(device)})
    repository = store(engine, result)
    assert result.ok
    assert result.neighbours is None
    assert result.command_errors == {
        LLDP_NEIGHBORS: "LLDP neighbours: cannot read the neighbour at line 3"
    }
    assert result.facts is not None
    assert result.facts.details[LLDP_NEIGHBORS]  # ntc-templates read the answer as a whole
    assert as_stored(repository.neighbours([device.id])) == as_the_lab_says(device)


def test_a_session_that_broke_after_the_lldp_answer_still_stores_it(
    engine: Engine, province: Province
) -> None:
    device = busiest(province, Platform.CISCO_IOS)
    result = collected(
        device.id,
        device.platform,
        {LLDP_NEIGHBORS: lldp_answer(device)},
        failure=DeviceTimeout(device.id, "'show running-config' gave no prompt back"),
    )
    repository = store(engine, result)
    assert not result.ok
    assert as_stored(repository.neighbours([device.id])) == as_the_lab_says(device)


def test_a_session_that_never_asked_keeps_the_stored_neighbours(
    engine: Engine, province: Province
) -> None:
    device = busiest(province, Platform.HUAWEI_VRP)
    store(engine, collected(device.id, device.platform, {LLDP_NEIGHBORS: lldp_answer(device)}))
    version = SHARED / "cli/huawei_vrp/display_version/huawei_vrp_display_version3.raw"
    result = collected(device.id, device.platform, {"version": version.read_text()})
    repository = store(engine, result)
    assert result.neighbours is None
    assert as_stored(repository.neighbours([device.id])) == as_the_lab_says(device)


def test_a_device_the_state_db_does_not_know_is_logged_and_the_others_stored(
    engine: Engine, province: Province, caplog: pytest.LogCaptureFixture
) -> None:
    device = busiest(province, Platform.HUAWEI_VRP)
    answer = {LLDP_NEIGHBORS: lldp_answer(device)}
    unknown = collected("127.0.0.9:22", device.platform, answer)
    known = collected(device.id, device.platform, answer)
    repository = NeighbourRepository(engine)
    counts = store_results(
        [unknown, known],
        facts=SshFactsRepository(engine),
        accounts=AccountRepository(engine),
        neighbours=repository,
    )
    assert counts.neighbour_sets == 1
    assert list(counts.neighbours_not_stored) == ["127.0.0.9:22"]
    assert counts.facts == 2
    assert "127.0.0.9:22" in caplog.text
    assert as_stored(repository.neighbours([device.id])) == as_the_lab_says(device)


def test_without_a_neighbour_repository_nothing_is_stored(
    engine: Engine, province: Province
) -> None:
    device = busiest(province, Platform.HUAWEI_VRP)
    result = collected(device.id, device.platform, {LLDP_NEIGHBORS: lldp_answer(device)})
    counts = store_results(
        [result], facts=SshFactsRepository(engine), accounts=AccountRepository(engine)
    )
    assert counts.neighbour_sets == 0
    assert NeighbourRepository(engine).neighbours() == []


def test_interpret_without_a_device_id_reads_no_neighbours(province: Province) -> None:
    device = busiest(province, Platform.HUAWEI_VRP)
    reading = interpret(
        command_set(device.platform), {LLDP_NEIGHBORS: lldp_answer(device)}, prompt_hostname=None
    )
    assert reading.neighbours is None
    assert reading.facts.details[LLDP_NEIGHBORS]


def test_the_json_lists_the_neighbours(province: Province) -> None:
    device = busiest(province, Platform.ZTE_ZXROS)
    data = collected(device.id, device.platform, {LLDP_NEIGHBORS: lldp_answer(device)}).to_json()
    names = sorted(n["remote_system_name"] for n in data["lldp_neighbours"])
    assert names == sorted(n.remote_name for n in device.neighbours)
    assert all("source" not in n and "device_id" not in n for n in data["lldp_neighbours"])
    never = collected(device.id, device.platform, {}).to_json()
    assert "lldp_neighbours" not in never
