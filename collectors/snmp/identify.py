"""Who a device says it is, and how it is doing: identity and health over SNMP, per the profiles.

:func:`identify` is pure: it turns values already fetched into a :class:`DeviceIdentity` by
evaluating the profile's rules (their semantics are in :mod:`collectors.snmp.profiles`), so every
rule is tested against recordings without I/O. :func:`read_identity` does the fetching with as few
requests as it can: one GET of the system group, then — once the family is known — one GET of the
instances that family's rules name and a walk of each column they name. :func:`read_health` reads
CPU, memory and uptime from the sources the profile lists, first source that answers wins.

Errors from the transport (:class:`core.errors.DeviceError` and its children) pass through: a
device that does not answer its first GET is reported at once, not after every later request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

from collectors.snmp.profiles import (
    SYS_DESCR,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_UPTIME,
    HealthSource,
    ProductTable,
    Profile,
    ProfileSet,
    Source,
    default_profiles,
)
from collectors.snmp.transport import SnmpTarget, SnmpTransport, SnmpValue, is_under, oid_key
from core.model import DeviceIdentity

SYSTEM_OIDS = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME)
GET_BATCH = 16
"""Instances per GET: small enough that no agent answers tooBig, few enough requests."""

# HOST-RESOURCES-MIB hrStorageTable columns, for the storage_type memory source.
HR_STORAGE_TYPE = "1.3.6.1.2.1.25.2.3.1.2"
HR_STORAGE_SIZE = "1.3.6.1.2.1.25.2.3.1.5"
HR_STORAGE_USED = "1.3.6.1.2.1.25.2.3.1.6"


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """CPU and memory in percent, uptime in seconds; ``None`` where the device offers none."""

    cpu_percent: float | None = None
    memory_percent: float | None = None
    uptime_s: float | None = None


def identify(values: Mapping[str, SnmpValue], profiles: ProfileSet | None = None) -> DeviceIdentity:
    """The identity in ``values`` (OID → value, as fetched; walked columns included).

    A device no profile recognises still gets its system group (name, description, sysObjectID);
    vendor, os, hardware, version and serial stay ``None``.
    """
    profiles = profiles or default_profiles()
    facts = Facts.of(values, profiles)
    profile = profiles.detect(facts.sys_object_id, facts.sys_descr)
    rules = profile.identity if profile is not None else None
    return DeviceIdentity(
        vendor=profile.vendor if profile else None,
        os=profile.os if profile else None,
        sys_name=as_text(values.get(SYS_NAME)),
        sys_descr=as_text(values.get(SYS_DESCR)),
        sys_object_id=facts.sys_object_id or None,
        hardware=extract_field(rules.hardware, facts) if rules else None,
        version=extract_field(rules.version, facts) if rules else None,
        serial=extract_field(rules.serial, facts) if rules else None,
    )


async def read_identity(
    transport: SnmpTransport, target: SnmpTarget, profiles: ProfileSet | None = None
) -> DeviceIdentity:
    """Fetch what :func:`identify` needs for this device, and identify it."""
    profiles = profiles or default_profiles()
    values = await read_identity_values(transport, target, profiles)
    return identify(values, profiles)


async def read_identity_values(
    transport: SnmpTransport, target: SnmpTarget, profiles: ProfileSet | None = None
) -> dict[str, SnmpValue]:
    """The raw values behind an identity: the system group, then what the family's rules name."""
    profiles = profiles or default_profiles()
    values = dict(await transport.get(target, SYSTEM_OIDS))
    facts = Facts.of(values, profiles)
    profile = profiles.detect(facts.sys_object_id, facts.sys_descr)
    if profile is None:
        return values
    values.update(await get_many(transport, target, profile.identity.oids()))
    for column in profile.identity.walks():
        values.update(await transport.walk(target, column))
    return values


async def get_many(
    transport: SnmpTransport, target: SnmpTarget, oids: Sequence[str]
) -> dict[str, SnmpValue]:
    """GET ``oids`` in batches of :data:`GET_BATCH`."""
    found: dict[str, SnmpValue] = {}
    for start in range(0, len(oids), GET_BATCH):
        found.update(await transport.get(target, oids[start : start + GET_BATCH]))
    return found


def health_columns(profile: Profile) -> list[str]:
    """The table columns :func:`read_health` walks (CPU tables, memory pools)."""
    columns: list[str] = []
    for source in (*profile.health.cpu, *profile.health.memory):
        columns += [c for c in (source.column, source.used, source.free) if c is not None]
    return columns


def health_scalar_oids(profile: Profile) -> list[str]:
    """The plain OIDs :func:`read_health` GETs, so a poller can fetch them with other OIDs."""
    uptime_oids = [u.oid for u in profile.health.uptime]
    return [*uptime_oids, *(oid for s in profile.health.memory for oid in _scalars_of(s))]


