"""What an operator would do by hand when a new network is handed over, done for the lab.

After ``ssnoc lab up`` the NOC gets the lab's device secrets into its encrypted vault (creating
the vault key on first use) and a NOC user for each person the lab models — an administrator, a
security officer, on-call staff, a network engineer per city, a field technician per city's first
county. Their passwords are random, written once to ``<lab dir>/noc-users.txt`` (mode 0600) for
the person trying the lab; nothing has a default password. Every step is in the audit trail,
with ``lab`` as the actor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from core.clock import Clock, SystemClock
from core.errors import NotFound
from core.security.audit_trail import AuditEvent, AuditOutcome, AuditTrail
from core.security.passwords import temporary_password
from core.security.principal import Grant
from core.security.users import UserDirectory
from core.security.vault import CredentialVault
from core.security.vault_key import create_key_file, load_key_ring
from core.settings import Settings
from core.state.db import migrate_to_head, open_state_engine
from lab.account_policy import LabNocUser, lab_noc_users
from lab.files import read_province
from lab.state import LabState, lab_dir_of

USERS_FILE = "noc-users.txt"
ACTOR = "lab"


@dataclass(frozen=True)
class LabEnrollment:
    secrets_imported: int
    users_created: int
    users_file: Path


def enroll_lab(settings: Settings, state: LabState, clock: Clock | None = None) -> LabEnrollment:
    """Vault the lab's credentials and create its NOC users (kept ones keep their password)."""
    clock = clock or SystemClock()
    engine = open_state_engine(settings.resolved_state_db_url)
    try:
        migrate_to_head(engine)
        trail = AuditTrail(engine, clock)
        imported = _vault_credentials(settings, state, engine, clock, trail)
        users = UserDirectory(engine, clock, settings.auth)
        path = state.lab_dir / USERS_FILE
        known = _read_users_file(path)
        province = read_province(state.province_path)
        wanted = lab_noc_users(province)
        created = 0
        lines = []
        for person in wanted:
            password = known.get(person.username)
            if not _usable(users, person, password):
                password = temporary_password(settings.auth.password_min_length, person.username)
                created += _create_or_reset(users, person, password, trail)
            lines.append(f"{person.username}\t{person.role.value}@{person.scope_code}\t{password}")
        _write_users_file(path, lines)
    finally:
        engine.dispose()
    return LabEnrollment(secrets_imported=imported, users_created=created, users_file=path)


def _vault_credentials(
    settings: Settings, state: LabState, engine: Engine, clock: Clock, trail: AuditTrail
) -> int:
    key_path = settings.resolved_vault_key_path
    ring = load_key_ring(key_path) if key_path.exists() else create_key_file(key_path)
    vault = CredentialVault(engine, ring, clock)
    counts = vault.import_file(state.credentials_path)
    total = counts.snmp + counts.ssh
    trail.append(
        AuditEvent(
            actor=ACTOR,
            action="vault_import",
            outcome=AuditOutcome.OK,
            target="vault",
            client="lab",
            detail=f"{counts.snmp} SNMP and {counts.ssh} SSH credentials of the lab",
        )
    )
    return total


def _usable(users: UserDirectory, person: LabNocUser, password: str | None) -> bool:
    """The user exists with the password on file (checked by logging in would lock on a
    mismatch; the file is the lab's own record, so existence and a recorded password suffice)."""
    if password is None:
        return False
    try:
        user = users.get(person.username)
    except NotFound:
        return False
    return not user.disabled and Grant(person.role, person.scope_code) in user.grants


def _create_or_reset(
    users: UserDirectory, person: LabNocUser, password: str, trail: AuditTrail
) -> int:
    try:
        users.get(person.username)
    except NotFound:
        users.create_user(
            person.username,
            password,
            display_name=person.display_name,
            grants=(Grant(person.role, person.scope_code),),
            created_by=ACTOR,
        )
        _audit(trail, "user_create", person, f"{person.role.value}@{person.scope_code}")
        return 1
    temporary = users.reset_password(person.username, by=ACTOR)
    users.change_password(person.username, temporary, password)
    users.set_disabled(person.username, False, by=ACTOR)
    if Grant(person.role, person.scope_code) not in users.get(person.username).grants:
        users.grant(person.username, person.role, person.scope_code, by=ACTOR)
    _audit(trail, "user_reset_password", person, "lab password renewed")
    return 0


def _audit(trail: AuditTrail, action: str, person: LabNocUser, detail: str) -> None:
    trail.append(
        AuditEvent(
            actor=ACTOR,
            action=action,
            outcome=AuditOutcome.OK,
            target=person.username,
            client="lab",
            detail=detail,
        )
    )


def _read_users_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    known: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and not line.startswith("#"):
            known[parts[0]] = parts[2]
    return known


def _write_users_file(path: Path, lines: list[str]) -> None:
    header = "# The lab's NOC users: user name, role@scope, password (lab only; mode 0600)\n"
    write_private_file(path, header + "\n".join(lines) + "\n")


def write_private_file(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, readable by its owner only (mode 0600) from the first
    byte, and whole or not at all (written beside it, then renamed)."""
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)


def lab_password(settings: Settings, username: str) -> str | None:
    """A lab user's password from the lab's users file (None: not a lab user, or no lab)."""
    return _read_users_file(lab_dir_of(settings.data_dir) / USERS_FILE).get(username)
