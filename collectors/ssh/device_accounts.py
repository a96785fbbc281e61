"""Local accounts of network devices, from their configuration and (VRP) ``display local-user``.

No ntc-templates template covers local users or AAA on any of the platforms, so these are ssnoc's
own parsers, tested on real-format samples. They report how a password is kept (``cipher``,
``irreversible-cipher``, IOS ``type7``/``scrypt``…) and never the password or its hash.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.state.ssh_views import AccountOrigin, LocalAccount

# VRP `display local-user` AuthMask letters (the services an account may use).
_VRP_AUTH_MASK = {
    "A": "all",
    "T": "telnet",
    "S": "ssh",
    "F": "ftp",
    "H": "http",
    "M": "terminal",
    "X": "8021x",
    "P": "ppp",
    "W": "web",
    "B": "api",
}
_VRP_STATE = {"A": "active", "B": "blocked"}
_VRP_PASSWORD = {
    "irreversible-cipher": "irreversible-cipher",
    "cipher": "cipher",
    "simple": "plaintext",
}
_COMWARE_PASSWORD = {"hash": "hash", "cipher": "cipher", "simple": "plaintext"}
_IOS_SECRET = {
    "0": "plaintext",
    "4": "sha256-type4",
    "5": "md5",
    "8": "pbkdf2-sha256",
    "9": "scrypt",
}
_KIND_NONE = "none"  # `nopassword`: the account has none
_IOS_PASSWORD = {"0": "plaintext", "6": "aes-type6", "7": "type7"}
_COMWARE_ROLE_ORDER = ("network-admin", "level-15", "network-operator")


@dataclass
class _Draft:
    """An account being assembled from several configuration lines."""

    name: str
    origin: AccountOrigin
    privilege: str | None = None
    password_type: str | None = None
    state: str | None = None
    services: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def done(self) -> LocalAccount:
        return LocalAccount(
            name=self.name,
            origin=self.origin,
            privilege=self.privilege,
            password_type=self.password_type,
            state=self.state,
            service_types=tuple(dict.fromkeys(self.services)),
            groups=tuple(dict.fromkeys(self.groups)),
        )


def _drafts() -> dict[str, _Draft]:
    return {}  # insertion order = order of first appearance in the configuration


# ---------------------------------------------------------------------------------- Huawei VRP


def parse_vrp_local_user_table(text: str) -> list[dict[str, Any]]:
    """``display local-user``: rows of name, state, auth_mask, admin_level."""
    rows: list[dict[str, Any]] = []
    in_table = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("User-name"):
            in_table = True
            continue
        if not in_table or not stripped or set(stripped) <= {"-"}:
            continue
        if stripped.startswith("Total "):
            break
        parts = stripped.split()
        if len(parts) < 3:
            continue
        name, state, mask = parts[0], parts[1], parts[2]
        level = parts[3] if len(parts) > 3 else "-"
        rows.append({"name": name, "state": state, "auth_mask": mask, "admin_level": level})
    return rows


def vrp_accounts_from_table(text: str) -> list[LocalAccount]:
    accounts = []
    for row in parse_vrp_local_user_table(text):
        mask: str = row["auth_mask"]
        services = [_VRP_AUTH_MASK.get(letter, letter) for letter in mask if letter != "-"]
        level: str = row["admin_level"]
        accounts.append(
            LocalAccount(
                name=row["name"],
                origin=AccountOrigin.LOCAL_USER,
                privilege=level if level.isdigit() else None,
                state=_VRP_STATE.get(row["state"], row["state"].lower()),
                service_types=tuple(services),
            )
        )
    return accounts


_VRP_LOCAL_USER = re.compile(r"^\s*local-user\s+(\S+)\s+(.+?)\s*$")


def vrp_accounts_from_config(text: str) -> list[LocalAccount]:
    """``local-user NAME …`` lines of the configuration (the ``aaa`` view)."""
    drafts = _drafts()
    for line in text.splitlines():
        match = _VRP_LOCAL_USER.match(line)
        if match is None:
            continue
        name, rest = match.groups()
        words = rest.split()
        draft = drafts.setdefault(name, _Draft(name, AccountOrigin.LOCAL_USER))
        if words[0] == "password" and len(words) > 1:
            draft.password_type = _VRP_PASSWORD.get(words[1], words[1])
        elif words[:2] == ["privilege", "level"] and len(words) > 2:
            draft.privilege = words[2]
        elif words[0] == "level" and len(words) > 1:  # VRP8
            draft.privilege = words[1]
        elif words[0] == "service-type":
            draft.services.extend(words[1:])
        elif words[0] == "state" and len(words) > 1:
            draft.state = {"block": "blocked", "active": "active"}.get(words[1], words[1])
        elif words[0] == "user-group" and len(words) > 1:
            draft.groups.append(words[1])
    # No state here unless the configuration blocks the account: a lock after failed logins
    # shows only in `display local-user`, which fills the state in when merged.
    return [d.done() for d in drafts.values()]


# ---------------------------------------------------------------------------------- Comware


def comware_accounts_from_config(text: str) -> list[LocalAccount]:
    """``local-user NAME [class manage|network]`` blocks: the indented lines up to ``#``."""
    drafts = _drafts()
    current: _Draft | None = None
    for line in text.splitlines():
        if line.startswith("local-user "):
            words = line.split()
            current = drafts.setdefault(words[1], _Draft(words[1], AccountOrigin.LOCAL_USER))
            if len(words) >= 4 and words[2] == "class":
                current.groups.append(f"class-{words[3]}")
            continue
        if current is None:
            continue
        if not line.startswith(" "):  # "#" or the next top-level statement ends the block
            current = None
            continue
        words = line.split()
        if words[0] == "password" and len(words) > 1:
            current.password_type = _COMWARE_PASSWORD.get(words[1], words[1])
        elif words[0] == "service-type":
            current.services.extend(words[1:])
        elif words[:2] == ["authorization-attribute", "user-role"] and len(words) > 2:
            current.groups.append(words[2])
        elif words[:2] == ["authorization-attribute", "level"] and len(words) > 2:
            current.privilege = words[2]  # Comware 5: 0 visit … 3 manage
        elif words[0] == "state" and len(words) > 1:
            current.state = {"block": "blocked", "active": "active"}.get(words[1], words[1])
    accounts = []
    for draft in drafts.values():
        roles = [g for g in draft.groups if not g.startswith("class-")]
        if draft.privilege is None and roles:
            ranked = sorted(roles, key=_role_rank)
            draft.privilege = ranked[0]
        draft.state = draft.state or "active"
        accounts.append(draft.done())
    return accounts


