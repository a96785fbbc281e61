"""Trap mapping as data: the shipped file loads, maps what it names, keeps what it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.snmp.trap_mapping import (
    DEFAULT_MAPPING_PATH,
    RAW_KIND,
    SNMP_TRAP_COMMUNITY,
    SNMP_TRAP_OID,
    SYS_UPTIME,
    TextVarBind,
    TrapMapping,
    load_trap_mapping,
    octets_as_text,
    trap_oid_of,
)
from core.clock import FakeClock
from core.errors import ConfigError, MalformedResponse
from core.events import TrapReceived

LINK_DOWN, LINK_UP, COLD_START = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4", "1.3.6.1.6.3.1.1.5.1"
IF_INDEX, IF_DESCR, IF_NAME = "1.3.6.1.2.1.2.2.1.1", "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.31.1.1.1.1"
IF_ADMIN, IF_OPER = "1.3.6.1.2.1.2.2.1.7", "1.3.6.1.2.1.2.2.1.8"


def trap(trap_oid: str, *rest: TextVarBind) -> list[TextVarBind]:
    return [(SYS_UPTIME, "123456"), (SNMP_TRAP_OID, trap_oid), *rest]


def event(
    varbinds: list[TextVarBind], clock: FakeClock, mapping: TrapMapping | None = None
) -> TrapReceived:
    return (mapping or load_trap_mapping()).to_event(
        at=clock.now(),
        source_address="127.0.0.9",
        device_id="gz-core-1",
        version="v2c",
        varbinds=varbinds,
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "traps.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the shipped mapping


def test_the_shipped_mapping_names_the_generic_traps_and_some_of_each_vendor() -> None:
    mapping = load_trap_mapping()

    kinds = {
        oid: rule.kind
        for oid in (COLD_START, "1.3.6.1.6.3.1.1.5.2", LINK_DOWN, LINK_UP, "1.3.6.1.6.3.1.1.5.5")
        if (rule := mapping.rule_for(oid)) is not None
    }

    assert kinds == {
        COLD_START: "coldStart",
        "1.3.6.1.6.3.1.1.5.2": "warmStart",
        LINK_DOWN: "linkDown",
        LINK_UP: "linkUp",
        "1.3.6.1.6.3.1.1.5.5": "authenticationFailure",
    }
    vendors = {"2011": "Huawei", "25506": "H3C", "9": "Cisco"}
    for enterprise, vendor in vendors.items():
        prefix = f"1.3.6.1.4.1.{enterprise}."
        assert sum(rule.oid.startswith(prefix) for rule in mapping.rules) >= 5, vendor


def test_the_shipped_mapping_loads_from_its_path_like_any_other(tmp_path: Path) -> None:
    copy = write(tmp_path, DEFAULT_MAPPING_PATH.read_text(encoding="utf-8"))

    assert len(load_trap_mapping(copy)) == len(load_trap_mapping())


# ---------------------------------------------------------------- interfaces


def test_link_down_takes_if_index_from_its_value_and_the_name_from_if_descr(
    clock: FakeClock,
) -> None:
    varbinds = trap(
        LINK_DOWN,
        (f"{IF_INDEX}.7", "7"),
        (f"{IF_ADMIN}.7", "1"),
        (f"{IF_OPER}.7", "2"),
        (f"{IF_DESCR}.7", "GigabitEthernet0/0/7"),
    )

    got = event(varbinds, clock)

    assert got == TrapReceived(
        at=clock.now(),
        source_address="127.0.0.9",
        device_id="gz-core-1",
        kind="linkDown",
        trap_oid=LINK_DOWN,
        varbinds=tuple(varbinds),
        version="v2c",
        if_index=7,
        if_name="GigabitEthernet0/0/7",
    )


def test_if_name_wins_over_if_descr_and_the_index_may_come_from_an_instance(
    clock: FakeClock,
) -> None:
    """Without an ifIndex varbind the index is the instance of ifAdminStatus/ifDescr/…"""
    varbinds = trap(
        LINK_UP,
        (f"{IF_ADMIN}.12", "1"),
        (f"{IF_DESCR}.12", "GigabitEthernet1/0/12 Interface"),
        (f"{IF_NAME}.12", "GE1/0/12"),
    )

    got = event(varbinds, clock)

    assert (got.kind, got.if_index, got.if_name) == ("linkUp", 12, "GE1/0/12")


def test_a_link_trap_with_no_interface_varbinds_has_no_interface(clock: FakeClock) -> None:
    got = event(trap(LINK_DOWN), clock)

    assert (got.kind, got.if_index, got.if_name) == ("linkDown", None, None)


def test_a_nonsense_if_index_gives_way_to_the_next_source(clock: FakeClock) -> None:
    varbinds = trap(LINK_DOWN, (f"{IF_INDEX}.3", "0x00ff"), (f"{IF_DESCR}.3", "Ethernet3"))

    assert event(varbinds, clock).if_index == 3


def test_cisco_extended_link_traps_are_link_traps(clock: FakeClock) -> None:
    varbinds = trap(
        "1.3.6.1.4.1.9.9.276.0.1",
        (f"{IF_INDEX}.10101", "10101"),
        (f"{IF_NAME}.10101", "Gi1/0/1"),
        ("1.3.6.1.2.1.2.2.1.3.10101", "6"),
    )

    got = event(varbinds, clock)

    assert (got.kind, got.if_index, got.if_name) == ("linkDown", 10101, "Gi1/0/1")


# ---------------------------------------------------------------- kinds


@pytest.mark.parametrize(
    ("trap_oid", "kind"),
    [
        (COLD_START, "coldStart"),
        ("1.3.6.1.6.3.1.1.5.5", "authenticationFailure"),
        ("1.3.6.1.4.1.2011.5.25.219.2.2.3", "hwBoardFail"),
        ("1.3.6.1.4.1.2011.5.25.219.2.5.1", "hwPowerRemove"),
        ("1.3.6.1.4.1.25506.2.6.2.0.21", "hh3cEntityExtTemperatureTooUp"),
        ("1.3.6.1.4.1.9.9.13.3.0.8", "ciscoEnvMonFanStatusChangeNotif"),
        ("1.3.6.1.4.1.9.9.43.2.0.1", "configChanged"),
        ("1.3.6.1.4.1.2011.6.10.2.1", "configChanged"),
    ],
)
def test_known_traps_get_their_kind(trap_oid: str, kind: str, clock: FakeClock) -> None:
    got = event(trap(trap_oid, ("1.3.6.1.2.1.47.1.1.1.1.7.16842753", "Board 1")), clock)

    assert (got.kind, got.trap_oid, got.if_index) == (kind, trap_oid, None)


def test_an_unknown_trap_is_raw_with_every_varbind(clock: FakeClock) -> None:
    varbinds = trap(
        "1.3.6.1.4.1.99999.0.42",
        ("1.3.6.1.4.1.99999.1.1.0", "door open"),
        ("1.3.6.1.4.1.99999.1.2.0", "0x0a0b"),
    )

    got = event(varbinds, clock)

    assert got.kind == RAW_KIND
    assert got.trap_oid == "1.3.6.1.4.1.99999.0.42"
    assert got.varbinds == tuple(varbinds)


def test_the_trap_community_a_v1_conversion_adds_is_never_kept(clock: FakeClock) -> None:
    varbinds = trap(
        COLD_START,
        ("1.3.6.1.6.3.18.1.3.0", "10.1.2.3"),
        (SNMP_TRAP_COMMUNITY, "s3cret-community"),
    )

    got = event(varbinds, clock)

    assert SNMP_TRAP_COMMUNITY not in dict(got.varbinds)
    assert "s3cret-community" not in repr(got)


@pytest.mark.parametrize(
    "varbinds",
    [
        [(SYS_UPTIME, "1")],
        [(SYS_UPTIME, "1"), (SNMP_TRAP_OID, "not an oid")],
        [],
    ],
)
def test_a_notification_without_a_trap_oid_is_malformed(
    varbinds: list[TextVarBind], clock: FakeClock
) -> None:
    with pytest.raises(MalformedResponse, match=r"127\.0\.0\.9: .*snmpTrapOID"):
        event(varbinds, clock)


def test_the_trap_oid_is_read_wherever_it_stands() -> None:
    assert trap_oid_of([("1.3.6.1.2.1.1.5.0", "x"), (SNMP_TRAP_OID, ".1.3.6.1.6.3.1.1.5.1")]) == (
        COLD_START
    )


# ---------------------------------------------------------------- values as text


@pytest.mark.parametrize(
    ("octets", "text"),
    [
        (b"GigabitEthernet0/0/1", "GigabitEthernet0/0/1"),
        (b"Vlanif100\x00", "Vlanif100"),
        ("广州市社保局".encode(), "广州市社保局"),
        (b"line one\r\nline two\t!", "line one\r\nline two\t!"),
        (b"\x00\x1a\x2b\x3c\x4d\x5e", "0x001a2b3c4d5e"),
        (b"\xff\xfe", "0xfffe"),
        (b"\x00" * 6, "0x000000000000"),
        (b"", ""),
    ],
)
def test_octets_are_text_when_printable_and_hex_otherwise(octets: bytes, text: str) -> None:
    assert octets_as_text(octets) == text


# ---------------------------------------------------------------- mistakes in the file


def test_a_file_of_one_rule_is_enough(tmp_path: Path) -> None:
    path = write(tmp_path, "traps:\n  - {oid: .1.3.6.1.4.1.99.0.1, kind: doorOpen}\n")

    assert load_trap_mapping(path).rule_for("1.3.6.1.4.1.99.0.1") is not None


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "traps:\n  - {oid: 1.3.6.1.4.1.99.0.1, kind: a}\n"
            "  - {oid: 1.3.6.1.4.1.99.0.1, kind: b}\n",
            r"traps\.yaml:3: field 'traps\[1\]\.oid': mapped already at traps\[0\]",
        ),
        ("traps:\n  - {oid: 1.3.6.1.4.1.99.0.1, kind: raw}\n", r":2: field 'traps\[0\]\.kind'"),
        ("traps:\n  - {oid: 1.3.6.1.4.1.99.0.1, kind: 'link down'}\n", r":2: .*kind"),
        ("traps:\n  - {oid: 'ifIndex', kind: linkDown}\n", r":2: field 'traps\[0\]\.oid'"),
        (
            "traps:\n  - oid: 1.3.6.1.4.1.99.0.1\n    kind: x\n"
            "    if_index: [{oid: 1.3.6.1.2.1.2.2.1.1, take: suffix}]\n",
            r":4: field 'traps\[0\]\.if_index\[0\]\.take'",
        ),
        ("traps:\n  - {oid: 1.3.6.1.4.1.99.0.1, kind: x, severity: major}\n", r"severity"),
        ("traps: []\n", r"field 'traps'"),
        ("traps:\n  - {oid: 1.3.6.1.4.1.99.0.1\n", r"not valid YAML"),
    ],
)
def test_mistakes_in_the_file_name_the_line_and_field(
    tmp_path: Path, text: str, where: str
) -> None:
    with pytest.raises(ConfigError, match=r"^bad trap mapping .*" + where):
        load_trap_mapping(write(tmp_path, text))


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_trap_mapping(tmp_path / "nowhere.yaml")
