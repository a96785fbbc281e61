"""What the trap receiver is told: where to listen, which communities and SNMPv3 users to believe,
and what it counts. Plain pydantic, no pysnmp: settings and the CLI build these without loading
the SNMP engine."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from core.credentials import SnmpV2cCredential, SnmpV3Credential

DEFAULT_TRAP_PORT = 1162
DEFAULT_RCVBUF_BYTES = 4 * 1024 * 1024


def secret_text(value: Any) -> str:
    """A SecretStr's value, or "" for None (for the engine's key tables, never for logs)."""
    return "" if value is None else str(value.get_secret_value())


def _engine_id(value: str) -> str:
    text = value.strip().lower().removeprefix("0x").replace(":", "")
    try:
        size = len(bytes.fromhex(text))
    except ValueError:
        raise ValueError("an engine ID is hex digits (0x80000000…)") from None
    if not 5 <= size <= 32:
        raise ValueError("an engine ID is 5 to 32 octets")
    return text


EngineId = Annotated[str, AfterValidator(_engine_id)]
"""An SNMP engine ID in hex (``0x`` and colons allowed), stored as plain lower-case hex."""


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TrapV3User(_Config):
    """One SNMPv3 user that may send traps and informs."""

    credential: SnmpV3Credential
    """The USM user name, protocols and keys."""
    engine_ids: tuple[EngineId, ...] = ()
    """Engine IDs of the agents that send *traps* as this user (keys are localized per sender)."""
    informs: bool = True
    """Accept informs from this user (keyed to the receiver's engine ID; one per user name)."""

    @model_validator(mode="after")
    def _keys_match_protocols(self) -> Self:
        cred = self.credential
        if cred.auth_protocol is not None and len(secret_text(cred.auth_key)) < 8:
            raise ValueError(f"v3 user {cred.user!r}: an auth key of at least 8 characters")
        if cred.priv_protocol is not None:
            if cred.auth_protocol is None:
                raise ValueError(f"v3 user {cred.user!r}: privacy needs authentication")
            if len(secret_text(cred.priv_key)) < 8:
                raise ValueError(f"v3 user {cred.user!r}: a priv key of at least 8 characters")
        return self


class TrapReceiverConfig(_Config):
    """Where the receiver listens and whom it believes."""

    listen_address: str = "0.0.0.0"  # noqa: S104 - agents send from every network
    """Address to listen on (IPv4 or IPv6)."""
    port: int = Field(default=DEFAULT_TRAP_PORT, ge=0, le=65535)
    """UDP port; 0 picks a free one (tests). 162 needs root or CAP_NET_BIND_SERVICE."""
    communities: tuple[SnmpV2cCredential, ...] = ()
    """v1/v2c communities accepted; a trap with any other community is dropped."""
    v3_users: tuple[TrapV3User, ...] = ()
    """SNMPv3 users accepted."""
    engine_id: EngineId | None = None
    """The receiver's own engine ID (what inform senders discover); default: pysnmp makes one."""
    rcvbuf_bytes: int = Field(default=DEFAULT_RCVBUF_BYTES, ge=64 * 1024)
    """Socket receive buffer: room for a storm while the loop is busy (root may exceed
    net.core.rmem_max; others get at most that)."""

    @model_validator(mode="after")
    def _one_key_set_per_user_and_engine(self) -> Self:
        if not self.communities and not self.v3_users:
            raise ValueError("configure at least one community or SNMPv3 user")
        seen: set[tuple[str, str | None]] = set()
        for entry in self.v3_users:
            user = entry.credential.user
            keys: list[tuple[str, str | None]] = [(user, eid) for eid in entry.engine_ids]
            keys += [(user, None)] if entry.informs else []
            for key in keys:
                if key in seen:
                    where = f"engine ID {key[1]}" if key[1] else "informs"
                    raise ValueError(f"v3 user {key[0]!r} is configured twice for {where}")
                seen.add(key)
        return self


@dataclass(frozen=True, slots=True)
class TrapStats:
    """Datagrams by outcome since start; ``received`` is the sum of the five outcomes."""

    received: int = 0
    decoded: int = 0
    """Notifications accepted and published."""
    malformed: int = 0
    auth_failed: int = 0
    discovery: int = 0
    """SNMPv3 engine-ID discovery and time synchronisation by inform senders."""
    ignored: int = 0
    """Decodable SNMP that is not a notification (a GET sent to the trap port, a stray report)."""
    unknown_source: int = 0
    """Of ``decoded``: sent from an address that maps to no device (published with no device)."""

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