async def read_health(
    transport: SnmpTransport,
    target: SnmpTarget,
    profile: Profile,
    prefetched: Mapping[str, SnmpValue] | None = None,
    *,
    walk: bool = True,
) -> DeviceHealth:
    """CPU, memory and uptime of one device, from the sources ``profile`` lists.

    ``prefetched`` holds the answers to :func:`health_scalar_oids` when the caller already asked
    for them in its own GET (one request fewer per poll), and may hold rows of
    :func:`health_columns` too (known instances, fetched by GET): those columns are not walked.
    ``walk=False`` walks nothing at all: ``prefetched`` is all there is (a poller that knows a
    device's tables, empty ones included).
    """
    fetched: Mapping[str, SnmpValue]
    if prefetched is None:
        fetched = await get_many(transport, target, health_scalar_oids(profile))
    else:
        fetched = prefetched
    uptime_s = next(
        (
            float(value) * u.scale
            for u in profile.health.uptime
            if isinstance(value := fetched.get(u.oid), int)
        ),
        None,
    )
    if not walk:
        transport = _NoWalks(transport)
    cpu = await _first_percent(transport, target, profile.health.cpu, fetched)
    memory = await _first_percent(transport, target, profile.health.memory, fetched)
    return DeviceHealth(cpu_percent=cpu, memory_percent=memory, uptime_s=uptime_s)


def _scalars_of(source: HealthSource) -> list[str]:
    return [source.total, *source.unused] if source.total is not None else []


async def _first_percent(
    transport: SnmpTransport,
    target: SnmpTarget,
    sources: Sequence[HealthSource],
    fetched: Mapping[str, SnmpValue],
) -> float | None:
    for source in sources:
        value = await _percent(transport, target, source, fetched)
        if value is not None:
            return value
    return None


async def _percent(
    transport: SnmpTransport,
    target: SnmpTarget,
    source: HealthSource,
    fetched: Mapping[str, SnmpValue],
) -> float | None:
    if source.column is not None:
        walked = await _column(transport, target, source.column, fetched)
        rows = _ints(value for _, value in walked)
        if not rows:
            return None
        return float(max(rows)) if source.reduce == "max" else fmean(rows)
    if source.used is not None and source.free is not None:
        used_rows = await _column(transport, target, source.used, fetched)
        free_rows = await _column(transport, target, source.free, fetched)
        return used_free_percent(
            _by_index(used_rows, source.used), _by_index(free_rows, source.free)
        )
    if source.total is not None:
        return unused_percent(fetched.get(source.total), [fetched.get(o) for o in source.unused])
    assert source.storage_type is not None
    return await _storage_percent(transport, target, source.storage_type)


class _NoWalks:
    """A transport whose walks find nothing: for health read only from prefetched values."""

    def __init__(self, inner: SnmpTransport) -> None:
        self._inner = inner

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> dict[str, SnmpValue]:
        return await self._inner.get(target, oids)

    async def walk(
        self, target: SnmpTarget, root: str, max_repetitions: int = 25
    ) -> list[tuple[str, SnmpValue]]:
        return []

    async def close(self) -> None:
        await self._inner.close()


async def _column(
    transport: SnmpTransport, target: SnmpTarget, column: str, fetched: Mapping[str, SnmpValue]
) -> list[tuple[str, SnmpValue]]:
    """The column's rows: from ``fetched`` when the caller got them already, else walked."""
    prefix = column + "."
    known = [(oid, value) for oid, value in fetched.items() if oid.startswith(prefix)]
    return known or await transport.walk(target, column)


def used_free_percent(used: Mapping[str, int], free: Mapping[str, int]) -> float | None:
    """The fullest row's percentage, from bytes in use and free per row (memory pools)."""
    shares = [
        100.0 * used[index] / (used[index] + free[index])
        for index in used
        if index in free and used[index] + free[index] > 0
    ]
    return max(shares) if shares else None


def unused_percent(total: SnmpValue | None, unused: Sequence[SnmpValue | None]) -> float | None:
    """The percentage of ``total`` that is not in any of ``unused`` (absent parts count as 0)."""
    if not isinstance(total, int) or total <= 0:
        return None
    spare = sum(v for v in unused if isinstance(v, int))
    return min(100.0, max(0.0, 100.0 * (total - spare) / total))


async def _storage_percent(
    transport: SnmpTransport, target: SnmpTarget, storage_type: str
) -> float | None:
    rows = await transport.walk(target, HR_STORAGE_TYPE)
    index = next(
        (
            oid[len(HR_STORAGE_TYPE) + 1 :]
            for oid, kind in rows
            if isinstance(kind, str) and kind.lstrip(".") == storage_type
        ),
        None,
    )
    if index is None:
        return None
    size_oid, used_oid = f"{HR_STORAGE_SIZE}.{index}", f"{HR_STORAGE_USED}.{index}"
    got = await transport.get(target, [size_oid, used_oid])
    size, used = got.get(size_oid), got.get(used_oid)
    if not isinstance(size, int) or not isinstance(used, int) or size <= 0:
        return None
    return 100.0 * used / size


