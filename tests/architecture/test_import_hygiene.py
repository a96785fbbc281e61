"""The layering in pyproject.toml holds, and vendor libraries stay behind their seams.

lint-imports proves the package layers; the scan below proves what it cannot say in one contract:
which *module* may import which vendor library (pysnmp and gufo only in the SNMP transports,
fastapi only in api, textual only in tui), and that importing a package builds nothing heavy.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "core",
    "collectors",
    "topology",
    "alerts",
    "card_fleet",
    "runbooks",
    "api",
    "tui",
    "lab",
    "ssnoc",
]

# vendor library → the only modules (path prefixes) allowed to import it
VENDOR_SEAMS: dict[str, tuple[str, ...]] = {
    "pysnmp": ("collectors/snmp/pysnmp_transport.py", "collectors/snmp/traps.py"),
    "pyasn1": ("collectors/snmp/pysnmp_transport.py", "collectors/snmp/traps.py"),
    "gufo": ("collectors/snmp/gufo_transport.py",),
    "fastapi": ("api/",),
    "starlette": ("api/",),
    "uvicorn": ("ssnoc/",),
    "textual": ("tui/",),
    "influxdb_client": ("core/metrics/victoria",),
    "netmiko": ("collectors/ssh/",),
    "paramiko": ("collectors/ssh/",),
    "textfsm": ("collectors/ssh/",),
    "ntc_templates": ("collectors/ssh/",),
    "asyncssh": ("lab/ssh/",),
    "smartcard": ("card_fleet/reader",),
}


def python_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_layer_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("library", sorted(VENDOR_SEAMS))
def test_vendor_library_only_behind_its_seam(library: str) -> None:
    allowed = VENDOR_SEAMS[library]
    offenders = [
        str(path.relative_to(ROOT))
        for path in python_files()
        if library in imported_roots(path) and not str(path.relative_to(ROOT)).startswith(allowed)
    ]
    assert offenders == [], f"{library} imported outside {allowed}: {offenders}"


def test_no_module_named_like_a_junk_drawer() -> None:
    junk = {"utils.py", "helpers.py", "misc.py", "common.py"}
    found = [str(p.relative_to(ROOT)) for p in python_files() if p.name in junk]
    found += [str(p.relative_to(ROOT)) for p in python_files() if "managers" in p.parts]
    assert found == []


def test_importing_the_api_builds_no_app() -> None:
    """The app factory builds apps; importing the package must not (no import-time side effects)."""
    code = (
        "import sys, fastapi, api.app; "
        "print(any(isinstance(v, fastapi.FastAPI) for v in vars(sys.modules['api.app']).values()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, check=False, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
