"""Inventory loading: a good file loads; every kind of mistake names the file, line and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from core.errors import InventoryError
from core.inventory import load_inventory
from core.model import LinkRole, Platform, RegionLevel

DATA = Path(__file__).resolve().parents[2] / "data"

HEAD = """\
regions:
  - {code: "440000", name: 广东省, level: province}
  - {code: "440100", name: 广州市, level: city, parent: "440000"}
sites:
  - {id: gz, name: 广州市节点, region: "440100", kind: city_node}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def device(extra: str = "", **fields: str) -> str:
    values = {
        "id": "gz-core1",
        "name": "GZ-CORE1",
        "site": "gz",
        "platform": "huawei_vrp",
        "role": "distribution",
        "address": "127.0.0.1",
    }
    values.update(fields)
    body = "\n".join(f"    {k}: {v}" for k, v in values.items())
    first, _, rest = body.partition("\n")
    return f"  - {first.strip()}\n{rest}\n{extra}"


def test_the_hand_made_inventory_loads_with_its_types() -> None:
    inventory = load_inventory(DATA / "small_inventory.yaml")
    assert [r.level for r in inventory.regions] == [
        RegionLevel.PROVINCE,
        RegionLevel.CITY,
        RegionLevel.COUNTY,
        RegionLevel.COUNTY,
    ]
    devices = inventory.device_by_id()
    assert devices["gz-liwan-acc1"].platform is Platform.ZTE_ZXROS
    assert devices["gz-core1"].snmp is not None
    assert devices["gz-core1"].snmp.port == 16161
    assert all(link.role is LinkRole.PRIMARY for link in inventory.links)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="file not found") as caught:
        load_inventory(tmp_path / "nope.yaml")
    assert caught.value.path.endswith("nope.yaml")


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "devices:\n  - id: [unclosed\n")
    with pytest.raises(InventoryError, match="not valid YAML") as caught:
        load_inventory(path)
    assert caught.value.line is not None
    assert caught.value.line >= 7


def test_bad_platform_names_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "devices:\n" + device(platform="junos"))
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    error = caught.value
    assert error.field == "devices[0].platform"
    assert error.line == 10  # the line that says "platform: junos"
    assert "junos" in str(error)
    assert str(error).startswith(f"{path}:10: field 'devices[0].platform'")


def test_missing_required_field_points_at_its_entry(tmp_path: Path) -> None:
    text = HEAD + "devices:\n" + device().replace("    name: GZ-CORE1\n", "")
    path = write(tmp_path, text)
    with pytest.raises(InventoryError, match="Field required") as caught:
        load_inventory(path)
    assert caught.value.field == "devices[0].name"
    assert caught.value.line == 7  # the entry's first line: its parent exists, the field not


def test_bad_address(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "devices:\n" + device(address="300.1.1.1"))
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert caught.value.field == "devices[0].address"


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "devices:\n" + device(extra="    colour: red\n"))
    with pytest.raises(InventoryError, match="colour"):
        load_inventory(path)


def test_unknown_section(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "routers: []\n")
    with pytest.raises(InventoryError, match="unknown section") as caught:
        load_inventory(path)
    assert caught.value.line == 6


def test_duplicate_device_id(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "devices:\n" + device() + device(address="127.0.0.2"))
    with pytest.raises(InventoryError, match="given twice") as caught:
        load_inventory(path)
    assert caught.value.field == "devices[1].id"
    assert caught.value.line == 13


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "devices:\n" + device(extra="    site: gz\n"))
    with pytest.raises(InventoryError, match="given twice") as caught:
        load_inventory(path)
    assert caught.value.line == 13


def test_site_in_unknown_region(tmp_path: Path) -> None:
    text = HEAD + '  - {id: sz, name: 深圳市节点, region: "440300", kind: city_node}\n'
    with pytest.raises(InventoryError, match="no region 440300") as caught:
        load_inventory(write(tmp_path, text))
    assert caught.value.field == "sites[1].region"


def test_device_at_unknown_site(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "devices:\n" + device(site="sz"))
    with pytest.raises(InventoryError, match="no site 'sz'"):
        load_inventory(path)


def test_two_devices_on_one_snmp_endpoint(tmp_path: Path) -> None:
    snmp = "    snmp: {port: 161, credential: c}\n"
    text = HEAD + "devices:\n" + device(extra=snmp) + device(extra=snmp, id="gz-core2")
    with pytest.raises(InventoryError, match="already another device's SNMP agent") as caught:
        load_inventory(write(tmp_path, text))
    assert caught.value.field == "devices[1].address"


def test_link_to_unknown_device(tmp_path: Path) -> None:
    text = (
        HEAD
        + "devices:\n"
        + device()
        + "links:\n  - id: l1\n    a: {device: gz-core1, interface: Gi0/0/1}\n"
        + "    b: {device: ghost, interface: Gi0/0/2}\n    tier: city_county\n"
    )
    with pytest.raises(InventoryError, match="no device 'ghost'") as caught:
        load_inventory(write(tmp_path, text))
    assert caught.value.field == "links[0].b.device"
    assert caught.value.line == 16


def test_county_whose_parent_is_the_province(tmp_path: Path) -> None:
    text = HEAD.replace(
        "sites:", '  - {code: "440103", name: 荔湾区, level: county, parent: "440000"}\nsites:'
    )
    with pytest.raises(InventoryError, match="parent must be a city") as caught:
        load_inventory(write(tmp_path, text))
    assert caught.value.field == "regions[2].parent"


def test_bad_region_code(tmp_path: Path) -> None:
    text = HEAD.replace('code: "440100"', 'code: "4401"')
    with pytest.raises(InventoryError, match="pattern") as caught:
        load_inventory(write(tmp_path, text))
    assert caught.value.field == "regions[1].code"


def test_empty_file_is_an_empty_inventory(tmp_path: Path) -> None:
    assert load_inventory(write(tmp_path, "")).devices == ()


def test_a_list_instead_of_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="must be a mapping"):
        load_inventory(write(tmp_path, "- a\n- b\n"))
