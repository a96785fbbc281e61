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
