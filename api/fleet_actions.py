"""What the terminal, fleet and rollout routes share: finding the fleet (503 without it), finding
a terminal the caller may see (404 otherwise), a terminal with its latest heartbeat, reading a CSV
upload within the caller's regions, and carrying out a change with its audit record.

A change runs in a worker thread (the registry writes to the state DB) and is recorded once,
after its outcome is known: OK with before/after, FAILED with the reason — a terminal not found or
out of scope, a state that refuses the change — DENIED for a scope refusal, or UNAVAILABLE when
this server keeps no fleet. The registry's refusals (:class:`~card_fleet.errors.FleetError`) are
answered 409 with its message; a CSV file that cannot be read at all, 422. Store failures and
unknown objects are answered by :mod:`api.errors` (503, 404). A credential never reaches a record:
records are built from terminals (which only say whether they hold one) and from what routes
pass in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import timedelta

from fastapi import Request

from api.audit import AuditOutcome
from api.audited_change import AuditedChange, Conflict, InvalidRequest
from api.deps import Access, ApiServices
from api.errors import ApiProblem, ServiceUnavailable
from api.schemas_fleet import ImportResultInfo, TerminalInfo, import_result_info, terminal_info
from card_fleet.csv_import import RowError, decode_csv
from card_fleet.errors import FleetError, ImportRefused
from card_fleet.model import Terminal, TerminalState
from card_fleet.service import FleetService
from core.errors import NotFound
from core.security.scope import ScopeLevel, is_region_code, scope_level

NO_FLEET = (
    "this server keeps no card-terminal fleet (the fleet is disabled, or it is not the server "
    "started by `ssnoc serve`): no terminals, heartbeats, fleet health or rollouts here"
)


def fleet_of(services: ApiServices) -> FleetService:
    """The fleet; 503 when this server keeps none."""
    if services.fleet is None:
        raise ServiceUnavailable("fleet_unavailable", NO_FLEET)
    return services.fleet


def visible_terminal(fleet: FleetService, access: Access, terminal_id: str) -> Terminal:
    """The terminal, if it lies in the caller's regions; :class:`NotFound` otherwise, the same
    answer as for a terminal that does not exist. Blocking (a registry read)."""
    terminal = fleet.registry.get(terminal_id)
    if not access.sees(terminal.county):
        raise NotFound(f"no terminal {terminal_id}")
    return terminal


def terminal_view(fleet: FleetService, terminal: Terminal) -> TerminalInfo:
    """The terminal with its latest heartbeat (in memory: no database)."""
    now = fleet.clock.now()
    online_since = now - timedelta(seconds=fleet.settings.silent_after_s)
    return terminal_info(terminal, fleet.status.get(terminal.id, now), online_since)


def terminal_snapshot(terminal: Terminal) -> dict[str, object]:
    """What the audit trail keeps of a terminal around a change (never its credential)."""
    return {
        "state": terminal.state.value,
        "psam_terminal_number": terminal.psam_terminal_number,
        "has_credential": terminal.has_credential,
    }


MAX_CSV_BYTES = 5_000_000
"""A CSV import larger than this is refused (some 20,000 rows fit in a tenth of it)."""
CSV_TYPES = ("text/csv", "text/plain")


def matches_text(terminal: Terminal, text: str | None) -> bool:
    """Whether ``text`` is in the terminal's id, serial or site (case-insensitive)."""
    if not text:
        return True
    wanted = text.casefold()
    fields = (terminal.id, terminal.serial, terminal.site)
    return any(wanted in field.casefold() for field in fields)


def counties_to_read(access: Access, county: str | None) -> list[str] | None:
    """The counties whose terminals a list reads (None: all of them, filtered afterwards)."""
    if county is not None:
        return [county]
    scopes = access.scope_codes()
    if all(scope_level(code) is ScopeLevel.COUNTY for code in scopes):
        return sorted(scopes)  # a county's technician does not pay for the province
    return None


