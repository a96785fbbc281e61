"""``ssnoc config scrub`` as an engineer uses it: exact text out, summary and errors on stderr."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ssnoc.commands.config import config_scrub_app

CONFIGS = Path(__file__).resolve().parents[2] / "data" / "configs"


def run(*args: str, stdin: bytes | None = None) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(config_scrub_app, list(args), input=stdin)
    return result.exit_code, result.stdout_bytes, result.stderr


def test_prints_the_scrubbed_file_and_summarises_on_stderr() -> None:
    path = CONFIGS / "hp_comware/netutils_comware7_full.txt"
    code, out, err = run("scrub", "--platform", "hp_comware", str(path))
    assert code == 0
    original = path.read_bytes().split(b"\n")
    scrubbed = out.split(b"\n")
    assert len(scrubbed) == len(original)
    changed = [new for old, new in zip(original, scrubbed, strict=True) if old != new]
    assert len(changed) == 7
    assert all(b"<removed>" in line for line in changed)
    assert b"Test-Community" not in out
    assert b"$c$3$" not in out
    assert b"$h$6$" not in out
    assert err.strip() == (
        "removed 7 secret(s): local-user-password 2, snmp-community 1, aaa-scheme-key 3, "
        "bgp-peer-password 1"
    )


def test_reads_stdin_and_keeps_bytes_that_are_not_utf8() -> None:
    gbk_description = " description 广州机房".encode("gbk")
    text = b"interface Vlanif1\r\n" + gbk_description + b"  \r\n snmp-agent community read s3\r\n"
    code, out, _ = run("scrub", "-p", "huawei_vrp", "-", stdin=text)
    assert code == 0
    assert out == text.replace(b"read s3", b"read <removed>")


def test_a_file_without_secrets_comes_back_identical() -> None:
    path = CONFIGS / "cisco_ios/batfish_as2border2.txt"
    code, out, err = run("scrub", "--platform", "cisco_ios", str(path))
    assert code == 0
    assert out == path.read_bytes()
    assert err.strip() == "no secrets found"


def test_missing_file_is_one_clear_line() -> None:
    code, out, err = run("scrub", "--platform", "cisco_ios", "/nonexistent/running.cfg")
    assert code == 2
    assert out == b""
    assert err == "ssnoc: /nonexistent/running.cfg: no such file\n"


def test_unknown_platform_is_one_clear_line_naming_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("hostname a\n")
    code, out, err = run("scrub", "--platform", "junos", str(path))
    assert code == 2
    assert out == b""
    assert err == (
        "ssnoc: unknown platform 'junos' (known: huawei_vrp, hp_comware, cisco_ios, zte_zxros)\n"
    )


def test_a_platform_without_rules_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text("x\n")
    code, _, err = run("scrub", "--platform", "linux", str(path))
    assert code == 2
    assert err.startswith("ssnoc: no scrub rules for platform linux")


def test_a_directory_is_not_a_configuration(tmp_path: Path) -> None:
    code, _, err = run("scrub", "--platform", "cisco_ios", str(tmp_path))
    assert code == 2
    assert "is a directory" in err
    assert "Traceback" not in err
