"""Vendor profiles as data: the shipped set loads, recognises each family, and rejects mistakes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from collectors.snmp.profiles import PROFILE_DIR, load_profile_set
from collectors.snmp.snmprec import load_snmprec
from core.errors import ConfigError
from core.model import Platform

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"


def recording_names(shared_dir: Path) -> list[str]:
    return sorted(
        p.stem
        for p in (shared_dir / "snmprec" / "recordings").glob("*.snmprec")
        if "@" not in p.stem
    )


def test_the_shipped_profiles_cover_every_family_with_its_platform() -> None:
    profiles = load_profile_set()

    platforms = {p.os: p.platform for p in profiles.profiles}

    assert platforms == {
        "vrp": Platform.HUAWEI_VRP,
        "comware": Platform.HP_COMWARE,
        "zxr10": Platform.ZTE_ZXROS,
        "zxa10": Platform.ZTE_ZXROS,
        "zxdsl": Platform.ZTE_ZXROS,
        "ios": Platform.CISCO_IOS,
        "iosxe": Platform.CISCO_IOS,
        "linux": Platform.LINUX,
    }


def test_every_recording_is_detected_as_the_family_its_name_says(shared_dir: Path) -> None:
    """LibreNMS names each recording after the OS it detects; so must we, stubs included."""
    profiles = load_profile_set()
    wrong = {}
    for name in recording_names(shared_dir):
        values = dict(load_snmprec(shared_dir / "snmprec" / "recordings" / f"{name}.snmprec"))
        found = profiles.detect(str(values.get(SYS_OBJECT_ID, "")), _text(values.get(SYS_DESCR)))
        expected = name.split("_")[0]
        if found is None or found.os != expected:
            wrong[name] = found.os if found else None
    assert wrong == {}


def test_ios_xe_wins_over_ios_although_both_say_cisco_ios_software() -> None:
    profiles = load_profile_set()
    descr = "Cisco IOS Software, IOS-XE Software, Catalyst 4500 L3 Switch Software (cat4500es8)"

    found = profiles.detect("1.3.6.1.4.1.9.1.1287", descr)

    assert found is not None
    assert found.os == "iosxe"


def test_a_net_snmp_appliance_of_another_family_is_not_taken_for_linux() -> None:
    profiles = load_profile_set()
    descr = "Huawei Versatile Routing Platform Software"

    found = profiles.detect("1.3.6.1.4.1.8072.3.2.10", descr)

    assert found is not None
    assert found.os == "vrp"


def test_a_stranger_is_recognised_by_no_profile() -> None:
    assert load_profile_set().detect("1.3.6.1.4.1.99999.1", "Acme Toaster 3000") is None


def test_the_most_general_profile_serves_a_platform() -> None:
    profiles = load_profile_set()

    assert profiles.for_platform(Platform.CISCO_IOS).os == "ios"
    assert profiles.by_os("zxdsl").vendor == "ZTE"
    with pytest.raises(ConfigError, match="no SNMP profile for OS 'junos'"):
        profiles.by_os("junos")


def test_interface_counters_name_their_columns_and_widths() -> None:
    table = load_profile_set().interfaces

    assert table.counters["in_octets"] == ["ifHCInOctets", "ifInOctets"]
    assert table.columns["ifHCInOctets"].kind == "counter64"
    assert table.columns["ifInOctets"].kind == "counter32"
    assert table.columns["ifHighSpeed"].kind == "gauge"


# ---------------------------------------------------------------- mistakes in profile files


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    """A directory with the shared tables and one good profile, to spoil in each test."""
    for name in ("_interfaces.yaml", "_cisco_products.yaml", "vrp.yaml"):
        shutil.copy(PROFILE_DIR / name, tmp_path / name)
    return tmp_path


def test_a_copy_of_the_shipped_files_loads(profile_dir: Path) -> None:
    assert [p.os for p in load_profile_set(profile_dir).profiles] == ["vrp"]


def test_an_unknown_platform_names_the_file_line_and_field(profile_dir: Path) -> None:
    path = profile_dir / "acme.yaml"
    path.write_text(
        "os: acme\nvendor: Acme\nplatform: acme_os\ntext: Acme\ndetect:\n  - sys_descr: ['Acme']\n"
    )

    with pytest.raises(ConfigError) as caught:
        load_profile_set(profile_dir)

    message = str(caught.value)
    assert f"{path}:3" in message
    assert "field 'platform'" in message


def test_a_bad_regex_names_its_field(profile_dir: Path) -> None:
    path = profile_dir / "acme.yaml"
    path.write_text(
        "os: acme\nvendor: Acme\nplatform: linux\ntext: Acme\n"
        "detect:\n  - sys_descr: ['Acme']\n"
        "identity:\n  hardware:\n    - regex: 'Model (?P<value>[A-Z'\n"
    )

    with pytest.raises(ConfigError) as caught:
        load_profile_set(profile_dir)

    message = str(caught.value)
    assert f"{path}:9" in message
    assert "field 'identity.hardware[0].regex'" in message
    assert "regular expression" in message


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        ("{oid: 1.3.6.1.2.1.1.5.0, regex: 'x'}", "exactly one of"),
        ("{regex: 'Model (?P<model>\\S+)', format: '{serial}'}", "does not capture"),
        ("{oid: 'not.an.oid'}", "not a numeric OID"),
        ("{oid: 1.3.6.1.2.1.1.5.0, colour: red}", "identity.serial[0].colour"),
    ],
)
def test_a_malformed_source_is_refused(profile_dir: Path, source: str, complaint: str) -> None:
    (profile_dir / "acme.yaml").write_text(
        "os: acme\nvendor: Acme\nplatform: linux\ntext: Acme\n"
        "detect:\n  - sys_descr: ['Acme']\n"
        f"identity:\n  serial:\n    - {source}\n"
    )

    with pytest.raises(ConfigError, match=r"acme\.yaml") as caught:
        load_profile_set(profile_dir)

    assert complaint in str(caught.value)


def test_the_os_must_match_the_file_name(profile_dir: Path) -> None:
    text = (profile_dir / "vrp.yaml").read_text()
    (profile_dir / "huawei.yaml").write_text(text)

    with pytest.raises(ConfigError, match=r"huawei\.yaml: os 'vrp' must match file name"):
        load_profile_set(profile_dir)


def test_a_missing_product_table_is_named(profile_dir: Path) -> None:
    (profile_dir / "_cisco_products.yaml").unlink()
    shutil.copy(PROFILE_DIR / "ios.yaml", profile_dir / "ios.yaml")

    with pytest.raises(ConfigError, match="product_table 'cisco_products' has no"):
        load_profile_set(profile_dir)


def test_a_health_source_of_two_kinds_is_refused(profile_dir: Path) -> None:
    (profile_dir / "acme.yaml").write_text(
        "os: acme\nvendor: Acme\nplatform: linux\ntext: Acme\n"
        "detect:\n  - sys_descr: ['Acme']\n"
        "health:\n  cpu:\n    - {column: 1.3.6.1.2.1.25.3.3.1.2, used: 1.3.6.1.4.1.1.1}\n"
    )

    with pytest.raises(ConfigError, match=r"acme\.yaml:9"):
        load_profile_set(profile_dir)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip().strip('"')
    return str(value or "")