async def csv_upload(request: Request, change: FleetChange) -> bytes:
    """The CSV file a request carries; 415 for another media type, 413 past
    :data:`MAX_CSV_BYTES` (read no further), each refusal recorded on ``change``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        wrong = ApiProblem(415, "unsupported_media_type", "send the file as text/csv")
        raise await change.refuse(wrong)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_CSV_BYTES:
            message = f"the file is over {MAX_CSV_BYTES} bytes: split it"
            raise await change.refuse(ApiProblem(413, "too_large", message))
    return bytes(data)


def import_in_scope(
    fleet: FleetService, access: Access, data: bytes, change: FleetChange
) -> ImportResultInfo:
    """Register the good rows of ``data`` in the caller's regions; the others are errors by
    line (rows outside the regions among them). Blocking: one registry transaction."""
    text, outside = without_rows_outside(decode_csv(data), access.sees)
    result = fleet.registry.import_csv(text, by=access.name, now=fleet.clock.now())
    change.region = region_of_counties(t.county for t in result.added)
    errors = sorted((*result.errors, *outside), key=lambda error: error.line)
    return import_result_info([t.id for t in result.added], tuple(errors))


def region_of_counties(counties: Iterable[str]) -> str | None:
    """The narrowest region holding every one of ``counties``: the county, their city, or None
    (the province, or nothing at all) — where an audit record of a change to them lies."""
    found = set(counties)
    if len(found) == 1:
        return found.pop()
    cities = {county[:4] + "00" for county in found}
    return cities.pop() if len(cities) == 1 else None


def without_rows_outside(text: str, sees: Callable[[str], bool]) -> tuple[str, list[RowError]]:
    """``text`` (a decoded terminal CSV file) with every row whose county ``sees`` refuses blanked
    out, and an error for each such row.

    A blanked row keeps its number of physical lines (a quoted site may hold a line break), so
    the registry's errors name the same lines as the file; the registry skips blank rows. A file
    without a readable header or county column is left as it is: the registry refuses it."""
    rows = csv.reader(io.StringIO(text, newline=""))
    kept: list[list[str]] = []
    errors: list[RowError] = []
    county_column: int | None = None
    header_seen = False
    end_of_previous = 0
    try:
        for row in rows:
            fields = row
            line, end_of_previous = end_of_previous + 1, rows.line_num
            if not header_seen:
                header_seen = any(field.strip() for field in fields)
                names = [field.strip().lower() for field in fields]
                county_column = names.index("county") if "county" in names else None
            elif county_column is not None and county_column < len(fields):
                county = fields[county_column].strip()
                if is_region_code(county) and not sees(county):
                    errors.append(RowError(line, "county", f"{county} is outside your regions"))
                    span = end_of_previous - line + 1
                    fields = ["\n" * (span - 1)] if span > 1 else []
            kept.append(fields)
    except csv.Error:
        return text, []  # not CSV: the registry says where and why
    if not errors:
        return text, []
    out = io.StringIO(newline="")
    csv.writer(out).writerows(kept)
    return out.getvalue(), errors


class FleetChange(AuditedChange):
    """One audited change of the fleet: ``action`` on ``target`` by ``access``."""

    def answer_to(self, exc: Exception) -> Exception:
        if isinstance(exc, ImportRefused):
            return InvalidRequest(str(exc))
        if isinstance(exc, FleetError):
            return Conflict(str(exc))
        return exc

    async def fleet(self) -> FleetService:
        """The fleet, or the UNAVAILABLE record and 503."""
        if self.services.fleet is None:
            await self.record(AuditOutcome.UNAVAILABLE, detail="no card-terminal fleet here")
        return fleet_of(self.services)


async def change_terminal(
    services: ApiServices,
    access: Access,
    terminal_id: str,
    action: str,
    act: Callable[[FleetService], Terminal],
    detail: str | None = None,
) -> Terminal:
    """Find the terminal in the caller's regions, ``act`` on it in a worker thread, and record
    the attempt with the terminal as it was and as it became."""
    change = FleetChange(services, access, action, terminal_id)
    fleet = await change.fleet()

    def work() -> Terminal:
        terminal = visible_terminal(fleet, access, terminal_id)
        change.region = terminal.county
        change.before = terminal_snapshot(terminal)
        return act(fleet)

    return await change.run(work, after=terminal_snapshot, detail=lambda _: detail)


async def move_terminal(
    services: ApiServices,
    access: Access,
    terminal_id: str,
    to: TerminalState,
    action: str,
    reason: str,
) -> TerminalInfo:
    """Suspend, resume, mark lost or retire, as the registry allows (409 otherwise)."""

    def act(fleet: FleetService) -> Terminal:
        now = fleet.clock.now()
        return fleet.registry.move(terminal_id, to, by=access.name, reason=reason, now=now)

    terminal = await change_terminal(services, access, terminal_id, action, act, reason)
    return terminal_view(fleet_of(services), terminal)
