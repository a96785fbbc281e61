"""The terminals' own route: a heartbeat, with the terminal's credential, answered with the
versions it should run and when to beat next.

Not a user route: no login, no role. The terminal presents ``Authorization: Bearer <terminal
credential>``; who it is comes from the credential alone, never from the body. Thousands arrive
every second, so the accepted path stays on the event loop and costs microseconds: the credential
is checked in memory, the JSON read with :func:`json.loads` (no pydantic model), the figures taken
by :meth:`~card_fleet.service.FleetService.heartbeat` (no database: it writes behind), and the
reply written as bytes. Only refusals cost more: they are audited (in a worker thread) with the
terminal id the credential claims and why — never the credential; a flood of one kind once a
minute with its count — and answered 401 with one generic message, whatever the reason.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response

from api.deps import ApiServices, audit_event, client_of, get_services, public
from api.errors import ApiProblem, Unauthorized, error_responses
from api.fleet_actions import fleet_of
from api.heartbeat_refusals import RefusalThrottle
from api.schemas_fleet import HeartbeatBody, HeartbeatReplyInfo
from card_fleet.credentials import CredentialRefused
from core.security.audit_trail import AuditEvent, AuditOutcome

router = APIRouter(tags=["terminals"])

ACTION = "terminal_heartbeat"
REFUSED = "terminal credential refused"
"""The one message of every refusal: why is for the audit trail, not for the caller."""
_BEARER = "bearer "


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` written in place (for ``openapi_extra``, which
    is not resolved against the app's components)."""
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined


_BODY_SCHEMA = _inline_refs(HeartbeatBody.model_json_schema())


class InvalidHeartbeat(ApiProblem):
    """A heartbeat body that is not what a terminal sends; the message names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(422, "invalid_parameter", message)


def _token(authorization: str | None) -> str | None:
    if authorization is None or authorization[: len(_BEARER)].lower() != _BEARER:
        return None
    return authorization[len(_BEARER) :].strip() or None


async def _refuse(
    services: ApiServices, request: Request, claimed_terminal_id: str | None, reason: str
) -> Unauthorized:
    """Audit a refused heartbeat (throttled: see :mod:`api.heartbeat_refusals`) and hand back
    the 401 to raise."""
    client = client_of(request)
    throttle = _throttle(request)
    who = claimed_terminal_id or f"client {client}"
    detail = throttle.admit(who, reason, services.clock.now())
    if detail is not None:
        await audit_event(
            services,
            AuditEvent(
                actor=f"terminal {claimed_terminal_id}" if claimed_terminal_id else "anonymous",
                action=ACTION,
                outcome=AuditOutcome.DENIED,
                target=claimed_terminal_id,
                client=client,
                detail=detail,
            ),
        )
    return Unauthorized(REFUSED)


def _throttle(request: Request) -> RefusalThrottle:
    """The app's one throttle (made on first use; the app serves one event loop)."""
    state = request.app.state
    throttle = getattr(state, "heartbeat_refusals", None)
    if not isinstance(throttle, RefusalThrottle):
        throttle = state.heartbeat_refusals = RefusalThrottle()
    return throttle


def _field_problem(exc: ValueError) -> InvalidHeartbeat:
    name, _, reason = str(exc).partition(": ")
    if not reason:
        return InvalidHeartbeat(f"body: {name}")
    return InvalidHeartbeat(f"body field '{name}': {reason}")


@router.post(
    "/terminals/heartbeat",
    summary="A terminal's heartbeat (the terminal's credential, not a login)",
    response_model=HeartbeatReplyInfo,
    responses=error_responses(401, 422, 503),
    dependencies=[public()],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _BODY_SCHEMA}},
        }
    },
)
async def heartbeat(request: Request) -> Response:
    """Send ``Authorization: Bearer <terminal credential>`` (issued at provisioning). Figures
    count since the previous heartbeat; the reply names a version only when a rollout wants the
    terminal on another one. 401 for an unknown, malformed, replaced or revoked credential and
    for a terminal that may not beat (suspended, lost, retired); 422 names a bad field."""
    services = await get_services(request)
    fleet = fleet_of(services)
    token = _token(request.headers.get("authorization"))
    if token is None:
        raise await _refuse(services, request, None, "no credential sent")
    try:
        # Checked before the body is read: an unknown sender learns nothing of what it expects.
        terminal = fleet.registry.credentials().authenticate(token)
    except CredentialRefused as exc:
        raise await _refuse(services, request, exc.claimed_terminal_id, exc.refusal) from None
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise InvalidHeartbeat("body: not a JSON document") from None
    if not isinstance(body, dict):
        raise InvalidHeartbeat("body: must be a JSON object")
    try:
        reply = fleet.heartbeat_from(terminal, body)
    except CredentialRefused as exc:  # a state that may not beat
        raise await _refuse(services, request, exc.claimed_terminal_id, exc.refusal) from None
    except ValueError as exc:
        raise _field_problem(exc) from None
    payload = {
        "target_firmware_version": reply.target_firmware_version,
        "target_parameter_version": reply.target_parameter_version,
        "next_heartbeat_s": reply.next_heartbeat_s,
    }
    return Response(json.dumps(payload, separators=(",", ":")), media_type="application/json")
