"""The polling hot path: :class:`SnmpTransport` on gufo-snmp's asyncio client (Rust BER codec).

gufo-snmp 0.13 speaks v2c and v3 with every protocol of :mod:`core.credentials` (MD5, SHA-1,
SHA-224/256/384/512; DES, AES-128/192/256 with Blumenthal key extension, as net-snmp and our pysnmp
adapter use). What it lacks, and what this module adds or documents:

- **Retries.** Its session has a timeout but tries once; we try ``retries + 1`` times.
- **Sessions.** One session is one connected UDP socket. We keep one per target and credential (an
  LRU of ``max_sessions``), used by one request at a time: two coroutines on one socket would steal
  each other's replies. SNMPv3 engine discovery costs two round trips, so reuse matters most there;
  an idle v3 session is re-synchronised before the agent's 150 s time window (RFC 3414 §3.2.7) runs
  out. A v3 session that worked and then times out or is refused is rebuilt once: the agent may have
  rebooted or been replaced (new boots or engine ID), and gufo's requests do not ask for the report
  that would say so. A dead v3 device therefore costs two timeouts the first time it fails.
- **Context names.** gufo sends an empty SNMPv3 context; a credential with a context is refused
  with a message that names the pysnmp transport.
- **Error status.** gufo ignores a response's error-status: a GET answered with ``tooBig`` or
  ``genErr`` comes back empty, as if the OIDs were missing, and a walk answered with ``genErr``
  ends there as if the subtree did. GETs are split into small requests (``max_oids_per_get``) so
  that ``tooBig`` does not arise; the pysnmp transport reports such errors.
- **Answer size.** gufo receives into a 4080-byte buffer; a longer answer fails to decode. A GET
  that fails so is split in halves, a walk restarts with a fifth of the repetitions (down to one),
  so only a single value over 4 KB remains out of reach (``MalformedResponse`` naming pysnmp).
- **Walk loops.** gufo stops a GETBULK walk at the end of the subtree but would follow an agent
  that returns the same OIDs forever; we require strictly increasing OIDs.

A reply that cannot be decoded is reported at once (``MalformedResponse``), not retried: an agent
that answers garbage answers garbage again. Some garbage makes gufo's decoder panic; that arrives
as a ``BaseException`` and is translated like any other decoding failure. ICMP port-unreachable on
the connected socket surfaces as an immediate failure and is reported as ``DeviceUnreachable``
(nothing listens there).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import gufo.snmp as gufo
from gufo.snmp.aio import SnmpSession

from collectors.snmp.transport import SnmpTarget, SnmpValue, VarBind
from core.credentials import AuthProtocol, PrivProtocol, SnmpV2cCredential, SnmpV3Credential
from core.errors import (
    DeviceAuthError,
    DeviceError,
    DeviceTimeout,
    DeviceUnreachable,
    MalformedResponse,
)

T = TypeVar("T")

DEFAULT_MAX_SESSIONS = 4096
"""Sessions (sockets) kept open; the least recently used is dropped beyond this."""

DEFAULT_MAX_OIDS_PER_GET = 64
"""Varbinds per GET request at most (snmpsim's cap). Requests, not varbinds, are what a Python
client pays for; an agent whose answers are smaller (Cisco IOS allows 1,500 bytes by default,
about 55 counters) answers tooBig, which gufo hides as an empty answer: the transport then halves
the request and remembers the size that worked for that agent."""

MIN_OIDS_PER_GET = 4
"""Below this an empty answer is taken at its word: the instances do not exist."""

RECEIVE_LIMIT_BYTES = 4080
"""gufo-snmp 0.13's fixed receive buffer: a longer answer is cut and fails to decode."""

V3_RESYNC_AFTER_S = 100.0
"""An idle SNMPv3 session re-learns the agent's boots and time before this age: agents reject
messages whose time is more than 150 s off theirs, and gufo only learns time from replies."""

_AUTH_KEYS: dict[AuthProtocol, type[gufo.BaseAuthKey]] = {
    AuthProtocol.MD5: gufo.Md5Key,
    AuthProtocol.SHA: gufo.Sha1Key,
    AuthProtocol.SHA224: gufo.Sha224Key,
    AuthProtocol.SHA256: gufo.Sha256Key,
    AuthProtocol.SHA384: gufo.Sha384Key,
    AuthProtocol.SHA512: gufo.Sha512Key,
}
_PRIV_KEYS: dict[PrivProtocol, type[gufo.BasePrivKey]] = {
    PrivProtocol.DES: gufo.DesKey,
    PrivProtocol.AES128: gufo.Aes128Key,
    PrivProtocol.AES192: gufo.Aes192Key,
    PrivProtocol.AES256: gufo.Aes256Key,
}

_SessionKey = tuple[object, ...]


@dataclass
class _Session:
    """One gufo session and what we know about it."""

    session: SnmpSession
    v3: bool
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    synced_at: float | None = None
    """When a v3 session last learned the agent's engine boots and time (None: never)."""
    proven: bool = False
    """A request has succeeded on it: a later authentication failure means the agent changed."""


class GufoTransport:
    """Gets and walks through gufo-snmp, with retries, bounded session reuse and our error tree."""

    def __init__(
        self,
        *,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        max_oids_per_get: int = DEFAULT_MAX_OIDS_PER_GET,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_sessions < 1 or max_oids_per_get < 1:
            raise ValueError("max_sessions and max_oids_per_get must be positive")
        self._max_sessions = max_sessions
        self._max_oids = max_oids_per_get
        self._monotonic = monotonic
        self._sessions: OrderedDict[_SessionKey, _Session] = OrderedDict()
        self._oids_per_get: dict[tuple[str, int], int] = {}
        """Per agent: the largest GET that was answered, once a larger one came back empty."""

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, SnmpValue]:
        wanted = list(dict.fromkeys(oids))
        result: dict[str, SnmpValue] = {}
        size = self._oids_per_get.get((target.host, target.port), self._max_oids)
        for start in range(0, len(wanted), size):
            await self._get_chunk(target, wanted[start : start + size], result)
        return result

    async def walk(self, target: SnmpTarget, root: str, max_repetitions: int = 25) -> list[VarBind]:
        repetitions = max(1, max_repetitions)
        while True:
            try:
                return await self._request(target, partial(_walk, target, root, repetitions))
            except MalformedResponse as exc:
                # Too big for gufo's buffer, most likely: start over with fewer rows per answer.
                if not _undecodable(exc) or repetitions == 1:
                    raise
                repetitions = max(1, repetitions // 5)

    async def _get_chunk(
        self, target: SnmpTarget, chunk: list[str], result: dict[str, SnmpValue]
    ) -> None:
        try:
            values = await self._request(target, partial(_get_many, chunk))
        except MalformedResponse as exc:
            if not _undecodable(exc) or len(chunk) == 1:
                raise
            # Too big for gufo's buffer, most likely: ask for each half on its own.
            half = len(chunk) // 2
            await self._get_chunk(target, chunk[:half], result)
            await self._get_chunk(target, chunk[half:], result)
            return
        if not values and len(chunk) >= 2 * MIN_OIDS_PER_GET:
            # Empty: either none of these exist, or the agent said tooBig (gufo hides the error
            # status). Ask for each half; if that brings answers, this agent's limit is lower.
            half = len(chunk) // 2
            before = len(result)
            await self._get_chunk(target, chunk[:half], result)
            await self._get_chunk(target, chunk[half:], result)
            if len(result) > before:
                agent = (target.host, target.port)
                self._oids_per_get[agent] = min(self._oids_per_get.get(agent, half), half)
            return
        asked = set(chunk)
        for oid, value in values.items():
            if oid not in asked:
                raise MalformedResponse(target.label, f"the agent answered {oid}, not asked")
            result[oid] = _checked(target, oid, value)

    async def close(self) -> None:
        # A gufo session has no close(): its socket closes when the last reference goes.
        self._sessions.clear()

    async def _request(self, target: SnmpTarget, op: Callable[[SnmpSession], Awaitable[T]]) -> T:
        """Run ``op`` on the target's session with retries; vendor errors become ours."""
        key = _session_key(target)
        for rebuilt in (False, True):
            entry = await self._session(key, target)
            async with entry.lock:
                try:
                    await self._sync_if_stale(entry, target)
                    result = await _with_retries(target, partial(op, entry.session))
                except gufo.SnmpAuthError as exc:
                    if entry.proven and not rebuilt:
                        # It worked before: the agent's engine changed under the session.
                        self._forget(key, entry)
                        continue
                    raise DeviceAuthError(target.label, _AUTH_REASON) from exc
                except DeviceTimeout:
                    if entry.v3 and entry.proven and not rebuilt:
                        # gufo does not set the reportable flag on requests, so an agent that
                        # rebooted (new boots) or was replaced (new engine ID) drops them silently:
                        # discover the engine afresh once before calling the device down.
                        self._forget(key, entry)
                        continue
                    raise
                except gufo.SnmpDecodeError as exc:
                    raise MalformedResponse(
                        target.label,
                        f"undecodable answer ({exc}); gufo-snmp reads at most {RECEIVE_LIMIT_BYTES}"
                        " bytes per answer: if the agent's values are larger, use the pysnmp"
                        " transport",
                    ) from exc
                except gufo.SnmpError as exc:
                    raise DeviceError(target.label, f"SNMP error: {exc}") from exc
                except BaseException as exc:
                    if not _is_panic(exc):
                        raise
                    # gufo's Rust decoder can panic on garbage (an index past the end of a cut
                    # header). pyo3 raises that as a BaseException, which would pass every
                    # `except Exception` above us; the session's socket is not trusted again.
                    self._forget(key, entry)
                    raise MalformedResponse(
                        target.label, f"undecodable answer (decoder panic: {exc})"
                    ) from exc
                entry.proven = True
                if entry.v3:
                    entry.synced_at = self._monotonic()
                return result
        raise AssertionError("unreachable: the second pass returns or raises")  # pragma: no cover

    async def _session(self, key: _SessionKey, target: SnmpTarget) -> _Session:
        entry = self._sessions.get(key)
        if entry is not None:
            self._sessions.move_to_end(key)
            return entry
        address = await _numeric_address(target)
        entry = self._sessions.get(key)  # another coroutine may have made it meanwhile
        if entry is not None:
            return entry
        try:
            session = _new_session(target, address)
        except OSError as exc:
            raise DeviceUnreachable(target.label, f"cannot open a UDP socket: {exc}") from exc
        entry = _Session(session, v3=isinstance(target.credential, SnmpV3Credential))
        self._sessions[key] = entry
        while len(self._sessions) > self._max_sessions:
            # A request still running on the evicted session keeps its own reference.
            self._sessions.popitem(last=False)
        return entry

    async def _sync_if_stale(self, entry: _Session, target: SnmpTarget) -> None:
        if not entry.v3:
            return
        now = self._monotonic()
        if entry.synced_at is None or now - entry.synced_at > V3_RESYNC_AFTER_S:
            # First use: engine ID discovery, then boots and time. Later: boots and time only.
            await _with_retries(target, entry.session.refresh)
            entry.synced_at = now

    def _forget(self, key: _SessionKey, entry: _Session) -> None:
        if self._sessions.get(key) is entry:
            del self._sessions[key]


_AUTH_REASON = "SNMPv3 authentication refused by report: unknown user, wrong auth protocol or key"


async def _with_retries(target: SnmpTarget, attempt: Callable[[], Awaitable[T]]) -> T:
    tries = target.retries + 1
    refused = 0
    for _ in range(tries):
        try:
            return await attempt()
        except TimeoutError as exc:
            refused += _refused(exc)
            last = exc
    if refused == tries:
        raise DeviceUnreachable(
            target.label, f"port unreachable (ICMP) on {tries} tries: no SNMP agent listens"
        ) from last
    raise DeviceTimeout(target.label, _timeout_reason(target, tries)) from last


def _refused(exc: TimeoutError) -> bool:
    # gufo turns ICMP port-unreachable into TimeoutError("connection refused") at once, and its
    # asyncio wrapper re-raises that (and real silence) as a bare TimeoutError from the original.
    return "refused" in str(exc.__cause__ or exc)


def _timeout_reason(target: SnmpTarget, tries: int) -> str:
    wrong = "privacy key" if isinstance(target.credential, SnmpV3Credential) else "community"
    return (
        f"no answer within {target.timeout_s:g} s on each of {tries} tries "
        f"(agent down, unreachable, or a wrong {wrong})"
    )


def _is_panic(exc: BaseException) -> bool:
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


def _undecodable(exc: MalformedResponse) -> bool:
    # A cut answer (over the buffer) may fail either way, as a decode error or a decoder panic.
    cause = exc.__cause__
    return isinstance(cause, gufo.SnmpDecodeError) or (cause is not None and _is_panic(cause))


async def _get_many(oids: list[str], session: SnmpSession) -> dict[str, gufo.ValueType]:
    return await session.get_many(oids)


async def _walk(
    target: SnmpTarget, root: str, max_repetitions: int, session: SnmpSession
) -> list[VarBind]:
    """GETBULK from ``root`` to the end of its subtree; resumes where a timed-out request left off.

    Retries here are per request, not per walk: a long walk survives one lost datagram per
    request as a short one does.
    """
    prefix = root + "."
    cut = len(prefix)
    result: list[VarBind] = []
    last: tuple[int, ...] = ()
    iterator = session.getbulk(root, max_repetitions)
    tries = target.retries + 1
    failures = 0
    while True:
        try:
            batch = await _next_response(iterator)
        except TimeoutError as exc:
            failures += 1
            if failures < tries:
                continue  # the iterator re-sends from the last OID it returned
            if _refused(exc):
                raise DeviceUnreachable(target.label, "port unreachable (ICMP)") from exc
            raise DeviceTimeout(target.label, _timeout_reason(target, tries)) from exc
        if not batch:
            return result
        failures = 0
        # gufo continues each request from the last OID of the previous answer, so an agent that
        # loops shows at the boundary between answers: checking there is enough and cheap.
        first_oid = batch[0][0]
        for oid, _ in (batch[0], batch[-1]):
            if not oid.startswith(prefix):
                raise MalformedResponse(
                    target.label, f"walk of {root}: {oid} is outside the subtree"
                )
        first = tuple(map(int, first_oid[cut:].split(".")))
        if first <= last:
            raise MalformedResponse(
                target.label,
                f"walk of {root}: OIDs not increasing ({first_oid} after {result[-1][0]}): "
                "the agent loops",
            )
        last = tuple(map(int, batch[-1][0][cut:].split(".")))
        for oid, value in batch:
            if not isinstance(value, int | bytes | str):
                _checked(target, oid, value)
        result.extend(batch)  # type: ignore[arg-type]  # values checked just above


async def _next_response(iterator: AsyncIterator[tuple[str, object]]) -> list[tuple[str, object]]:
    """Every varbind of the next GETBULK answer at once ([] at the end of the subtree).

    gufo's iterator hands out one varbind per ``__anext__``: per varbind that is a coroutine
    round trip, a third of a walk's CPU. Its answer is buffered whole, so after the first item
    the rest is taken from the buffer directly (gufo is pinned to 0.13 for this).
    """
    try:
        first = await iterator.__anext__()
    except StopAsyncIteration:
        return []
    batch = [first]
    buffer: list[tuple[str, object] | None] = getattr(iterator, "_buffer", [])
    while buffer:
        item = buffer[0]
        if item is None:
            break  # end of the subtree: leave the marker for the next __anext__
        batch.append(item)
        del buffer[0]
    return batch


def _checked(target: SnmpTarget, oid: str, value: object) -> SnmpValue:
    if isinstance(value, int | bytes | str):
        return value
    # gufo decodes ASN.1 REAL into float: not an SNMP type, so the agent is not speaking SNMP.
    raise MalformedResponse(target.label, f"{oid}: value {value!r} is not an SNMP type")


def _session_key(target: SnmpTarget) -> _SessionKey:
    cred = target.credential
    if isinstance(cred, SnmpV2cCredential):
        secret: tuple[object, ...] = ("2c", cred.community.get_secret_value())
    else:
        secret = (
            "3",
            cred.user,
            cred.auth_protocol,
            cred.auth_key.get_secret_value() if cred.auth_key else None,
            cred.priv_protocol,
            cred.priv_key.get_secret_value() if cred.priv_key else None,
            cred.context,
        )
    return (target.host, target.port, target.timeout_s, *secret)


async def _numeric_address(target: SnmpTarget) -> str:
    """gufo wants an IP literal; a name is resolved once, when its session is made."""
    try:
        return str(ipaddress.ip_address(target.host))
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_DGRAM)
    except OSError as exc:
        raise DeviceUnreachable(target.label, f"cannot resolve {target.host}: {exc}") from exc
    return str(infos[0][4][0])


def _new_session(target: SnmpTarget, address: str) -> SnmpSession:
    cred = target.credential
    if isinstance(cred, SnmpV2cCredential):
        community, user, version = cred.community.get_secret_value(), None, gufo.SnmpVersion.v2c
    else:
        community, user, version = "", _user(target, cred), gufo.SnmpVersion.v3
    return SnmpSession(
        address, target.port, community, user=user, version=version, timeout=target.timeout_s
    )


def _user(target: SnmpTarget, cred: SnmpV3Credential) -> gufo.User:
    if cred.context:
        raise DeviceAuthError(
            target.label,
            f"SNMPv3 context {cred.context!r} is not supported by the gufo transport "
            "(gufo-snmp sends an empty context): use the pysnmp transport for this device",
        )
    auth = priv = None
    if cred.auth_protocol is not None and cred.auth_key is not None:
        auth = _AUTH_KEYS[cred.auth_protocol](cred.auth_key.get_secret_value().encode())
    if cred.priv_protocol is not None and cred.priv_key is not None:
        if auth is None:
            raise DeviceAuthError(target.label, "SNMPv3 privacy needs authentication")
        priv = _PRIV_KEYS[cred.priv_protocol](cred.priv_key.get_secret_value().encode())
    return gufo.User(cred.user, auth_key=auth, priv_key=priv)
