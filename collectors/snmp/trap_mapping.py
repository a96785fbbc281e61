"""Which SNMP notification means what: decoded varbinds → :class:`core.events.TrapReceived`.

Pure: no sockets, no SNMP library. The trap receiver (:mod:`collectors.snmp.traps`) hands over a
notification as plain strings — OIDs dotted without a leading dot, values rendered as text — in the
SNMPv2 shape (``sysUpTime.0``, ``snmpTrapOID.0``, then the rest; SNMPv1 traps are converted to it
by RFC 3584 first). The mapping file (``traps.yaml``, data) says, per trap OID, the event kind and
which varbinds carry the interface:

.. code-block:: yaml

    traps:
      - oid: 1.3.6.1.6.3.1.1.5.3          # IF-MIB linkDown
        kind: linkDown
        if_index: [{oid: 1.3.6.1.2.1.2.2.1.1}, {oid: 1.3.6.1.2.1.2.2.1.2, take: instance}]
        if_name: [{oid: 1.3.6.1.2.1.31.1.1.1.1}, {oid: 1.3.6.1.2.1.2.2.1.2}]

A source names a column (or a scalar); it matches the first varbind at or below that OID. ``take:
value`` (the default) takes the varbind's value, ``take: instance`` the OID's index below the
column (``ifDescr.7`` → ``7``). Sources are tried in order; the first that yields wins. A trap OID
the file does not name becomes kind ``raw`` with every varbind kept.

``snmpTrapCommunity.0`` — which RFC 3584 adds to a converted v1 trap and a proxy may forward — is
never kept: it is the sender's community, a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from collectors.snmp.transport import is_under, normalise_oid
from core.errors import ConfigError, MalformedResponse, NocError
from core.events import TrapReceived
from core.yaml_source import load_located_yaml

DEFAULT_MAPPING_PATH = Path(__file__).with_name("traps.yaml")

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SNMP_TRAP_COMMUNITY = "1.3.6.1.6.3.18.1.4.0"
RAW_KIND = "raw"

TrapVersion = Literal["v1", "v2c", "v3"]
TextVarBind = tuple[str, str]
"""An OID (dotted, no leading dot) and its value rendered as text."""

_SECRET_OIDS = frozenset({SNMP_TRAP_COMMUNITY})
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


def _oid(value: str) -> str:
    return normalise_oid(value)


def _kind(value: str) -> str:
    if not _KIND.match(value):
        raise ValueError("a kind is a name: letters, digits, '_', '.', '-', starting with a letter")
    if value == RAW_KIND:
        raise ValueError(f"{RAW_KIND!r} is what unknown traps become: name the trap's meaning")
    return value


Oid = Annotated[str, AfterValidator(_oid)]
Kind = Annotated[str, AfterValidator(_kind)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VarBindSource(_Strict):
    """Where in a trap's varbinds one field may be found."""

    oid: Oid
    """A column or scalar: the first varbind at or below this OID is used."""
    take: Literal["value", "instance"] = "value"
    """``value``: the varbind's value; ``instance``: the index below ``oid`` in its OID."""

    def find(self, varbinds: Sequence[TextVarBind]) -> str | None:
        for name, value in varbinds:
            if name == self.oid:
                return value if self.take == "value" else None
            if is_under(name, self.oid):
                return value if self.take == "value" else name[len(self.oid) + 1 :]
        return None


class TrapRule(_Strict):
    """One trap OID and what it means."""

    oid: Oid
    """The notification's OID (``snmpTrapOID.0``; a v1 trap's is ``enterprise.0.specific``)."""
    kind: Kind
    """The event's kind: linkDown, coldStart, … or a vendor notification's MIB name."""
    name: str | None = None
    """The notification's MIB name, for people, when ``kind`` differs from it."""
    if_index: tuple[VarBindSource, ...] = ()
    """Where the ifIndex is, in order of preference."""
    if_name: tuple[VarBindSource, ...] = ()
    """Where the interface name (ifName, ifDescr) is, in order of preference."""

    def if_index_of(self, varbinds: Sequence[TextVarBind]) -> int | None:
        for source in self.if_index:
            text = source.find(varbinds)
            if text is not None and text.isdigit() and int(text) > 0:
                return int(text)
        return None

    def if_name_of(self, varbinds: Sequence[TextVarBind]) -> str | None:
        for source in self.if_name:
            text = source.find(varbinds)
            if text:
                return text
        return None


