from __future__ import annotations

import pytest

from core.model import Platform
from lab.model import LabDevice, Province
from lab.snmprec import counter32, octets, oid_key, render, wobbling_percent
from lab.snmprec_writer import device_records

KNOWN_TAGS = {"2", "4", "4x", "6", "64", "65", "66", "67", "70"}
LLDP_REM = "1.0.8802.1.1.2.1.4.1.1"

# The objects the collector's profiles read for CPU, memory and identity, per platform.
VENDOR_OIDS: dict[Platform, tuple[str, ...]] = {
    Platform.HUAWEI_VRP: (
        "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.5.67108867",
        "1.3.6.1.4.1.2011.5.25.31.1.1.1.1.7.67108867",
        "1.3.6.1.2.1.47.1.1.1.1.2.67108867",
    ),
    Platform.HP_COMWARE: (
        "1.3.6.1.4.1.25506.2.6.1.1.1.1.6.2",
        "1.3.6.1.4.1.25506.2.6.1.1.1.1.8.2",
        "1.3.6.1.2.1.47.1.1.1.1.13.1",
    ),
    Platform.CISCO_IOS: (
        "1.3.6.1.4.1.9.9.109.1.1.1.1.8.1",
        "1.3.6.1.4.1.9.9.48.1.1.1.5.1",
        "1.3.6.1.4.1.9.9.48.1.1.1.6.1",
        "1.3.6.1.2.1.47.1.1.1.1.11.1",
    ),
    Platform.ZTE_ZXROS: (
        "1.3.6.1.4.1.3902.3.3.1.1.12.1",
        "1.3.6.1.4.1.3902.3.3.1.1.4.1",
    ),
    Platform.LINUX: (
        "1.3.6.1.2.1.25.1.1.0",
        "1.3.6.1.2.1.25.3.3.1.2.196608",
        "1.3.6.1.2.1.25.2.3.1.2.1",
        "1.3.6.1.4.1.2021.4.5.0",
        "1.3.6.1.4.1.2021.4.6.0",
        "1.3.6.1.4.1.2021.4.14.0",
        "1.3.6.1.4.1.2021.4.15.0",
    ),
}


def parsed(device: LabDevice, province: Province) -> dict[str, tuple[str, str]]:
    """OID → (tag, value) of the device's data file, as snmpsim will read it."""
    lines = render(device_records(device, province)).splitlines()
    table = {}
    for line in lines:
        oid, tag, value = line.split("|", 2)
        table[oid] = (tag, value)
    return table


def text(entry: tuple[str, str]) -> str:
    tag, value = entry
    return bytes.fromhex(value).decode() if tag == "4x" else value


def test_every_file_is_in_numeric_oid_order_with_known_tags(small: Province) -> None:
    for device in small.devices:
        lines = render(device_records(device, small)).splitlines()
        oids = [line.split("|", 1)[0] for line in lines]
        assert oids == sorted(oids, key=oid_key)
        assert len(set(oids)) == len(oids)
        assert {line.split("|")[1].split(":")[0] for line in lines} <= KNOWN_TAGS


def test_the_system_group_names_the_device(small: Province) -> None:
    for device in small.devices:
        data = parsed(device, small)
        assert text(data["1.3.6.1.2.1.1.5.0"]) == device.name
        assert text(data["1.3.6.1.2.1.1.6.0"]) == device.location  # Chinese: hex UTF-8
        assert data["1.3.6.1.2.1.1.3.0"] == (
            "67:numeric",
            f"rate=100,initial={device.uptime_s * 100}",
        )


