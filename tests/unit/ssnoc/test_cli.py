"""The command line as a person meets it: clear one-line errors, secrets masked, help."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ssnoc.cli import app

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SSNOC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_serving_without_an_inventory_says_what_to_do() -> None:
    code, _, err = run("serve")
    assert code == 2
    assert "no inventory at var/lab/inventory.yaml" in err
    assert "ssnoc lab up" in err
    assert "Traceback" not in err


def test_inventory_check_reports_counts(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.yaml"
    credentials.write_text(
        'snmp:\n  core: {version: "2c", community: "a"}\n  city: {version: "2c", community: "b"}\n'
        '  county: {version: "2c", community: "c"}\n'
    )
    os.environ["SSNOC_CREDENTIALS_PATH"] = str(credentials)
    try:
        code, out, _ = run("inventory", "check", str(DATA / "small_inventory.yaml"))
    finally:
        del os.environ["SSNOC_CREDENTIALS_PATH"]
    assert code == 0
    assert "4 regions, 4 sites, 4 devices, 3 links; 4 devices to poll" in out


def test_inventory_check_names_devices_without_credentials() -> None:
    code, _, err = run("inventory", "check", str(DATA / "small_inventory.yaml"))
    assert code == 1
    assert "not polled: gz-core1: no SNMP credential named 'city'" in err


def test_a_broken_inventory_names_file_line_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "inv.yaml"
    broken.write_text("devices:\n  - id: x\n    platform: junos\n")
    code, _, err = run("inventory", "check", str(broken))
    assert code == 2
    assert f"{broken}:2:" in err
    assert "devices[0]" in err


def test_config_show_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSNOC_STATE_DB_URL", "postgresql+psycopg://noc:very-secret@db/ssnoc")
    code, out, _ = run("config", "show")
    assert code == 0
    assert "very-secret" not in out
    assert '"state_db_url": "postgresql+psycopg://noc:***@db/ssnoc"' in out


def test_a_bad_setting_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSNOC_POLL__TIMEOUT_S", "soon")
    code, _, err = run("config", "show")
    assert code == 2
    assert err.strip().startswith("ssnoc: setting 'poll.timeout_s'")


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0
    assert out.startswith("ssnoc ")
    code, out, _ = run("--help")
    assert code == 0
    for command in ("serve", "up", "console", "poll", "lab", "snmp", "inventory", "config"):
        assert command in out


def test_lab_status_without_a_lab() -> None:
    code, out, _ = run("lab", "status")
    assert code == 1
    assert "no lab is running here" in out
