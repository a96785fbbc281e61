"""The one shell script a Linux host runs per collection, and splitting its output into sections.

Every check is a section framed by marker lines carrying a random token (so no file content can
fake a marker) and the check's exit status, so a failing check is seen as failing rather than as
empty. The script is POSIX sh. Two traps it avoids: an environment assignment cannot prefix a
compound command (``LC_ALL=C for …`` is a syntax error that prints nothing), so the locale is
exported once at the top; and no secret leaves the host — /etc/shadow is reduced by awk, on the
host, to name, lock state, hash *scheme*, last change and maximum age.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

PROCESS_NAME_MAX = 15
"""Linux keeps 15 characters of a process name (``comm``): ``pgrep -x`` sees no more."""

# Runs on the host; prints only "name:state:scheme:lastchg:max" per account, never a hash.
_SHADOW_AWK = r"""BEGIN { FS = ":" }
{
  h = $2; state = "active"; scheme = ""
  if (substr(h, 1, 1) == "!") { state = "locked"; sub(/^!+/, "", h) }
  if (h == "") { scheme = (state == "locked") ? "no-password" : "empty" }
  else if (h == "*") { scheme = "no-password" }
  else if (substr(h, 1, 1) == "$") { split(h, part, "$"); scheme = "$" part[2] }
  else if (length(h) == 13) { scheme = "des" }
  else { scheme = "unknown" }
  print $1 ":" state ":" scheme ":" $3 ":" $5
}"""

_PRELUDE = """\
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LC_ALL=C
export LC_ALL
section() {{ printf '\\n{begin} %s\\n' "$1"; }}
ended() {{ printf '\\n{end} %s %s\\n' "$1" "$2"; }}
check() {{ name=$1; shift; section "$name"; "$@"; ended "$name" $?; }}
shadow_ageing() {{
  [ -r /etc/shadow ] || return 3
  awk {awk} /etc/shadow
}}
sudoers_files() {{
  for f in /etc/sudoers /etc/sudoers.d/*; do
    case "$f" in *~|*.*) continue ;; esac
    [ -f "$f" ] && [ -r "$f" ] || continue
    printf '#@file %s\\n' "$f"
    cat "$f"
  done
  return 0
}}
authorized_keys() {{
  while IFS=: read -r user _ _ _ _ home _; do
    keys="$home/.ssh/authorized_keys"
    [ -n "$home" ] && [ -r "$keys" ] || continue
    while IFS= read -r line || [ -n "$line" ]; do
      printf '%s\\t%s\\n' "$user" "$line"
    done < "$keys"
  done < /etc/passwd
  return 0
}}
units() {{
  if [ -d /run/systemd/system ]; then
    echo "#@manager systemd"
    for unit in "$@"; do
      printf '%s\\t%s\\n' "$unit" "$(systemctl is-active -- "$unit" 2>/dev/null)"
    done
  else
    echo "#@manager processes"
    for unit in "$@"; do
      pattern=$(unit_pattern "$unit")
      pids=$(pgrep -x -- "$pattern" | tr '\\n' ' ')
      printf '%s\\t%s\\n' "$unit" "$pids"
    done
  fi
  return 0
}}
"""


@dataclass(frozen=True, slots=True)
class HostScript:
    text: str
    token: str
    units: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    lines: tuple[str, ...]
    exit_status: int | None
    """None when the end marker never came (the script died inside the check)."""

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


SECTIONS = (
    "hostname",
    "os-release",
    "uptime",
    "loadavg",
    "meminfo",
    "df",
    "passwd",
    "group",
    "shadow",
    "sudoers",
    "authorized_keys",
    "units",
)


def process_pattern(unit: str) -> str:
    """The ``pgrep -x`` pattern for a service without systemd: its name as the kernel keeps it
    (15 characters), or the same with a trailing ``d`` (``rsyslog`` → ``rsyslogd``)."""
    name = re.sub(r"\.service$", "", unit)[:PROCESS_NAME_MAX]
    escaped = re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", name)
    return escaped + ("d?" if len(name) < PROCESS_NAME_MAX else "")


def build_host_script(units: Sequence[str], token: str | None = None) -> HostScript:
    """The script for one host; ``units`` are already validated service names."""
    token = token or secrets.token_hex(6)
    begin, end = f"@@ssnoc-{token}-begin", f"@@ssnoc-{token}-end"
    prelude = _PRELUDE.format(begin=begin, end=end, awk=shlex.quote(_SHADOW_AWK))
    patterns = "\n".join(
        f"    {shlex.quote(unit)}) echo {shlex.quote(process_pattern(unit))} ;;" for unit in units
    )
    unit_pattern = 'unit_pattern() {\n  case "$1" in\n' + patterns + "\n  esac\n}\n"
    quoted_units = " ".join(shlex.quote(u) for u in units)
    checks = [
        "check hostname cat /proc/sys/kernel/hostname",
        "check os-release cat /etc/os-release",
        "check uptime cat /proc/uptime",
        "check loadavg cat /proc/loadavg",
        "check meminfo cat /proc/meminfo",
        "check df df -P -k -x tmpfs -x devtmpfs -x squashfs",
        "check passwd cat /etc/passwd",
        "check group cat /etc/group",
        "check shadow shadow_ageing",
        "check sudoers sudoers_files",
        "check authorized_keys authorized_keys",
        f"check units units {quoted_units}".rstrip(),
    ]
    text = prelude + unit_pattern + "\n".join(checks) + "\nexit 0\n"
    return HostScript(text=text, token=token, units=tuple(units))


def split_sections(output: str, token: str) -> dict[str, Section]:
    """The sections of the script's output, by name."""
    begin, end = f"@@ssnoc-{token}-begin ", f"@@ssnoc-{token}-end "
    sections: dict[str, Section] = {}
    name: str | None = None
    lines: list[str] = []
    for line in output.splitlines():
        if line.startswith(begin):
            if name is not None:  # the previous check never ended
                sections[name] = Section(name, _trim(lines), None)
            name, lines = line[len(begin) :].strip(), []
        elif line.startswith(end) and name is not None:
            _, _, status = line[len(end) :].rpartition(" ")
            code = int(status) if status.strip().lstrip("-").isdigit() else None
            sections[name] = Section(name, _trim(lines), code)
            name, lines = None, []
        elif name is not None:
            lines.append(line)
    if name is not None:
        sections[name] = Section(name, _trim(lines), None)
    return sections


def _trim(lines: list[str]) -> tuple[str, ...]:
    # The end marker is printed after a newline of its own, so a check's last line always ends.
    while lines and not lines[-1].strip():
        lines.pop()
    return tuple(lines)
