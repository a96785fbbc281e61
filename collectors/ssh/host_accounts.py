"""Accounts of a Linux host from its script sections: /etc/passwd and /etc/group, sudoers (and
sudoers.d), each account's authorized_keys, and password ageing from the shadow reduction.

Nothing secret arrives here: the shadow section carries the hash *scheme* only (the host's awk
drops the hash), and authorized_keys lines are public keys, kept as SHA256 fingerprints.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from collectors.ssh.host_script import Section
from core.state.host_keys import fingerprint_sha256
from core.state.ssh_views import AccountOrigin, LocalAccount

_SCHEMES = {
    "$1": "md5",
    "$2a": "bcrypt",
    "$2b": "bcrypt",
    "$2y": "bcrypt",
    "$5": "sha256",
    "$6": "sha512",
    "$7": "scrypt",
    "$y": "yescrypt",
    "$gy": "gost-yescrypt",
    "des": "des",
    "no-password": "no-password",
    "empty": "empty",
}
_KEY_LINE = re.compile(
    r"(?:^|\s)((?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,3})(?:\s+(.*))?$"
)
_SUDO_GROUPS = frozenset({"sudo", "wheel", "admin"})
"""Groups the stock sudoers of Debian and Red Hat make root (used when sudoers is unreadable)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UID_SPEC = re.compile(r"^#\d")
"""A sudoers line starting with # and a digit names a uid; any other # starts a comment."""


@dataclass(frozen=True, slots=True)
class _Shadow:
    state: str
    scheme: str
    changed_at: datetime | None
    max_days: int | None


def parse_host_accounts(sections: Mapping[str, Section]) -> list[LocalAccount]:
    """One account per /etc/passwd line, with what the other sections say about it."""
    passwd = sections.get("passwd")
    if passwd is None or not passwd.ok:
        return []
    group_section = sections.get("group")
    groups_by_gid, members = parse_group(group_section.lines if group_section else ())
    shadow_section = sections.get("shadow")
    shadow = parse_shadow(shadow_section.lines if shadow_section and shadow_section.ok else ())
    sudo_section = sections.get("sudoers")
    sudoers_known = sudo_section is not None and sudo_section.ok and bool(sudo_section.lines)
    rules = SudoRules.parse(sudo_section.lines if sudoers_known and sudo_section else ())
    keys_section = sections.get("authorized_keys")
    keys = parse_authorized_keys(keys_section.lines if keys_section else ())

    accounts: list[LocalAccount] = []
    for line in passwd.lines:
        fields = line.split(":")
        if len(fields) < 7 or not fields[0] or not fields[2].isdigit():
            continue
        name, uid, gid, shell = fields[0], int(fields[2]), fields[3], fields[6]
        groups = [groups_by_gid[gid]] if gid in groups_by_gid else []
        groups += sorted(g for g in members.get(name, ()) if g not in groups)
        sudo = rules.naming(name, uid, groups)
        if uid == 0:
            privilege = "root"
        elif sudo or (not sudoers_known and _SUDO_GROUPS & set(groups)):
            privilege = "sudo"
        else:
            privilege = "user"
        ageing = shadow.get(name)
        accounts.append(
            LocalAccount(
                name=name,
                origin=AccountOrigin.LINUX,
                privilege=privilege,
                uid=uid,
                groups=tuple(groups),
                shell=shell or None,
                sudo=tuple(sudo),
                authorized_keys=tuple(keys.get(name, ())),
                password_type=ageing.scheme if ageing else None,
                password_changed_at=ageing.changed_at if ageing else None,
                password_max_age_days=ageing.max_days if ageing else None,
                state=ageing.state if ageing else None,
            )
        )
    return accounts


def parse_group(lines: tuple[str, ...] | list[str]) -> tuple[dict[str, str], dict[str, set[str]]]:
    """(group name by gid, groups by member name) from /etc/group."""
    by_gid: dict[str, str] = {}
    members: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        fields = line.split(":")
        if len(fields) < 4 or not fields[0]:
            continue
        by_gid.setdefault(fields[2], fields[0])
        for member in filter(None, (m.strip() for m in fields[3].split(","))):
            members[member].add(fields[0])
    return by_gid, dict(members)


