"""Request and answer bodies of the alert, silence, maintenance, on-call and notification routes.

Times come in as timezone-aware ISO 8601 (a naive time is refused) and go out in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from alerts.maintenance import MaintenanceWindow, OneOff, Recurrence
from alerts.model import Alert, AlertStatus, Severity, Transition, TransitionKind
from alerts.silences import Silence, SilenceState

_REGION = r"^\d{6}$"

UtcDatetime = Annotated[AwareDatetime, AfterValidator(lambda when: when.astimezone(UTC))]
"""A time that must carry its offset, kept in UTC (what the alert pipeline stores and shows)."""
RegionCode = Annotated[str, Field(pattern=_REGION, examples=["440103"])]
DeviceId = Annotated[str, Field(min_length=1, max_length=96, examples=["gz-liwan-acc1"])]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- alerts ----------------------------------------------------------------------------------


class AcknowledgementInfo(_Body):
    by: str
    at: datetime
    note: str
    expires_at: datetime | None = Field(description="None: until the alert resolves")


class AlertInfo(_Body):
    fingerprint: str = Field(description="Stable identity: the rule and the faulty thing")
    rule: str
    severity: Severity
    status: AlertStatus
    region: str | None = Field(description="The alert's region code; None: province-wide")
    summary: str
    labels: dict[str, str]
    annotations: dict[str, str]
    value: float | None = Field(description="The last observed value (threshold rules)")
    pending_since: datetime | None
    starts_at: datetime | None = Field(description="When it (last) started firing")
    ends_at: datetime | None = Field(description="When it last resolved")
    last_transition: TransitionKind
    last_transition_at: datetime
    acknowledgement: AcknowledgementInfo | None
    flapping: bool
    caused_by: str | None = Field(description="Fingerprint of the root cause it is folded under")
    consequences: list[str] = Field(description="Fingerprints of the alerts folded under it")
    times_fired: int
    muted_by: list[str] = Field(
        default_factory=list,
        description="What mutes it now: 'silence <id>', 'maintenance <id>'; empty when told",
    )


class TransitionInfo(_Body):
    at: datetime
    kind: TransitionKind
    before: AlertStatus | None
    after: AlertStatus | None
    by: str = Field(description="A user, or 'system'")
    reason: str
    note: str | None


class AlertDetailInfo(AlertInfo):
    history: list[TransitionInfo] = Field(description="Oldest first")


class AckRequest(_Body):
    note: str = Field(min_length=1, max_length=2000, examples=["on it: fibre cut near Liwan"])
    expires_at: UtcDatetime | None = Field(
        default=None, description="Give it back by itself at this time; default: when resolved"
    )


class UnackRequest(_Body):
    reason: str = Field(default="", max_length=2000, examples=["handing over to the night shift"])


def alert_info(alert: Alert, region: str | None, muted_by: Sequence[str] = ()) -> AlertInfo:
    return AlertInfo(**_alert_fields(alert, region), muted_by=list(muted_by))


def alert_detail_info(
    alert: Alert,
    region: str | None,
    history: tuple[Transition, ...],
    muted_by: Sequence[str] = (),
) -> AlertDetailInfo:
    return AlertDetailInfo(
        **_alert_fields(alert, region),
        history=[transition_info(t) for t in history],
        muted_by=list(muted_by),
    )


def _alert_fields(alert: Alert, region: str | None) -> dict[str, object]:
    ack = alert.acknowledgement
    return {
        "fingerprint": alert.fingerprint,
        "rule": alert.rule,
        "severity": alert.severity,
        "status": alert.status,
        "region": region,
        "summary": alert.annotations.get("summary") or alert.rule,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "value": alert.value,
        "pending_since": alert.pending_since,
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
        "last_transition": alert.last_transition,
        "last_transition_at": alert.last_transition_at,
        "acknowledgement": None
        if ack is None
        else AcknowledgementInfo(by=ack.by, at=ack.at, note=ack.note, expires_at=ack.expires_at),
        "flapping": alert.flapping,
        "caused_by": alert.caused_by,
        "consequences": list(alert.consequences),
        "times_fired": alert.times_fired,
    }


def transition_info(transition: Transition) -> TransitionInfo:
    return TransitionInfo(
        at=transition.at,
        kind=transition.kind,
        before=transition.before,
        after=transition.after,
        by=transition.by,
        reason=transition.reason,
        note=transition.note,
    )


# --- silences --------------------------------------------------------------------------------


class SilenceInfo(_Body):
    id: str
    matchers: str = Field(description='As Alertmanager writes them: {region=~"4401.*"}')
    region: str | None = Field(description="Where its matchers pin it; None: province-wide")
    state: SilenceState
    starts_at: datetime
    ends_at: datetime | None = Field(description="None: until its alerts resolve")
    until_resolved: bool
    created_by: str
    comment: str
    end_reason: str | None
    manageable: bool = Field(description="Whether the caller may expire it")


class NewSilence(_Body):
    matchers: str = Field(
        min_length=1,
        max_length=2000,
        description="Alertmanager matchers; a scoped user must pin a region in their scope",
        examples=['{region="440103", alertname="county-link-down"}'],
    )
    starts_at: UtcDatetime | None = Field(default=None, description="Default: now")
    ends_at: UtcDatetime | None = Field(default=None, description="Required unless until_resolved")
    until_resolved: bool = Field(
        default=False, description="End as soon as every alert it muted has resolved"
    )
    comment: str = Field(min_length=1, max_length=2000, examples=["fibre splice, ticket 4411"])


def silence_info(
    silence: Silence, now: datetime, region: str | None, manageable: bool
) -> SilenceInfo:
    return SilenceInfo(
        id=silence.id,
        matchers=silence.summary,
        region=region,
        state=silence.state(now),
        starts_at=silence.starts_at,
        ends_at=silence.ends_at,
        until_resolved=silence.until_resolved,
        created_by=silence.created_by,
        comment=silence.comment,
        end_reason=silence.end_reason,
        manageable=manageable,
    )


# --- maintenance -----------------------------------------------------------------------------


class Opening(_Body):
    starts_at: datetime
    ends_at: datetime


class MaintenanceInfo(_Body):
    id: str
    kind: Literal["one_off", "recurring"]
    regions: list[str]
    devices: list[str]
    starts_at: datetime | None = Field(description="One-off windows: the start")
    ends_at: datetime | None = Field(description="One-off windows: the end")
    recurrence: str | None = Field(description="Recurring windows: 'weekly Sun 02:00-04:00 …'")
    until: datetime | None = Field(description="Recurring windows: no opening starts after it")
    pause_collection: bool = Field(description="The poller skips what it covers while open")
    created_by: str
    comment: str
    open_now: bool
    next_opening: Opening | None = Field(description="The current or next opening, if any")
    manageable: bool = Field(description="Whether the caller may cancel it")


class NewMaintenance(_Body):
    regions: list[RegionCode] = Field(
        default_factory=list, max_length=200, description="Each covers itself and below"
    )
    devices: list[DeviceId] = Field(
        default_factory=list, max_length=500, description="Devices covered wherever they are"
    )
    starts_at: UtcDatetime | None = Field(default=None, description="One-off: the start")
    ends_at: UtcDatetime | None = Field(default=None, description="One-off: the end")
    recurrence: str | None = Field(
        default=None,
        max_length=200,
        description="Instead of starts_at/ends_at: 'daily HH:MM-HH:MM TZ' or "
        "'weekly Day[,Day…] HH:MM-HH:MM TZ'",
        examples=["weekly Sun 02:00-04:00 Asia/Shanghai"],
    )
    until: UtcDatetime | None = Field(
        default=None, description="Recurring only: no opening starts at or after it"
    )
    pause_collection: bool = Field(
        default=False, description="Also stop polling what it covers while it is open"
    )
    comment: str = Field(min_length=1, max_length=2000, examples=["core switch upgrade"])


def maintenance_info(window: MaintenanceWindow, now: datetime, manageable: bool) -> MaintenanceInfo:
    schedule = window.schedule
    upcoming = schedule.next_occurrence(now)
    one_off = isinstance(schedule, OneOff)
    return MaintenanceInfo(
        id=window.id,
        kind="one_off" if one_off else "recurring",
        regions=sorted(window.regions),
        devices=sorted(window.device_ids),
        starts_at=schedule.starts_at if isinstance(schedule, OneOff) else None,
        ends_at=schedule.ends_at if isinstance(schedule, OneOff) else None,
        recurrence=schedule.describe() if isinstance(schedule, Recurrence) else None,
        until=schedule.until if isinstance(schedule, Recurrence) else None,
        pause_collection=window.pause_collection,
        created_by=window.created_by,
        comment=window.comment,
        open_now=window.occurrence_at(now) is not None,
        next_opening=None
        if upcoming is None
        else Opening(starts_at=upcoming[0], ends_at=upcoming[1]),
        manageable=manageable,
    )
