"""From a network device's raw answers to facts, accounts, LLDP neighbours and its running
configuration."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from collectors.ssh.command_sets import LLDP_NEIGHBORS, RUNNING_CONFIG, TEXT, CommandSet
from collectors.ssh.device_accounts import merge_accounts
from collectors.ssh.lldp_parsers import LLDP_COMMANDS, parse_lldp_neighbours
from collectors.ssh.parsers import ParseError, first_value, normalise, parse_accounts, parse_rows
from core.neighbours import LldpNeighbour
from core.state.ssh_views import LocalAccount, SshFacts

log = logging.getLogger(__name__)

_FACT_FIELDS = ("hostname", "vendor", "os_version", "model", "serial", "uptime")


@dataclass
class DeviceReading:
    facts: SshFacts
    accounts: list[LocalAccount]
    running_config: str | None
    command_errors: dict[str, str] = field(default_factory=dict)
    neighbours: list[LldpNeighbour] | None = None
    """The LLDP neighbours the device listed; None when it was not asked, refused or its answer
    could not be read (an empty list is a device that hears no neighbour)."""


def interpret(
    command_set: CommandSet,
    outputs: Mapping[str, str],
    *,
    prompt_hostname: str | None,
    command_errors: Mapping[str, str] | None = None,
    device_id: str | None = None,
) -> DeviceReading:
    """Parse every answer in ``outputs`` (command key → text) by the command set's rules.

    A refused or unreadable answer becomes that command's error; the others still count. LLDP
    neighbours are read only when ``device_id`` names the device they were heard by.
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
        neighbours=_neighbours(command_set, usable, errors, device_id),
    )


def _neighbours(
    command_set: CommandSet,
    usable: Mapping[str, str],
    errors: dict[str, str],
    device_id: str | None,
) -> list[LldpNeighbour] | None:
    """The neighbours in the LLDP answer; an answer that cannot be read is that command's error
    (added to ``errors``), never the collection's."""
    text = usable.get(LLDP_NEIGHBORS)
    if device_id is None or text is None or LLDP_NEIGHBORS in errors:
        return None
    if command_set.platform not in LLDP_COMMANDS:
        return None
    try:
        return parse_lldp_neighbours(command_set.platform, text, device_id)
    except ParseError as exc:
        errors[LLDP_NEIGHBORS] = f"LLDP neighbours: {exc}"
        return None