def parse_shadow(lines: tuple[str, ...] | list[str]) -> dict[str, _Shadow]:
    """The host's reduction of /etc/shadow: ``name:state:scheme:lastchg:max``."""
    found: dict[str, _Shadow] = {}
    for line in lines:
        fields = line.split(":")
        if len(fields) != 5 or not fields[0]:
            continue
        name, state, scheme, lastchg, max_days = fields
        changed_at = None
        if lastchg.isdigit() and int(lastchg) > 0:
            changed_at = _EPOCH + timedelta(days=int(lastchg))
        elif lastchg == "0":
            state = "expired" if state == "active" else state  # must change at next login
        found[name] = _Shadow(
            state=state,
            scheme=_SCHEMES.get(scheme, "unknown"),
            changed_at=changed_at,
            max_days=int(max_days) if max_days.isdigit() else None,
        )
    return found


def parse_authorized_keys(lines: tuple[str, ...] | list[str]) -> dict[str, list[str]]:
    """``user<TAB>key line`` → fingerprints per user, as ``SHA256:… (type comment)``."""
    keys: dict[str, list[str]] = defaultdict(list)
    for line in lines:
        user, _, entry = line.partition("\t")
        entry = entry.strip()
        if not user or not entry or entry.startswith("#"):
            continue
        match = _KEY_LINE.search(entry)
        if match is None:
            continue
        key_type, blob, comment = match.group(1), match.group(2), (match.group(3) or "").strip()
        try:
            fingerprint = fingerprint_sha256(blob)
        except ValueError:
            continue
        label = f"{key_type} {comment}".strip()
        keys[user].append(f"{fingerprint} ({label})")
    return dict(keys)


@dataclass(frozen=True, slots=True)
class SudoRule:
    users: tuple[str, ...]
    text: str


class SudoRules:
    """The user specifications of sudoers (and sudoers.d), with User_Alias expanded."""

    def __init__(self, rules: list[SudoRule], aliases: dict[str, tuple[str, ...]]) -> None:
        self._rules = rules
        self._aliases = aliases

    @classmethod
    def parse(cls, lines: tuple[str, ...] | list[str]) -> SudoRules:
        rules: list[SudoRule] = []
        aliases: dict[str, tuple[str, ...]] = {}
        for statement in _statements(lines):
            keyword = statement.split(None, 1)[0]
            if keyword.startswith("Defaults") or keyword in (
                "Host_Alias",
                "Runas_Alias",
                "Cmnd_Alias",
                "Cmd_Alias",
            ):
                continue
            if keyword == "User_Alias":
                for part in statement.split(None, 1)[1].split(":"):
                    alias, _, members = part.partition("=")
                    aliases[alias.strip()] = _items(members)
                continue
            if "=" not in statement:
                continue
            left = statement.split("=", 1)[0]
            # "alice, bob  ALL = …": the users are everything before the host list.
            users_text = re.sub(r"\s*,\s*", ",", left.strip()).split()[0]
            rules.append(SudoRule(_items(users_text), statement))
        return cls(rules, aliases)

    def naming(self, name: str, uid: int, groups: list[str]) -> list[str]:
        """Rules that apply to this account (by name, uid, group, alias or ALL)."""
        wanted = {name, f"#{uid}", "ALL"} | {f"%{g}" for g in groups} | {f"%:{g}" for g in groups}
        return [rule.text for rule in self._rules if self._matches(rule.users, wanted, 0)]

    def _matches(self, users: tuple[str, ...], wanted: set[str], depth: int) -> bool:
        matched = False
        for item in users:
            negated = item.startswith("!")
            word = item.lstrip("!")
            hit = word in wanted or (
                depth < 8
                and word in self._aliases
                and self._matches(self._aliases[word], wanted, depth + 1)
            )
            if hit:
                matched = not negated  # sudo: the last matching item decides
        return matched


def _items(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _statements(lines: tuple[str, ...] | list[str]) -> list[str]:
    """Sudoers statements: comments dropped, backslash continuations joined."""
    statements: list[str] = []
    pending = ""
    for raw in lines:
        line = raw.strip()
        comment = line.startswith(("#", "@")) and not _UID_SPEC.match(line)
        if not pending and (not line or comment):
            continue  # comments, our #@file markers, #include/@includedir (already expanded)
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        statement = (pending + line).strip()
        pending = ""
        if statement:
            statements.append(statement)
    if pending.strip():
        statements.append(pending.strip())
    return statements
