"""The probe: its report in the agreed JSON shape and as a table, and ``ssnoc snmp probe`` around
it (run in-process here, against the fake transport; the real command runs in the integration
tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from collectors.snmp.fake_transport import FakeTransport, RecordedAgent
from collectors.snmp.probe import ProbeReport, probe
from collectors.snmp.snmprec import load_snmprec
from collectors.snmp.transport import SnmpTarget, SnmpTransport, VarBind
from core.credentials import AuthProtocol, PrivProtocol, SnmpV2cCredential, SnmpV3Credential
from core.errors import ConfigError, MalformedResponse
from ssnoc.commands import snmp as command

HOST, PORT = "127.0.0.1", 161
DEVICE_KEYS = [
    "vendor",
    "os",
    "sysName",
    "sysDescr",
    "sysObjectID",
    "hardware",
    "version",
    "serial",
]
INTERFACE_KEYS = {
    "ifIndex",
    "ifName",
    "ifDescr",
    "ifType",
    "ifAlias",
    "ifSpeed",
    "ifHighSpeed",
    "ifAdminStatus",
    "ifOperStatus",
    "ifHCInOctets",
    "ifHCOutOctets",
}


def recorded(shared_dir: Path, name: str, community: str | None = None) -> FakeTransport:
    varbinds = load_snmprec(shared_dir / "snmprec" / "recordings" / f"{name}.snmprec")
    return FakeTransport({f"{HOST}:{PORT}": RecordedAgent(varbinds, community)})


async def probe_of(transport: SnmpTransport) -> ProbeReport:
    target = SnmpTarget(HOST, PORT, SnmpV2cCredential(community=SecretStr("public")), 1.0, 0)
    return await probe(transport, target)


async def test_the_json_report_has_the_agreed_shape(shared_dir: Path) -> None:
    report = (await probe_of(recorded(shared_dir, "vrp_5720"))).to_json()

    assert list(report) == ["device", "interfaces"]
    assert list(report["device"]) == DEVICE_KEYS
    assert report["device"]["sysObjectID"] == ".1.3.6.1.4.1.2011.2.23.291"
    assert report["device"]["os"] == "vrp"
    assert report["device"]["vendor"] == "Huawei"
    assert report["device"]["hardware"] == "S5720-56C-PWR-EI-AC"
    assert all(set(row) >= INTERFACE_KEYS for row in report["interfaces"])
    port = next(row for row in report["interfaces"] if row["ifIndex"] == 8)
    assert port["ifName"] == "GigabitEthernet0/0/3"
    assert port["ifType"] == "ethernetCsmacd"
    assert port["ifAdminStatus"] == "up"
    assert port["ifOperStatus"] == "down"
    assert port["ifAlias"] == ""  # the agent has an empty alias
    assert port["ifSpeed"] is None  # the agent has no ifSpeed at all
    assert port["ifHighSpeed"] == 1000
    assert port["ifHCInOctets"] == 0
    json.dumps(report)  # plain JSON types only


async def test_a_device_without_if_x_table_reports_null_names(shared_dir: Path) -> None:
    report = (await probe_of(recorded(shared_dir, "zxr10_5928"))).to_json()

    port = report["interfaces"][0]
    assert port["ifName"] is None
    assert port["ifHCInOctets"] is None
    assert port["ifInOctets"] is not None


async def test_a_stranger_is_reported_with_nulls() -> None:
    varbinds: list[VarBind] = [
        ("1.3.6.1.2.1.1.1.0", b"Acme Toaster"),
        ("1.3.6.1.2.1.1.2.0", "1.3.6.1.4.1.99999.1"),
        ("1.3.6.1.2.1.1.3.0", 360_000),
    ]
    transport = FakeTransport({f"{HOST}:{PORT}": RecordedAgent(varbinds)})

    report = await probe_of(transport)

    assert report.to_json() == {
        "device": {
            "vendor": None,
            "os": None,
            "sysName": None,
            "sysDescr": "Acme Toaster",
            "sysObjectID": ".1.3.6.1.4.1.99999.1",
            "hardware": None,
            "version": None,
            "serial": None,
        },
        "interfaces": [],
    }
    assert report.health.uptime_s == 3600.0


async def test_the_text_report_is_a_small_table(shared_dir: Path) -> None:
    text = (await probe_of(recorded(shared_dir, "vrp_ar169sfp"))).render_text()

    lines = text.splitlines()
    assert lines[0] == "<private> at 127.0.0.1:161"
    assert "  hardware    AR169F" in lines
    assert "  cpu         24%" in lines
    header = next(line for line in lines if line.startswith("ifIndex"))
    assert header.split() == ["ifIndex", "ifName", "type", "admin", "oper", "speed", "alias"]
    assert lines[-1] == "16 interfaces"


# ---------------------------------------------------------------- the command, in-process


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def use_transport(monkeypatch: pytest.MonkeyPatch, transport: FakeTransport) -> None:
    monkeypatch.setattr(command, "make_transport", lambda kind: transport)


def test_the_command_prints_json_and_nothing_else(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, shared_dir: Path
) -> None:
    transport = recorded(shared_dir, "comware", community="comware")
    use_transport(monkeypatch, transport)

    result = runner.invoke(
        command.snmp_app,
        ["probe", f"{HOST}:{PORT}", "--json"],
        env={"SSNOC_SNMP_COMMUNITY": "comware"},
    )

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["device"]["serial"] == "DM20F3000F"
    assert result.stderr == ""
    assert transport.closed


def test_a_silent_agent_is_one_line_on_stderr_and_status_2(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, shared_dir: Path
) -> None:
    transport = recorded(shared_dir, "comware", community="comware")
    use_transport(monkeypatch, transport)

    result = runner.invoke(
        command.snmp_app, ["probe", HOST, "--community", "s3cret-wrong", "--timeout", "1.5"]
    )

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "ssnoc: 127.0.0.1:161: no answer within 1.5 s\n"
    assert transport.closed


def test_garbage_is_one_line_on_stderr(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    agent = RecordedAgent([])
    agent.failure = MalformedResponse(f"{HOST}:{PORT}", "undecodable answer")
    use_transport(monkeypatch, FakeTransport({f"{HOST}:{PORT}": agent}))

    result = runner.invoke(command.snmp_app, ["probe", HOST, "--community", "x", "--json"])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["ssnoc: 127.0.0.1:161: undecodable answer"]


def test_an_unexpected_failure_is_still_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(FakeTransport):
        async def get(self, target: SnmpTarget, oids: object) -> dict[str, object]:  # type: ignore[override]
            raise RuntimeError("adapter bug")

    use_transport(monkeypatch, Broken())

    result = runner.invoke(command.snmp_app, ["probe", HOST, "--community", "x"])

    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        "ssnoc: probing 127.0.0.1 failed unexpectedly: RuntimeError('adapter bug')"
    ]


def test_no_credential_is_refused_before_any_request(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSNOC_SNMP_COMMUNITY", raising=False)
    use_transport(monkeypatch, FakeTransport())

    result = runner.invoke(command.snmp_app, ["probe", HOST])

    assert result.exit_code == 2
    assert "give --community" in result.stderr


def test_secrets_never_reach_the_output(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    use_transport(monkeypatch, FakeTransport())

    result = runner.invoke(
        command.snmp_app,
        ["probe", HOST, "--v3-user", "noc", "--auth-protocol", "sha256", "--priv-key", "k3y"],
        env={"SSNOC_SNMP_AUTH_KEY": "4uth-s3cret"},
    )

    assert result.exit_code == 2
    assert "priv-protocol and --priv-key go together" in result.stderr
    assert "s3cret" not in result.output
    assert "k3y" not in result.output


@pytest.mark.parametrize(
    ("address", "port", "expected"),
    [
        ("10.1.2.3", None, ("10.1.2.3", 161)),
        ("10.1.2.3:1161", None, ("10.1.2.3", 1161)),
        ("10.1.2.3", 1162, ("10.1.2.3", 1162)),
        ("10.1.2.3:1161", 1161, ("10.1.2.3", 1161)),
        ("[::1]:1161", None, ("::1", 1161)),
        ("fe80::1", None, ("fe80::1", 161)),
        ("core-1.example", None, ("core-1.example", 161)),
    ],
)
def test_addresses(address: str, port: int | None, expected: tuple[str, int]) -> None:
    assert command.split_address(address, port) == expected


@pytest.mark.parametrize(
    ("address", "port", "complaint"),
    [
        ("10.1.2.3:1161", 1162, "disagree"),
        ("10.1.2.3:http", None, "bad port"),
        ("10.1.2.3:70000", None, "bad port"),
        (":161", None, "no host"),
        ("[::1]x", None, "use [IPv6]:PORT"),
    ],
)
def test_bad_addresses(address: str, port: int | None, complaint: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(complaint)):
        command.split_address(address, port)


def test_credentials_from_options() -> None:
    v2c = command.make_credential("public", None, None, None, None, None)
    v3 = command.make_credential(
        "ignored", "noc", AuthProtocol.SHA256, "a" * 12, PrivProtocol.AES128, "p" * 12, "vrf1"
    )

    assert isinstance(v2c, SnmpV2cCredential)
    assert isinstance(v3, SnmpV3Credential)
    assert (v3.security_level, v3.context) == ("authPriv", "vrf1")
    with pytest.raises(ConfigError, match="privacy needs authentication"):
        command.make_credential(None, "noc", None, None, PrivProtocol.DES, "p" * 12)
