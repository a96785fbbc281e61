"""The general-purpose adapter: :class:`SnmpTransport` on pysnmp 7's asyncio API.

pysnmp costs about 20 times the CPU per varbind of gufo-snmp (TRAPS.md), but it reports what gufo
does not (an agent's error-status), supports SNMPv3 contexts, and is the library the trap receiver
uses. One ``SnmpEngine`` serves every target of one transport on one event loop; it is made on
first use, because pysnmp binds it to the running loop.

Notes on pysnmp that shape this module:

- ``bulk_walk_cmd`` runs past the end of the table and retries forever on timeouts, so walks are
  our own loop of ``bulk_cmd`` requests that stops at the end of the subtree and refuses agents
  whose OIDs do not increase.
- pysnmp keeps one USM row per user name in its engine: two credentials with the same user name
  and different keys (two devices keyed differently) would overwrite each other's row while
  requests are in flight. A gate lets requests with the same keys run together and makes a request
  with other keys for that user name wait until they are done.
- Resolving an OID "with the MIB" builds a pysmi MIB compiler on first use when pysmi is installed
  (0.3 s here, up to a second elsewhere). We never compile MIBs at run time, so the engine gets a
  compiler that never compiles, and every request passes ``lookupMib=False``.

Known limits, not worked around: pysnmp keeps a v3 peer's engine ID for 300 s, so an agent
replaced by one with a new engine ID at the same address times out until then (a rebooted agent,
same engine ID, is fine); and some undecodable datagrams make pyasn1 raise TypeError inside
pysnmp's receive callback, which asyncio logs as "Exception in callback" while the request goes on
to time out.

Values become the seam's plain types (see :mod:`collectors.snmp.transport`); noSuchObject,
noSuchInstance and endOfMibView are left out.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from collectors.snmp.transport import SnmpTarget, SnmpValue, VarBind, oid_key
from core.credentials import AuthProtocol, PrivProtocol, SnmpV2cCredential, SnmpV3Credential
from core.errors import DeviceAuthError, DeviceError, DeviceTimeout, MalformedResponse

with warnings.catch_warnings():
    # pysnmp 7.1 imports names pysmi deprecates (getReadersFromUrls, ...): nothing of ours can act
    # on that, and with warnings as errors (the test suite) the import itself would fail.
    warnings.filterwarnings("ignore", r".* is deprecated\. Please use ", DeprecationWarning)
    from pyasn1.error import PyAsn1Error
    from pyasn1.type import univ
    from pysnmp.error import PySnmpError
    from pysnmp.hlapi.v3arch.asyncio import (
        USM_AUTH_HMAC96_MD5,
        USM_AUTH_HMAC96_SHA,
        USM_AUTH_HMAC128_SHA224,
        USM_AUTH_HMAC192_SHA256,
        USM_AUTH_HMAC256_SHA384,
        USM_AUTH_HMAC384_SHA512,
        USM_AUTH_NONE,
        USM_PRIV_CBC56_DES,
        USM_PRIV_CFB128_AES,
        USM_PRIV_CFB192_AES_BLUMENTHAL,
        USM_PRIV_CFB256_AES_BLUMENTHAL,
        USM_PRIV_NONE,
        CommunityData,
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        UsmUserData,
        bulk_cmd,
        get_cmd,
    )
    from pysnmp.proto import errind, rfc1902, rfc1905


DEFAULT_MAX_OIDS_PER_GET = 32
"""Varbinds per GET request (snmpsim caps at 64); a tooBig answer halves a request further."""

USM_AUTH_PROTOCOLS: dict[AuthProtocol, Any] = {
    AuthProtocol.MD5: USM_AUTH_HMAC96_MD5,
    AuthProtocol.SHA: USM_AUTH_HMAC96_SHA,
    AuthProtocol.SHA224: USM_AUTH_HMAC128_SHA224,
    AuthProtocol.SHA256: USM_AUTH_HMAC192_SHA256,
    AuthProtocol.SHA384: USM_AUTH_HMAC256_SHA384,
    AuthProtocol.SHA512: USM_AUTH_HMAC384_SHA512,
}
# AES-192/256 with Blumenthal key extension: what net-snmp's AES192/AES256 and gufo-snmp do.
USM_PRIV_PROTOCOLS: dict[PrivProtocol, Any] = {
    PrivProtocol.DES: USM_PRIV_CBC56_DES,
    PrivProtocol.AES128: USM_PRIV_CFB128_AES,
    PrivProtocol.AES192: USM_PRIV_CFB192_AES_BLUMENTHAL,
    PrivProtocol.AES256: USM_PRIV_CFB256_AES_BLUMENTHAL,
}

# errorIndication classes → our errors. Anything else is a plain DeviceError with pysnmp's text.
_AUTH_INDICATIONS: tuple[type[Any], ...] = (
    errind.UnknownUserName,
    errind.WrongDigest,
    errind.DecryptionError,
    errind.AuthenticationFailure,
    errind.AuthenticationError,
    errind.UnknownSecurityName,
    errind.UnsupportedSecurityLevel,
    errind.UnsupportedAuthProtocol,
    errind.UnsupportedPrivProtocol,
    errind.NotInTimeWindow,
    errind.UnknownEngineID,
    errind.UnknownCommunityName,
)
_MALFORMED_INDICATIONS: tuple[type[Any], ...] = (
    errind.DeserializationError,
    errind.InvalidMsg,
    errind.EmptyResponse,
    errind.DataMismatch,
    errind.EngineIDMismatch,
    errind.OidNotIncreasing,
)
_AUTH_STATUSES = {"noAccess", "authorizationError", "noCreation", "readOnly"}


class PysnmpTransport:
    """Gets and walks through pysnmp 7, one engine per transport and event loop."""

    def __init__(self, *, max_oids_per_get: int = DEFAULT_MAX_OIDS_PER_GET) -> None:
        if max_oids_per_get < 1:
            raise ValueError("max_oids_per_get must be positive")
        self._max_oids = max_oids_per_get
        self._engine: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._endpoints: dict[tuple[str, int, float, int], Any] = {}
        self._gate = _UsmGate()

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, SnmpValue]:
        wanted = list(dict.fromkeys(oids))
        result: dict[str, SnmpValue] = {}
        for start in range(0, len(wanted), self._max_oids):
            await self._get_chunk(target, wanted[start : start + self._max_oids], result)
        return result

    async def walk(self, target: SnmpTarget, root: str, max_repetitions: int = 25) -> list[VarBind]:
        root_key = oid_key(root)
        depth = len(root_key)
        result: list[VarBind] = []
        last: Any = rfc1902.ObjectName(root_key)
        last_key = root_key
        while True:
            _, status, index, var_binds = await self._command(
                target, bulk_cmd, 0, max_repetitions, ObjectType(ObjectIdentity(last))
            )
            if status:
                raise _status_error(target, status, index, [str(last)])
            if not var_binds:
                return result
            for name, value in var_binds:
                key = name.asTuple()
                if isinstance(value, rfc1905.EndOfMibView) or key[:depth] != root_key:
                    return result
                if key <= last_key:
                    raise MalformedResponse(
                        target.label,
                        f"walk of {root}: OIDs not increasing ({name} after {last}): "
                        "the agent loops",
                    )
                plain = _plain(target, name, value)
                if plain is not None:
                    result.append((str(name), plain))
                last, last_key = name, key

    async def close(self) -> None:
        if self._engine is not None:
            self._engine.close_dispatcher()
        self._engine = None
        self._loop = None
        self._endpoints.clear()

    async def _get_chunk(
        self, target: SnmpTarget, oids: list[str], result: dict[str, SnmpValue]
    ) -> None:
        requested = [ObjectType(ObjectIdentity(oid)) for oid in oids]
        _, status, index, var_binds = await self._command(target, get_cmd, *requested)
        if status and _status_name(status) == "tooBig" and len(oids) > 1:
            # The answer would not fit in one datagram: ask for each half on its own.
            half = len(oids) // 2
            await self._get_chunk(target, oids[:half], result)
            await self._get_chunk(target, oids[half:], result)
            return
        if status:
            raise _status_error(target, status, index, oids)
        if len(var_binds) != len(oids):
            raise MalformedResponse(
                target.label, f"asked for {len(oids)} OIDs, the agent answered {len(var_binds)}"
            )
        for oid, (name, value) in zip(oids, var_binds, strict=True):
            if name.asTuple() != oid_key(oid):
                # pysnmp pairs answers with questions by position only.
                raise MalformedResponse(target.label, f"asked for {oid}, the agent answered {name}")
            plain = _plain(target, name, value)
            if plain is not None:
                result[oid] = plain

    async def _command(self, target: SnmpTarget, command: Any, *args: Any) -> tuple[Any, ...]:
        """One request through ``command`` (get_cmd or bulk_cmd); errorIndication raised as ours."""
        engine = self._engine_for_loop()
        credential = target.credential
        endpoint = await self._endpoint(target)
        async with self._gate.hold(credential):
            auth, context = _auth_data(target)
            try:
                indication, status, index, var_binds = await command(
                    engine, auth, endpoint, context, *args, lookupMib=False
                )
            except (PySnmpError, PyAsn1Error) as exc:
                raise DeviceError(target.label, f"pysnmp: {exc}") from exc
        if indication:
            raise _indication_error(target, indication)
        return indication, status, index, var_binds

    def _engine_for_loop(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._engine is None or self._loop is not loop:
            if self._engine is not None:
                self._engine.close_dispatcher()
            self._engine = _new_engine()
            self._loop = loop
            self._endpoints.clear()
            self._gate = _UsmGate()  # its Condition belongs to the old loop
        return self._engine

    async def _endpoint(self, target: SnmpTarget) -> Any:
        # UdpTransportTarget.create resolves the name in an executor thread: once per target.
        key = (target.host, target.port, target.timeout_s, target.retries)
        endpoint = self._endpoints.get(key)
        if endpoint is None:
            try:
                endpoint = await UdpTransportTarget.create(
                    (target.host, target.port), timeout=target.timeout_s, retries=target.retries
                )
            except PySnmpError as exc:
                raise DeviceError(target.label, f"bad address: {exc}") from exc
            self._endpoints[key] = endpoint
        return endpoint


class _UsmGate:
    """Requests whose credentials agree on a user name's keys run together; others wait."""

    def __init__(self) -> None:
        self._holders: dict[str, tuple[tuple[object, ...], int]] = {}
        self._changed: asyncio.Condition | None = None

    @asynccontextmanager
    async def hold(self, credential: SnmpV2cCredential | SnmpV3Credential) -> AsyncIterator[None]:
        if not isinstance(credential, SnmpV3Credential):
            yield
            return
        if self._changed is None:
            self._changed = asyncio.Condition()
        user, keys = credential.user, _keys(credential)
        async with self._changed:
            await self._changed.wait_for(
                lambda: user not in self._holders or self._holders[user][0] == keys
            )
            self._holders[user] = (keys, self._holders.get(user, (keys, 0))[1] + 1)
        try:
            yield
        finally:
            async with self._changed:
                held, count = self._holders[user]
                if count > 1:
                    self._holders[user] = (held, count - 1)
                else:
                    del self._holders[user]
                    self._changed.notify_all()


