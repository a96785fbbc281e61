"""Request and answer bodies of the card-terminal routes (registry, provisioning, heartbeats, fleet
health). Rollouts have theirs in :mod:`api.schemas_rollouts`.

Times go out in UTC. A terminal's credential appears in exactly two answers (provisioning and
re-issuing), never in a request the API keeps, a log line or an audit record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from card_fleet.csv_import import RowError
from card_fleet.fleet_status import TerminalStatus
from card_fleet.health import AreaHealth, AreaLevel, FleetHealth
from card_fleet.model import PsamStatus, Terminal, TerminalKind, TerminalState
from card_fleet.registry import TerminalEvent, TerminalEventKind

COUNTY_CODE = r"^\d{6}$"
TERMINAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
"""What the registry accepts as a terminal id (it travels inside credentials)."""
PSAM_NUMBER_PATTERN = r"^\d{12}$"
"""A PSAM's terminal number: EF16, 12 decimal digits."""

TerminalId = Annotated[str, Field(pattern=TERMINAL_ID_PATTERN, examples=["T440103-0007"])]
Reason = Annotated[str, Field(min_length=1, max_length=500, examples=["kiosk moved to floor 2"])]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- terminals -------------------------------------------------------------------------------


class TerminalStatusInfo(_Body):
    """The terminal's latest heartbeat, with its read counters over the rolling window."""

    last_seen_at: datetime
    online: bool = Field(description="Heard from within the fleet's silent_after_s")
    reader_present: bool
    psam_status: PsamStatus
    firmware_version: str
    parameter_version: str
    blacklist_version: str
    uptime_s: int
    free_storage_mb: int
    unsent_transactions: int
    window_reads: int = Field(description="Successful card reads in the rolling window (1 h)")
    window_failures: int = Field(description="Failed card reads in the rolling window")
    failure_rate: float | None = Field(description="failures / attempts; None without attempts")


class TerminalInfo(_Body):
    id: str
    serial: str
    model: str
    kind: TerminalKind
    site: str
    county: str
    city: str
    state: TerminalState
    psam_terminal_number: str | None = Field(description="The bound PSAM (12 digits), if any")
    firmware_version: str | None = Field(description="As the registry last recorded it")
    parameter_version: str | None
    has_credential: bool = Field(description="Whether a credential exists (never the credential)")
    registered_at: datetime | None
    updated_at: datetime | None
    status: TerminalStatusInfo | None = Field(description="None: no heartbeat seen yet")


class TerminalEventInfo(_Body):
    at: datetime
    kind: TerminalEventKind
    by: str = Field(description="A user, or 'terminal T…' for what a heartbeat caused")
    before: TerminalState | None
    after: TerminalState | None
    reason: str
    detail: str | None


class NewTerminal(_Body):
    """One terminal to register; its id is ``T<county>-<seq>`` unless given."""

    serial: str = Field(min_length=1, max_length=64, examples=["YT2026K90001"])
    model: str = Field(min_length=1, max_length=64, examples=["YT-K9"])
    kind: TerminalKind
    site: str = Field(min_length=1, max_length=255, examples=["荔湾区社保局一楼大厅"])
    county: str = Field(pattern=COUNTY_CODE, examples=["440103"])
    id: TerminalId | None = None
    firmware_version: str | None = Field(default=None, min_length=1, max_length=64)
    parameter_version: str | None = Field(default=None, min_length=1, max_length=64)


class RowErrorInfo(_Body):
    line: int = Field(description="Line of the file (the header is line 1)")
    column: str | None = Field(description="The column at fault; None for the row as a whole")
    reason: str


class ImportResultInfo(_Body):
    added: list[str] = Field(description="Ids of the terminals registered")
    errors: list[RowErrorInfo] = Field(description="Why the other rows were not, by line")


class AcceptanceSummary(_Body):
    """What the station's acceptance test found, for the audit trail. Holder data (citizen id,
    name, even masked) has no field here and is refused."""

    card_id_region: str = Field(
        pattern=COUNTY_CODE, description="The test card's issuing region", examples=["440100"]
    )
    spec_version: str = Field(min_length=1, max_length=8, examples=["3.00"])
    checked_at: AwareDatetime
    atr: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f]{4,66}$")
    card_expires_on: date | None = None
    psam_reader: str | None = Field(default=None, max_length=128)
    card_reader: str | None = Field(default=None, max_length=128)


class ProvisionRequest(_Body):
    psam_terminal_number: str = Field(pattern=PSAM_NUMBER_PATTERN, examples=["440100000001"])
    acceptance: AcceptanceSummary


SHOWN_ONCE = (
    "shown once: enter it into the terminal now; it is stored only as a hash and cannot be "
    "shown again (re-issue one if it is lost)"
)


class ProvisionedInfo(_Body):
    terminal: TerminalInfo
    credential: str = Field(description="The terminal's credential, shown this once")
    note: str = Field(examples=[SHOWN_ONCE])


class CredentialInfo(_Body):
    credential: str = Field(description="The terminal's new credential, shown this once")
    note: str = Field(examples=[SHOWN_ONCE])


class ReasonBody(_Body):
    reason: Reason


# --- heartbeats ------------------------------------------------------------------------------


