"""Command mode (``:``), as in k9s: a verb, maybe an argument, with short aliases."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import NocError
from core.security.permissions import Permission


class Verb(StrEnum):
    DEVICE = "device"
    REGION = "region"
    BACKUPS = "backups"
    ACCOUNTS = "accounts"
    USERS = "users"
    AUDIT = "audit"
    SECURITY = "security"
    FAILOVER = "failover"
    TOPOLOGY = "topology"
    ALERTS = "alerts"
    SILENCES = "silences"
    MAINTENANCE = "maintenance"
    ONCALL = "oncall"
    TERMINALS = "terminals"
    PROVISION = "provision"
    ROLLOUTS = "rollouts"
    PASSWORD = "password"  # noqa: S105 - a command's name, not a password
    LOGOUT = "logout"
    HELP = "help"
    REFRESH = "refresh"
    HOME = "home"
    QUIT = "quit"


ALIASES: dict[str, Verb] = {
    "device": Verb.DEVICE,
    "dev": Verb.DEVICE,
    "d": Verb.DEVICE,
    "region": Verb.REGION,
    "reg": Verb.REGION,
    "backups": Verb.BACKUPS,
    "backup": Verb.BACKUPS,
    "bk": Verb.BACKUPS,
    "accounts": Verb.ACCOUNTS,
    "account": Verb.ACCOUNTS,
    "acc": Verb.ACCOUNTS,
    "users": Verb.USERS,
    "user": Verb.USERS,
    "usr": Verb.USERS,
    "audit": Verb.AUDIT,
    "au": Verb.AUDIT,
    "security": Verb.SECURITY,
    "sec": Verb.SECURITY,
    "failover": Verb.FAILOVER,
    "fo": Verb.FAILOVER,
    "topology": Verb.TOPOLOGY,
    "topo": Verb.TOPOLOGY,
    "t": Verb.TOPOLOGY,
    "alerts": Verb.ALERTS,
    "alert": Verb.ALERTS,
    "al": Verb.ALERTS,
    "silences": Verb.SILENCES,
    "silence": Verb.SILENCES,
    "sil": Verb.SILENCES,
    "maintenance": Verb.MAINTENANCE,
    "maint": Verb.MAINTENANCE,
    "mw": Verb.MAINTENANCE,
    "oncall": Verb.ONCALL,
    "on-call": Verb.ONCALL,
    "oc": Verb.ONCALL,
    "terminals": Verb.TERMINALS,
    "terminal": Verb.TERMINALS,
    "term": Verb.TERMINALS,
    "tm": Verb.TERMINALS,
    "provision": Verb.PROVISION,
    "prov": Verb.PROVISION,
    "rollouts": Verb.ROLLOUTS,
    "rollout": Verb.ROLLOUTS,
    "ro": Verb.ROLLOUTS,
    "password": Verb.PASSWORD,
    "passwd": Verb.PASSWORD,
    "pw": Verb.PASSWORD,
    "logout": Verb.LOGOUT,
    "bye": Verb.LOGOUT,
    "help": Verb.HELP,
    "h": Verb.HELP,
    "?": Verb.HELP,
    "refresh": Verb.REFRESH,
    "r": Verb.REFRESH,
    "home": Verb.HOME,
    "province": Verb.HOME,
    "quit": Verb.QUIT,
    "q": Verb.QUIT,
    "q!": Verb.QUIT,
}
NEEDS_ARGUMENT = {Verb.DEVICE: "a device id", Verb.REGION: "a region code"}
MAY_TAKE_ARGUMENT = {Verb.TOPOLOGY: "a region code", Verb.TERMINALS: "a region code"}
"""Verbs whose argument may be left out (the console then picks one)."""

NEEDS_PERMISSION: dict[Verb, tuple[Permission, str]] = {
    Verb.BACKUPS: (Permission.READ_CONFIGS, "see the backup board"),
    Verb.ACCOUNTS: (Permission.READ_ACCOUNTS, "see the accounts of devices and hosts"),
    Verb.USERS: (Permission.READ_USERS, "see the NOC's users"),
    Verb.AUDIT: (Permission.READ_AUDIT, "read the audit trail"),
    Verb.SECURITY: (Permission.READ_SECURITY_REPORTS, "read the security reports"),
    Verb.FAILOVER: (Permission.READ_INVENTORY, "see which sites run on backup"),
    Verb.TOPOLOGY: (Permission.READ_INVENTORY, "see the network's topology"),
    Verb.ALERTS: (Permission.READ_INVENTORY, "see the alerts"),
    Verb.SILENCES: (Permission.READ_INVENTORY, "see the silences"),
    Verb.MAINTENANCE: (Permission.READ_INVENTORY, "see the maintenance windows"),
    Verb.ONCALL: (Permission.READ_INVENTORY, "see who is on call"),
    Verb.TERMINALS: (Permission.READ_TERMINALS, "see the card terminals"),
    Verb.PROVISION: (Permission.PROVISION_TERMINALS, "provision card terminals"),
    Verb.ROLLOUTS: (Permission.READ_TERMINALS, "see the terminal rollouts"),
}
"""Commands only some users may run: the permission, and what it lets them do (for refusals)."""

USAGE = (
    ("device ID", "open a device (aliases: dev, d)"),
    ("region CODE", "show a region in the tree (alias: reg)"),
    ("backups", "devices not backed up in 24 h, worst first (aliases: backup, bk)"),
    ("accounts", "local accounts of every device and host (aliases: account, acc)"),
    ("users", "NOC users, their roles and scopes; administrators manage them (aliases: user, usr)"),
    ("audit", "the audit trail: search it, verify its chain (alias: au)"),
    ("security", "account findings by region and the access review (alias: sec)"),
    ("failover", "sites on backup links or isolated, worst first (alias: fo)"),
    (
        "topology [CODE]",
        "a region's nodes and links, its counties' failover, single points of failure "
        "(default: the region chosen on the province screen; aliases: topo, t)",
    ),
    (
        "alerts",
        "live alerts, worst first, root causes with their consequences folded under them "
        "(also ! on the province screen; aliases: alert, al)",
    ),
    ("silences", "silences: active, pending, expired; d expires one (aliases: silence, sil)"),
    ("maintenance", "maintenance windows, open ones first (aliases: maint, mw)"),
    ("oncall", "who is on call now on each schedule (aliases: on-call, oc)"),
    (
        "terminals [CODE]",
        "card terminals by city, a city's counties or a county's terminals: online share, "
        "silent, read failures, PSAM, versions (aliases: terminal, term, tm)",
    ),
    (
        "provision",
        "the provisioning station: a registered terminal, its PSAM and the test card through "
        "this machine's readers; the credential shown once (alias: prov)",
    ),
    (
        "rollouts",
        "firmware and parameter rollouts, their waves and gates (aliases: rollout, ro)",
    ),
    ("password", "change your password (aliases: passwd, pw)"),
    ("logout", "end your session and go back to the login screen (alias: bye)"),
    ("home", "back to the province screen (alias: province)"),
    ("refresh", "refresh now (alias: r)"),
    ("help", "this help (aliases: h, ?)"),
    ("quit", "quit (alias: q)"),
)


class CommandError(NocError):
    """A command line that means nothing; the message says what would."""


@dataclass(frozen=True)
class Command:
    verb: Verb
    argument: str | None = None


def parse_command(line: str) -> Command:
    """``"device gz-core1"`` → ``Command(Verb.DEVICE, "gz-core1")``; a leading ``:`` is allowed."""
    words = line.strip().removeprefix(":").split()
    if not words:
        raise CommandError("empty command; try :help")
    verb = ALIASES.get(words[0].lower())
    if verb is None:
        raise CommandError(f"unknown command '{words[0]}'; try :help")
    arguments = words[1:]
    if verb in NEEDS_ARGUMENT:
        if len(arguments) != 1:
            raise CommandError(f":{verb.value} needs {NEEDS_ARGUMENT[verb]}")
        return Command(verb, arguments[0])
    if verb in MAY_TAKE_ARGUMENT and len(arguments) <= 1:
        return Command(verb, arguments[0] if arguments else None)
    if verb in MAY_TAKE_ARGUMENT:
        raise CommandError(f":{verb.value} takes at most {MAY_TAKE_ARGUMENT[verb]}")
    if arguments:
        raise CommandError(f":{verb.value} takes no argument")
    return Command(verb)
