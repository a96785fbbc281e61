"""Reading snmpsim's ``.snmprec`` recordings: ``OID|TAG|VALUE`` per line.

Used by :class:`collectors.snmp.fake_transport.FakeTransport` to serve a recorded device to unit
tests, and by tools that inspect recordings. Lines are sorted numerically and identical duplicates
dropped (real recordings carry both). Values become the seam's plain types
(:mod:`collectors.snmp.transport`).
"""

from __future__ import annotations

import ast
from pathlib import Path

from collectors.snmp.transport import SnmpValue, VarBind, oid_key
from core.errors import MalformedResponse

_INTEGER_TAGS = {"2", "65", "66", "67", "70"}
_BYTES_TAGS = {"4", "68"}


def parse_snmprec(text: str, source: str = "<snmprec>") -> list[VarBind]:
    """The varbinds of a recording, in OID order; a bad line raises naming the line."""
    values: dict[str, SnmpValue] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("|", 2)
        if len(parts) != 3:
            raise MalformedResponse(f"{source}:{number}", "expected OID|TAG|VALUE")
        oid, tag, value = parts
        try:
            parsed = _value(tag, value)
        except ValueError as exc:
            raise MalformedResponse(f"{source}:{number}", str(exc)) from None
        if parsed is not None:
            values[oid.strip().lstrip(".")] = parsed
    return sorted(values.items(), key=lambda item: oid_key(item[0]))


def load_snmprec(path: Path) -> list[VarBind]:
    return parse_snmprec(path.read_text(encoding="utf-8", errors="surrogateescape"), str(path))


def _value(tag: str, value: str) -> SnmpValue | None:
    base, _, variation = tag.partition(":")
    encoding = ""
    if base and base[-1] in "xe":
        base, encoding = base[:-1], base[-1]
    if variation:
        # Variation modules compute values at run time (e.g. growing counters); a recording read
        # statically serves the initial value when one is given, else nothing.
        return _variation_initial(base, value)
    if base == "5":
        return None
    if encoding == "x":
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            # Redacted recordings carry placeholders such as "346288XXYYZZ" in hex fields.
            raw = value.encode("utf-8", errors="surrogateescape")
        if base in _BYTES_TAGS:
            return raw
        return _value(base, raw.decode("latin-1"))
    if encoding == "e":
        text = ast.literal_eval(f"b'''{value}'''") if value else b""
        if not isinstance(text, bytes):
            raise ValueError(f"bad escaped value {value!r}")
        return text if base in _BYTES_TAGS else _value(base, text.decode("latin-1"))
    if base in _INTEGER_TAGS:
        return int(value)
    if base in _BYTES_TAGS:
        return value.encode("utf-8", errors="surrogateescape")
    if base in {"6", "64"}:
        return value.strip().lstrip(".")
    raise ValueError(f"unknown tag {tag!r}")


def _variation_initial(base: str, params: str) -> SnmpValue | None:
    for item in params.split(","):
        key, _, val = item.partition("=")
        if key.strip() in {"initial", "value"}:
            return _value(base, val.strip())
    return None
