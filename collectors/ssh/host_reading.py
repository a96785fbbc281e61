"""From a Linux host's script output to facts, accounts and health."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from collectors.ssh.host_accounts import parse_host_accounts
from collectors.ssh.host_health import HostHealth, parse_health
from collectors.ssh.host_script import HostScript, Section, split_sections
from collectors.ssh.paramiko_session import ScriptOutput
from core.errors import MalformedResponse
from core.state.host_keys import HostKeyVerdict
from core.state.ssh_views import LocalAccount, SshFacts


@dataclass
class HostReading:
    facts: SshFacts
    accounts: list[LocalAccount]
    accounts_complete: bool
    """False when /etc/passwd could not be read: the stored accounts must not be replaced."""
    health: HostHealth
    problems: dict[str, str] = field(default_factory=dict)
    """Checks that failed on the host, and how (the rest still count)."""
    host_key: HostKeyVerdict | None = None


def interpret_host(label: str, script: HostScript, output: ScriptOutput) -> HostReading:
    sections = split_sections(output.stdout, script.token)
    if not sections:
        stderr = output.stderr.strip().splitlines()
        hint = stderr[-1] if stderr else f"exit status {output.exit_status}"
        raise MalformedResponse(label, f"the host ran none of the checks ({hint})")
    health = parse_health(sections)
    problems = dict(health.problems)
    passwd = sections.get("passwd")
    accounts_complete = passwd is not None and passwd.ok
    if not accounts_complete:
        problems.setdefault("passwd", "unreadable")
    for name in ("shadow", "sudoers"):
        section = sections.get(name)
        if section is not None and not section.ok:
            problems[name] = "not readable by this account"
    os_release = parse_os_release(sections.get("os-release"))
    hostname = _first_line(sections.get("hostname"))
    details = health.details()
    details["os_release"] = os_release
    details["problems"] = problems
    facts = SshFacts(
        hostname=hostname,
        vendor=os_release.get("NAME"),
        os_version=os_release.get("PRETTY_NAME") or os_release.get("VERSION_ID"),
        uptime=_uptime_text(health.uptime_s),
        details=details,
    )
    return HostReading(
        facts=facts,
        accounts=parse_host_accounts(sections),
        accounts_complete=accounts_complete,
        health=health,
        problems=problems,
        host_key=output.host_key,
    )


def parse_os_release(section: Section | None) -> dict[str, str]:
    """/etc/os-release: KEY=value lines, values shell-quoted."""
    values: dict[str, str] = {}
    if section is None or not section.ok:
        return values
    for line in section.lines:
        key, sep, raw = line.partition("=")
        if not sep or not key.strip() or key.startswith("#"):
            continue
        try:
            parts = shlex.split(raw)
        except ValueError:
            parts = [raw.strip("\"'")]
        values[key.strip()] = " ".join(parts)
    return values


def _first_line(section: Section | None) -> str | None:
    if section is None or not section.ok or not section.lines:
        return None
    return section.lines[0].strip() or None


def _uptime_text(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return f"{days} days, {hours} hours, {minutes} minutes"
