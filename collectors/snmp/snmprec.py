"""Reading snmpsim's ``.snmprec`` recordings: ``OID|TAG|VALUE`` per line.

Used by :class:`collectors.snmp.fake_transport.FakeTransport` to serve a recorded device to unit
tests, and by tools that inspect recordings. Lines are sorted numerically and duplicates dropped
(real recordings carry both; the last line for an OID wins). Values become the seam's plain types
(:mod:`collectors.snmp.transport`), read as snmpsim 1.2 reads them, so that the fake and the lab
serve the same varbinds (an integration test walks both and compares):

- a file is Latin-1 text, one record per ``\\n``-ended line, stripped of surrounding blanks before
  it is split (so a value's trailing blanks are lost, in snmpsim as here);
- ``TAG`` is the type's number (2 INTEGER, 4 OCTET STRING, 5 NULL, 6 OBJECT IDENTIFIER,
  64 IpAddress, 65 Counter32, 66 Gauge32, 67 TimeTicks, 68 Opaque, 70 Counter64, 128–130 the
  "no such" markers), then ``x`` for a hex value or ``e`` for a Python-escaped one;
- ``TAG:module`` is a variation computed at run time (growing counters): served statically, its
  ``initial=`` (or ``value=``) parameter, else nothing.

One deliberate difference: a redacted hex value (``346288XXYYZZ``) is served as its text, where
snmpsim fails the whole request.
"""

from __future__ import annotations

from pathlib import Path

from collectors.snmp.transport import SnmpValue, VarBind, normalise_oid, oid_key
from core.errors import MalformedResponse

_INTEGER_TAGS = {"2", "65", "66", "67", "70"}
_BYTES_TAGS = {"4", "68"}
_ABSENT_TAGS = {"5", "128", "129", "130"}  # Null, noSuchObject, noSuchInstance, endOfMibView
# The escapes snmpsim understands (Python's, less the octal and \N{...} forms).
_ESCAPES = {"\\": 92, "'": 39, '"': 34, "a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}


def parse_snmprec(text: str, source: str = "<snmprec>") -> list[VarBind]:
    """The varbinds of a recording, in OID order; a bad line raises naming the line.

    ``text`` is the file decoded as Latin-1, as snmpsim reads it; a character beyond Latin-1 (text
    built in memory) stands for its UTF-8 bytes.
    """
    values: dict[str, SnmpValue] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("|", 2)
        if len(parts) != 3:
            raise MalformedResponse(f"{source}:{number}", "expected OID|TAG|VALUE")
        oid, tag, value = parts
        try:
            oid = normalise_oid(oid)
            parsed = _value(tag, value)
        except ValueError as exc:
            raise MalformedResponse(f"{source}:{number}", str(exc)) from None
        if parsed is None:
            values.pop(oid, None)
        else:
            values[oid] = parsed
    return sorted(values.items(), key=lambda item: oid_key(item[0]))


def load_snmprec(path: Path) -> list[VarBind]:
    return parse_snmprec(path.read_bytes().decode("latin-1"), str(path))


def _value(tag: str, value: str) -> SnmpValue | None:
    base, _, variation = tag.partition(":")
    encoding = ""
    if base and base[-1] in "xe":
        base, encoding = base[:-1], base[-1]
    if variation:
        # Variation modules compute values at run time (e.g. growing counters); a recording read
        # statically serves the initial value when one is given, else nothing.
        return _variation_initial(base, value)
    if base in _ABSENT_TAGS:
        return None
    if encoding == "x":
        return _hex_value(base, value)
    if encoding == "e":
        if base not in _BYTES_TAGS:
            raise ValueError(f"escaped encoding on tag {tag!r}: only OCTET STRING and Opaque")
        return _unescape(value)
    if base in _INTEGER_TAGS:
        return int(value)
    if base in _BYTES_TAGS:
        return _octets(value)
    if base == "6":
        return normalise_oid(value)
    if base == "64":
        return _ip_address(value.strip())
    raise ValueError(f"unknown tag {tag!r}")


def _hex_value(base: str, value: str) -> SnmpValue:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        if base not in _BYTES_TAGS:
            raise ValueError(f"bad hex value {value!r}") from None
        # Redacted recordings carry placeholders such as "346288XXYYZZ" in hex fields.
        return _octets(value)
    if base in _BYTES_TAGS:
        return raw
    if base == "64" and len(raw) == 4:
        return ".".join(str(octet) for octet in raw)
    raise ValueError(f"hex encoding on tag {base!r}: only OCTET STRING, Opaque and IpAddress")


def _ip_address(value: str) -> str:
    parts = value.split(".")
    if len(parts) != 4 or not all(part.isdigit() and int(part) < 256 for part in parts):
        raise ValueError(f"bad IpAddress {value!r}")
    return value


def _octets(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="surrogateescape")


def _unescape(escaped: str) -> bytes:
    """snmpsim's reading of an ``e`` value: Python string escapes, one byte per character."""
    out = bytearray()
    position = 0
    while position < len(escaped):
        char = escaped[position]
        position += 1
        if char != "\\":
            out += _octets(char)
            continue
        if position >= len(escaped):
            raise ValueError(f"dangling backslash in {escaped!r}")
        code = escaped[position]
        position += 1
        if code == "x":
            digits = escaped[position : position + 2]
            position += 2
            try:
                out.append(int(digits, 16))
            except ValueError:
                raise ValueError(f"bad \\x escape in {escaped!r}") from None
        elif code in _ESCAPES:
            out.append(_ESCAPES[code])
        else:
            raise ValueError(f"unknown escape \\{code} in {escaped!r}")
    return bytes(out)


def _variation_initial(base: str, params: str) -> SnmpValue | None:
    for item in params.split(","):
        key, _, val = item.partition("=")
        if key.strip() in {"initial", "value"}:
            return _value(base, val.strip())
    return None
