"""``ssnoc security``: permission reports for security officers.

- ``accounts``: every local account collected from the devices and hosts, held against the
  approved-accounts policy (:mod:`core.security.account_audit`);
- ``access``: the NOC's own users, roles, scopes and API tokens (:mod:`core.security.
  access_review`);
- ``changes``: what changed since the last signed review;
- ``sign-review``: sign the review as it stands (kept in the state DB, written to the audit
  trail).

Everything is read from the state DB of the settings' data directory; nothing connects to a
device. The policy is ``--policy``, else the ``account_policy_path`` setting, else
``<data_dir>/lab/account-policy.yaml`` (the lab's). A mistake (no policy file, a bad line in it,
a DB that cannot be read) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer

from core.clock import Clock, SystemClock
from core.errors import ConfigError
from core.security.scope import is_region_code, scope_covers
from core.settings import Settings, load_settings
from ssnoc.commands.failures import clear_errors

# The reports' modules load SQLAlchemy, Alembic and the audit trail's crypto (half a second):
# imported where a command runs, so the rest of the CLI starts without them.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from core.security.access_review import AccessReview, ReviewChanges
    from core.security.account_audit import AccountFinding
    from core.security.reports import SecurityReports

P = ParamSpec("P")
R = TypeVar("R")

UNUSED_AFTER_DAYS = 90
"""core.security.access_review.DEFAULT_UNUSED_AFTER_DAYS, without importing it at start-up."""
SIGN_ACTION = "access_review_sign"

security_app = typer.Typer(
    help="Permission reports: device and host accounts against the policy, NOC access review.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


PolicyOption = Annotated[
    Path | None,
    typer.Option("--policy", metavar="FILE", help="Approved-accounts policy (YAML)."),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json or csv.")]
UnusedOption = Annotated[
    int, typer.Option(min=1, help="Days without a login (or a token's age) that count as unused.")
]


@security_app.callback()
def _group() -> None:
    """Permission reports: device and host accounts against the policy, NOC access review."""


@security_app.command("accounts")
@clear_errors
def accounts_command(
    policy: PolicyOption = None,
    output: FormatOption = OutputFormat.TABLE,
    region: Annotated[
        str | None, typer.Option(metavar="CODE", help="Only this region and below it.")
    ] = None,
) -> None:
    """Local accounts of devices and hosts that the policy does not approve, or approves with
    a problem."""
    from core.security.report_export import write_findings_csv, write_findings_json

    if region is not None and not is_region_code(region):
        raise ConfigError(f"--region: not a six-digit region code: {region!r}")
    settings = load_settings()
    engine = _engine(settings)
    try:
        findings = _account_findings(engine, settings, policy, SystemClock())
    finally:
        engine.dispose()
    if region is not None:
        findings = [f for f in findings if f.region_code and scope_covers(region, f.region_code)]
    if output is OutputFormat.JSON:
        write_findings_json(findings, sys.stdout)
    elif output is OutputFormat.CSV:
        write_findings_csv(findings, sys.stdout)
    else:
        _print_findings(findings)


@security_app.command("access")
@clear_errors
def access_command(
    output: FormatOption = OutputFormat.TABLE,
    unused_after_days: UnusedOption = UNUSED_AFTER_DAYS,
) -> None:
    """NOC users with their roles, scopes, last login and tokens; who can approve runbooks and
    manage users; tokens to question."""
    from core.security.report_export import write_review_csv, write_review_json

    settings = load_settings()
    engine = _engine(settings)
    clock = SystemClock()
    try:
        review = _access_review(engine, settings, clock, unused_after_days)
    finally:
        engine.dispose()
    if output is OutputFormat.JSON:
        write_review_json(review, sys.stdout)
    elif output is OutputFormat.CSV:
        write_review_csv(review, sys.stdout)
    else:
        _print_review(review)


@security_app.command("changes")
@clear_errors
def changes_command(
    policy: PolicyOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = (
        OutputFormat.TABLE
    ),
    unused_after_days: UnusedOption = UNUSED_AFTER_DAYS,
) -> None:
    """What changed in users, grants, tokens and account findings since the last signed review."""
    from core.security.access_review import AccessReviewStore, changes_since

    settings = load_settings()
    engine = _engine(settings)
    clock = SystemClock()
    try:
        latest = AccessReviewStore(engine, clock).latest()
        if latest is None:
            typer.echo("no review has been signed yet: `ssnoc security sign-review` signs one")
            return
        current = _snapshot(engine, settings, policy, clock, unused_after_days)
    finally:
        engine.dispose()
    changes = changes_since(latest.snapshot, current)
    if output is OutputFormat.JSON:
        document = {
            "since": {"id": latest.id, "at": latest.at.isoformat(), "reviewer": latest.reviewer},
            "changes": asdict(changes),
        }
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"since review {latest.id}, signed by {latest.reviewer} at {latest.at:%Y-%m-%d %H:%M} UTC:"
    )
    _print_changes(changes)


@security_app.command("sign-review")
@clear_errors
def sign_review_command(
    policy: PolicyOption = None,
    reviewer: Annotated[
        str | None, typer.Option(help="Who signs; default: your login name on this machine.")
    ] = None,
    unused_after_days: UnusedOption = UNUSED_AFTER_DAYS,
) -> None:
    """Sign the access review and account findings as they stand now (the next `changes`
    compares with this); the signature goes into the audit trail."""
    from core.security.access_review import AccessReviewStore
    from core.security.audit_trail import AuditEvent, AuditOutcome, AuditTrail

    who = (reviewer or getpass.getuser()).strip()
    if not who:
        raise ConfigError("--reviewer: give a name")
    settings = load_settings()
    engine = _engine(settings)
    clock = SystemClock()
    try:
        snapshot = _snapshot(engine, settings, policy, clock, unused_after_days)
        review_id = AccessReviewStore(engine, clock).save(who, snapshot)
        AuditTrail(engine, clock).append(
            AuditEvent(
                actor=f"cli:{who}",
                action=SIGN_ACTION,
                outcome=AuditOutcome.OK,
                target=f"access_review:{review_id}",
                client="cli",
                detail=(
                    f"{len(snapshot['users'])} users, {len(snapshot['tokens'])} tokens, "
                    f"{len(snapshot['findings'])} account findings"
                ),
            )
        )
    finally:
        engine.dispose()
    typer.echo(
        f"review {review_id} signed by {who}: {len(snapshot['users'])} users, "
        f"{len(snapshot['findings'])} account findings"
    )


# ---------------------------------------------------------------------------------- gathering


def _engine(settings: Settings) -> Engine:
    from core.state.db import migrate_to_head, open_state_engine

    engine = open_state_engine(settings.resolved_state_db_url)
    migrate_to_head(engine)
    return engine


def policy_path(settings: Settings, given: Path | None) -> Path:
    """``--policy``, else the ``account_policy_path`` setting (default: the lab's file)."""
    return given if given is not None else settings.resolved_account_policy_path


def _reports(engine: Engine, settings: Settings, clock: Clock) -> SecurityReports:
    """The same gathering the API uses (:class:`core.security.reports.SecurityReports`)."""
    from core.security.reports import SecurityReports
    from core.security.users import UserDirectory
    from core.state.accounts import AccountRepository
    from core.state.repository import StateRepository

    return SecurityReports(
        StateRepository(engine),
        AccountRepository(engine),
        UserDirectory(engine, clock, settings.auth),
        clock,
    )


def _account_findings(
    engine: Engine, settings: Settings, policy: Path | None, clock: Clock
) -> list[AccountFinding]:
    return _reports(engine, settings, clock).account_findings(policy_path(settings, policy))


def _access_review(
    engine: Engine, settings: Settings, clock: Clock, unused_after_days: int
) -> AccessReview:
    return _reports(engine, settings, clock).access_review(unused_after_days)


def _snapshot(
    engine: Engine, settings: Settings, policy: Path | None, clock: Clock, unused_after_days: int
) -> dict[str, Any]:
    return _reports(engine, settings, clock).snapshot(
        policy_path(settings, policy), unused_after_days
    )


# ---------------------------------------------------------------------------------- printing


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    for line in (list(headers), *cells):
        typer.echo("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())


def _print_findings(findings: list[AccountFinding]) -> None:
    from core.security.account_audit import findings_by_region

    if not findings:
        typer.echo("no findings: every collected account is approved as it is")
        return
    _table(
        ("REGION", "DEVICE", "ACCOUNT", "FINDING", "SEVERITY", "PRIVILEGE", "DETAIL"),
        [
            (f.region_code, f.device_id, f.account, f.kind.value, f.severity.value,
             f.privilege, f.detail)
            for f in findings
        ],
    )  # fmt: skip
    by_region = ", ".join(f"{code or '?'} {n}" for code, n in findings_by_region(findings).items())
    typer.echo(f"\n{len(findings)} findings by region: {by_region}")


def _print_review(review: AccessReview) -> None:
    _table(
        ("USER", "GRANTS", "LAST LOGIN", "FLAGS", "TOKENS"),
        [
            (
                u.username,
                " ".join(u.grants) or "-",
                f"{u.last_login_at:%Y-%m-%d}" if u.last_login_at else "never",
                ",".join(
                    flag for flag, on in (("disabled", u.disabled), ("unused", u.unused)) if on
                ),
                u.live_tokens,
            )
            for u in review.users
        ],
    )
    for title, holders in (
        ("can approve runbooks", review.can_approve_runbooks),
        ("can manage users", review.can_manage_users),
    ):
        shown = ", ".join(f"{h.username} ({' '.join(h.scopes)})" for h in holders) or "nobody"
        typer.echo(f"\n{title}: {shown}")
    if review.flagged_tokens:
        typer.echo(f"\ntokens older than {review.unused_after_days} days or never used:")
        for t in review.flagged_tokens:
            used = f"last used {t.last_used_at:%Y-%m-%d}" if t.last_used_at else "never used"
            typer.echo(f"  {t.user}/{t.name} ({t.prefix}…): {t.age_days} days old, {used}")


def _print_changes(changes: ReviewChanges) -> None:
    if changes.empty:
        typer.echo("  nothing changed")
        return
    lines: list[tuple[str, Sequence[str]]] = [
        ("users added", changes.users_added),
        ("users removed", changes.users_removed),
        ("users disabled", changes.users_disabled),
        ("users enabled", changes.users_enabled),
        ("grants added", [f"{u} {g}" for u, g in changes.grants_added]),
        ("grants removed", [f"{u} {g}" for u, g in changes.grants_removed]),
        ("tokens created", changes.tokens_created),
        ("tokens revoked", changes.tokens_revoked),
        ("new findings", [f"{f.device_id} {f.account} {f.kind}" for f in changes.findings_new]),
        (
            "resolved findings",
            [f"{f.device_id} {f.account} {f.kind}" for f in changes.findings_resolved],
        ),
    ]
    for title, items in lines:
        if items:
            typer.echo(f"  {title} ({len(items)}):")
            for item in items:
                typer.echo(f"    {item}")
