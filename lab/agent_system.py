"""Who a simulated device is and how it is doing: system group, ENTITY-MIB, vendor CPU and memory.

The OIDs are exactly those the collector's profiles read (collectors/snmp/profiles/*.yaml): Huawei
HUAWEI-ENTITY-EXTENT-MIB at the main board's entity index 67108867, H3C HH3C-ENTITY-EXT-MIB, Cisco
CISCO-PROCESS-MIB and CISCO-MEMORY-POOL-MIB (bytes), ZTE ZXR10 system table, and for Linux hosts
HOST-RESOURCES-MIB and UCD-SNMP-MIB (kB) as net-snmp's snmpd answers them. CPU and memory swing
gently around the device's level, so graphs move.
"""

from __future__ import annotations

from core.model import Platform
from lab.catalogue import HardwareModel
from lab.model import LabDevice
from lab.seeded import seeded_rng
from lab.snmprec import (
    Record,
    gauge,
    integer,
    object_id,
    octets,
    uptime,
    wobbling_percent,
)

SYSTEM = "1.3.6.1.2.1.1"
ENT_PHYSICAL = "1.3.6.1.2.1.47.1.1.1.1"
HUAWEI_ENTITY_STATE = "1.3.6.1.4.1.2011.5.25.31.1.1.1.1"
HUAWEI_DEVICE_ESN = "1.3.6.1.4.1.2011.5.25.188.1.1.0"
H3C_ENTITY_STATE = "1.3.6.1.4.1.25506.2.6.1.1.1.1"
H3C_MANU_SERIAL = "1.3.6.1.4.1.25506.2.6.1.2.1.1.2"
CISCO_CPU_TOTAL = "1.3.6.1.4.1.9.9.109.1.1.1.1"
CISCO_MEMORY_POOL = "1.3.6.1.4.1.9.9.48.1.1.1"
ZTE_SYSTEM = "1.3.6.1.4.1.3902.3.3.1.1"
HR_SYSTEM = "1.3.6.1.2.1.25.1"
HR_STORAGE = "1.3.6.1.2.1.25.2"
HR_PROCESSOR_LOAD = "1.3.6.1.2.1.25.3.3.1.2"
UCD_MEMORY = "1.3.6.1.4.1.2021.4"
HR_STORAGE_RAM = "1.3.6.1.2.1.25.2.1.2"
_CONTACT = "Guangdong HRSS network operations centre <noc@hrss.gd.example.cn>"
_MAKER: dict[Platform, str] = {
    Platform.HUAWEI_VRP: "Huawei",
    Platform.HP_COMWARE: "H3C",
    Platform.CISCO_IOS: "Cisco",
    Platform.ZTE_ZXROS: "ZTE",
}
_H3C_BOARD = 2
_CHASSIS_CLASS, _MODULE_CLASS = 3, 9


def system_records(device: LabDevice, model: HardwareModel) -> list[Record]:
    services = 72 if device.platform is Platform.LINUX else 78
    return [
        octets(f"{SYSTEM}.1.0", model.identity(device.name)),
        object_id(f"{SYSTEM}.2.0", model.sys_object_id),
        uptime(f"{SYSTEM}.3.0", device.uptime_s * 100),
        octets(f"{SYSTEM}.4.0", _CONTACT),
        octets(f"{SYSTEM}.5.0", device.name),
        octets(f"{SYSTEM}.6.0", device.location),
        integer(f"{SYSTEM}.7.0", services),
    ]


def entity_records(device: LabDevice, model: HardwareModel) -> list[Record]:
    """The chassis row (and Comware's main board row, where its CPU figures live)."""
    if device.platform is Platform.LINUX:
        return []  # net-snmp implements no ENTITY-MIB
    chassis = model.chassis_entity_index
    records = _entity_row(device, model, chassis, _CHASSIS_CLASS, 0, model.entity_descr)
    if device.platform is Platform.HP_COMWARE:
        records += _entity_row(device, model, _H3C_BOARD, _MODULE_CLASS, chassis, "Board")
    return records


