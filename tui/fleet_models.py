"""The console's copies of what the API answers about card terminals, fleet health and rollouts.

Like :mod:`tui.alert_models` these mirror the API's JSON (``api/schemas_fleet.py``), not the
card_fleet package's classes: the console is an API client. They ignore fields they do not know,
and states, kinds and components stay text, so a newer server does not break an older console;
:class:`~card_fleet.model.TerminalState` and friends are ``StrEnum`` s, so comparing with them
still reads well. The one secret here — a terminal's credential, shown once — is a
:class:`~pydantic.SecretStr`, so it never lands in a log or a repr by accident.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# --- terminals -------------------------------------------------------------------------------


class TerminalStatusInfo(_Answer):
    """A terminal's latest heartbeat, with its rolling read counters."""

    last_seen_at: datetime
    online: bool
    """Heard from within the fleet's ``silent_after_s``."""
    reader_present: bool
    psam_status: str
    """``ok``, ``missing`` or ``error``."""
    firmware_version: str
    parameter_version: str
    blacklist_version: str
    uptime_s: int
    free_storage_mb: int
    unsent_transactions: int
    window_reads: int = 0
    window_failures: int = 0
    failure_rate: float | None = None
    """Failures / attempts over the window (0..1); None without any attempt."""


class TerminalInfo(_Answer):
    """``GET /terminals``: one terminal, with its latest heartbeat (None: never heard from)."""

    id: str
    serial: str
    model: str
    kind: str
    site: str
    county: str
    city: str
    state: str
    psam_terminal_number: str | None = None
    firmware_version: str | None = None
    parameter_version: str | None = None
    has_credential: bool = False
    registered_at: datetime | None = None
    updated_at: datetime | None = None
    status: TerminalStatusInfo | None = None


class TerminalEventInfo(_Answer):
    """``GET /terminals/{id}/history``: one change, oldest first."""

    at: datetime
    kind: str
    by: str
    before: str | None = None
    after: str | None = None
    reason: str = ""
    detail: str | None = None


class ProvisionedInfo(_Answer):
    """``POST /terminals/{id}/provision``: the terminal, and its credential shown once."""

    terminal: TerminalInfo
    credential: SecretStr
    note: str = ""


class CredentialInfo(_Answer):
    """``POST /terminals/{id}/credential``: a new credential, shown once."""

    credential: SecretStr
    note: str = ""


# --- fleet health ----------------------------------------------------------------------------


class SilentTerminalInfo(_Answer):
    terminal_id: str
    last_seen_at: datetime | None = None
    """None: never heard from."""


class OutlierInfo(_Answer):
    """A terminal failing far more reads than its county's others."""

    terminal_id: str
    reads: int
    failures: int
    failure_rate: float


class AreaHealthInfo(_Answer):
    """The fleet's figures of one county, city or province."""

    code: str
    level: str
    """``province``, ``city`` or ``county``."""
    city: str | None = None
    terminals_by_state: dict[str, int] = Field(default_factory=dict)
    active: int = 0
    online: int = 0
    online_share: float | None = None
    """online / active (0..1); None without active terminals."""
    silent: int = 0
    silent_terminals: tuple[SilentTerminalInfo, ...] = ()
    card_reads: int = 0
    card_read_failures: int = 0
    read_failure_rate: float | None = None
    """0..1; None without any read attempt."""
    outliers: tuple[OutlierInfo, ...] = ()
    psam_missing: int = 0
    psam_error: int = 0
    majority_firmware: str | None = None
    majority_parameter: str | None = None
    firmware_drift: int = 0
    parameter_drift: int = 0
    off_target: int = 0
    firmware_versions: dict[str, int] = Field(default_factory=dict)
    parameter_versions: dict[str, int] = Field(default_factory=dict)

    @property
    def terminals(self) -> int:
        """Every registered terminal, in any state."""
        return sum(self.terminals_by_state.values())

    @property
    def psam_failures(self) -> int:
        return self.psam_missing + self.psam_error

    @property
    def version_drift(self) -> int:
        """Terminals off the majority firmware plus those off the majority parameters (a
        terminal off both counts twice: each is a version to fix)."""
        return self.firmware_drift + self.parameter_drift


class FleetHealthInfo(_Answer):
    """``GET /fleet/health``: every area in the caller's scope, as last computed."""

    computed_at: datetime
    silent_after_s: float
    areas: tuple[AreaHealthInfo, ...] = ()

    def area(self, code: str) -> AreaHealthInfo | None:
        return next((area for area in self.areas if area.code == code), None)

    def of_level(self, level: str) -> list[AreaHealthInfo]:
        return [area for area in self.areas if area.level == level]

    def counties_of(self, city: str) -> list[AreaHealthInfo]:
        return [area for area in self.areas if area.level == "county" and area.city == city]


# --- rollouts --------------------------------------------------------------------------------


class GatePolicyInfo(_Answer):
    """When a wave is healthy enough for the next one to open."""

    soak_s: int = 3600
    min_back_pct: float = 95.0
    max_failure_rate_increase_points: float = 2.0
    max_psam_failures: int = 0
    online_within_s: int = 600


class PlannedWaveInfo(_Answer):
    """A step of a rollout's plan, in order: the pilot (``percent`` None) or a wave."""

    number: int
    label: str
    percent: float | None = None
    """Cumulative share of the terminals; None for the pilot."""
    regions: tuple[str, ...] = ()
    """Division codes the wave is limited to; empty: the rollout's scope."""


class WaveInfo(_Answer):
    """A wave that has opened, and its gate once judged."""

    number: int
    label: str = ""
    percent: float | None = None
    """None for the pilot."""
    opened_at: datetime
    members: int = 0
    judged_at: datetime | None = None
    passed: bool | None = None
    outcome: str | None = None
    """``passed``, ``failed`` or ``overridden`` once judged."""
    summary: str | None = None
    """The gate's figures in one line, failed criteria first."""


class RolloutInfo(_Answer):
    """``GET /rollouts``: a rollout, its plan and the waves opened so far."""

    id: str
    component: str
    """``firmware`` or ``parameter``."""
    target_version: str
    previous_version: str | None = None
    regions: tuple[str, ...] = ()
    """Empty: the whole fleet in the caller's reach."""
    pilot_terminal_ids: tuple[str, ...] = ()
    pilot_size: int = 0
    planned_waves: tuple[PlannedWaveInfo, ...] = ()
    gate: GatePolicyInfo = Field(default_factory=GatePolicyInfo)
    state: str
    created_by: str = ""
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    reason: str | None = None
    waves: tuple[WaveInfo, ...] = ()

    @property
    def current_wave(self) -> WaveInfo | None:
        """The last wave opened, if any."""
        return self.waves[-1] if self.waves else None


class RolloutChangeInfo(_Answer):
    """``GET /rollouts/{id}/history``: one change, oldest first."""

    at: datetime
    change: str
    by: str
    """A user, or ``system`` for what the gates decided."""
    message: str = ""
    wave: int | None = None
