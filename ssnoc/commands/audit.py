"""``ssnoc audit``: the audit trail from the command line — verify, export, prune, show.

Works on the state DB the settings name (as the server does), so it can check the trail while the
server runs. ``verify`` exits 0 when the chain is intact and 1 when it is not, printing every
problem on its own line, so it can run from cron or a monitoring check. ``prune`` keeps at least
180 days and is itself written into the trail, by ``cli:<login name>``. A store that cannot be
opened is reported in one line on stderr with exit status 2.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer

from core.clock import SystemClock
from core.errors import NocError
from core.settings import Settings, load_settings

if TYPE_CHECKING:
    from core.security.audit_trail import AuditRecord, AuditTrail

P = ParamSpec("P")
R = TypeVar("R")

EXIT_BROKEN = 1
EXIT_FAILED = 2
MIN_RETENTION_DAYS = 180
"""The floor of ``audit.retention_days`` in the settings: younger records are never pruned."""

audit_app = typer.Typer(
    help="The audit trail: verify its hash chain, export a period, prune old records, show.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


@audit_app.callback()
def _group() -> None:
    """The audit trail: verify its hash chain, export a period, prune old records, show."""


def _reported(command: Callable[P, R]) -> Callable[P, R]:
    """A NocError becomes one line on stderr and exit status 2; Ctrl-C exits 130 quietly."""

    @wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except NocError as exc:
            # SQLAlchemy appends a "Background on this error" line to what it says: one line
            # is what a person (and a cron mail) should get.
            first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
            typer.echo(f"ssnoc: {first_line}", err=True)
            raise typer.Exit(EXIT_FAILED) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None

    return run


@contextmanager
def _opened_trail(settings: Settings) -> Iterator[AuditTrail]:
    # Imported here: SQLAlchemy and Alembic take half a second to load, which every other
    # command of the CLI would pay for otherwise.
    from core.security.audit_trail import AuditTrail
    from core.state.db import migrate_to_head, open_state_engine

    engine = open_state_engine(settings.resolved_state_db_url)
    try:
        migrate_to_head(engine)
        yield AuditTrail(engine, SystemClock())
    finally:
        engine.dispose()


@audit_app.command("verify")
@_reported
def verify_command() -> None:
    """Check the hash chain; exit 1 and name every problem when it is broken."""
    with _opened_trail(load_settings()) as trail:
        verification = trail.verify()
    if verification.ok:
        span = (
            f" (seq {verification.first_seq}–{verification.last_seq})"
            if verification.checked
            else ""
        )
        typer.echo(f"audit trail intact: {verification.checked} records{span}")
        return
    for problem in verification.problems:
        typer.echo(f"{problem.kind:<9} {problem.message}")
    typer.echo(
        f"audit trail BROKEN: {len(verification.problems)} problems "
        f"in {verification.checked} records checked",
        err=True,
    )
    raise typer.Exit(EXIT_BROKEN)


@audit_app.command("export")
@_reported
def export_command(
    since: Annotated[
        str | None,
        typer.Option(metavar="ISO", help="From this time on (ISO 8601; no zone means UTC)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(metavar="ISO", help="Before this time (ISO 8601; no zone means UTC)."),
    ] = None,
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="JSON lines or CSV with a header row.")
    ] = ExportFormat.JSONL,
    output: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write here instead of to stdout.")
    ] = None,
) -> None:
    """Write the records of a period, oldest first, with their hashes."""
    start = _instant(since, "--since")
    end = _instant(until, "--until")
    with _opened_trail(load_settings()) as trail:
        if output is None:
            written = trail.export(sys.stdout, fmt=fmt.value, since=start, until=end)
        else:
            # Written beside the target and renamed at the end: a failed export leaves no file
            # that looks complete.
            partial = output.with_name(output.name + ".part")
            with partial.open("w", encoding="utf-8", newline="") as out:
                written = trail.export(out, fmt=fmt.value, since=start, until=end)
            partial.replace(output)
    typer.echo(f"exported {written} audit records", err=True)


@audit_app.command("prune")
@_reported
def prune_command(
    days: Annotated[
        int | None,
        typer.Option(help="Keep this many days (default: the settings' audit.retention_days)."),
    ] = None,
) -> None:
    """Delete records older than the retention period; the rest still verifies."""
    settings = load_settings()
    keep_days = settings.audit.retention_days if days is None else days
    if keep_days < MIN_RETENTION_DAYS:
        typer.echo(
            f"ssnoc: refusing to prune: audit records are kept at least "
            f"{MIN_RETENTION_DAYS} days (asked for {keep_days})",
            err=True,
        )
        raise typer.Exit(EXIT_FAILED)
    cutoff = SystemClock().now() - timedelta(days=keep_days)
    with _opened_trail(settings) as trail:
        removed = trail.prune(cutoff, actor=f"cli:{_login_name()}")
    typer.echo(
        f"pruned {removed} audit records older than {cutoff:%Y-%m-%d %H:%M} UTC ({keep_days} days)"
    )


@audit_app.command("show")
@_reported
def show_command(
    actor: Annotated[str | None, typer.Option(help="Only this actor.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action.")] = None,
    target: Annotated[str | None, typer.Option(help="Targets containing this.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many records.")] = 50,
) -> None:
    """Print the newest records, newest first."""
    with _opened_trail(load_settings()) as trail:
        records = trail.search(actor=actor, action=action, target=target, limit=limit)
    for record in records:
        typer.echo(render_record(record))
    if not records:
        typer.echo("no audit records match", err=True)


def render_record(record: AuditRecord) -> str:
    """One line: seq, time (UTC), actor, action, outcome, target, region, detail."""
    region = f" [{record.region_code}]" if record.region_code else ""
    detail = f"  {record.detail}" if record.detail else ""
    return (
        f"{record.seq:>7}  {record.at:%Y-%m-%d %H:%M:%S}  {record.actor:<16} "
        f"{record.action:<20} {record.outcome.value:<11} {record.target or '-'}{region}{detail}"
    )


def _instant(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO 8601 time (e.g. 2026-03-01 or 2026-03-01T08:00+08:00)",
            param_hint=option,
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment or the password database
        return "unknown"
