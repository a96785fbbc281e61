"""``ssnoc vault``: the encrypted store of device credentials, and its key file.

``init`` creates the key file (outside the state DB: back it up separately), ``import`` moves a
plaintext credentials YAML into the vault, ``set-snmp``/``set-ssh`` store one credential whose
secret is read from standard input (never from the command line, where ``ps`` and the shell
history would see it), ``list`` shows what is stored (names, key ids — never a secret),
``remove`` deletes an entry and ``rotate-key`` re-encrypts everything with a new key.

Every command that changes the vault or its key writes a record into the audit trail (actor
``cli:<login>``), also when it fails; no record holds a secret. A mistake is one line on stderr
and exit status 2.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from pydantic import SecretStr, ValidationError

from core.clock import Clock, SystemClock
from core.credentials import SnmpV2cCredential, SshCredential
from core.errors import CredentialError, NocError, VaultError
from core.settings import Settings, load_settings
from ssnoc.commands.failures import clear_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from core.security.vault import CredentialVault, VaultEntry

# The vault, the audit trail, cryptography, SQLAlchemy and Alembic are imported inside the
# commands: together they take a third of a second to load, which every other `ssnoc` command
# would pay for, since the CLI imports this module at start.

KINDS = ("snmp", "ssh")
"""The kinds of vault entry (``core.security.vault.VaultKind``, not imported at start)."""
P = ParamSpec("P")
R = TypeVar("R")

vault_app = typer.Typer(
    help="The encrypted device credentials vault and its key file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@vault_app.callback()
def _group() -> None:
    """The encrypted device credentials vault and its key file."""


# ---------------------------------------------------------------------------------- commands


@vault_app.command("init")
@clear_errors
def init_command() -> None:
    """Create the vault's key file (refuses to overwrite one)."""
    from core.security.vault_key import create_key_file

    with _state() as state, state.audited("vault_init", "vault") as note:
        path = state.settings.resolved_vault_key_path
        ring = create_key_file(path)
        note(f"created key file {path} with key {ring.current_key_id}")
    typer.echo(f"created the vault key file {path} (key {ring.current_key_id}, mode 0600)")
    typer.echo(
        "Back it up now, and keep that copy apart from the state DB and its backups: without "
        "the key the vault cannot be read, and the key with the DB reveals every device secret."
    )


@vault_app.command("import")
@clear_errors
def import_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A credentials YAML file.")],
    delete_plaintext: Annotated[
        bool, typer.Option("--delete-plaintext", help="Delete FILE after a successful import.")
    ] = False,
) -> None:
    """Encrypt every credential of a plaintext credentials file into the vault."""
    with _state() as state, state.audited("vault_import", "vault") as note:
        vault = state.vault()
        counts = vault.import_file(file)
        detail = f"from {file}: {counts.snmp} snmp, {counts.ssh} ssh"
        if delete_plaintext:
            try:
                file.unlink()
            except OSError as exc:
                note(f"{detail}; deleting the file failed")
                raise VaultError(f"imported, but cannot delete {file}: {exc.strerror}") from None
            detail += "; plaintext file deleted"
        note(detail)
    typer.echo(
        f"imported {counts.snmp} SNMP and {counts.ssh} SSH credentials from {file} "
        f"(key {vault.key_ring.current_key_id})"
    )
    if delete_plaintext:
        typer.echo(f"deleted {file} (copies in backups or elsewhere are not: remove those too)")
    else:
        typer.echo(f"{file} still holds the secrets in plaintext: delete it once checked")


@vault_app.command("list")
@clear_errors
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
) -> None:
    """Show the stored credentials: kind, name, key id, last change (never a secret)."""
    from core.security.vault import list_vault_entries

    with _state() as state:
        entries = list_vault_entries(state.engine)
        key_ids = _key_ids_on_file(state.settings.resolved_vault_key_path)
    if as_json:
        typer.echo(json.dumps([_entry_json(e, key_ids) for e in entries], indent=2))
        return
    if not entries:
        typer.echo("the vault is empty")
        return
    width = max(len(e.name) for e in entries)
    for entry in entries:
        missing = "" if key_ids is None or entry.key_id in key_ids else "  (key not in key file)"
        typer.echo(
            f"{entry.kind.value:<4}  {entry.name:<{width}}  key {entry.key_id}  "
            f"updated {entry.updated_at.isoformat(timespec='seconds')}{missing}"
        )


@vault_app.command("set-snmp")
@clear_errors
def set_snmp_command(
    name: Annotated[str, typer.Argument(help="The credential's name, as the inventory uses it.")],
    community_stdin: Annotated[
        bool, typer.Option("--community-stdin", help="Read the community from standard input.")
    ] = False,
) -> None:
    """Store an SNMPv2c community under NAME (the community is read from standard input)."""
    if not community_stdin:
        raise CredentialError("give --community-stdin: a secret is never taken from argv")
    (community,) = _read_secrets("community")
    try:
        credential = SnmpV2cCredential(community=SecretStr(community))
    except ValidationError:
        raise CredentialError("the community read from standard input is empty") from None
    _store("snmp", name, credential, "v2c community")


