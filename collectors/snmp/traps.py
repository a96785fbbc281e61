"""The trap receiver: SNMP v1/v2c/v3 traps and informs on one UDP port → ``TrapReceived`` events.

The pysnmp 7 adapter (one ``SnmpEngine`` per receiver, on the running asyncio loop). Every datagram
is handled synchronously as it arrives and ends in exactly one counter of :class:`TrapStats`:
``decoded`` (published), ``malformed`` (undecodable, or a notification without a trap OID),
``auth_failed`` (unknown community, unknown v3 user or engine ID, wrong digest, undecryptable),
``discovery`` (an inform sender learning our engine ID and clock: normal, answered by pysnmp) or
``ignored`` (decodable but not a notification). pysnmp reports how it dropped a message only in its
own MIB counters (``snmpInASNParseErrs``, ``usmStatsWrongDigests``, …), so those are compared
before and after each datagram. Nothing a sender does is fatal: pyasn1 raises assorted exceptions
on some garbage, and they end in ``malformed``.

SNMPv3 traps are authenticated with keys localized to the *sender's* engine ID, so each v3 user is
configured with the engine IDs of the agents that use it (``engine_ids``). An inform carries the
*receiver's* engine ID (the sender discovers it first), so a v3 user answers informs without any
per-sender configuration.

Communities and keys are never logged; ``snmpTrapCommunity.0`` is dropped from events.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import warnings
from collections.abc import Callable
from typing import Any

from collectors.snmp.pysnmp_transport import USM_AUTH_PROTOCOLS, USM_PRIV_PROTOCOLS
from collectors.snmp.trap_config import (
    TrapReceiverConfig,
    TrapStats,
    secret_text,
)
from collectors.snmp.trap_mapping import (
    TextVarBind,
    TrapMapping,
    TrapVersion,
    load_trap_mapping,
    octets_as_text,
)
from core.clock import Clock, SystemClock
from core.credentials import SnmpV3Credential
from core.errors import ConfigError, MalformedResponse
from core.events import Event

with warnings.catch_warnings():
    # pysnmp 7.1 imports names pysmi deprecates: nothing of ours can act on that (see
    # pysnmp_transport), and with warnings as errors the import itself would fail.
    warnings.filterwarnings("ignore", r".* is deprecated\. Please use ", DeprecationWarning)
    from pyasn1.type import univ
    from pysnmp.carrier.asyncio.dgram import udp, udp6
    from pysnmp.entity import config as snmp_config
    from pysnmp.entity.engine import SnmpEngine
    from pysnmp.entity.rfc3413.ntfrcv import NotificationReceiver
    from pysnmp.proto import rfc1902

log = logging.getLogger(__name__)

_VERSIONS: dict[int, TrapVersion] = {0: "v1", 1: "v2c", 3: "v3"}
# Linux's SO_RCVBUFFORCE (33), which Python's socket module does not name: with CAP_NET_ADMIN
# it passes net.core.rmem_max, which is often a few hundred KiB — a second of a trap storm.
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33 if sys.platform == "linux" else None)

# pysnmp's own counters (MIB module → names), by what a rise means for the datagram just handled.
_OUTCOME_COUNTERS: dict[str, dict[str, tuple[str, ...]]] = {
    "malformed": {
        "__SNMPv2-MIB": ("snmpInASNParseErrs", "snmpInBadVersions", "snmpInGenErrs"),
        "__SNMP-MPD-MIB": ("snmpInvalidMsgs", "snmpUnknownSecurityModels"),
    },
    "auth_failed": {
        "__SNMPv2-MIB": ("snmpInBadCommunityNames", "snmpInBadCommunityUses"),
        "__SNMP-USER-BASED-SM-MIB": (
            "usmStatsUnknownUserNames",
            "usmStatsWrongDigests",
            "usmStatsDecryptionErrors",
            "usmStatsUnsupportedSecLevels",
        ),
    },
    "discovery": {
        "__SNMP-USER-BASED-SM-MIB": ("usmStatsUnknownEngineIDs", "usmStatsNotInTimeWindows"),
    },
}


class TrapReceiver:
    """Receives notifications on one UDP port and publishes a ``TrapReceived`` for each."""

    def __init__(
        self,
        settings: TrapReceiverConfig,
        publish: Callable[[Event], None],
        device_for_address: Callable[[str], str | None],
        *,
        mapping: TrapMapping | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._settings = settings
        self._publish = publish
        self._device_for_address = device_for_address
        self._mapping = mapping if mapping is not None else load_trap_mapping()
        self._clock = clock or SystemClock()
        self._counts = dict.fromkeys(TrapStats.__slots__, 0)
        self._engine: Any = None
        self._domain: tuple[int, ...] = ()
        self._pysnmp_counters: _PysnmpCounters | None = None
        self._port = 0
        self._rcvbuf_bytes = 0
        # Set while one datagram is being handled (all of it runs synchronously).
        self._source = ""
        self._version: TrapVersion = "v2c"
        self._delivered = False

    @property
    def port(self) -> int:
        """The UDP port actually bound (useful after asking for port 0)."""
        if self._engine is None:
            raise RuntimeError("the trap receiver is not started")
        return self._port

    @property
    def receive_buffer_bytes(self) -> int:
        """The socket's receive buffer as the kernel granted it."""
        return self._rcvbuf_bytes

    def stats(self) -> TrapStats:
        """A snapshot of the counters."""
        return TrapStats(**self._counts)

    async def start(self) -> None:
        """Bind the port and start receiving; :class:`ConfigError` when the port is unusable."""
        if self._engine is not None:
            raise RuntimeError("the trap receiver is already started")
        sock = self._bind()
        try:
            engine = self._engine = _new_engine(self._settings)
            ipv6 = sock.family == socket.AF_INET6
            tap = (_Udp6Tap if ipv6 else _UdpTap)(self._on_datagram)
            self._domain = udp6.DOMAIN_NAME if ipv6 else udp.DOMAIN_NAME
            snmp_config.add_transport(engine, self._domain, tap)
            engine.observer.register_observer(self._on_request, "rfc3412.receiveMessage:request")
            NotificationReceiver(engine, self._on_notification)
            self._pysnmp_counters = _PysnmpCounters(engine)
            await asyncio.get_running_loop().create_datagram_endpoint(lambda: tap, sock=sock)
        except BaseException:
            sock.close()
            await self.stop()
            raise
        log.info(
            "listening for SNMP traps on %s:%d (receive buffer %d bytes)",
            self._settings.listen_address,
            self._port,
            self._rcvbuf_bytes,
        )
        if self._rcvbuf_bytes < self._settings.rcvbuf_bytes:
            log.warning("trap receive buffer capped by net.core.rmem_max: storms will lose traps")

    async def stop(self) -> None:
        """Close the port; counters keep their values."""
        engine, self._engine = self._engine, None
        if engine is None:
            return
        dispatcher = engine.transport_dispatcher
        ticker = getattr(dispatcher, "loopingcall", None)
        engine.close_dispatcher()
        if isinstance(ticker, asyncio.Future):
            await asyncio.gather(ticker, return_exceptions=True)
        await asyncio.sleep(0)  # lets the asyncio transport close its socket

    def _bind(self) -> socket.socket:
        host, port = self._settings.listen_address, self._settings.port
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self._rcvbuf_bytes = _raise_receive_buffer(sock, self._settings.rcvbuf_bytes)
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            hint = " (ports below 1024 need root)" if 0 < port < 1024 else ""
            raise ConfigError(f"cannot listen for traps on {host}:{port}: {exc}{hint}") from None
        sock.setblocking(False)
        self._port = sock.getsockname()[1]
        return sock

    def _on_datagram(self, datagram: bytes, address: tuple[Any, ...]) -> None:
        """One datagram, start to end; exactly one outcome counter moves."""
        counters = self._pysnmp_counters
        if self._engine is None or counters is None:
            return
        self._counts["received"] += 1
        before = counters.read()
        self._source = str(address[0])
        self._delivered = False
        try:
            self._engine.message_dispatcher.receive_message(
                self._engine, self._domain, address, datagram
            )
        except Exception:  # a sender's garbage must never stop the receiver
            log.debug("undecodable datagram from %s", self._source, exc_info=True)
            if not self._delivered:
                self._counts["malformed"] += 1
            return
        if not self._delivered:
            outcome = counters.outcome(before)
            self._counts[outcome] += 1
            if outcome == "auth_failed":
                log.debug("SNMP message from %s refused: wrong community or v3 user", self._source)

    def _on_request(self, engine: Any, execpoint: str, variables: Any, context: Any) -> None:
        self._version = _VERSIONS.get(int(variables["messageProcessingModel"]), "v2c")

    def _on_notification(
        self,
        engine: Any,
        state_reference: Any,
        context_engine_id: Any,
        context_name: Any,
        varbinds: Any,
        context: Any,
    ) -> None:
        self._delivered = True
        source = self._source
        device_id = self._device_for_address(source)
        try:
            event = self._mapping.to_event(
                at=self._clock.now(),
                source_address=source,
                device_id=device_id,
                version=self._version,
                varbinds=[_text_varbind(name, value) for name, value in varbinds],
            )
        except MalformedResponse as exc:
            log.debug("dropped a notification: %s", exc)
            self._counts["malformed"] += 1
            return
        self._counts["decoded"] += 1
        if device_id is None:
            self._counts["unknown_source"] += 1
        try:
            self._publish(event)
        except Exception:  # a subscriber's bug must not stop the receiver
            log.exception("publishing a trap from %s failed", source)


