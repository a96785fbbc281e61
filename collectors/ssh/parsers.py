"""Parsing command output: ntc-templates where the command has a template of its own, ssnoc's
parsers elsewhere — chosen by the command set, never by trying.

netmiko's ``use_textfsm=True`` is not used: for a command without a template it raises (or matches
a wrong one, like VRP's ``dir`` for ``display current-configuration``). ntc-templates is called
here directly, with the platform and the full command spelling.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import ntc_templates
from ntc_templates.parse import ParsingException, parse_output
from textfsm import TextFSM, TextFSMError, clitable

from collectors.ssh import device_accounts
from collectors.ssh.command_sets import NTC, TEXT, CommandSet, CommandSpec
from core.state.ssh_views import LocalAccount

Rows = list[dict[str, Any]]

ROW_PARSERS: dict[str, Callable[[str], Rows]] = {
    "vrp_local_user_table": device_accounts.parse_vrp_local_user_table,
    "comware_version": device_accounts.parse_comware_version,
}
"""ssnoc's own parsers for commands without an ntc-templates template."""

ACCOUNT_PARSERS: dict[str, Callable[[str], list[LocalAccount]]] = {
    "vrp_local_users_config": device_accounts.vrp_accounts_from_config,
    "vrp_local_user_table": device_accounts.vrp_accounts_from_table,
    "comware_local_users_config": device_accounts.comware_accounts_from_config,
    "ios_usernames_config": device_accounts.ios_accounts_from_config,
    "zte_usernames_config": device_accounts.zte_accounts_from_config,
}


class ParseError(ValueError):
    """An answer the parser for its command cannot read."""


def parse_rows(command_set: CommandSet, spec: CommandSpec, output: str) -> Rows:
    """The rows ``spec``'s parser reads from ``output`` (``text`` commands have none)."""
    if spec.parser == TEXT:
        return []
    if spec.parser == NTC:
        try:
            return _ntc_rows(command_set.platform.value, spec.command, output)
        except (ParsingException, TextFSMError) as exc:
            raise ParseError(f"ntc-templates cannot parse {spec.command!r}: {exc}") from exc
    parser = ROW_PARSERS.get(spec.parser)
    if parser is None:
        raise ParseError(f"no parser named {spec.parser!r}")
    return parser(output)


def parse_accounts(parser: str, output: str) -> list[LocalAccount]:
    try:
        return ACCOUNT_PARSERS[parser](output)
    except KeyError:
        raise ParseError(f"no account parser named {parser!r}") from None


@cache
def template_for(platform: str, command: str) -> str | None:
    """The template file ntc-templates' index picks for ``command`` (None when it picks none).

    Its commands match by prefix and abbreviation, so a command without a template of its own
    may still pick another one (VRP ``display local-user`` → ``huawei_vrp_dir.textfsm``).
    """
    table = _index()
    row = table.index.GetRowMatch({"Platform": platform, "Command": command})
    if not row:
        return None
    template: str = table.index.index[row]["Template"]
    return template


_TEMPLATES = Path(ntc_templates.__file__).with_name("templates")
_fsms = threading.local()


def _ntc_rows(platform: str, command: str, output: str) -> Rows:
    """What ntc-templates' ``parse_output`` gives, at a fraction of its cost.

    ``parse_output`` builds a CliTable per call: it re-reads the template index and deep-copies
    the template every time — 80 % of a device's collection CPU here. The template is chosen
    once (:func:`template_for`) and each worker thread keeps its own compiled TextFSM per
    template (TextFSM objects hold parsing state: never shared across threads).
    """
    template = template_for(platform, command)
    if template is None or ":" in template:
        # No template, or several chained: the library's own path handles (or refuses) it.
        rows: Rows = parse_output(platform=platform, command=command, data=output)
        return rows
    cache: dict[str, TextFSM] = _fsms.__dict__.setdefault("by_template", {})
    fsm = cache.get(template)
    if fsm is None:
        with (_TEMPLATES / template).open(encoding="utf-8") as handle:
            fsm = cache[template] = TextFSM(handle)
    fsm.Reset()
    header = [name.lower() for name in fsm.header]
    return [dict(zip(header, row, strict=True)) for row in fsm.ParseText(output)]


@cache
def _index() -> Any:
    templates = Path(ntc_templates.__file__).with_name("templates")
    return clitable.CliTable("index", str(templates))


def known_parsers() -> set[str]:
    """Every parser name a command set may use."""
    return {NTC, TEXT, *ROW_PARSERS}


def first_value(row: dict[str, Any], fields: tuple[str, ...]) -> str | None:
    """The first non-empty of ``fields`` in ``row``; list values give their first item."""
    for name in fields:
        value = row.get(name)
        if isinstance(value, list):
            value = next((v for v in value if v), None)
        if isinstance(value, str):
            value = value.strip()
        if value:
            return str(value)
    return None


def normalise(rows: Rows, mapping: dict[str, tuple[str, ...]]) -> Rows:
    """Rows in common field names (``mapping``: common name → parsed fields)."""
    if not mapping:
        return rows
    return [{name: first_value(row, fields) for name, fields in mapping.items()} for row in rows]
