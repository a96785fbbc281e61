"""Identity and health from recorded devices and hand-made agents, through the fake transport."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from collectors.snmp.fake_transport import FakeTransport, RecordedAgent
from collectors.snmp.identify import (
    as_text,
    identify,
    read_health,
    read_identity,
    unused_percent,
    used_free_percent,
)
from collectors.snmp.profiles import default_profiles
from collectors.snmp.snmprec import load_snmprec
from collectors.snmp.transport import SnmpTarget, SnmpValue, VarBind
from core.credentials import SnmpV2cCredential
from core.errors import DeviceTimeout

HOST, PORT = "127.0.0.1", 161
DESCR, OBJECT_ID, UPTIME, NAME = (
    "1.3.6.1.2.1.1.1.0",
    "1.3.6.1.2.1.1.2.0",
    "1.3.6.1.2.1.1.3.0",
    "1.3.6.1.2.1.1.5.0",
)
ENT_CONTAINED_IN, ENT_NAME, ENT_MODEL = (
    "1.3.6.1.2.1.47.1.1.1.1.4",
    "1.3.6.1.2.1.47.1.1.1.1.7",
    "1.3.6.1.2.1.47.1.1.1.1.13",
)
CISCO_DESCR = (
    b"Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.0(2a)EX5, "
    b"RELEASE SOFTWARE (fc3)\nTechnical Support: http://www.cisco.com/techsupport"
)

# LibreNMS appends the Huawei patch with a GETNEXT on hwPatchVersion; on a device without a patch
# table that returns whatever object comes next (hwEntityAdminStatus "unlocked", an entity's
# description, a VLAN number). We read the patch column only, so these four keep the bare version.
PATCH_OVERRUN = {
    "vrp_5720": "5.170 (V200R010C00SPC600)",
    "vrp_power": "5.170 (V200R019C10SPC500)",
    "vrp_slas": "5.170 (V200R019C10SPC500)",
    "vrp_ce12804-entity": "8.150 (V200R002C50SPC800)",
}


def target(community: str = "public") -> SnmpTarget:
    return SnmpTarget(HOST, PORT, SnmpV2cCredential(community=SecretStr(community)), 1.0, 0)


def serve(varbinds: list[VarBind]) -> tuple[FakeTransport, RecordedAgent]:
    agent = RecordedAgent(varbinds)
    transport = FakeTransport()
    transport.add(HOST, PORT, agent)
    return transport, agent


def expected_os_rows(shared_dir: Path) -> list[str]:
    names = []
    for path in sorted((shared_dir / "snmprec" / "expected").glob("*.json")):
        if "os" in json.loads(path.read_text()):
            names.append(path.stem)
    return names


async def test_every_recording_with_expectations_is_identified_as_librenms_did(
    shared_dir: Path,
) -> None:
    """read_identity fetches only what the rules name, yet finds what LibreNMS stored."""
    mismatches = {}
    for name in expected_os_rows(shared_dir):
        recording = shared_dir / "snmprec" / "recordings" / f"{name}.snmprec"
        device = json.loads((shared_dir / "snmprec" / "expected" / f"{name}.json").read_text())
        row = device["os"]["discovery"]["devices"][0]
        transport, _ = serve(load_snmprec(recording))

        found = await read_identity(transport, target())

        wanted = {
            "os": row["os"],
            "hardware": row["hardware"] or None,
            "version": PATCH_OVERRUN.get(name, row["version"]) or None,
            "serial": row["serial"] or None,
            "sys_descr": row["sysDescr"],
            "sys_object_id": row["sysObjectID"].lstrip("."),
        }
        got = {key: getattr(found, key) for key in wanted}
        if got != wanted:
            mismatches[name] = {k: (got[k], wanted[k]) for k in wanted if got[k] != wanted[k]}
    assert mismatches == {}


async def test_identity_takes_three_requests_and_a_walk_per_named_column(shared_dir: Path) -> None:
    recording = shared_dir / "snmprec" / "recordings" / "vrp_ar169sfp.snmprec"
    transport, agent = serve(load_snmprec(recording))

    found = await read_identity(transport, target())

    assert found.version == "5.170 (V200R009C00SPC500) [ARV200R009SPH025]"
    # system group, one batch of named instances, one walk of hwPatchVersion
    assert agent.requests == 3


def test_a_stranger_keeps_its_system_group_and_nothing_else() -> None:
    values: dict[str, SnmpValue] = {
        DESCR: b"Acme Toaster 3000",
        OBJECT_ID: "1.3.6.1.4.1.99999.1",
        NAME: b"toaster-1",
    }

    found = identify(values)

    assert (found.sys_name, found.sys_descr, found.sys_object_id) == (
        "toaster-1",
        "Acme Toaster 3000",
        "1.3.6.1.4.1.99999.1",
    )
    assert (found.vendor, found.os, found.hardware, found.version) == (None, None, None, None)


async def test_a_silent_device_fails_on_the_first_request() -> None:
    agent = RecordedAgent([(DESCR, b"Linux")], community="public")
    transport = FakeTransport({f"{HOST}:{PORT}": agent})

    with pytest.raises(DeviceTimeout):
        await read_identity(transport, target("wrong"))

    assert agent.requests == 0


# ---------------------------------------------------------------- rule semantics, hand-made


def cisco(
    extra: dict[str, SnmpValue], object_id: str = "1.3.6.1.4.1.9.1.1208"
) -> dict[str, SnmpValue]:
    return {DESCR: CISCO_DESCR, OBJECT_ID: object_id, **extra}


def test_a_stack_chassis_gives_way_to_the_first_members_model() -> None:
    values = cisco(
        {
            f"{ENT_CONTAINED_IN}.1": 0,
            f"{ENT_NAME}.1": b"C29xx Stacking",
            f"{ENT_MODEL}.1001": b"WS-C2960X-48FPS-L",
        }
    )

    assert identify(values).hardware == "WS-C2960X-48FPS-L"


def test_a_stack_chassis_with_no_member_model_keeps_its_own_name() -> None:
    values = cisco({f"{ENT_CONTAINED_IN}.1": 0, f"{ENT_NAME}.1": b"C29xx Stacking"})

    assert identify(values).hardware == "C29xx Stacking"


def test_the_product_table_names_a_device_whose_entity_mib_is_silent() -> None:
    assert identify(cisco({})).hardware == "cat29xxStack"
    assert identify(cisco({}, object_id="1.3.6.1.4.1.9.1.99999")).hardware is None


def test_a_row_contained_in_something_is_not_the_chassis() -> None:
    values = cisco({f"{ENT_CONTAINED_IN}.1": 3, f"{ENT_MODEL}.1": b"PWR-C1-350WAC"})

    assert identify(values).hardware == "cat29xxStack"


def test_a_huawei_patch_is_appended_only_to_a_version_that_exists() -> None:
    patch = "1.3.6.1.4.1.2011.5.25.19.1.8.5.1.1.4.0.0"
    with_version = {
        DESCR: b"Huawei AR1220 Huawei Versatile Routing Platform Software  VRP (R) "
        b"software,Version 5.120 (AR1220 V200R003C01SPC900)",
        patch: b"V200R003SPH001",
    }
    without_version = {DESCR: b"Huawei Versatile Routing Platform Software", patch: b"X"}

    assert identify(with_version).version == "5.120 (V200R003C01SPC900) [V200R003SPH001]"
    assert identify(with_version).hardware == "AR1220"
    assert identify(without_version).version is None


def test_a_zte_dslam_spells_its_model_suffix_in_letters() -> None:
    values: dict[str, SnmpValue] = {
        DESCR: b"ZTE ACCESS NODE AGENT",
        OBJECT_ID: "1.3.6.1.4.1.3902.1015.9806.1.3.1.1.1",
    }

    assert identify(values).hardware == "ZXDSL 9806AC"


def test_text_is_decoded_whatever_the_agent_sends() -> None:
    assert as_text(b'"quoted sysDescr"\r\n') == "quoted sysDescr"
    assert as_text(b'"uplink"', unquote=False) == '"uplink"'
    assert as_text("上联口".encode("gb18030")) == "上联口"
    assert as_text(b"pad\x00\x00") == "pad"
    assert as_text(b"\xff\xfe\xfa") is not None
    assert as_text(None) is None


# ---------------------------------------------------------------- health


async def health_of(
    varbinds: list[VarBind], os: str
) -> tuple[float | None, float | None, float | None]:
    transport, _ = serve(varbinds)
    found = await read_health(transport, target(), default_profiles().by_os(os))
    return found.cpu_percent, found.memory_percent, found.uptime_s


async def test_huawei_health_takes_the_busiest_entity() -> None:
    cpu, mem = "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5", "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.7"
    varbinds: list[VarBind] = [
        (f"{cpu}.67108867", 0),
        (f"{cpu}.67108873", 37),
        (f"{cpu}.67108874", 12),
        (f"{mem}.67108873", 61),
        (UPTIME, 123_456),
    ]

    assert await health_of(varbinds, "vrp") == (37.0, 61.0, 1234.56)


async def test_cisco_memory_is_the_fullest_pool_from_bytes() -> None:
    used, free = "1.3.6.1.4.1.9.9.48.1.1.1.5", "1.3.6.1.4.1.9.9.48.1.1.1.6"
    varbinds: list[VarBind] = [
        (f"{used}.1", 30_000_000),
        (f"{used}.2", 9_000_000),
        (f"{free}.1", 70_000_000),
        (f"{free}.2", 1_000_000),
        ("1.3.6.1.4.1.9.9.109.1.1.1.1.8.1", 9),
    ]

    cpu, memory, uptime = await health_of(varbinds, "ios")

    assert cpu == 9.0
    assert memory == pytest.approx(90.0)
    assert uptime is None


async def test_linux_cpu_is_the_mean_load_and_memory_leaves_out_buffers_and_cache() -> None:
    load = "1.3.6.1.2.1.25.3.3.1.2"
    varbinds: list[VarBind] = [
        (f"{load}.196608", 10),
        (f"{load}.196609", 30),
        ("1.3.6.1.4.1.2021.4.5.0", 1000),  # memTotalReal
        ("1.3.6.1.4.1.2021.4.6.0", 200),  # memAvailReal
        ("1.3.6.1.4.1.2021.4.14.0", 100),  # memBuffer
        ("1.3.6.1.4.1.2021.4.15.0", 300),  # memCached
        ("1.3.6.1.2.1.25.1.1.0", 50_000),  # hrSystemUptime
        (UPTIME, 100),  # snmpd restarted a second ago
    ]

    assert await health_of(varbinds, "linux") == (20.0, 40.0, 500.0)


async def test_linux_memory_falls_back_to_the_hr_storage_ram_row() -> None:
    storage = "1.3.6.1.2.1.25.2.3.1"
    varbinds: list[VarBind] = [
        (f"{storage}.2.1", "1.3.6.1.2.1.25.2.1.4"),  # hrStorageFixedDisk
        (f"{storage}.2.3", "1.3.6.1.2.1.25.2.1.2"),  # hrStorageRam
        (f"{storage}.5.1", 1000),
        (f"{storage}.5.3", 800),
        (f"{storage}.6.1", 999),
        (f"{storage}.6.3", 200),
    ]

    assert await health_of(varbinds, "linux") == (None, 25.0, None)


async def test_a_device_without_health_sources_reports_none() -> None:
    assert await health_of([(DESCR, b"ZXR10")], "zxr10") == (None, None, None)


def test_percentages_from_parts() -> None:
    assert used_free_percent({"1": 1, "2": 3}, {"1": 3, "2": 1}) == 75.0
    assert used_free_percent({"1": 0}, {"1": 0}) is None
    assert unused_percent(100, [20, None, b"x"]) == 80.0
    assert unused_percent(0, [1]) is None
    assert unused_percent(100, [150]) == 0.0
