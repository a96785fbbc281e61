"""``ssnoc terminals``: the card-terminal registry from the command line, on the local state DB.

``import FILE`` registers a county's list of terminals (CSV: serial,model,kind,site,county
[,id,firmware_version,parameter_version]; UTF-8 with or without BOM, or GBK): the good rows go in,
each bad row is one line naming its line, column and reason, and the exit status is 1 when any
row was refused. ``list`` shows the registry (by county, by state), ``history ID`` one
terminal's changes. The import is recorded in the audit trail (actor ``cli:<login>``); the
console and the API do the same through the server with the caller's scope.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.errors import ConfigError
from ssnoc.commands.failures import clear_errors
from ssnoc.commands.users_state import CommandState, open_state

if TYPE_CHECKING:
    from card_fleet.registry import SqlTerminalRegistry

terminals_app = typer.Typer(
    help="The card-terminal registry: import, list, history.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@terminals_app.callback()
def _group() -> None:
    """The card-terminal registry: import, list, history."""


@terminals_app.command("import")
@clear_errors
def import_terminals(
    file: Annotated[Path, typer.Argument(help="CSV: serial,model,kind,site,county[,id,…]")],
) -> None:
    """Register the terminals of a CSV file; each refused row is named with its reason."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read: {exc.strerror or exc}") from None
    from core.security.audit_trail import AuditEvent, AuditOutcome, AuditTrail

    with _registry() as (registry, state):
        result = registry.import_csv(data, by=state.actor, now=state.clock.now())
        AuditTrail(state.engine, state.clock).append(
            AuditEvent(
                actor=state.actor,
                action="terminal_import",
                outcome=AuditOutcome.OK,
                target=file.name,
                detail=f"{len(result.added)} registered, {len(result.errors)} rows refused",
                client="cli",
            )
        )
    for error in result.errors:
        typer.echo(f"{file}:{error.line}: {error.column}: {error.reason}", err=True)
    typer.echo(f"{len(result.added)} terminals registered, {len(result.errors)} rows refused")
    if result.errors:
        raise typer.Exit(1)


@terminals_app.command("list")
@clear_errors
def list_terminals(
    county: Annotated[str | None, typer.Option(help="Only this county (6-digit code).")] = None,
    state: Annotated[str | None, typer.Option(help="registered, active, lost, …")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
) -> None:
    """The registered terminals, by id."""
    from card_fleet.model import TerminalState

    try:
        wanted = TerminalState(state) if state is not None else None
    except ValueError:
        known = ", ".join(s.value for s in TerminalState)
        raise ConfigError(f"--state {state!r}: not a terminal state ({known})") from None
    with _registry() as (registry, _):
        found = registry.list(counties=[county] if county else None, state=wanted)
    for t in found:
        if as_json:
            fields: dict[str, str | None] = {"id": t.id, "serial": t.serial, "county": t.county}
            fields |= {"kind": t.kind.value, "state": t.state.value, "site": t.site}
            fields["psam"] = t.psam_terminal_number
            typer.echo(json.dumps(fields, ensure_ascii=False))
        else:
            psam = t.psam_terminal_number or "-"
            typer.echo(f"{t.id:<14} {t.state.value:<11} {t.kind.value:<8} {psam:<12} {t.site}")


@terminals_app.command("history")
@clear_errors
def history(terminal_id: Annotated[str, typer.Argument(help="e.g. T440103-0007")]) -> None:
    """Every change of one terminal, oldest first."""
    with _registry() as (registry, _):
        events = registry.history(terminal_id)
    for e in events:
        change = f"{e.before or ''} → {e.after or ''}" if e.before != e.after else ""
        typer.echo(f"{e.at:%Y-%m-%d %H:%M:%S} {e.kind:<18} {e.by:<14} {change} {e.reason or ''}")


@contextmanager
def _registry() -> Iterator[tuple[SqlTerminalRegistry, CommandState]]:
    """The registry on the settings' state DB (imported here: the CLI loads this at start)."""
    from card_fleet.registry import SqlTerminalRegistry as Registry
    from core.inventory import load_inventory
    from ssnoc.wiring import county_cities

    with open_state() as state:
        regions = county_cities(load_inventory(state.settings.resolved_inventory_path))
        yield Registry(state.engine, regions), state