class _PysnmpCounters:
    """pysnmp's drop counters, summed by outcome."""

    def __init__(self, engine: Any) -> None:
        builder = engine.get_mib_builder()
        self._groups = [
            (outcome, [builder.import_symbols(mod, n)[0] for mod, ns in by_mod.items() for n in ns])
            for outcome, by_mod in _OUTCOME_COUNTERS.items()
        ]

    def read(self) -> tuple[int, ...]:
        # pysnmp replaces each instance's syntax on every increment: read it afresh.
        return tuple(sum(int(i.syntax) for i in group) for _, group in self._groups)

    def outcome(self, before: tuple[int, ...]) -> str:
        for (name, _), then, now in zip(self._groups, before, self.read(), strict=True):
            if now != then:
                return name
        return "ignored"


class _TapMixin:
    """Hands each datagram to the receiver at once, instead of pysnmp's ``call_soon``."""

    def __init__(self, on_datagram: Callable[[bytes, Any], None]) -> None:
        super().__init__()
        self._on_datagram = on_datagram

    def datagram_received(self, datagram: bytes, address: Any) -> None:
        self._on_datagram(datagram, address)

    def error_received(self, exc: OSError) -> None:
        # ICMP errors after an inform response: nothing to do; asyncio would log them loudly.
        log.debug("trap socket error: %s", exc)


