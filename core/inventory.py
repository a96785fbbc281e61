"""Loading the inventory: the intended state of the network, from a YAML file.

The file has four lists — ``regions``, ``sites``, ``devices``, ``links`` — whose fields are those of
:mod:`core.model`. Every error names the file, the line and the field, and the whole file is
checked before anything is used: a half-loaded inventory never reaches the collectors.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from core.model import Inventory, RegionLevel
from core.yaml_source import LocatedYaml, load_located_yaml

_SECTIONS = ("regions", "sites", "devices", "links")


def load_inventory(path: Path) -> Inventory:
    """Read and validate the inventory at ``path``; raises :class:`core.errors.InventoryError`."""
    located = load_located_yaml(path)
    if not isinstance(located.data, dict):
        raise located.error(
            (), "the inventory must be a mapping with regions, sites, devices, links"
        )
    for name in located.data:
        if name not in _SECTIONS:
            raise located.error((name,), f"unknown section; expected one of {', '.join(_SECTIONS)}")
    inventory = located.validate(Inventory)
    check_references(inventory, located)
    return inventory


def check_references(inventory: Inventory, located: LocatedYaml) -> None:
    """Ids are unique and every reference names something that exists."""
    _unique(located, "regions", [r.code for r in inventory.regions], "code")
    _unique(located, "sites", [s.id for s in inventory.sites], "id")
    _unique(located, "devices", [d.id for d in inventory.devices], "id")
    _unique(located, "links", [lk.id for lk in inventory.links], "id")
    regions = inventory.region_by_code()
    for i, region in enumerate(inventory.regions):
        if region.level is RegionLevel.PROVINCE:
            if region.parent is not None:
                raise located.error(("regions", i, "parent"), "a province has no parent")
            continue
        if region.parent is None:
            raise located.error(("regions", i, "parent"), f"a {region.level} needs a parent")
        parent = regions.get(region.parent)
        if parent is None:
            raise located.error(("regions", i, "parent"), f"no region {region.parent}")
        expected = RegionLevel.PROVINCE if region.level is RegionLevel.CITY else RegionLevel.CITY
        if parent.level is not expected:
            raise located.error(
                ("regions", i, "parent"),
                f"a {region.level}'s parent must be a {expected}; "
                f"{parent.code} is a {parent.level}",
            )
    for i, site in enumerate(inventory.sites):
        if site.region not in regions:
            raise located.error(("sites", i, "region"), f"no region {site.region}")
    sites = inventory.site_by_id()
    endpoints: Counter[tuple[str, int]] = Counter()
    ssh_endpoints: Counter[tuple[str, int]] = Counter()
    for i, device in enumerate(inventory.devices):
        if device.site not in sites:
            raise located.error(("devices", i, "site"), f"no site {device.site!r}")
        if device.snmp is not None:
            endpoint = (str(device.address), device.snmp.port)
            endpoints[endpoint] += 1
            if endpoints[endpoint] > 1:
                raise located.error(
                    ("devices", i, "address"),
                    f"{endpoint[0]}:{endpoint[1]} is already another device's SNMP agent",
                )
        if device.ssh is not None:
            ssh_endpoint = (str(device.address), device.ssh.port)
            ssh_endpoints[ssh_endpoint] += 1
            if ssh_endpoints[ssh_endpoint] > 1:
                raise located.error(
                    ("devices", i, "ssh", "port"),
                    f"{ssh_endpoint[0]}:{ssh_endpoint[1]} is already another device's SSH server",
                )
    devices = inventory.device_by_id()
    for i, link in enumerate(inventory.links):
        for side in ("a", "b"):
            end = getattr(link, side)
            if end.device not in devices:
                raise located.error(("links", i, side, "device"), f"no device {end.device!r}")


def _unique(located: LocatedYaml, section: str, keys: list[str], field: str) -> None:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            raise located.error((section, i, field), f"{key!r} is given twice")
        seen.add(key)