def _ints(values: Iterable[SnmpValue]) -> list[int]:
    return [v for v in values if isinstance(v, int)]


def _by_index(rows: Iterable[tuple[str, SnmpValue]], column: str) -> dict[str, int]:
    """A column's integer rows keyed by the index after ``column``."""
    return {
        oid[len(column) + 1 :]: value
        for oid, value in rows
        if is_under(oid, column) and isinstance(value, int)
    }


# ---------------------------------------------------------------- evaluating identity rules


@dataclass(frozen=True, slots=True)
class Facts:
    """What identity rules read: fetched values, and the text of the system group."""

    values: Mapping[str, SnmpValue]
    sys_descr: str
    sys_object_id: str
    products: Mapping[str, ProductTable]

    @classmethod
    def of(cls, values: Mapping[str, SnmpValue], profiles: ProfileSet) -> Facts:
        return cls(
            values=values,
            sys_descr=as_text(values.get(SYS_DESCR)) or "",
            sys_object_id=(as_text(values.get(SYS_OBJECT_ID)) or "").lstrip("."),
            products=profiles.products,
        )

    def text(self, oid: str) -> str | None:
        return as_text(self.values.get(oid))

    def first_under(self, root: str) -> str | None:
        """The first non-empty value in the column ``root`` (what a walk of it returned)."""
        for oid in sorted((o for o in self.values if is_under(o, root)), key=oid_key):
            text = as_text(self.values[oid])
            if text:
                return text
        return None


def extract_field(sources: Sequence[Source], facts: Facts) -> str | None:
    """One identity field: the first strong source, else the first weak one, else a fallback;
    then what the ``append`` sources add."""
    value = _base([s for s in sources if not s.append], facts)
    if value is None:
        return None
    for source in sources:
        if source.append:
            value += extract(source, facts) or ""
    return value


def _base(sources: Sequence[Source], facts: Facts) -> str | None:
    weak: str | None = None
    for source in sources:
        if source.fallback or (value := extract(source, facts)) is None:
            continue
        if source.weak is not None and re.search(source.weak, value):
            weak = weak or value
            continue
        return value
    if weak is not None:
        return weak
    for source in sources:
        if source.fallback and (value := extract(source, facts)) is not None:
            return value
    return None


def extract(source: Source, facts: Facts) -> str | None:
    """What one source yields, formatted; ``None`` when it yields nothing."""
    if source.when is not None and facts.text(source.when.oid) != str(source.when.equals):
        return None
    if source.regex is not None:
        return _from_regex(source, source.regex, facts)
    value: str | None
    if source.oid is not None:
        value = facts.text(source.oid)
    elif source.first_under is not None:
        value = facts.first_under(source.first_under)
    elif source.join is not None:
        value = " ".join(p for oid in source.join if (p := facts.text(oid))) or None
    else:
        table = facts.products.get(source.product_table or "")
        value = table.name_of(facts.sys_object_id) if table else None
    if not value:
        return None
    # Not stripped: an ``append`` format starts with the blank that separates it.
    result = source.format.format(value=value)
    return result if result.strip() else None


def _from_regex(source: Source, pattern: str, facts: Facts) -> str | None:
    haystack = facts.sys_descr if source.text == "sysDescr" else facts.sys_object_id
    found = re.search(pattern, haystack)
    if found is None:
        return None
    groups = {name: text or "" for name, text in found.groupdict().items()}
    for name in source.letters:
        groups[name] = "".join(chr(64 + int(n)) for n in groups[name].split(".") if n)
    if "value" not in groups:
        groups["value"] = found.group(1) if found.re.groups else found.group(0)
    return source.format.format(**groups).strip() or None


def as_text(value: SnmpValue | None, *, unquote: bool = True) -> str | None:
    """An agent's value as text, as people should read it; ``None`` when there is none.

    Octet strings are UTF-8, or GB18030 (Chinese devices keep descriptions in GBK), or Latin-1 as
    a last resort, so decoding never fails. NUL padding and surrounding blanks are dropped, and
    (``unquote``) so are double quotes around the whole value, which some agents (and recordings of
    them) wrap system-group strings in; an interface alias a person typed keeps its quotes.
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        for encoding in ("utf-8", "gb18030"):
            try:
                text = value.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = value.decode("latin-1")
    else:
        text = str(value)
    text = text.replace("\x00", "").strip()
    if unquote and len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1].strip()
    return text