def _role_rank(role: str) -> int:
    return (
        _COMWARE_ROLE_ORDER.index(role) if role in _COMWARE_ROLE_ORDER else len(_COMWARE_ROLE_ORDER)
    )


def parse_comware_version(text: str) -> list[dict[str, Any]]:
    """``display version`` (no template upstream): vendor, version, model, uptime."""
    row: dict[str, Any] = {"vendor": "", "version": "", "model": "", "uptime": ""}
    for line in text.splitlines():
        stripped = line.strip()
        version = re.search(r"Comware Software, Version (.+)$", stripped)
        if version and not row["version"]:
            row["version"] = version.group(1).strip()
            vendor = stripped.split()[0]
            row["vendor"] = vendor if vendor not in ("Comware",) else ""
            continue
        uptime = re.match(r"^(.+?)\s+uptime is\s+(.+)$", stripped)
        if uptime and not row["model"]:
            model = uptime.group(1)
            for brand in ("H3C ", "HPE ", "HP "):
                if model.startswith(brand):
                    row["vendor"] = row["vendor"] or brand.strip()
                    model = model[len(brand) :]
            row["model"] = model.strip()
            row["uptime"] = uptime.group(2).strip()
    return [row] if row["version"] or row["model"] else []


# ---------------------------------------------------------------------------------- IOS, ZTE

_USERNAME = re.compile(r"^username\s+(\S+)(.*)$")


def ios_accounts_from_config(text: str) -> list[LocalAccount]:
    """``username NAME [privilege N] [secret T X | password T X | nopassword] …``; a name on
    several lines is one account (IOS prints ``autocommand`` and others separately)."""
    drafts = _drafts()
    for line in text.splitlines():
        match = _USERNAME.match(line)
        if match is None:
            continue
        name, rest = match.groups()
        draft = drafts.setdefault(name, _Draft(name, AccountOrigin.USERNAME))
        words = rest.split()
        _ios_words(draft, words)
    for draft in drafts.values():
        draft.privilege = draft.privilege or "1"  # IOS's default for a username
        draft.state = "active"
    return [d.done() for d in drafts.values()]


