"""Command mode (``:``), as in k9s: a verb, maybe an argument, with short aliases."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import NocError


class Verb(StrEnum):
    DEVICE = "device"
    REGION = "region"
    BACKUPS = "backups"
    ACCOUNTS = "accounts"
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

USAGE = (
    ("device ID", "open a device (aliases: dev, d)"),
    ("region CODE", "show a region in the tree (alias: reg)"),
    ("backups", "devices not backed up in 24 h, worst first (aliases: backup, bk)"),
    ("accounts", "local accounts of every device and host (aliases: account, acc)"),
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
    if arguments:
        raise CommandError(f":{verb.value} takes no argument")
    return Command(verb)
