"""Named permissions and the roles that grant them.

A role is a fixed set of permissions; a user holds roles *for a scope* (see :mod:`.scope`).
Every API route declares exactly one permission (or is declared public), and a test generated
over every route × every role proves it.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """What a role can allow. The value is what the audit trail and the API print."""

    READ_INVENTORY = "read_inventory"
    """Regions, sites, devices, interfaces, links and their state."""
    READ_METRICS = "read_metrics"
    """Figures over time from the metric store."""
    READ_CONFIGS = "read_configs"
    """Configuration versions (scrubbed), diffs and backup status."""
    READ_ACCOUNTS = "read_accounts"
    """Local accounts of devices and hosts."""
    READ_SSH_FACTS = "read_ssh_facts"
    """CLI facts, host services and pinned SSH host keys."""
    BACKUP_DEVICES = "backup_devices"
    """Back a device's configuration up now (connects to the device)."""
    ACKNOWLEDGE_ALERTS = "acknowledge_alerts"
    """Take and give back alerts; read the notification log (who was told what)."""
    MANAGE_SILENCES = "manage_silences"
    """Silences, maintenance windows and on-call overrides (shift swaps)."""
    RUN_RUNBOOKS = "run_runbooks"
    APPROVE_RUNBOOKS = "approve_runbooks"
    """Approve a runbook run that needs a second person."""
    READ_TERMINALS = "read_terminals"
    """Card terminals and their health."""
    PROVISION_TERMINALS = "provision_terminals"
    """Register and provision card terminals."""
    RELEASE_PSAM_BINDINGS = "release_psam_bindings"
    """Release the PSAM binding of a lost terminal."""
    MANAGE_ROLLOUTS = "manage_rollouts"
    """Create, start, pause, resume and roll back terminal rollouts."""
    READ_USERS = "read_users"
    """NOC users, their roles, scopes and tokens (never their secrets)."""
    MANAGE_USERS = "manage_users"
    """Create, disable, reset users; grant and revoke roles."""
    READ_AUDIT = "read_audit"
    """Search, export and verify the audit trail."""
    READ_SECURITY_REPORTS = "read_security_reports"
    """The access review and the device/host account audit."""
    MANAGE_CREDENTIALS = "manage_credentials"
    """Device credentials in the vault (names only are ever shown)."""
    USE_CONSOLE = "use_console"
    """Record one's own console actions in the audit trail (every role has it)."""


class Role(StrEnum):
    ADMIN = "admin"
    NETWORK_ENGINEER = "network_engineer"
    ONCALL = "oncall"
    SECURITY_OFFICER = "security_officer"
    FIELD_TECHNICIAN = "field_technician"
    VIEWER = "viewer"


_P = Permission
_EVERYONE = frozenset({_P.READ_INVENTORY, _P.READ_METRICS, _P.READ_TERMINALS, _P.USE_CONSOLE})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.NETWORK_ENGINEER: _EVERYONE
    | {
        _P.READ_CONFIGS,
        _P.READ_SSH_FACTS,
        _P.BACKUP_DEVICES,
        _P.ACKNOWLEDGE_ALERTS,
        _P.MANAGE_SILENCES,
        _P.RUN_RUNBOOKS,
        _P.APPROVE_RUNBOOKS,
        _P.MANAGE_ROLLOUTS,
    },
    Role.ONCALL: _EVERYONE
    | {_P.READ_SSH_FACTS, _P.ACKNOWLEDGE_ALERTS, _P.MANAGE_SILENCES, _P.RUN_RUNBOOKS},
    Role.SECURITY_OFFICER: _EVERYONE
    | {
        _P.READ_CONFIGS,
        _P.READ_ACCOUNTS,
        _P.READ_SSH_FACTS,
        _P.READ_USERS,
        _P.READ_AUDIT,
        _P.READ_SECURITY_REPORTS,
        _P.RELEASE_PSAM_BINDINGS,
    },
    Role.FIELD_TECHNICIAN: _EVERYONE | {_P.PROVISION_TERMINALS},
    Role.VIEWER: _EVERYONE,
}
"""Which permissions each role grants. Written out, not inherited, so a review reads it as is."""


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


def roles_granting(permission: Permission) -> list[Role]:
    """The roles that grant ``permission`` (for the access review: who can approve runbooks…)."""
    return [role for role in Role if permission in ROLE_PERMISSIONS[role]]
