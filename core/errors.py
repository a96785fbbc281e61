"""The one error tree of ssnoc.

Vendor exceptions are translated where they enter (``raise DeviceTimeout(...) from exc``), so every
layer above a seam speaks only in these terms. A user is shown ``str(error)``, never a traceback.

    NocError
    ├── ConfigError                  settings file or environment variable is wrong
    ├── InventoryError               inventory or credentials file is wrong (file, line, field)
    ├── CredentialError              a credential reference cannot be resolved
    ├── StoreError                   state DB or metric store failed
    │   └── MigrationError           the state DB schema could not be brought to head
    ├── NotFound                     an object asked for does not exist
    ├── LabError                     the simulated province cannot be built, started or stopped
    ├── AccessError                  who is asking may not do this
    │   ├── AuthenticationFailed     wrong user name, password or token; expired token
    │   │   └── AccountLocked        too many failed logins: locked until a time
    │   ├── RateLimited              too many attempts from one place: retry after a time
    │   └── PermissionDenied         authenticated, but no role grants this here
    ├── VaultError                   the credentials vault cannot be opened, read or re-keyed
    └── DeviceError                  talking to one device failed (carries the device/target)
        ├── DeviceUnreachable        nothing answered: timeout after retries, or refused
        │   └── DeviceTimeout
        ├── DeviceAuthError          wrong community, unknown v3 user, bad keys
        └── MalformedResponse        the device answered, but with bytes we cannot decode
"""

from __future__ import annotations


class NocError(Exception):
    """Root of every error ssnoc raises on purpose."""


class ConfigError(NocError):
    """The settings file or an ``SSNOC_*`` variable is wrong."""


class InventoryError(NocError):
    """An inventory or credentials file is wrong; the message names the file, line and field."""

    def __init__(self, path: str, line: int | None, field: str | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.reason = reason
        where = path if line is None else f"{path}:{line}"
        what = f"field '{field}': " if field else ""
        super().__init__(f"{where}: {what}{reason}")


class CredentialError(NocError):
    """A credential reference names nothing, or its secret is unusable."""


class StoreError(NocError):
    """The state DB or the metric store failed."""


class MigrationError(StoreError):
    """The state DB schema could not be brought to the current revision."""


class NotFound(NocError):
    """The object asked for does not exist (or is not visible to the asker)."""


class LabError(NocError):
    """The simulated province cannot be built, started or stopped."""


class AccessError(NocError):
    """Who is asking may not do this (not authenticated, locked out, rate limited, not allowed)."""


class AuthenticationFailed(AccessError):
    """Wrong user name or password, an unknown, revoked or expired token, a disabled user.

    The message never says which part was wrong, so it cannot be used to find user names."""


class AccountLocked(AuthenticationFailed):
    """Too many failed logins in a row; logins are refused until ``until``."""

    def __init__(self, until_iso: str) -> None:
        self.until_iso = until_iso
        super().__init__(f"account locked after repeated failed logins, until {until_iso}")


class RateLimited(AccessError):
    """Too many attempts from one client; try again after ``retry_after_s`` seconds."""

    def __init__(self, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"too many attempts: retry in {retry_after_s:.0f} s")


class PermissionDenied(AccessError):
    """Authenticated, but no role of the user grants the permission in that scope."""


class VaultError(NocError):
    """The credentials vault cannot be opened (key file missing, wrong key) or changed."""


class DeviceError(NocError):
    """Talking to one device failed. ``target`` says which one (id or host:port)."""

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(f"{target}: {reason}")


class DeviceUnreachable(DeviceError):
    """Nothing answered."""


class DeviceTimeout(DeviceUnreachable):
    """No answer within the timeout, after every retry."""


class DeviceAuthError(DeviceError):
    """The device refused our credentials (wrong community, unknown v3 user, bad keys)."""


class MalformedResponse(DeviceError):
    """The device answered with something that cannot be decoded or makes no sense."""
