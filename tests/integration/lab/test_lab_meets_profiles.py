"""The collector's own profiles recognise every kind of simulated device, as they do real ones.

The lab's data files are served to :func:`collectors.snmp.probe.probe` through the collector's
shipped fake transport (the recording's initial values; growth is the snmpsim tests' business), so
what the lab answers is checked against what the NOC reads: vendor, OS, model, version, serial,
CPU and memory, and one interface row per ifTable entry with the names the province gave them.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from collectors.snmp.fake_transport import FakeTransport, RecordedAgent
from collectors.snmp.probe import probe
from collectors.snmp.snmprec import parse_snmprec
from collectors.snmp.transport import SnmpTarget
from core.credentials import SnmpV2cCredential
from core.model import DeviceRole, Platform
from lab.divisions import load_divisions
from lab.model import LabDevice, Province
from lab.province import build_province
from lab.snmprec import render
from lab.snmprec_writer import device_records
from tests.conftest import SHARED

pytestmark = pytest.mark.integration

OS_OF = {
    (Platform.HUAWEI_VRP, DeviceRole.CORE): "vrp",
    (Platform.HUAWEI_VRP, DeviceRole.DISTRIBUTION): "vrp",
    (Platform.HUAWEI_VRP, DeviceRole.ACCESS): "vrp",
    (Platform.HP_COMWARE, DeviceRole.DISTRIBUTION): "comware",
    (Platform.HP_COMWARE, DeviceRole.ACCESS): "comware",
    (Platform.CISCO_IOS, DeviceRole.DISTRIBUTION): "iosxe",
    (Platform.CISCO_IOS, DeviceRole.ACCESS): "ios",
    (Platform.ZTE_ZXROS, DeviceRole.ACCESS): "zxr10",
    (Platform.LINUX, DeviceRole.SERVER): "linux",
}


@pytest.fixture(scope="module")
def province() -> Province:
    return build_province(load_divisions(SHARED / "data" / "guangdong_divisions.json"), "full", 5)


def one_of_each_kind(province: Province) -> dict[tuple[Platform, DeviceRole], LabDevice]:
    kinds: dict[tuple[Platform, DeviceRole], LabDevice] = {}
    for device in province.devices:
        kinds.setdefault((device.platform, device.role), device)
    return kinds


def test_every_kind_of_device_appears(province: Province) -> None:
    assert set(one_of_each_kind(province)) == set(OS_OF)


@pytest.mark.parametrize("kind", list(OS_OF), ids=lambda k: f"{k[0]}-{k[1]}")
async def test_the_probe_identifies_the_device(
    province: Province, kind: tuple[Platform, DeviceRole]
) -> None:
    device = one_of_each_kind(province)[kind]
    transport = FakeTransport()
    varbinds = parse_snmprec(render(device_records(device, province)))
    transport.add(device.address, device.port, RecordedAgent(varbinds, device.community))
    credential = SnmpV2cCredential(community=SecretStr(device.community))
    report = await probe(transport, SnmpTarget(device.address, device.port, credential))

    identity = report.identity
    assert identity.os == OS_OF[kind]
    assert identity.sys_name == device.name
    assert identity.hardware is not None
    if device.platform is not Platform.LINUX:
        assert identity.hardware == device.model
    if device.platform not in (Platform.LINUX, Platform.ZTE_ZXROS):
        # zxr10.yaml names no serial source (the lab answers entPhysicalSerialNum.1 all the same).
        assert identity.serial == device.serial
    assert identity.version
    assert report.health.cpu_percent is not None
    assert report.health.memory_percent == pytest.approx(device.memory_percent, abs=1)
    assert report.health.uptime_s is not None
    assert report.health.uptime_s >= device.uptime_s
    observed = {i.observation.name: i.observation for i in report.interfaces}
    assert set(observed) == {i.name for i in device.interfaces}
    for interface in device.interfaces:
        seen = observed[interface.name]
        assert seen.oper_status == ("up" if interface.oper_up else "down")
        assert seen.speed_bps == interface.speed_bps
        assert (seen.alias or "") == interface.alias