@pytest.mark.parametrize("platform", list(VENDOR_OIDS))
def test_vendor_health_objects_are_where_the_profiles_read_them(
    full: Province, platform: Platform
) -> None:
    device = next(d for d in full.devices if d.platform is platform)
    data = parsed(device, full)
    missing = [oid for oid in VENDOR_OIDS[platform] if oid not in data]
    assert missing == []
    prefixes = {
        Platform.HUAWEI_VRP: "1.3.6.1.4.1.2011.2.",
        Platform.HP_COMWARE: "1.3.6.1.4.1.25506.11.1.",
        Platform.CISCO_IOS: "1.3.6.1.4.1.9.1.",
        Platform.ZTE_ZXROS: "1.3.6.1.4.1.3902.",
        Platform.LINUX: "1.3.6.1.4.1.8072.3.2.10",
    }
    assert data["1.3.6.1.2.1.1.2.0"][1].startswith(prefixes[platform])


def test_every_link_has_matching_lldp_rows_at_both_ends(full: Province) -> None:
    devices = full.device_by_id()
    files = {d.id: parsed(d, full) for d in full.devices}
    for link in full.links:
        for end, other in ((link.a, link.b), (link.b, link.a)):
            local = devices[end.device]
            remote = devices[other.device]
            port = local.interface_by_name()[end.interface].if_index
            data = files[local.id]
            row = f"0.{port}.1"
            assert text(data[f"{LLDP_REM}.7.{row}"]) == other.interface
            assert text(data[f"{LLDP_REM}.9.{row}"]) == remote.name
            assert data[f"{LLDP_REM}.5.{row}"] == ("4x", remote.mac.replace(":", ""))
            assert data[f"{LLDP_REM}.6.{row}"] == ("2", "5")  # port id is an interface name
    for device in full.devices:
        rows = [oid for oid in files[device.id] if oid.startswith(f"{LLDP_REM}.9.")]
        assert len(rows) == len(device.neighbours)


def test_counters_grow_at_the_interface_rate_and_counter32_wraps(small: Province) -> None:
    core = small.device_by_id()["gd-dc1-core1"]
    data = parsed(core, small)
    for interface in core.interfaces:
        hc_tag, hc = data[f"1.3.6.1.2.1.31.1.1.1.6.{interface.if_index}"]
        c32_tag, c32 = data[f"1.3.6.1.2.1.2.2.1.10.{interface.if_index}"]
        if interface.oper_up and interface.in_bytes_per_s > 0:
            assert hc_tag == "70:numeric"
            assert "wrap" not in hc
            assert f"rate={int(interface.in_bytes_per_s)}," in hc
            assert c32_tag == "65:numeric"
            assert c32.endswith(",max=4294967295,wrap=1")
        elif not interface.oper_up:
            assert (hc_tag, c32_tag) == ("70", "65")  # a port that is down stands still


def test_the_same_province_gives_the_same_files(small: Province) -> None:
    device = small.devices[-1]
    assert render(device_records(device, small)) == render(device_records(device, small))


def test_strings_that_snmpsim_would_mangle_are_written_in_hex() -> None:
    assert octets("1.1", "GigabitEthernet0/0/1").tag == "4"
    assert octets("1.1", "a|b").tag == "4"  # snmpsim splits a line at its first two bars only
    for mangled in ("广州", "line\r\nbreak", " padded", "trailing "):
        record = octets("1.1", mangled)
        assert record.tag == "4x"
        assert bytes.fromhex(record.value).decode() == mangled


def test_counter32_starts_inside_its_range() -> None:
    record = counter32("1.1", 5 * 2**32 + 7, 10.5)
    assert record.value == "rate=10.5,initial=7,max=4294967295,wrap=1"
    assert counter32("1.1", 12, 0).value == "12"


def test_a_wobbling_percentage_stays_a_percentage_around_its_level() -> None:
    record = wobbling_percent("1.1", "2", 40, period_s=600, amplitude=5)
    assert record.tag == "2:numeric"
    assert "function=sin%<time>" in record.value
    assert "initial=40" in record.value
    assert "min=0,max=100" in record.value
    assert "deviation" not in record.value


def test_render_refuses_one_oid_twice() -> None:
    with pytest.raises(ValueError, match="given twice"):
        render([octets("1.3.6", "a"), octets("1.3.6", "b")])
