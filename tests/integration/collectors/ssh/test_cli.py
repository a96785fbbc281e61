"""``ssnoc ssh collect`` against a real sshd: JSON for scripts, one clear line for failures, host
keys pinned in the settings' state DB like the server's."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ssnoc.commands.ssh import ssh_app
from tests.support.sshd import SshdServer, closed_port, make_key

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SSNOC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SSNOC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(ssh_app, ["collect", *args])
    return result.exit_code, result.stdout, result.stderr


def address_args(server: SshdServer, key: Path | None = None) -> list[str]:
    return [
        f"{server.host}:{server.port}",
        "--platform",
        "linux",
        "--username",
        "root",
        "--key",
        str(key or server.client_key),
    ]


def test_collect_an_address_as_json(sshd_server: SshdServer, tmp_path: Path) -> None:
    code, out, err = run(*address_args(sshd_server), "--unit", "sshd", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] is True
    assert report["device"] == f"{sshd_server.host}:{sshd_server.port}"
    assert report["host_key"] == "pinned"
    assert report["facts"]["hostname"]
    root = next(a for a in report["accounts"] if a["name"] == "root")
    assert root["privilege"] == "root"
    assert report["units"] == [
        {"unit": "sshd", "state": "running", "detail": report["units"][0]["detail"]}
    ]
    assert (tmp_path / "data" / "state.db").exists()  # pinned where the server pins


def test_collect_prints_a_summary(sshd_server: SshdServer) -> None:
    code, out, _ = run(*address_args(sshd_server))
    assert code == 0
    assert out.splitlines()[0].startswith(f"{sshd_server.host}:{sshd_server.port} (")
    assert "  accounts (" in out
    assert "root" in out
    assert "load" in out


def test_a_changed_host_key_is_one_line_and_exit_2(sshd_server: SshdServer) -> None:
    assert run(*address_args(sshd_server))[0] == 0
    old = sshd_server.host_key_fingerprint
    sshd_server.restart_with_host_key(make_key(sshd_server.work_dir / "other_host_key"))
    code, out, err = run(*address_args(sshd_server))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "host key of" in err
    assert old in err
    assert sshd_server.host_key_fingerprint in err
    assert "Traceback" not in err


def test_a_wrong_key_is_one_line_and_exit_2(sshd_server: SshdServer, tmp_path: Path) -> None:
    code, _, err = run(*address_args(sshd_server, make_key(tmp_path / "stranger")))
    assert code == 2
    assert err.strip() == (
        f"ssnoc: {sshd_server.host}:{sshd_server.port}: {sshd_server.host}:{sshd_server.port}: "
        "authentication failed for user 'root'"
    )


def test_an_unreachable_address(tmp_path: Path) -> None:
    host, port = closed_port()
    key = make_key(tmp_path / "k")
    code, _, err = run(
        f"{host}:{port}", "--platform", "linux", "--username", "root", "--key", str(key)
    )
    assert code == 2
    assert "connection refused" in err


def test_the_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    host, port = closed_port()
    args = [f"{host}:{port}", "--platform", "cisco_ios", "--username", "noc"]
    code, _, err = run(*args, "--password-env", "NOC_PASS")
    assert code == 2
    assert err.strip() == "ssnoc: --password-env NOC_PASS: that environment variable is not set"
    monkeypatch.setenv("NOC_PASS", "s3cret-value")
    code, out, err = run(*args, "--password-env", "NOC_PASS", "--json")
    assert code == 2
    assert "s3cret-value" not in out + err
    assert json.loads(out)["failure"] == "unreachable"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["10.0.0.1:22"], "give --platform for an address"),
        (["10.0.0.1:99999", "--platform", "linux"], "bad port '99999'"),
        (["10.0.0.1", "--platform", "linux"], "give --username"),
        (
            ["10.0.0.1", "--platform", "linux", "--username", "u"],
            "give --password-env VAR or --key FILE",
        ),
        (["no-such-device"], "no inventory at"),
    ],
)
def test_mistakes_are_one_clear_line(args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_collect_an_inventory_device(
    sshd_server: SshdServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        "regions:\n"
        '  - {code: "440000", name: 广东省, level: province, slug: guangdong}\n'
        "sites:\n"
        '  - {id: gd-dc1, name: 省数据中心一, region: "440000", kind: data_centre}\n'
        "devices:\n"
        "  - id: gd-dc1-app1\n"
        "    name: gd-dc1-app1\n"
        "    site: gd-dc1\n"
        "    platform: linux\n"
        "    role: server\n"
        f"    address: {sshd_server.host}\n"
        f"    ssh: {{port: {sshd_server.port}, credential: hosts, timeout_s: 8}}\n"
    )
    credentials = tmp_path / "credentials.yaml"
    credentials.write_text(
        f"ssh:\n  hosts: {{username: root, private_key_path: {sshd_server.client_key}}}\n"
    )
    credentials.chmod(0o600)
    monkeypatch.setenv("SSNOC_INVENTORY_PATH", str(inventory))
    monkeypatch.setenv("SSNOC_CREDENTIALS_PATH", str(credentials))
    code, out, err = run("gd-dc1-app1", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["device"] == "gd-dc1-app1"
    assert {u["unit"] for u in report["units"]} >= {"sshd", "pension-service"}  # the settings' list
    code, _, err = run("gd-dc1-app2")
    assert code == 2
    assert "no device 'gd-dc1-app2' in the inventory" in err
