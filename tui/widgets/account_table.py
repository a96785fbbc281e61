"""Local accounts: who may log in, with what privilege, how the password is kept and how old it
is, sudo rules and keys. Privileged rows stand out; a weakly kept password is red."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from tui.api_models import DeviceAccount
from tui.units import MISSING, format_age
from tui.widgets.keyed_table import Column, KeyedTable, Row

_CSS = Path(__file__).with_suffix(".tcss").read_text(encoding="utf-8")

PRIVILEGED_STYLE = "bold magenta"
WEAK_PASSWORDS = frozenset({"simple", "plaintext", "cipher", "type7", "7", "0", "none"})
"""Kept so that it can be read back (reversible ciphers, type 7) or not kept at all."""
_INACTIVE = frozenset({"blocked", "locked", "disabled", "expired"})
_DIM = "bright_black"


def _cell(value: str | None, style: str = "") -> Text:
    return Text(MISSING, style=_DIM) if not value else Text(value, style=style)


def account_cells(account: DeviceAccount, now: datetime | None) -> tuple[Text, ...]:
    lead = PRIVILEGED_STYLE if account.privileged else ""
    password = account.password_type
    state = account.state
    return (
        _cell(account.name, lead),
        _cell(account.privilege, lead),
        _cell(account.origin.value, _DIM),
        _cell(password, "red bold" if password in WEAK_PASSWORDS else ""),
        _cell(format_age(account.password_changed_at, now), ""),
        _cell("; ".join(account.sudo), lead),
        Text(
            str(len(account.authorized_keys)) if account.authorized_keys else MISSING,
            style="" if account.authorized_keys else _DIM,
            justify="right",
        ),
        _cell(state, _DIM if state in _INACTIVE else ""),
        _cell(",".join(account.service_types), ""),
    )


def _key(account: DeviceAccount) -> str:
    return f"{account.device_id}\t{account.name}\t{account.origin.value}"


_ACCOUNT_COLUMNS = (
    Column("name", "NAME"),
    Column("privilege", "PRIVILEGE"),
    Column("origin", "ORIGIN"),
    Column("password", "PASSWORD"),
    Column("changed", "PW CHANGED"),
    Column("sudo", "SUDO"),
    Column("keys", "KEYS"),
    Column("state", "STATE"),
    Column("services", "SERVICES"),
)


class AccountTable(KeyedTable):
    """One device's accounts."""

    DEFAULT_CSS = KeyedTable.DEFAULT_CSS + _CSS

    COLUMNS: ClassVar[tuple[Column, ...]] = _ACCOUNT_COLUMNS

    def show(self, accounts: Sequence[DeviceAccount], now: datetime | None) -> None:
        self.set_rows([Row(_key(a), account_cells(a, now)) for a in accounts])

    @staticmethod
    def device_of(key: str) -> str:
        return key.split("\t", 1)[0]


class FleetAccountTable(AccountTable):
    """Accounts of many devices: the device first."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open device"),
    ]

    COLUMNS: ClassVar[tuple[Column, ...]] = (Column("device", "DEVICE"), *_ACCOUNT_COLUMNS)

    def show(self, accounts: Sequence[DeviceAccount], now: datetime | None) -> None:
        self.set_rows([Row(_key(a), (Text(a.device_id), *account_cells(a, now))) for a in accounts])