def _keys(credential: SnmpV3Credential) -> tuple[object, ...]:
    return (
        credential.auth_protocol,
        credential.auth_key.get_secret_value() if credential.auth_key else None,
        credential.priv_protocol,
        credential.priv_key.get_secret_value() if credential.priv_key else None,
    )


class _NoMibCompiler:
    """Stands in for pysmi's compiler: MIBs are compiled at build time, never at run time."""

    def compile(self, *mibs: str, **options: Any) -> dict[str, str]:
        return dict.fromkeys(mibs, "failed")


def _new_engine() -> Any:
    engine = SnmpEngine()
    builder = engine.get_mib_builder()
    builder.set_mib_compiler(_NoMibCompiler(), "")
    return engine


def _auth_data(target: SnmpTarget) -> tuple[Any, Any]:
    credential = target.credential
    if isinstance(credential, SnmpV2cCredential):
        # v2c because the inventory says so: many devices in the field speak nothing else.
        community = credential.community.get_secret_value()
        return CommunityData(community, mpModel=1), ContextData()  # noqa: S508
    auth_protocol = USM_AUTH_NONE
    priv_protocol = USM_PRIV_NONE
    if credential.auth_protocol is not None:
        auth_protocol = USM_AUTH_PROTOCOLS[credential.auth_protocol]
    if credential.priv_protocol is not None:
        priv_protocol = USM_PRIV_PROTOCOLS[credential.priv_protocol]
    user = UsmUserData(
        credential.user,
        authKey=credential.auth_key.get_secret_value() if credential.auth_key else None,
        privKey=credential.priv_key.get_secret_value() if credential.priv_key else None,
        authProtocol=auth_protocol,
        privProtocol=priv_protocol,
    )
    return user, ContextData(contextName=credential.context.encode())


