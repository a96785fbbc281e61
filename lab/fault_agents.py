"""A running agent's data file changed by a fault: the new records spliced onto the old ones.

snmpsim serves a growing counter as ``initial + (t - epoch) x rate`` (``numeric``; the epoch is the
lab's, :mod:`lab.snmpsim_variations`) and notices a rewritten data file at its next request. A
fault changes rates, statuses and LLDP rows; a file written afresh would restart every counter
from a new initial value, which a poller sees as a reset. So the new records are spliced onto
the old file's:

- a record that did not change, or a counter whose rate did not, stays exactly as it was;
- a counter whose rate changed is re-based: it goes on from the value it has at the switch, at its
  new rate (a stopped counter becomes that value, static). A counter slowing down switches
  ``settle_s`` later than one speeding up, so that an answer from the old file given after the
  switch cannot be above one from the new (the command waits out ``settle_s`` before it returns);
- ifLastChange becomes sysUpTime at the switch where ifOperStatus changed, and stays elsewhere;
- everything else is the new record; records no longer generated (LLDP rows) are dropped.

A silent agent's file is :data:`SILENT_FILE`: three subtree records covering every OID, served
by the ``silence`` variation, which drops the request unanswered.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from pathlib import Path

from lab.snmprec import COUNTER32_MAX, Record

COUNTER64_MAX = 2**64 - 1
SYS_UP_TIME = "1.3.6.1.2.1.1.3.0"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8."
IF_LAST_CHANGE = "1.3.6.1.2.1.2.2.1.9."
_COUNTER_TAGS = ("65", "70")
_PARTIAL_SUFFIX = ".partial"  # not a data file extension: snmpsim never serves a half-written file

SILENT_FILE = "0|:silence|\n1|:silence|\n2|:silence|\n"
"""Every OID starts with 0, 1 or 2: each line serves its whole subtree, silently."""


def parse_records(text: str) -> list[Record]:
    """The records of a data file the lab wrote (``OID|TAG|VALUE`` lines)."""
    records = []
    for line in text.splitlines():
        if line.strip():
            oid, tag, value = line.strip().split("|", 2)
            records.append(Record(oid, tag, value))
    return records


def is_silent(text: str) -> bool:
    return text == SILENT_FILE


def served_value(record: Record, at_s: float, epoch_s: float) -> float:
    """What snmpsim answers for a numeric-valued record at wall-clock time ``at_s``."""
    base, _, variation = record.tag.partition(":")
    if not variation:
        return float(record.value)
    settings = _settings(record.value)
    rate = float(settings.get("rate", "1"))
    minimum = float(settings.get("min", "0"))
    maximum = float(settings.get("max", str(COUNTER64_MAX if base == "70" else COUNTER32_MAX)))
    # numeric's own arithmetic, in its order: t x rate, plus the initial value, then the bounds.
    value = (at_s - epoch_s) * rate
    value += float(settings.get("initial", str(minimum)))
    if value < minimum:
        return minimum
    if value > maximum:
        return value % maximum + minimum if "wrap" in settings else maximum
    return value


def splice(
    old: Sequence[Record],
    new: Sequence[Record],
    *,
    now_s: float,
    epoch_s: float,
    settle_s: float,
) -> list[Record]:
    """The records to serve from ``now_s`` (see the module's docstring)."""
    previous = {record.oid: record for record in old}
    generated = {record.oid: record for record in new}
    uptime = previous.get(SYS_UP_TIME) or generated.get(SYS_UP_TIME)
    ticks_now = int(served_value(uptime, now_s, epoch_s)) if uptime is not None else 0
    spliced = []
    for record in new:
        before = previous.get(record.oid)
        if before is None or before == record:
            spliced.append(record)
        elif _is_counter(before) and _is_counter(record):
            spliced.append(_rebased(before, record, now_s, epoch_s, settle_s))
        elif record.oid.startswith(IF_LAST_CHANGE):
            status = IF_OPER_STATUS + record.oid[len(IF_LAST_CHANGE) :]
            changed = previous.get(status) != generated.get(status)
            spliced.append(Record(record.oid, "67", str(ticks_now)) if changed else before)
        else:
            spliced.append(record)
    return spliced


def replace_data_file(path: Path, text: str) -> None:
    """Write ``path`` atomically, with a modification time snmpsim cannot miss.

    snmpsim compares a data file's mtime in whole seconds: a file rewritten within the second it
    was last written would go unnoticed, so the new one is dated at least a second later.
    """
    try:
        previous = int(path.stat().st_mtime)
    except FileNotFoundError:
        previous = 0
    stamp = max(int(time.time()), previous + 1)
    partial = path.with_name(path.name + _PARTIAL_SUFFIX)
    partial.write_text(text, encoding="latin-1")
    os.utime(partial, (stamp, stamp))
    os.replace(partial, path)


def _is_counter(record: Record) -> bool:
    base, _, variation = record.tag.partition(":")
    return base in _COUNTER_TAGS and variation in ("", "numeric")


def _rate(record: Record) -> float:
    if ":" not in record.tag:
        return 0.0
    return float(_settings(record.value).get("rate", "1"))


def _rebased(old: Record, new: Record, now_s: float, epoch_s: float, settle_s: float) -> Record:
    old_rate, new_rate = _rate(old), _rate(new)
    if new_rate == old_rate:
        return old
    at_s = now_s if new_rate > old_rate else now_s + settle_s
    # Rounded up: the new record never answers below what the old one did at the switch.
    value = math.ceil(served_value(old, at_s, epoch_s))
    base = new.tag.partition(":")[0]
    if new_rate <= 0:
        return Record(new.oid, base, str(value))
    settings = _settings(new.value)
    settings["initial"] = str(math.ceil(value - (at_s - epoch_s) * new_rate))
    return Record(new.oid, new.tag, ",".join(f"{k}={v}" for k, v in settings.items()))


def _settings(value: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    for item in value.split(","):
        key, _, setting = item.partition("=")
        settings[key] = setting
    return settings
