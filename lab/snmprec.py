"""snmprec records: one ``OID|tag|value`` line each, as snmpsim reads them.

Tags are the BER tag numbers snmpsim's grammar uses (2 Integer32, 4 OCTET STRING, 6 OID, 64
IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 70 Counter64); an ``x`` after the tag means the
value is hex, which every string that is not plain printable ASCII must be (snmpsim reads files as
Latin-1 and strips each line). A value that moves is handed to snmpsim's ``numeric`` variation
module: ``65:numeric|rate=…,initial=…,max=4294967295,wrap=1`` grows at ``rate`` per second from the
responder's start and wraps like a Counter32; ``deviation=`` is never used (TRAPS.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

COUNTER32_MAX = 4_294_967_295
GAUGE32_MAX = 4_294_967_295
_PRINTABLE = {chr(c) for c in range(0x20, 0x7F)}


@dataclass(frozen=True, slots=True)
class Record:
    oid: str
    tag: str
    value: str

    def line(self) -> str:
        return f"{self.oid}|{self.tag}|{self.value}"


def oid_key(oid: str) -> tuple[int, ...]:
    """Sort key for numeric OID order (``…1.2`` before ``…1.10``, unlike text order)."""
    return tuple(int(part) for part in oid.split("."))


def integer(oid: str, value: int) -> Record:
    return Record(oid, "2", str(value))


def gauge(oid: str, value: int) -> Record:
    return Record(oid, "66", str(max(0, min(value, GAUGE32_MAX))))


def object_id(oid: str, value: str) -> Record:
    return Record(oid, "6", value)


def timeticks(oid: str, ticks: int) -> Record:
    return Record(oid, "67", str(ticks))


def octets(oid: str, value: str | bytes) -> Record:
    """An OCTET STRING: plain when it survives snmpsim's reading unchanged, else hex."""
    if isinstance(value, str):
        plain = all(c in _PRINTABLE for c in value) and value == value.strip()
        if plain:
            return Record(oid, "4", value)
        value = value.encode("utf-8")
    return Record(oid, "4x", value.hex())


def mac_octets(oid: str, mac: str) -> Record:
    """Six raw bytes from ``aa:bb:cc:dd:ee:ff``; an empty string for no address."""
    return Record(oid, "4x", mac.replace(":", "")) if mac else Record(oid, "4", "")


def counter32(oid: str, initial: int, rate_per_s: float) -> Record:
    """A Counter32 that grows at ``rate_per_s`` and wraps; static when the rate is 0."""
    start = initial % (COUNTER32_MAX + 1)
    if rate_per_s <= 0:
        return Record(oid, "65", str(start))
    return Record(
        oid, "65:numeric", f"rate={_number(rate_per_s)},initial={start},max={COUNTER32_MAX},wrap=1"
    )


def counter64(oid: str, initial: int, rate_per_s: float) -> Record:
    if rate_per_s <= 0:
        return Record(oid, "70", str(initial))
    return Record(oid, "70:numeric", f"rate={_number(rate_per_s)},initial={initial}")


def uptime(oid: str, initial_ticks: int) -> Record:
    """TimeTicks that advance 100 a second from ``initial_ticks``."""
    return Record(oid, "67:numeric", f"rate=100,initial={initial_ticks}")


def wobbling_percent(oid: str, tag: str, level: int, period_s: float, amplitude: int) -> Record:
    """A percentage (CPU, memory) that swings ``amplitude`` around ``level`` over ``period_s``.

    numeric computes ``initial + sin(t * rate) * scale``; ``min``/``max`` keep it a percentage, and
    a reader of the file alone (a recording-based fake) sees the level as the ``initial`` value.
    """
    rate = 6.283185307179586 / period_s
    return Record(
        oid,
        f"{tag}:numeric",
        f"function=sin%<time>,rate={rate:.6f},scale={amplitude},initial={level},min=0,max=100",
    )


def render(records: Iterable[Record]) -> str:
    """The file's text: records in numeric OID order (snmpsim searches it by bisection)."""
    ordered = sorted(records, key=lambda r: oid_key(r.oid))
    for before, after in itertools.pairwise(ordered):
        if before.oid == after.oid:
            raise ValueError(f"OID {before.oid} given twice")
    return "".join(f"{record.line()}\n" for record in ordered)


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")