def _plain(target: SnmpTarget, name: Any, value: Any) -> SnmpValue | None:
    """A pysnmp value as the seam's plain type; None for the "no such" markers and Null."""
    # pyasn1's Null is an OctetString, and IpAddress is one too: test them first.
    if isinstance(value, univ.Null):  # noSuchObject, noSuchInstance, endOfMibView, Null
        return None
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(str(octet) for octet in value.asOctets())
    if isinstance(value, univ.OctetString):  # OCTET STRING, Opaque, Bits
        return bytes(value.asOctets())
    if isinstance(value, univ.Integer):  # Integer32, Counter32/64, Gauge32, TimeTicks, Unsigned32
        return int(value)
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    raise MalformedResponse(
        target.label, f"{name}: value of unexpected type {type(value).__name__}"
    )


def _indication_error(target: SnmpTarget, indication: Any) -> DeviceError:
    if isinstance(indication, errind.RequestTimedOut):
        tries = target.retries + 1
        if isinstance(target.credential, SnmpV3Credential):
            hint = "agent down, unreachable, or a wrong SNMPv3 privacy key"
        else:
            hint = "agent down, unreachable, or a wrong community"
        return DeviceTimeout(
            target.label,
            f"no answer within {target.timeout_s:g} s on each of {tries} tries ({hint})",
        )
    if isinstance(indication, errind.EncryptionError):
        return DeviceError(target.label, f"{indication} (is the cryptography package installed?)")
    if isinstance(indication, _AUTH_INDICATIONS):
        return DeviceAuthError(target.label, f"SNMPv3 authentication failed: {indication}")
    if isinstance(indication, _MALFORMED_INDICATIONS):
        return MalformedResponse(target.label, str(indication))
    return DeviceError(target.label, f"SNMP error: {indication}")


def _status_error(target: SnmpTarget, status: Any, index: Any, oids: Sequence[str]) -> DeviceError:
    position = int(index) - 1 if index else -1
    where = f" at {oids[position]}" if 0 <= position < len(oids) else ""
    name = _status_name(status)
    reason = f"the agent answered {name}{where}"
    if name in _AUTH_STATUSES:
        return DeviceAuthError(target.label, reason)
    return MalformedResponse(target.label, reason)


def _status_name(status: Any) -> str:
    """``tooBig`` for error-status 1: pysnmp hands over a named pyasn1 Integer or a plain int."""
    try:
        return str(rfc1905.errorStatus.clone(int(status)).prettyPrint())
    except (PyAsn1Error, ValueError):
        return f"error-status {status}"
