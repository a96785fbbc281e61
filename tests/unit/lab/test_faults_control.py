"""``lab fail|recover`` on a lab's files, with no process running: what is rewritten, what is
refused, and how ``lab status`` and ``lab down`` see the faults."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.clock import FakeClock
from core.errors import LabError
from core.model import DeviceRole, Link, LinkRole, LinkTier
from lab import fault_control
from lab.control import lab_down, lab_status, plan_shards
from lab.fault_agents import IF_LAST_CHANGE, IF_OPER_STATUS, SILENT_FILE, parse_records
from lab.fault_control import (
    fail_device,
    fail_link,
    lab_faults,
    recover_all,
    recover_device,
    recover_link,
)
from lab.fault_shards import SILENCED_DIR
from lab.fault_store import LabFaults, faults_path, read_faults, remove_faults, write_faults
from lab.faults import Faults
from lab.files import write_agent_data, write_province
from lab.model import LabDevice, Province
from lab.snmprec import Record
from lab.snmprec_writer import data_file_name
from lab.state import LabOptions, LabState, ResponderState, ShardState, lab_dir_of, write_state

LLDP_REM_SYS_NAME = "1.0.8802.1.1.2.1.4.1.1.9."
NO_PID = 2**22 + 4321


@pytest.fixture
def lab(tmp_path: Path, small: Province, monkeypatch: pytest.MonkeyPatch) -> LabState:
    """The small province's files as ``lab up`` leaves them, its shards taken to be running."""
    lab_dir = lab_dir_of(tmp_path)
    lab_dir.mkdir()
    province_path = write_province(lab_dir, small)
    shards = []
    for index, devices in enumerate(plan_shards(small, 4, 16)):
        work_dir = lab_dir / "shards" / f"{index:02d}"
        write_agent_data(work_dir / "data", small, devices)
        shards.append(
            ShardState(
                index=index,
                pid=NO_PID,
                data_dir=work_dir / "data",
                work_dir=work_dir,
                endpoints=tuple((d.address, d.port) for d in small.devices if d.id in devices),
                devices=tuple(devices),
            )
        )
    state = LabState(
        options=LabOptions(data_dir=tmp_path),
        started_at=datetime(2026, 3, 1, tzinfo=UTC),
        lab_dir=lab_dir,
        inventory_path=lab_dir / "inventory.yaml",
        credentials_path=lab_dir / "credentials.yaml",
        province_path=province_path,
        shards=tuple(shards),
        devices=len(small.devices),
        interfaces=small.interface_count(),
        links=len(small.links),
        varbinds=0,
        startup_s=1.0,
        counter_epoch=time.time() - 3_600,
    )
    write_state(state)
    monkeypatch.setattr(fault_control, "responder_alive", lambda pid, data_dir=None: True)
    monkeypatch.setattr(fault_control, "SETTLE_S", 0.0)
    return state


def data_file(state: LabState, device: LabDevice) -> Path:
    shard = next(s for s in state.shards if device.id in s.devices)
    return shard.data_dir / data_file_name(device)


def records(state: LabState, device: LabDevice) -> dict[str, Record]:
    text = data_file(state, device).read_text(encoding="latin-1")
    return {r.oid: r for r in parse_records(text)}


def county_and_links(province: Province) -> tuple[LabDevice, Link, Link]:
    county = next(d for d in province.devices if d.role is DeviceRole.ACCESS)
    links = [lk for lk in province.links if lk.b.device == county.id]
    primary = next(lk for lk in links if lk.role is LinkRole.PRIMARY)
    backup = next(lk for lk in links if lk.role is LinkRole.BACKUP)
    return county, primary, backup


def oper_status(state: LabState, device: LabDevice, port: str) -> str:
    index = device.interface_by_name()[port].if_index
    return records(state, device)[f"{IF_OPER_STATUS}{index}"].value


