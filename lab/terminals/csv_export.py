"""The generated fleet in the terminal registry's CSV import format, for the lab's enrollment.

One header line, then one terminal a line: ``serial,model,kind,site,county,id,firmware_version,
parameter_version`` — UTF-8 without a byte-order mark (sites are Chinese), ``\\n`` line ends,
quoted only where a field needs it.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path

from core.errors import LabError
from lab.terminals.fleet import LabTerminal

CSV_COLUMNS = (
    "serial",
    "model",
    "kind",
    "site",
    "county",
    "id",
    "firmware_version",
    "parameter_version",
)
"""The registry's import columns, in order."""


def fleet_csv(fleet: Iterable[LabTerminal]) -> str:
    """The fleet as CSV text, header first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for terminal in fleet:
        writer.writerow(
            (
                terminal.serial,
                terminal.model,
                terminal.kind.value,
                terminal.site,
                terminal.county,
                terminal.id,
                terminal.firmware_version,
                terminal.parameter_version,
            )
        )
    return out.getvalue()


def write_fleet_csv(fleet: Iterable[LabTerminal], path: Path) -> Path:
    """Write the fleet to ``path`` atomically (a reader never sees half a fleet); returns it."""
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(fleet_csv(fleet), encoding="utf-8", newline="")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise LabError(f"cannot write the terminal fleet to {path}: {exc}") from None
    return path
