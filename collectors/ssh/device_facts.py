"""From a network device's raw answers to facts, accounts and its running configuration."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from collectors.ssh.command_sets import RUNNING_CONFIG, TEXT, CommandSet
from collectors.ssh.device_accounts import merge_accounts
from collectors.ssh.parsers import ParseError, first_value, normalise, parse_accounts, parse_rows
from core.state.ssh_views import LocalAccount, SshFacts

log = logging.getLogger(__name__)

_FACT_FIELDS = ("hostname", "vendor", "os_version", "model", "serial", "uptime")


@dataclass
class DeviceReading:
    facts: SshFacts
    accounts: list[LocalAccount]
    running_config: str | None
    command_errors: dict[str, str] = field(default_factory=dict)


def interpret(
    command_set: CommandSet,
    outputs: Mapping[str, str],
    *,
    prompt_hostname: str | None,
    command_errors: Mapping[str, str] | None = None,
) -> DeviceReading:
    """Parse every answer in ``outputs`` (command key → text) by the command set's rules.

    A refused or unreadable answer becomes that command's error; the others still count.
    """
    errors = dict(command_errors or {})
    usable: dict[str, str] = {}
    fact_values: dict[str, str] = {"vendor": command_set.vendor}
    details: dict[str, Any] = {}
    for key, output in outputs.items():
        spec = command_set.commands[key]
        refusal = command_set.rejected(output)
        if refusal is not None:
            errors[key] = f"{spec.command!r} refused by the device: {refusal}"
            continue
        usable[key] = output
        if spec.parser == TEXT:
            continue
        try:
            rows = parse_rows(command_set, spec, output)
        except ParseError as exc:
            errors[key] = str(exc)
            continue
        for fact, fields in spec.facts.items():
            value = first_value(rows[0], fields) if rows else None
            if value is not None:
                fact_values[fact] = value
        details[key] = normalise(rows, spec.normalise)
    if prompt_hostname and "hostname" not in fact_values:
        fact_values["hostname"] = prompt_hostname
    facts = SshFacts(
        **{name: fact_values.get(name) for name in _FACT_FIELDS},
        details=details,
    )
    sources: list[list[LocalAccount]] = []
    for source in command_set.accounts:
        text = usable.get(source.command)
        if text is None:
            continue
        try:
            sources.append(parse_accounts(source.parser, text))
        except ParseError as exc:
            errors[f"accounts:{source.parser}"] = str(exc)
    return DeviceReading(
        facts=facts,
        accounts=merge_accounts(sources),
        running_config=usable.get(RUNNING_CONFIG),
        command_errors=errors,
    )