def _entity_row(
    device: LabDevice, model: HardwareModel, index: int, kind: int, parent: int, descr: str
) -> list[Record]:
    is_chassis = kind == _CHASSIS_CLASS

    def c(column: int) -> str:
        return f"{ENT_PHYSICAL}.{column}.{index}"

    return [
        octets(c(2), descr),
        object_id(c(3), model.sys_object_id if is_chassis else "0.0"),
        integer(c(4), parent),
        integer(c(5), kind),
        integer(c(6), -1 if is_chassis else 0),
        octets(c(7), descr if is_chassis else f"Slot 1 {descr}"),
        octets(c(8), "VER.A"),
        octets(c(9), ""),
        octets(c(10), _software_rev(device.platform, model)),
        octets(c(11), device.serial if is_chassis else ""),
        octets(c(12), _MAKER.get(device.platform, "")),
        octets(c(13), model.model if is_chassis else ""),
        octets(c(14), ""),
        octets(c(15), ""),
        integer(c(16), 2 if is_chassis else 1),
    ]


def _software_rev(platform: Platform, model: HardwareModel) -> str:
    """entPhysicalSoftwareRev as each vendor words it."""
    if platform is Platform.HUAWEI_VRP:
        return f"Version {model.version} {model.release.split()[-1]}"
    if platform is Platform.HP_COMWARE:
        return f"{model.version}, Release {model.release}"
    return model.version


