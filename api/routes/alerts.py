"""Alerts: the list (by status, severity, region and labels), one alert with its history, taking
one (acknowledging, with a note and maybe an expiry) and giving it back; the escalations under
way and the notification log.

Served by the server's alert pipeline; elsewhere every route answers 503. Scopes bound every
answer (:mod:`api.alert_scope`): an alert lies in the region of its ``region`` label, and one
without is province-wide. An alert outside the caller's regions answers 404, as one that does not
exist. Reading needs ``read_inventory`` (alerts are the state of the network); taking and giving
back ``acknowledge_alerts``; the notification log ``acknowledge_alerts`` too, since it names who
was told, through which channel, and why a delivery failed — for the people who answer alerts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from alerts.model import Alert, AlertStatus, Severity
from alerts.notify.log import DeliveryState
from api.alert_actions import Change, InvalidRequest, service_of
from api.alert_scope import alert_region, concerns
from api.alert_services import AlertService
from api.deps import Access, ClockDep, Permission, ServicesDep, require
from api.errors import InvalidParameter, error_responses
from api.schemas_alerts import (
    AckRequest,
    AlertDetailInfo,
    AlertInfo,
    UnackRequest,
    alert_detail_info,
    alert_info,
)
from api.schemas_oncall import DeliveryInfo, EscalationInfo, delivery_info, escalation_info
from core.errors import NotFound

router = APIRouter(tags=["alerts"])

ReadAlerts = Annotated[Access, require(Permission.READ_INVENTORY)]
AckAlerts = Annotated[Access, require(Permission.ACKNOWLEDGE_ALERTS)]
FingerprintPath = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-f]{1,64}$",
        description="The alert's fingerprint (16 hex digits)",
        examples=["e27815005d4ed6a8"],
    ),
]
_LABEL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
SCOPED_LOOKAHEAD = 10
"""A scoped caller's notification list reads this many times ``limit`` of the newest deliveries,
so that filtering leaves enough of theirs."""
MAX_DELIVERIES_READ = 5000
PAGES_READ = 500
"""Newest pages read for the escalation list."""


def _labels(pairs: list[str] | None) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for pair in pairs or ():
        found = _LABEL.match(pair)
        if found is None:
            raise InvalidParameter("label", f"want name=value, got {pair!r}")
        wanted[found.group(1)] = found.group(2)
    return wanted


def _visible(access: Access, alert: Alert) -> bool:
    return access.sees(alert_region(alert.labels))


@router.get(
    "/alerts",
    summary="Alerts in the caller's regions: unresolved, and recently resolved",
    response_model=list[AlertInfo],
    responses=error_responses(401, 403, 404, 422, 503),
)
async def list_alerts(
    access: ReadAlerts,
    services: ServicesDep,
    status: Annotated[AlertStatus | None, Query(description="pending, firing or resolved")] = None,
    severity: Annotated[Severity | None, Query(description="Exactly this severity")] = None,
    region: Annotated[
        str | None,
        Query(
            pattern=r"^\d{6}$",
            description="Region code: alerts in it and below it",
            examples=["440100"],
        ),
    ] = None,
    label: Annotated[
        list[str] | None,
        Query(
            description="name=value, repeatable: alerts carrying every one of them",
            examples=["alertname=county-link-down"],
        ),
    ] = None,
) -> list[AlertInfo]:
    """Oldest first. Alerts without a region label are shown to province scopes only."""
    service = service_of(services)
    wanted = _labels(label)
    if region is not None and not concerns(access, region):
        raise NotFound(f"no region {region}")

    def read() -> tuple[list[Alert], Mapping[str, Sequence[str]]]:
        found = service.alerts(status=status, severity=severity, region=region, labels=wanted)
        visible = [a for a in found if _visible(access, a)]
        return visible, service.muted_by(visible)

    visible, muted = await run_in_threadpool(read)
    return [alert_info(a, alert_region(a.labels), muted.get(a.fingerprint, ())) for a in visible]


@router.get(
    "/alerts/{fingerprint}",
    summary="One alert with its whole history",
    response_model=AlertDetailInfo,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def get_alert(
    fingerprint: FingerprintPath, access: ReadAlerts, services: ServicesDep
) -> AlertDetailInfo:
    """History oldest first: pending, fired, acknowledged (by whom, with the note), resolved."""
    service = service_of(services)
    detail = await run_in_threadpool(service.alert, fingerprint)
    if not _visible(access, detail.alert):
        raise NotFound(f"no alert {fingerprint}")
    muted = await run_in_threadpool(service.muted_by, [detail.alert])
    return alert_detail_info(
        detail.alert,
        alert_region(detail.alert.labels),
        detail.history,
        muted.get(fingerprint, ()),
    )


def _ack_snapshot(alert: Alert) -> dict[str, object]:
    """What the audit trail keeps of an alert around an acknowledgement."""
    ack = alert.acknowledgement
    return {
        "status": alert.status.value,
        "acknowledged_by": None if ack is None else ack.by,
        "expires_at": None if ack is None or ack.expires_at is None else ack.expires_at.isoformat(),
    }


async def _take_or_give_back(
    access: Access,
    services: ServicesDep,
    fingerprint: str,
    action: str,
    note: str,
    act: Callable[[AlertService], object],
) -> AlertDetailInfo:
    change = Change(services, access, action, fingerprint)
    service = await change.service()

    def work() -> Alert:
        before = service.alert(fingerprint).alert
        change.region = alert_region(before.labels)
        if not access.sees(change.region):
            raise NotFound(f"no alert {fingerprint}")
        change.before = _ack_snapshot(before)
        act(service)
        return service.alert(fingerprint).alert

    await change.run(work, after=_ack_snapshot, detail=lambda _: note or None)
    detail = await run_in_threadpool(service.alert, fingerprint)
    return alert_detail_info(detail.alert, change.region, detail.history)


@router.post(
    "/alerts/{fingerprint}/ack",
    summary="Take an alert: acknowledge it with a note, until it resolves or until a time",
    response_model=AlertDetailInfo,
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def acknowledge(
    fingerprint: FingerprintPath,
    body: AckRequest,
    access: AckAlerts,
    services: ServicesDep,
    clock: ClockDep,
) -> AlertDetailInfo:
    """An acknowledged alert stops its escalation; when ``expires_at`` passes with the alert
    still unresolved it is given back and the on-call told again. 409 for a resolved alert."""

    def act(service: AlertService) -> object:
        if body.expires_at is not None and body.expires_at <= clock.now():
            raise InvalidRequest("body field 'expires_at': must be in the future")
        return service.acknowledge(
            fingerprint, by=access.name, note=body.note, expires_at=body.expires_at
        )

    return await _take_or_give_back(
        access, services, fingerprint, "alert_acknowledge", body.note, act
    )


@router.post(
    "/alerts/{fingerprint}/unack",
    summary="Give an alert back: nobody holds it any more",
    response_model=AlertDetailInfo,
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def unacknowledge(
    fingerprint: FingerprintPath, body: UnackRequest, access: AckAlerts, services: ServicesDep
) -> AlertDetailInfo:
    """Its escalation starts again at step 1 while it fires. 409 when nobody holds it."""

    def act(service: AlertService) -> object:
        return service.unacknowledge(fingerprint, by=access.name, reason=body.reason)

    return await _take_or_give_back(
        access, services, fingerprint, "alert_unacknowledge", body.reason, act
    )


@router.get(
    "/escalations",
    summary="Escalations under way: alert groups nobody has taken, and whom they paged",
    response_model=list[EscalationInfo],
    responses=error_responses(401, 403, 503),
)
async def escalations(access: ReadAlerts, services: ServicesDep) -> list[EscalationInfo]:
    """Each with its alerts' fingerprints and its recent pages (a page to nobody says why).
    Only escalations whose every alert lies in the caller's regions."""
    service = service_of(services)

    def read() -> list[EscalationInfo]:
        regions = {a.fingerprint: alert_region(a.labels) for a in service.alerts()}
        groups = {g.group_key: g for g in service.groups()}
        pages = service.pages(PAGES_READ)
        shown = []
        for escalation in service.escalations():
            group = groups.get(escalation.group_key)
            where = [regions.get(fp) for fp in group.fingerprints] if group else [None]
            if all(access.sees(region) for region in where):
                shown.append(escalation_info(escalation, group, pages))
        return shown

    return await run_in_threadpool(read)


@router.get(
    "/notifications",
    summary="The notification log: every message sent (or being sent), newest first",
    response_model=list[DeliveryInfo],
    responses=error_responses(401, 403, 422, 503),
)
async def notifications(
    access: Annotated[Access, require(Permission.ACKNOWLEDGE_ALERTS)],
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many")] = 100,
    state: Annotated[
        DeliveryState | None, Query(description="pending, delivered or failed")
    ] = None,
    channel: Annotated[
        str | None,
        Query(min_length=1, max_length=128, description="One channel, e.g. noc/webhook-1"),
    ] = None,
) -> list[DeliveryInfo]:
    """Only messages whose every alert lies in the caller's regions (a notice of a silence or
    window without a region: province scopes only)."""
    service = service_of(services)
    province_wide = access.sees(None)
    wanted = limit if province_wide else min(limit * SCOPED_LOOKAHEAD, MAX_DELIVERIES_READ)
    found = await service.deliveries(state=state, channel=channel, limit=wanted)
    shown = [
        delivery_info(d)
        for d in found
        if all(access.sees(alert_region(item.labels)) for item in d.message.alerts)
    ]
    return shown[:limit]
