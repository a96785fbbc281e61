"""The lab's files for the NOC and for tools: inventory, credentials, province model, agent data.

The inventory and credentials are checked by the NOC's own loaders right after writing, so a lab
that starts is a lab the NOC can read. The credentials file is created 0600 — it holds every
community — before a byte is written to it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

from core.credentials import load_credentials
from core.inventory import load_inventory
from lab.model import Province
from lab.snmprec_writer import write_device_file

INVENTORY_FILE = "inventory.yaml"
CREDENTIALS_FILE = "credentials.yaml"
PROVINCE_FILE = "province.json"


def write_inventory(lab_dir: Path, province: Province, linux_ssh: bool = False) -> Path:
    """inventory.yaml; the Linux hosts get SSH access only when ``linux_ssh`` (a real sshd)."""
    path = lab_dir / INVENTORY_FILE
    document = province.to_inventory(linux_ssh).model_dump(mode="json", exclude_none=True)
    header = (
        f"# The simulated Guangdong province (size {province.size}, seed {province.seed}),\n"
        "# written by `ssnoc lab up`: its intended state, as the network's documentation says.\n"
    )
    path.write_text(header + _yaml(document), encoding="utf-8")
    load_inventory(path)  # raises InventoryError if the NOC could not read what we wrote
    return path


def write_credentials(
    lab_dir: Path, province: Province, linux_key_path: Path | None = None
) -> Path:
    """credentials.yaml: communities, the devices' SSH login and (given) root's key on hosts."""
    path = lab_dir / CREDENTIALS_FILE
    path.unlink(missing_ok=True)  # a file left by an older lab may have looser permissions
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    key = str(linux_key_path) if linux_key_path is not None else None
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write("# SNMP communities and SSH logins of the simulated province.\n")
        out.write(_yaml(province.credentials_document(key)))
    load_credentials(path)
    return path


def write_province(lab_dir: Path, province: Province) -> Path:
    """province.json: the whole model plus a summary, for tools and benchmarks."""
    path = lab_dir / PROVINCE_FILE
    document = {"summary": province.summary(), **province.model_dump(mode="json")}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def read_province(path: Path) -> Province:
    document = json.loads(path.read_text(encoding="utf-8"))
    document.pop("summary", None)
    return Province.model_validate(document)


def write_agent_data(directory: Path, province: Province, device_ids: list[str]) -> int:
    """The data files of ``device_ids`` into ``directory``; returns the varbinds written."""
    directory.mkdir(parents=True, exist_ok=True)
    devices = province.device_by_id()
    return sum(write_device_file(directory, devices[d], province) for d in device_ids)


def _yaml(document: object) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