@vault_app.command("set-ssh")
@clear_errors
def set_ssh_command(
    name: Annotated[str, typer.Argument(help="The credential's name, as the inventory uses it.")],
    username: Annotated[str, typer.Option("--username", help="The login name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    enable_secret_stdin: Annotated[
        bool,
        typer.Option(
            "--enable-secret-stdin",
            help="Also read an enable secret: the line after the password.",
        ),
    ] = False,
) -> None:
    """Store an SSH login under NAME (the password is read from standard input)."""
    if not password_stdin:
        raise CredentialError("give --password-stdin: a secret is never taken from argv")
    wanted = ("password", "enable secret") if enable_secret_stdin else ("password",)
    secrets = _read_secrets(*wanted)
    try:
        credential = SshCredential(
            username=username,
            password=SecretStr(secrets[0]),
            enable_secret=SecretStr(secrets[1]) if enable_secret_stdin else None,
        )
    except ValidationError:
        raise CredentialError("--username must not be empty") from None
    what = "login with password" + (" and enable secret" if enable_secret_stdin else "")
    _store("ssh", name, credential, f"{what} for user {username}")


@vault_app.command("remove")
@clear_errors
def remove_command(
    kind: Annotated[str, typer.Argument(metavar="KIND", help="snmp or ssh.")],
    name: Annotated[str, typer.Argument(help="The credential's name.")],
) -> None:
    """Delete one credential from the vault."""
    if kind not in KINDS:
        raise CredentialError(f"unknown kind {kind!r}: use snmp or ssh")
    with _state() as state, state.audited("vault_remove", f"{kind}/{name}") as note:
        state.vault().remove(kind, name)
        note("removed")
    typer.echo(f"removed {kind}/{name} from the vault")


@vault_app.command("rotate-key")
@clear_errors
def rotate_key_command() -> None:
    """Re-encrypt every credential with a new key; the key file then holds only the new key."""
    with _state() as state, state.audited("vault_rotate", "vault") as note:
        path = state.settings.resolved_vault_key_path
        vault = state.vault()
        old_ids = ", ".join(vault.key_ring.key_ids)
        count = vault.rotate(path)
        new_id = vault.key_ring.current_key_id
        note(f"{count} entries re-encrypted; key {old_ids} -> {new_id}")
    typer.echo(f"re-encrypted {count} credentials with the new key {new_id} in {path}")
    typer.echo("Back up the new key file now: backups of the old key cannot read the vault.")


# ---------------------------------------------------------------------------------- plumbing


@dataclass
class _State:
    """What a command works on: settings, the migrated state DB, a clock, the actor."""

    settings: Settings
    engine: Engine
    clock: Clock
    actor: str

    def vault(self) -> CredentialVault:
        from core.security.vault import CredentialVault
        from core.security.vault_key import load_key_ring

        ring = load_key_ring(self.settings.resolved_vault_key_path)
        return CredentialVault(self.engine, ring, self.clock)

    @contextmanager
    def audited(self, action: str, target: str) -> Iterator[Callable[[str], None]]:
        """Record ``action`` on ``target``: OK with the detail noted, or FAILED with the error
        (errors of the vault name entries and files, never secrets)."""
        detail: list[str] = []
        try:
            yield detail.append
        except NocError as exc:
            self._record(action, target, True, "; ".join([*detail, str(exc)]))
            raise
        self._record(action, target, False, "; ".join(detail) or None)

    def _record(self, action: str, target: str, failed: bool, detail: str | None) -> None:
        from core.security.audit_trail import AuditEvent, AuditOutcome, AuditTrail

        outcome = AuditOutcome.FAILED if failed else AuditOutcome.OK
        AuditTrail(self.engine, self.clock).append(
            AuditEvent(
                actor=self.actor,
                action=action,
                outcome=outcome,
                target=target,
                detail=detail,
                client="cli",
            )
        )


@contextmanager
def _state() -> Iterator[_State]:
    from core.state.db import migrate_to_head, open_state_engine

    settings = load_settings()
    engine = open_state_engine(settings.resolved_state_db_url)
    try:
        migrate_to_head(engine)
        yield _State(settings, engine, SystemClock(), f"cli:{_login()}")
    finally:
        engine.dispose()


def _store(kind: str, name: str, credential: SnmpV2cCredential | SshCredential, what: str) -> None:
    with _state() as state, state.audited("vault_set", f"{kind}/{name}") as note:
        vault = state.vault()
        vault.put(kind, name, credential)
        note(f"stored {what}")
    typer.echo(f"stored {kind}/{name} in the vault (key {vault.key_ring.current_key_id})")


def _read_secrets(*labels: str) -> list[str]:
    """One secret a line from standard input (a hidden prompt each when it is a terminal)."""
    values: list[str] = []
    for label in labels:
        if sys.stdin.isatty():
            value = str(typer.prompt(label, hide_input=True, err=True))
        else:
            value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise CredentialError(f"no {label} on standard input")
        values.append(value)
    return values


def _key_ids_on_file(path: Path) -> tuple[str, ...] | None:
    from core.security.vault_key import load_key_ring

    try:
        return load_key_ring(path).key_ids
    except VaultError as exc:
        typer.echo(f"note: {exc}", err=True)
        return None


def _entry_json(entry: VaultEntry, key_ids: tuple[str, ...] | None) -> dict[str, object]:
    return {
        "kind": entry.kind.value,
        "name": entry.name,
        "key_id": entry.key_id,
        "key_in_key_file": None if key_ids is None else entry.key_id in key_ids,
        "updated_at": entry.updated_at.isoformat(),
    }


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment nor the password database
        return "unknown"


if __name__ == "__main__":
    vault_app(prog_name="ssnoc vault")
