"""Command mode lines: verbs, aliases, arguments, and what is wrong with a bad one."""

from __future__ import annotations

import pytest

from tui.commands import Command, CommandError, Verb, parse_command


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("device gz-core1", Command(Verb.DEVICE, "gz-core1")),
        (":dev gz-core1", Command(Verb.DEVICE, "gz-core1")),
        ("  d   gz-core1 ", Command(Verb.DEVICE, "gz-core1")),
        ("region 440100", Command(Verb.REGION, "440100")),
        ("REG 440100", Command(Verb.REGION, "440100")),
        ("q", Command(Verb.QUIT)),
        (":quit", Command(Verb.QUIT)),
        ("help", Command(Verb.HELP)),
        ("?", Command(Verb.HELP)),
        ("r", Command(Verb.REFRESH)),
        ("province", Command(Verb.HOME)),
        ("backups", Command(Verb.BACKUPS)),
        (":bk", Command(Verb.BACKUPS)),
        ("accounts", Command(Verb.ACCOUNTS)),
        ("acc", Command(Verb.ACCOUNTS)),
    ],
)
def test_parses(line: str, command: Command) -> None:
    assert parse_command(line) == command


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "empty command"),
        (":", "empty command"),
        ("reboot gz-core1", "unknown command 'reboot'"),
        ("device", ":device needs a device id"),
        ("device a b", ":device needs a device id"),
        ("region", ":region needs a region code"),
        ("quit now", ":quit takes no argument"),
        ("backups gz-core1", ":backups takes no argument"),
    ],
)
def test_rejects_with_a_useful_message(line: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parse_command(line)