class HeartbeatBody(_Body):
    """What a terminal reports (documentation only: the route reads the JSON itself)."""

    reader_present: bool
    card_reads: int = Field(ge=0, description="Successful reads since the last heartbeat")
    card_read_failures: int = Field(ge=0, description="Failed reads since the last heartbeat")
    psam_status: PsamStatus
    firmware_version: str = Field(min_length=1, max_length=64)
    parameter_version: str = Field(min_length=1, max_length=64)
    blacklist_version: str = Field(min_length=1, max_length=64)
    uptime_s: int = Field(ge=0)
    free_storage_mb: int = Field(ge=0)
    unsent_transactions: int = Field(ge=0)


class HeartbeatReplyInfo(_Body):
    target_firmware_version: str | None = Field(description="Fetch and install this firmware")
    target_parameter_version: str | None = Field(description="Fetch and load these parameters")
    next_heartbeat_s: int = Field(description="Beat again after this many seconds")


# --- fleet health ----------------------------------------------------------------------------


class SilentTerminalInfo(_Body):
    terminal_id: str
    last_seen_at: datetime | None = Field(description="None: never heard from")


class OutlierInfo(_Body):
    terminal_id: str
    reads: int
    failures: int
    failure_rate: float


class AreaHealthInfo(_Body):
    code: str
    level: AreaLevel
    city: str | None = Field(description="A county's city, a city's own code; None: province")
    terminals_by_state: dict[TerminalState, int]
    active: int
    online: int
    online_share: float | None = Field(description="online / active; None without active ones")
    silent: int
    silent_terminals: list[SilentTerminalInfo]
    card_reads: int
    card_read_failures: int
    read_failure_rate: float | None
    outliers: list[OutlierInfo]
    psam_missing: int
    psam_error: int
    majority_firmware: str | None
    majority_parameter: str | None
    firmware_drift: int = Field(description="Active terminals off their county's majority")
    parameter_drift: int
    off_target: int = Field(description="Active terminals not on what a rollout targets")
    firmware_versions: dict[str, int]
    parameter_versions: dict[str, int]


class FleetHealthInfo(_Body):
    computed_at: datetime
    silent_after_s: float
    areas: list[AreaHealthInfo] = Field(description="Province, cities, counties: by code")


# --- conversions -----------------------------------------------------------------------------


def status_info(status: TerminalStatus, online_since: datetime) -> TerminalStatusInfo:
    attempts = status.window_reads + status.window_failures
    return TerminalStatusInfo(
        last_seen_at=status.last_seen_at,
        online=status.last_seen_at >= online_since,
        reader_present=status.reader_present,
        psam_status=status.psam_status,
        firmware_version=status.firmware_version,
        parameter_version=status.parameter_version,
        blacklist_version=status.blacklist_version,
        uptime_s=status.uptime_s,
        free_storage_mb=status.free_storage_mb,
        unsent_transactions=status.unsent_transactions,
        window_reads=status.window_reads,
        window_failures=status.window_failures,
        failure_rate=status.window_failures / attempts if attempts else None,
    )


def terminal_info(
    terminal: Terminal, status: TerminalStatus | None, online_since: datetime
) -> TerminalInfo:
    """``online_since``: a heartbeat at or after it counts as online."""
    return TerminalInfo(
        id=terminal.id,
        serial=terminal.serial,
        model=terminal.model,
        kind=terminal.kind,
        site=terminal.site,
        county=terminal.county,
        city=terminal.city,
        state=terminal.state,
        psam_terminal_number=terminal.psam_terminal_number,
        firmware_version=terminal.firmware_version,
        parameter_version=terminal.parameter_version,
        has_credential=terminal.has_credential,
        registered_at=terminal.registered_at,
        updated_at=terminal.updated_at,
        status=None if status is None else status_info(status, online_since),
    )


def event_info(event: TerminalEvent) -> TerminalEventInfo:
    return TerminalEventInfo(
        at=event.at,
        kind=event.kind,
        by=event.by,
        before=event.before,
        after=event.after,
        reason=event.reason,
        detail=event.detail,
    )


def import_result_info(added: list[str], errors: tuple[RowError, ...]) -> ImportResultInfo:
    rows = [RowErrorInfo(line=e.line, column=e.column, reason=e.reason) for e in errors]
    return ImportResultInfo(added=added, errors=rows)


def area_info(area: AreaHealth) -> AreaHealthInfo:
    return AreaHealthInfo(
        code=area.code,
        level=area.level,
        city=area.city,
        terminals_by_state=dict(area.by_state),
        active=area.active,
        online=area.online,
        online_share=area.online_share,
        silent=len(area.silent),
        silent_terminals=[
            SilentTerminalInfo(terminal_id=s.terminal_id, last_seen_at=s.last_seen_at)
            for s in area.silent
        ],
        card_reads=area.card_reads,
        card_read_failures=area.card_read_failures,
        read_failure_rate=area.read_failure_rate,
        outliers=[
            OutlierInfo(
                terminal_id=o.terminal_id,
                reads=o.reads,
                failures=o.failures,
                failure_rate=o.failure_rate,
            )
            for o in area.outliers
        ],
        psam_missing=area.psam_missing,
        psam_error=area.psam_error,
        majority_firmware=area.majority_firmware,
        majority_parameter=area.majority_parameter,
        firmware_drift=area.firmware_drift,
        parameter_drift=area.parameter_drift,
        off_target=area.off_target,
        firmware_versions=dict(area.firmware_versions),
        parameter_versions=dict(area.parameter_versions),
    )


def all_areas(health: FleetHealth) -> Mapping[str, AreaHealth]:
    """Every area of ``health`` by code: the provinces, cities and counties."""
    return {**health.provinces, **health.cities, **health.counties}
