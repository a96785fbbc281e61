"""Host accounts and health from script outputs: one captured on this project's Debian container,
one written by hand for a systemd host with sudo (see data/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collectors.ssh.host_accounts import SudoRules, parse_authorized_keys, parse_host_accounts
from collectors.ssh.host_health import parse_health
from collectors.ssh.host_reading import interpret_host
from collectors.ssh.host_script import HostScript, Section, split_sections
from collectors.ssh.paramiko_session import ScriptOutput
from core.errors import MalformedResponse
from core.metrics import names
from core.state.ssh_views import AccountOrigin, UnitState

DATA = Path(__file__).with_name("data")


def sections_of(name: str, token: str) -> dict[str, Section]:
    return split_sections((DATA / name).read_text(), token)


@pytest.fixture
def container() -> dict[str, Section]:
    return sections_of("host_debian12_container.out", "0123456789ab")


@pytest.fixture
def systemd_host() -> dict[str, Section]:
    return sections_of("host_systemd_sudo.handwritten.out", "feedfacecafe")


def test_container_accounts(container: dict[str, Section]) -> None:
    accounts = {a.name: a for a in parse_host_accounts(container)}
    root = accounts["root"]
    assert root.origin is AccountOrigin.LINUX
    assert root.uid == 0
    assert root.privilege == "root"
    assert root.groups == ("root",)
    assert root.shell == "/bin/bash"
    assert root.password_type == "no-password"
    assert root.password_changed_at == datetime(2025, 5, 20, tzinfo=UTC)
    assert root.password_max_age_days == 99999
    assert accounts["daemon"].privilege == "user"


def test_container_health_without_systemd(container: dict[str, Section]) -> None:
    health = parse_health(container)
    assert health.unit_manager == "processes"
    assert [(u.unit, u.state) for u in health.units] == [
        ("sshd", UnitState.ABSENT),
        ("cron", UnitState.ABSENT),
        ("rsyslog", UnitState.ABSENT),
        ("pension-service", UnitState.ABSENT),
    ]
    assert health.load1 == pytest.approx(0.03, abs=10)  # a number, whatever it was
    assert health.memory_percent is not None
    assert 0 <= health.memory_percent <= 100
    (root,) = health.filesystems
    assert root.mount == "/"
    assert health.problems == {}


def test_systemd_host_accounts(systemd_host: dict[str, Section]) -> None:
    accounts = {a.name: a for a in parse_host_accounts(systemd_host)}
    alice = accounts["alice"]
    assert alice.groups == ("alice", "wheel")
    assert alice.privilege == "sudo"
    assert alice.sudo == ("%wheel  ALL=(ALL)       ALL",)
    assert alice.password_type == "yescrypt"
    assert alice.password_max_age_days == 90
    assert len(alice.authorized_keys) == 2  # the comment line is not a key
    assert alice.authorized_keys[0].endswith("(ssh-ed25519 alice@laptop)")
    assert accounts["root"].authorized_keys[0].split()[0] == alice.authorized_keys[0].split()[0]
    # bob is an OPERATOR through User_Alias; carol is one through %dba but negated elsewhere.
    assert accounts["bob"].sudo == ("OPERATORS ALL = (root) NOPASSWD: SERVICES",)
    assert accounts["bob"].state == "expired"  # last change 0: must change at next login
    assert accounts["carol"].sudo == ("OPERATORS ALL = (root) NOPASSWD: SERVICES",)
    assert accounts["carol"].state == "locked"
    assert accounts["dave"].sudo == (
        "OPERATORS ALL = (root) NOPASSWD: SERVICES",
        "dave, !carol    ALL=(ALL) /usr/bin/journalctl",
    )
    assert accounts["dave"].password_type == "empty"
    assert accounts["pension"].privilege == "user"
    assert accounts["pension"].shell == "/sbin/nologin"
    assert accounts["root"].state == "locked"
    assert accounts["root"].privilege == "root"


def test_systemd_host_health(systemd_host: dict[str, Section]) -> None:
    health = parse_health(systemd_host)
    assert (health.load1, health.load5, health.load15) == (1.52, 0.98, 0.40)
    assert health.memory_percent == pytest.approx(75.0)
    assert health.uptime_s == pytest.approx(93784.52)
    mounts = {fs.mount: round(fs.used_percent, 1) for fs in health.filesystems}
    assert mounts == {"/": 80.0, "/boot": 29.6, "/srv/pension data": 95.0}
    assert health.problems == {"df": "exit status 1"}  # one stale NFS mount; the rest count
    assert health.unit_manager == "systemd"
    states = {u.unit: u.state for u in health.units}
    assert states == {
        "sshd": UnitState.ACTIVE,
        "crond": UnitState.ACTIVE,
        "rsyslog": UnitState.FAILED,
        "pension-service": UnitState.INACTIVE,
        "medical-insurance-service": UnitState.ACTIVATING,
    }


def test_health_as_samples(systemd_host: dict[str, Section]) -> None:
    samples = parse_health(systemd_host).samples("app1", 1_700_000_000.0)
    by_key = {str(s.key): s.value for s in samples}
    assert by_key['host_load1{device="app1"}'] == 1.52
    assert by_key['host_memory_percent{device="app1"}'] == pytest.approx(75.0)
    assert by_key[
        'host_disk_used_percent{device="app1",mount="/srv/pension data"}'
    ] == pytest.approx(95.0)
    assert by_key['host_unit_active{device="app1",unit="sshd"}'] == 1.0
    assert by_key['host_unit_active{device="app1",unit="rsyslog"}'] == 0.0
    assert {s.key.name for s in samples} == set(names.HOST_METRICS)
    assert all(s.ts_s == 1_700_000_000.0 for s in samples)


def test_a_failed_section_gives_no_figure_rather_than_zero() -> None:
    sections = {
        "loadavg": Section("loadavg", (), 1),
        "meminfo": Section("meminfo", ("MemTotal: 100 kB",), 0),
    }
    health = parse_health(sections)
    assert health.load1 is None
    assert health.memory_percent is None
    assert health.problems["loadavg"] == "exit status 1"
    assert health.problems["uptime"] == "missing from the output"
    assert health.samples("x", 0.0) == []


def test_sudo_rules_edge_cases() -> None:
    rules = SudoRules.parse(
        [
            "#1000 ALL=(ALL) ALL",
            "User_Alias ADMINS = ann, %ops : AUDIT = ALL, !ann",
            "ADMINS ALL=(ALL) ALL",
            "AUDIT ALL=(root) /usr/bin/less /var/log/*",
            "Defaults:ann !requiretty",
        ]
    )
    assert rules.naming("ann", 1001, ["ann"]) == ["ADMINS ALL=(ALL) ALL"]
    assert rules.naming("ops1", 1002, ["ops"]) == [
        "ADMINS ALL=(ALL) ALL",
        "AUDIT ALL=(root) /usr/bin/less /var/log/*",
    ]
    # "#1000" at the start of a line is a uid, not a comment.
    assert rules.naming("svc", 1000, []) == [
        "#1000 ALL=(ALL) ALL",
        "AUDIT ALL=(root) /usr/bin/less /var/log/*",
    ]


def test_authorized_keys_need_a_key() -> None:
    keys = parse_authorized_keys(["bob\tnot a key", "bob\t", "\tssh-ed25519 AAAA"])
    assert keys == {}


def test_interpreting_an_output_with_no_sections_is_malformed() -> None:
    script = HostScript(text="", token="t", units=())
    with pytest.raises(MalformedResponse, match="ran none of the checks"):
        interpret_host("app1", script, ScriptOutput("", "sh: 1: syntax error", 2, None))


def test_interpreting_the_systemd_host() -> None:
    script = HostScript(text="", token="feedfacecafe", units=())
    text = (DATA / "host_systemd_sudo.handwritten.out").read_text()
    reading = interpret_host("app1", script, ScriptOutput(text, "", 0, None))
    assert reading.facts.hostname == "gd-gz-app1"
    assert reading.facts.os_version == "Rocky Linux 9.3 (Blue Onyx)"
    assert reading.facts.vendor == "Rocky Linux"
    assert reading.facts.uptime == "1 days, 2 hours, 3 minutes"
    assert reading.accounts_complete
    assert reading.problems == {"df": "exit status 1"}
    assert reading.facts.details["filesystems"][2]["mount"] == "/srv/pension data"