def health_records(device: LabDevice, model: HardwareModel) -> list[Record]:
    rng = seeded_rng(device.community, "health")
    period_s = rng.uniform(300, 1200)
    cpu, memory = device.cpu_percent, device.memory_percent

    def cpu_now(oid: str, tag: str = "2") -> Record:
        return wobbling_percent(oid, tag, cpu, period_s, min(5, cpu))

    def memory_now(oid: str, tag: str = "2") -> Record:
        return wobbling_percent(oid, tag, memory, period_s * 3, 2)

    match device.platform:
        case Platform.HUAWEI_VRP:
            board = model.chassis_entity_index
            return [
                cpu_now(f"{HUAWEI_ENTITY_STATE}.5.{board}"),
                memory_now(f"{HUAWEI_ENTITY_STATE}.7.{board}"),
                octets(HUAWEI_DEVICE_ESN, device.serial),
            ]
        case Platform.HP_COMWARE:
            chassis = model.chassis_entity_index
            return [
                integer(f"{H3C_ENTITY_STATE}.6.{chassis}", 0),  # the chassis has no CPU of its own
                cpu_now(f"{H3C_ENTITY_STATE}.6.{_H3C_BOARD}"),
                integer(f"{H3C_ENTITY_STATE}.8.{chassis}", 0),
                memory_now(f"{H3C_ENTITY_STATE}.8.{_H3C_BOARD}"),
                octets(f"{H3C_MANU_SERIAL}.{chassis}", device.serial),
            ]
        case Platform.CISCO_IOS:
            used = model.memory_bytes * memory // 100
            return [
                integer(f"{CISCO_CPU_TOTAL}.2.1", model.chassis_entity_index),
                cpu_now(f"{CISCO_CPU_TOTAL}.6.1", "66"),
                cpu_now(f"{CISCO_CPU_TOTAL}.7.1", "66"),
                cpu_now(f"{CISCO_CPU_TOTAL}.8.1", "66"),
                octets(f"{CISCO_MEMORY_POOL}.2.1", "Processor"),
                integer(f"{CISCO_MEMORY_POOL}.3.1", 0),
                integer(f"{CISCO_MEMORY_POOL}.4.1", 1),
                gauge(f"{CISCO_MEMORY_POOL}.5.1", used),
                gauge(f"{CISCO_MEMORY_POOL}.6.1", model.memory_bytes - used),
                gauge(f"{CISCO_MEMORY_POOL}.7.1", (model.memory_bytes - used) * 9 // 10),
            ]
        case Platform.ZTE_ZXROS:
            return [memory_now(f"{ZTE_SYSTEM}.4.1"), cpu_now(f"{ZTE_SYSTEM}.12.1")]
        case Platform.LINUX:
            # hrDeviceIndex numbers processors from 196608 (net-snmp); each core a little apart.
            loads = [
                wobbling_percent(
                    f"{HR_PROCESSOR_LOAD}.{196608 + core}",
                    "2",
                    max(0, min(100, cpu + rng.randint(-6, 6))),
                    period_s,
                    min(5, cpu),
                )
                for core in range(rng.choice((8, 16)))
            ]
            return loads + _host_resources(device, model)


def _host_resources(device: LabDevice, model: HardwareModel) -> list[Record]:
    """HOST-RESOURCES-MIB and UCD-SNMP-MIB as snmpd answers on a Linux host (sizes in kB)."""
    rng = seeded_rng(device.community, "host")
    total_kb = model.memory_bytes // 1024
    buffers_kb, cached_kb = total_kb * 2 // 100, total_kb * 15 // 100
    # What `free` calls used is total - free - buffers - cache: that is the device's memory level.
    free_kb = total_kb - total_kb * device.memory_percent // 100 - buffers_kb - cached_kb
    swap_kb = 8 * 1024 * 1024
    records = [
        uptime(f"{HR_SYSTEM}.1.0", (device.uptime_s + rng.randint(60, 900)) * 100),
        gauge(f"{HR_SYSTEM}.5.0", rng.randint(1, 3)),
        gauge(f"{HR_SYSTEM}.6.0", rng.randint(220, 640)),
        integer(f"{HR_SYSTEM}.7.0", 0),
        integer(f"{HR_STORAGE}.2.0", total_kb),
    ]
    disk_units = 4096
    storage = (
        (1, HR_STORAGE_RAM, "Physical memory", 1024, total_kb, total_kb - free_kb),
        (3, "1.3.6.1.2.1.25.2.1.3", "Virtual memory", 1024, total_kb + swap_kb,
         total_kb - free_kb),
        (6, "1.3.6.1.2.1.25.2.1.1", "Memory buffers", 1024, total_kb, buffers_kb),
        (7, "1.3.6.1.2.1.25.2.1.1", "Cached memory", 1024, cached_kb, cached_kb),
        (10, "1.3.6.1.2.1.25.2.1.3", "Swap space", 1024, swap_kb, 0),
        (31, "1.3.6.1.2.1.25.2.1.4", "/", disk_units, 100 * 1024**3 // disk_units,
         rng.randint(20, 60) * 1024**3 // disk_units),
        (32, "1.3.6.1.2.1.25.2.1.4", "/data", disk_units, 2 * 1024**4 // disk_units,
         rng.randint(400, 1500) * 1024**3 // disk_units),
    )  # fmt: skip
    for index, kind, descr, units, size, used in storage:
        row = f"{HR_STORAGE}.3.1"
        records += [
            integer(f"{row}.1.{index}", index),
            object_id(f"{row}.2.{index}", kind),
            octets(f"{row}.3.{index}", descr),
            integer(f"{row}.4.{index}", units),
            integer(f"{row}.5.{index}", size),
            integer(f"{row}.6.{index}", used),
        ]
    ucd = (
        (1, 0), (3, swap_kb), (4, swap_kb), (5, total_kb), (6, free_kb), (11, free_kb + swap_kb),
        (12, 16000), (13, rng.randint(100_000, 900_000)), (14, buffers_kb), (15, cached_kb),
        (100, 0),
    )  # fmt: skip
    records += [integer(f"{UCD_MEMORY}.{column}.0", value) for column, value in ucd]
    records += [octets(f"{UCD_MEMORY}.2.0", "swap"), octets(f"{UCD_MEMORY}.101.0", "")]
    return records
