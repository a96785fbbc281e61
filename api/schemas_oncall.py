"""Answer and request bodies of the on-call, escalation and notification routes."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict, Field

from alerts.dispatch import GroupView
from alerts.escalation import EscalationView, Page
from alerts.notify.log import Delivery, DeliveryState
from alerts.notify.message import AlertStatus as MessageStatus
from alerts.notify.message import NotifyReason
from alerts.oncall import RotationPeriod, Schedule
from api.schemas_alerts import UtcDatetime

_USERNAME = r"^[a-z0-9._-]{1,64}$"


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- on call ---------------------------------------------------------------------------------


class RotationInfo(_Body):
    users: list[str] = Field(description="In turn order")
    start: date = Field(description="Local date of the first handoff")
    handoff: time = Field(description="Local time of every handoff")
    period: RotationPeriod
    timezone: str


class OverrideInfo(_Body):
    user: str
    starts_at: datetime
    ends_at: datetime


class ScheduleInfo(_Body):
    name: str
    team: str
    region: str
    on_call: str | None = Field(description="Who is on call at 'at' (None: nobody)")
    at: datetime
    rotation: RotationInfo
    overrides: list[OverrideInfo] = Field(
        description="Overrides not ended at 'at', in the order added (a later one wins)"
    )
    manageable: bool = Field(description="Whether the caller may add overrides")


class NewOverride(_Body):
    user: str = Field(pattern=_USERNAME, description="Who is on call instead", examples=["li.na"])
    starts_at: UtcDatetime
    ends_at: UtcDatetime


def schedule_info(
    schedule: Schedule, on_call: str | None, at: datetime, manageable: bool
) -> ScheduleInfo:
    rotation = schedule.rotation
    return ScheduleInfo(
        name=schedule.name,
        team=schedule.team,
        region=schedule.region,
        on_call=on_call,
        at=at,
        rotation=RotationInfo(
            users=list(rotation.users),
            start=rotation.start,
            handoff=rotation.handoff,
            period=rotation.period,
            timezone=rotation.timezone,
        ),
        overrides=[
            OverrideInfo(user=o.user, starts_at=o.starts_at, ends_at=o.ends_at)
            for o in schedule.overrides
            if o.ends_at > at
        ],
        manageable=manageable,
    )


# --- escalations -----------------------------------------------------------------------------


class PageInfo(_Body):
    due_at: datetime
    user: str | None = Field(description="None: nobody could be paged (see problem)")
    step: int
    round: int
    target: str = Field(description="The step's target, e.g. 'network on-call (city)'")
    problem: str | None


class EscalationInfo(_Body):
    group_key: str
    policy: str
    started_at: datetime
    acknowledged: bool
    next_step: int | None
    next_page_at: datetime | None
    fingerprints: list[str] = Field(description="The alerts of the escalated group")
    pages: list[PageInfo] = Field(description="The group's recent pages, oldest first")


def escalation_info(
    escalation: EscalationView, group: GroupView | None, pages: list[Page]
) -> EscalationInfo:
    return EscalationInfo(
        group_key=escalation.group_key,
        policy=escalation.policy,
        started_at=escalation.started_at,
        acknowledged=escalation.acknowledged,
        next_step=escalation.next_step,
        next_page_at=escalation.next_page_at,
        fingerprints=list(group.fingerprints) if group is not None else [],
        pages=[
            PageInfo(
                due_at=p.due_at,
                user=p.user,
                step=p.step,
                round=p.round,
                target=p.target,
                problem=p.problem,
            )
            for p in pages
            if p.group_key == escalation.group_key
        ],
    )


# --- the notification log --------------------------------------------------------------------


class DeliveryInfo(_Body):
    id: str
    channel: str = Field(description="Receiver/channel, e.g. noc/webhook-1")
    receiver: str
    group_key: str
    reason: NotifyReason
    status: MessageStatus = Field(description="Whether the group fired or resolved")
    headline: str = Field(description="What the message is about, in one line")
    fingerprints: list[str]
    state: DeliveryState
    attempts: int
    created_at: datetime
    updated_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None = Field(description="Why the last attempt failed (never a secret)")


def delivery_info(delivery: Delivery) -> DeliveryInfo:
    message = delivery.message
    return DeliveryInfo(
        id=delivery.id,
        channel=delivery.channel,
        receiver=delivery.receiver,
        group_key=delivery.group_key,
        reason=message.reason,
        status=message.status,
        headline=message.headline.summary,
        fingerprints=list(delivery.fingerprints),
        state=delivery.state,
        attempts=delivery.attempts,
        created_at=delivery.created_at,
        updated_at=delivery.updated_at,
        next_attempt_at=delivery.next_attempt_at,
        last_error=delivery.last_error,
    )
