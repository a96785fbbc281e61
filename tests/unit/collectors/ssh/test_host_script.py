"""The host script: valid POSIX sh, framed sections with exit statuses, nothing secret out."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from collectors.ssh.host_script import (
    SECTIONS,
    build_host_script,
    process_pattern,
    split_sections,
)

UNITS = ("sshd", "cron", "rsyslog", "medical-insurance-service")


def run_locally(text: str) -> subprocess.CompletedProcess[str]:
    """The script under this machine's /bin/sh — the shell it meets on a Debian host."""
    return subprocess.run(
        ["/bin/sh", "-s"], input=text, capture_output=True, text=True, check=False
    )


def test_the_script_runs_every_check_under_sh() -> None:
    script = build_host_script(UNITS)
    done = run_locally(script.text)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    sections = split_sections(done.stdout, script.token)
    assert tuple(sections) == SECTIONS
    for name in ("hostname", "uptime", "loadavg", "meminfo", "passwd", "group", "units"):
        assert sections[name].ok, name
    assert [line.split("\t")[0] for line in sections["units"].lines[1:]] == list(UNITS)


@pytest.mark.skipif(shutil.which("dash") is None, reason="dash is not installed")
def test_the_script_is_posix_not_bash() -> None:
    script = build_host_script(UNITS)
    done = subprocess.run(
        ["dash", "-s"], input=script.text, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stderr == ""


def test_shadow_leaves_the_host_without_hashes() -> None:
    """The awk program runs on the host: fed a shadow file, it prints no hash."""
    script = build_host_script(())
    fake_shadow = (
        "root:$6$saltsalt$9d8fhdsf8hsdfHASHHASHHASH:19700:0:99999:7:::\n"
        "alice:!$y$j9T$salt$YESCRYPTHASHVALUE:19800:0:90:7:::\n"
        "svc:*:19700::::::\n"
        "old:abcdefghijklm:19000:0:99999:7:::\n"
        "nopw::19000:0:99999:7:::\n"
        "lockedempty:!:19000:0:99999:7:::\n"
    )
    awk = script.text.split("awk ", 1)[1].split(" /etc/shadow", 1)[0]
    done = subprocess.run(
        ["/bin/sh", "-c", f"awk {awk}"],
        input=fake_shadow,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == [
        "root:active:$6:19700:99999",
        "alice:locked:$y:19800:90",
        "svc:active:no-password:19700:",
        "old:active:des:19000:99999",
        "nopw:active:empty:19000:99999",
        "lockedempty:locked:no-password:19000:99999",
    ]
    assert "HASH" not in done.stdout
    assert "salt" not in done.stdout


def test_unit_names_are_quoted_and_process_patterns_fit_the_kernel() -> None:
    assert process_pattern("sshd") == "sshdd?"
    assert process_pattern("rsyslog") == "rsyslogd?"
    assert process_pattern("nginx.service") == "nginxd?"
    # comm keeps 15 characters: a longer name is matched on those.
    assert process_pattern("medical-insurance-service") == "medical-insuran"
    assert process_pattern("a.b") == r"a\.bd?"


def test_a_failing_check_reports_its_status() -> None:
    script = build_host_script(())
    done = run_locally(
        script.text.replace("check uptime cat /proc/uptime", "check uptime cat /nonexistent")
    )
    sections = split_sections(done.stdout, script.token)
    assert sections["uptime"].exit_status == 1
    assert not sections["uptime"].ok
    assert sections["loadavg"].ok


def test_splitting_survives_a_script_that_died() -> None:
    token = "abc"
    output = (
        "\n@@ssnoc-abc-begin hostname\nh1\n\n@@ssnoc-abc-end hostname 0\n"
        "\n@@ssnoc-abc-begin uptime\n12.5 3.0\n\n@@ssnoc-abc-begin loadavg\n0.1 0.2 0.3 1/2 3\n"
    )
    sections = split_sections(output, token)
    assert sections["hostname"].lines == ("h1",)
    assert sections["uptime"].exit_status is None
    assert sections["uptime"].lines == ("12.5 3.0",)
    assert sections["loadavg"].exit_status is None


def test_other_markers_are_content() -> None:
    """A file that contains a marker with another token cannot end a section."""
    output = (
        "\n@@ssnoc-t1-begin passwd\n@@ssnoc-t2-end passwd 0\nroot:x:0:0::/root:/bin/sh\n"
        "\n@@ssnoc-t1-end passwd 0\n"
    )
    sections = split_sections(output, "t1")
    assert sections["passwd"].lines == ("@@ssnoc-t2-end passwd 0", "root:x:0:0::/root:/bin/sh")
    assert sections["passwd"].ok


def test_the_environment_is_exported_not_prefixed() -> None:
    """`LC_ALL=C for …` is a syntax error that prints nothing (TRAPS): export it once."""
    text = build_host_script(UNITS).text
    assert "export LC_ALL" in text
    assert "LC_ALL=C for" not in text
    assert "LC_ALL=C while" not in text