class TrapMappingFile(_Strict):
    sources: dict[str, tuple[VarBindSource, ...]] = Field(default_factory=dict)
    """Named source lists, for the rules to share through YAML anchors."""
    traps: tuple[TrapRule, ...] = Field(min_length=1)


class TrapMapping:
    """Trap OIDs → rules; turns decoded notifications into events."""

    def __init__(self, rules: Iterable[TrapRule]) -> None:
        self._rules = {rule.oid: rule for rule in rules}

    def __len__(self) -> int:
        return len(self._rules)

    @property
    def rules(self) -> tuple[TrapRule, ...]:
        """Every rule, in file order."""
        return tuple(self._rules.values())

    def rule_for(self, trap_oid: str) -> TrapRule | None:
        """The rule for ``trap_oid``, or None when the trap is unknown."""
        return self._rules.get(trap_oid)

    def to_event(
        self,
        *,
        at: datetime,
        source_address: str,
        device_id: str | None,
        version: TrapVersion,
        varbinds: Sequence[TextVarBind],
    ) -> TrapReceived:
        """The event for one notification; :class:`MalformedResponse` when it has no trap OID."""
        kept = tuple((oid, value) for oid, value in varbinds if oid not in _SECRET_OIDS)
        trap_oid = trap_oid_of(kept)
        if trap_oid is None:
            raise MalformedResponse(source_address, "notification without snmpTrapOID.0")
        rule = self.rule_for(trap_oid)
        if rule is None:
            return TrapReceived(
                at=at,
                source_address=source_address,
                device_id=device_id,
                kind=RAW_KIND,
                trap_oid=trap_oid,
                varbinds=kept,
                version=version,
            )
        return TrapReceived(
            at=at,
            source_address=source_address,
            device_id=device_id,
            kind=rule.kind,
            trap_oid=trap_oid,
            varbinds=kept,
            version=version,
            if_index=rule.if_index_of(kept),
            if_name=rule.if_name_of(kept),
        )


def trap_oid_of(varbinds: Sequence[TextVarBind]) -> str | None:
    """The value of ``snmpTrapOID.0`` (normally the second varbind), if it is an OID."""
    for oid, value in varbinds:
        if oid == SNMP_TRAP_OID:
            try:
                return normalise_oid(value)
            except ValueError:
                return None
    return None


def octets_as_text(octets: bytes) -> str:
    """An OCTET STRING as text when it is printable UTF-8 (trailing NULs dropped), else ``0x…``."""
    try:
        text = octets.rstrip(b"\x00").decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + octets.hex()
    if (text or not octets) and all(char.isprintable() or char in "\t\r\n" for char in text):
        return text
    return "0x" + octets.hex()


def load_trap_mapping(path: Path = DEFAULT_MAPPING_PATH) -> TrapMapping:
    """Read and validate a mapping file; :class:`ConfigError` names the file, line and field."""
    if path == DEFAULT_MAPPING_PATH:
        return _default_mapping()
    return _load(path)


@cache
def _default_mapping() -> TrapMapping:
    return _load(DEFAULT_MAPPING_PATH)


def _load(path: Path) -> TrapMapping:
    try:
        located = load_located_yaml(path)
        parsed = located.validate(TrapMappingFile)
        first_at: dict[str, int] = {}
        for position, rule in enumerate(parsed.traps):
            if rule.oid in first_at:
                where = f"traps[{first_at[rule.oid]}]"
                raise located.error(("traps", position, "oid"), f"mapped already at {where}")
            first_at[rule.oid] = position
    except NocError as exc:
        raise ConfigError(f"bad trap mapping {exc}") from None
    return TrapMapping(parsed.traps)