class _UdpTap(_TapMixin, udp.UdpAsyncioTransport):  # type: ignore[misc]
    pass


class _Udp6Tap(_TapMixin, udp6.Udp6AsyncioTransport):  # type: ignore[misc]
    pass


def _new_engine(settings: TrapReceiverConfig) -> Any:
    engine_id = settings.engine_id
    engine = SnmpEngine(univ.OctetString(hexValue=engine_id)) if engine_id else SnmpEngine()
    for number, community in enumerate(settings.communities):
        # The index is a label only; the secret is the community name.
        snmp_config.add_v1_system(engine, f"trap-{number}", community.community.get_secret_value())
    for entry in settings.v3_users:
        keys = _usm_keys(entry.credential)
        if entry.informs:
            snmp_config.add_v3_user(engine, entry.credential.user, **keys)
        for sender in entry.engine_ids:
            snmp_config.add_v3_user(
                engine,
                entry.credential.user,
                securityEngineId=univ.OctetString(hexValue=sender),
                **keys,
            )
    return engine


def _usm_keys(credential: SnmpV3Credential) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    if credential.auth_protocol is not None:
        keys["authProtocol"] = USM_AUTH_PROTOCOLS[credential.auth_protocol]
        keys["authKey"] = secret_text(credential.auth_key)
    if credential.priv_protocol is not None:
        keys["privProtocol"] = USM_PRIV_PROTOCOLS[credential.priv_protocol]
        keys["privKey"] = secret_text(credential.priv_key)
    return keys


def _raise_receive_buffer(sock: socket.socket, wanted: int) -> int:
    """Ask for ``wanted`` bytes (beyond rmem_max when privileged); the size the kernel granted."""
    try:
        if _SO_RCVBUFFORCE is None:
            raise PermissionError
        sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, wanted)
    except PermissionError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, wanted)
    return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))


def _text_varbind(name: Any, value: Any) -> TextVarBind:
    return str(name), _text(value)


def _text(value: Any) -> str:
    """A varbind value as text: numbers in decimal, strings as text when printable, else hex."""
    # pyasn1's Null (and the v2 exception values) and IpAddress are OctetStrings: test them first.
    if isinstance(value, univ.Null):
        return ""
    if isinstance(value, univ.OctetString) and value.tagSet == rfc1902.IpAddress.tagSet:
        # v1 traps' agent-addr is RFC 1155's IpAddress, another class with the same tag.
        return ".".join(str(octet) for octet in value.asOctets())
    if isinstance(value, univ.OctetString):
        return octets_as_text(bytes(value.asOctets()))
    if isinstance(value, univ.Integer):
        return str(int(value))
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    return str(value.prettyPrint())