def _ios_words(draft: _Draft, words: list[str]) -> None:
    index = 0
    while index < len(words):
        word = words[index]
        following = words[index + 1] if index + 1 < len(words) else ""
        if word == "privilege" and following.isdigit():
            draft.privilege = following
            index += 2
            continue
        if word == "secret":
            kind = following if following.isdigit() else "0"
            draft.password_type = _IOS_SECRET.get(kind, f"secret-type{kind}")
            return  # the rest of the line is the secret itself
        if word == "password":
            kind = following if following.isdigit() and index + 2 < len(words) else "0"
            draft.password_type = _IOS_PASSWORD.get(kind, f"password-type{kind}")
            return
        if word == "nopassword":
            draft.password_type = _KIND_NONE
        if word == "view" and following:
            draft.groups.append(f"view-{following}")
            index += 2
            continue
        if word in ("autocommand", "algorithm-type"):
            index += 2
            continue
        index += 1


_ZTE_USER_NAME = re.compile(r"^(\s*)user-name\s+(\S+)\s*$")
_ZTE_AUTHORIZATION = re.compile(r"^(\s*)authorization-template\s+(\S+)\s*$")


def zte_accounts_from_config(text: str) -> list[LocalAccount]:
    """ZXROS accounts: ``username NAME password [encrypted] X [privilege N]`` lines (older
    ZXR10), and the ``user-name NAME`` blocks of ``system-user``, whose privilege is that of the
    ``authorization-template`` they bind (``bind privilege N`` inside it)."""
    lines = text.splitlines()
    template_privilege = _zte_templates(lines)
    drafts = _drafts()
    current: _Draft | None = None
    indent = 0
    for line in lines:
        match = _USERNAME.match(line.strip())
        if match is not None:
            name, rest = match.groups()
            draft = drafts.setdefault(name, _Draft(name, AccountOrigin.USERNAME))
            words = rest.split()
            if "privilege" in words:
                position = words.index("privilege")
                if position + 1 < len(words):
                    draft.privilege = words[position + 1]
            if "password" in words:
                position = words.index("password")
                encrypted = position + 1 < len(words) and words[position + 1] == "encrypted"
                draft.password_type = "encrypted" if encrypted else "plaintext"
            current = None
            continue
        block = _ZTE_USER_NAME.match(line)
        if block is not None:
            indent = len(block.group(1))
            name = block.group(2)
            current = drafts.setdefault(name, _Draft(name, AccountOrigin.USERNAME))
            continue
        if current is None:
            continue
        if not line.strip() or len(line) - len(line.lstrip()) <= indent:
            current = None  # "$" (or "!") at the block's own depth closes it
            continue
        words = line.split()
        if words[0] == "password" and len(words) > 1:
            current.password_type = "encrypted" if words[1] == "encrypted" else "plaintext"
        elif words[:2] == ["bind", "authorization-template"] and len(words) > 2:
            current.privilege = template_privilege.get(words[2], current.privilege)
        elif words[0] in ("privilege-level", "privilege") and len(words) > 1:
            current.privilege = words[1]
    for draft in drafts.values():
        draft.state = "active"
    return [d.done() for d in drafts.values()]


def _zte_templates(lines: list[str]) -> dict[str, str]:
    """``authorization-template N`` → the privilege it binds."""
    found: dict[str, str] = {}
    current: str | None = None
    indent = 0
    for line in lines:
        match = _ZTE_AUTHORIZATION.match(line)
        if match is not None:
            indent, current = len(match.group(1)), match.group(2)
            continue
        if current is None:
            continue
        if not line.strip() or len(line) - len(line.lstrip()) <= indent:
            current = None
            continue
        words = line.split()
        if words[:2] == ["bind", "privilege"] and len(words) > 2:
            found[current] = words[2]
    return found


# ---------------------------------------------------------------------------------- merging


def merge_accounts(sources: Iterable[list[LocalAccount]]) -> list[LocalAccount]:
    """One account per (name, origin): later sources fill what earlier ones left empty."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for accounts in sources:
        for account in accounts:
            key = (account.name, account.origin.value)
            fields = account.model_dump()
            if key not in merged:
                merged[key] = fields
                continue
            kept = merged[key]
            for name, value in fields.items():
                if kept.get(name) in (None, (), []) and value not in (None, (), []):
                    kept[name] = value
    return [LocalAccount.model_validate(fields) for fields in merged.values()]