def test_failing_a_link_rewrites_both_ends_and_records_the_fault(
    lab: LabState, small: Province, clock: FakeClock
) -> None:
    county, primary, _ = county_and_links(small)
    devices = small.device_by_id()
    city = devices[primary.a.device]
    bystander = next(d for d in small.devices if d.role is DeviceRole.SERVER)
    untouched = data_file(lab, bystander).read_bytes()
    # By hostname, in any case, either way round.
    change = fail_link(lab.options.data_dir, county.name.lower(), city.name, clock=clock)
    assert change.message == (f"link {city.id} ↔ {county.id} (primary, city_county) down")
    assert change.describe() == f"{change.message}; 0 devices silent"
    assert oper_status(lab, county, primary.b.interface) == "2"
    assert oper_status(lab, city, primary.a.interface) == "2"
    names = {
        r.value for oid, r in records(lab, county).items() if oid.startswith(LLDP_REM_SYS_NAME)
    }
    assert city.name not in names
    assert data_file(lab, bystander).read_bytes() == untouched
    assert set(change.agents_rewritten) >= {county.id, city.id}
    recorded = read_faults(lab.lab_dir)
    assert recorded.generation == 1
    assert [f.link for f in recorded.faults.links] == [primary.id]
    assert recorded.faults.links[0].since == clock.now()
    assert recorded.down_links == (primary.id,)
    assert lab_faults(lab.options.data_dir) == recorded


def test_a_fault_already_in_force_and_one_not_in_force_are_refused(
    lab: LabState, small: Province
) -> None:
    county, primary, backup = county_and_links(small)
    data_dir = lab.options.data_dir
    fail_link(data_dir, primary.a.device, county.id)
    with pytest.raises(LabError, match="has already failed"):
        fail_link(data_dir, county.id, primary.a.device)
    with pytest.raises(LabError, match=rf"link {backup.a.device} ↔ {county.id} .* has not failed"):
        recover_link(data_dir, county.id, backup.a.device)
    fail_device(data_dir, backup.a.device)
    with pytest.raises(LabError, match=f"device {backup.a.device} has already failed"):
        fail_device(data_dir, backup.a.device)
    with pytest.raises(LabError, match=f"it is down because {backup.a.device} failed"):
        recover_link(data_dir, county.id, backup.a.device)
    with pytest.raises(LabError, match=f"device {county.id} has not failed: it is silent"):
        recover_device(data_dir, county.id)


def test_unknown_devices_and_missing_links_are_explained(lab: LabState, small: Province) -> None:
    county, primary, backup = county_and_links(small)
    data_dir = lab.options.data_dir
    with pytest.raises(LabError, match=r"no device 'gz-cor' in this lab; did you mean .*gz-core1"):
        fail_device(data_dir, "gz-cor")
    other = next(d for d in small.devices if d.role is DeviceRole.ACCESS and d.id != county.id)
    neighbours = f"{primary.a.device}, {backup.a.device}"
    with pytest.raises(LabError, match=f"no link between {county.id} and {other.id}; "
                       f"{county.id}'s neighbours: {neighbours}"):  # fmt: skip
        fail_link(data_dir, county.id, other.id)
    with pytest.raises(LabError, match="a link joins two devices"):
        fail_link(data_dir, county.id, county.name)


def test_a_failed_device_falls_silent_and_so_do_those_behind_it(
    lab: LabState, small: Province
) -> None:
    core = next(d for d in small.devices if d.role is DeviceRole.CORE)
    servers = [
        lk.b.device
        for lk in small.links
        if lk.a.device == core.id and lk.tier is LinkTier.SERVER_ACCESS
    ]
    change = fail_device(lab.options.data_dir, core.id)
    assert change.describe().startswith(f"device {core.id} failed; 1 devices behind it silent: ")
    assert change.newly_silent == tuple(servers)
    devices = small.device_by_id()
    for silent in (core.id, *servers):
        path = data_file(lab, devices[silent])
        assert path.read_text() == SILENT_FILE
        assert (path.parent.parent / SILENCED_DIR / path.name).exists()
    assert set(read_faults(lab.lab_dir).silent_devices) == {core.id, *servers}


def test_recover_all_gives_every_agent_back_as_it_was(lab: LabState, small: Province) -> None:
    county, primary, backup = county_and_links(small)
    data_dir = lab.options.data_dir
    before = {d.id: records(lab, d) for d in small.devices}
    fail_link(data_dir, county.id, primary.a.device)
    fail_link(data_dir, county.id, backup.a.device)  # the county is cut off
    fail_device(data_dir, next(d.id for d in small.devices if d.role is DeviceRole.CORE))
    change = recover_all(data_dir)
    assert change.message == "recovered 3 faults"
    assert county.id in change.answering_again
    assert not read_faults(lab.lab_dir).faults.count
    for device in small.devices:
        after = records(lab, device)
        assert after.keys() == before[device.id].keys(), device.id
        for oid, record in after.items():
            if record.tag.split(":")[0] in ("65", "70") or oid.startswith(IF_LAST_CHANGE):
                continue  # counters carried on; a port that went down and up has a new time
            assert record == before[device.id][oid], (device.id, oid)
        assert not list(data_file(lab, device).parent.parent.glob(f"{SILENCED_DIR}/*"))
    assert recover_all(data_dir).describe() == "no faults to recover"


def test_a_lab_that_is_not_running_or_too_old_is_refused(
    tmp_path: Path, lab: LabState, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(LabError, match=r"no lab is running in .*: start one with `ssnoc lab up`"):
        fail_device(tmp_path / "elsewhere", "gz-core1")
    monkeypatch.setattr(fault_control, "responder_alive", lambda pid, data_dir=None: False)
    with pytest.raises(LabError, match="the lab's agents are not running"):
        fail_device(lab.options.data_dir, "gz-core1")
    write_state(lab.model_copy(update={"counter_epoch": None}))
    with pytest.raises(LabError, match="started by an earlier ssnoc"):
        fail_device(lab.options.data_dir, "gz-core1")


def test_status_expects_no_ssh_from_silent_devices_and_down_clears_the_faults(
    lab: LabState, small: Province
) -> None:
    network = [d for d in small.devices if d.is_network_device][:3]
    simulator = ResponderState(
        index=0,
        pid=NO_PID,
        config_path=lab.lab_dir / "ssh" / "config.json",
        work_dir=lab.lab_dir / "ssh",
        endpoints=tuple((d.address, 2222) for d in network),
        devices=tuple(d.id for d in network),
    )
    write_state(lab.model_copy(update={"ssh_simulators": (simulator,)}))
    faults = Faults().with_device(network[0].id, datetime(2026, 3, 1, tzinfo=UTC))
    write_faults(
        lab.lab_dir, LabFaults(generation=4, faults=faults, silent_devices=(network[0].id,))
    )
    report = lab_status(lab.options.data_dir)
    assert report.faults.generation == 4
    (responder,) = report.ssh
    assert responder.endpoints_total == 2
    assert responder.silenced == 1
    down = lab_down(lab.options.data_dir)
    assert down.faults_cleared == 1
    assert not faults_path(lab.lab_dir).exists()


def test_the_faults_file_round_trips_and_a_broken_one_is_explained(tmp_path: Path) -> None:
    assert read_faults(tmp_path) == LabFaults()
    faults = Faults().with_link("gz-dc1", datetime(2026, 3, 1, tzinfo=UTC))
    recorded = LabFaults(generation=2, faults=faults, down_links=("gz-dc1",))
    write_faults(tmp_path, recorded)
    assert read_faults(tmp_path) == recorded
    faults_path(tmp_path).write_text('{"generation": -1}')
    with pytest.raises(LabError, match="is not a lab faults file"):
        read_faults(tmp_path)
    assert remove_faults(tmp_path) == LabFaults()
    assert not faults_path(tmp_path).exists()
