"""Card terminals in the registry: lists and one terminal with its latest heartbeat and history;
registering (one, or a CSV file), provisioning (PSAM binding and the credential, shown once),
re-issuing the credential, suspending, resuming, marking lost, retiring, and releasing a lost
terminal's PSAM.

A terminal lies in its county. Reading needs ``read_terminals``, changing ``provision_terminals``,
both held for the terminal's county (or its city, or the province); a terminal outside the
caller's regions answers 404, as one that does not exist. Releasing a PSAM binding needs
``release_psam_bindings`` (security officers). Every change is audited, refused ones too; the
credential is in the answer only, never in the audit trail or a log. The terminals' own route
(heartbeats) is :mod:`api.routes.heartbeat`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from api.alert_scope import concerns
from api.audited_change import Conflict
from api.deps import Access, Permission, ServicesDep, require
from api.errors import Forbidden, error_responses
from api.fleet_actions import (
    FleetChange,
    change_terminal,
    counties_to_read,
    csv_upload,
    fleet_of,
    import_in_scope,
    matches_text,
    move_terminal,
    terminal_snapshot,
    terminal_view,
    visible_terminal,
)
from api.schemas_fleet import (
    PSAM_NUMBER_PATTERN,
    SHOWN_ONCE,
    TERMINAL_ID_PATTERN,
    CredentialInfo,
    ImportResultInfo,
    NewTerminal,
    ProvisionedInfo,
    ProvisionRequest,
    ReasonBody,
    TerminalEventInfo,
    TerminalInfo,
    event_info,
)
from card_fleet.model import Terminal, TerminalKind, TerminalState
from card_fleet.service import FleetService
from core.errors import NotFound

router = APIRouter(prefix="/terminals", tags=["terminals"])

ReadTerminals = Annotated[Access, require(Permission.READ_TERMINALS)]
ProvisionTerminals = Annotated[Access, require(Permission.PROVISION_TERMINALS)]
ReleasePsams = Annotated[Access, require(Permission.RELEASE_PSAM_BINDINGS)]
TerminalIdPath = Annotated[
    str,
    Path(
        pattern=TERMINAL_ID_PATTERN,
        description="The terminal's registry id",
        examples=["T440103-0007"],
    ),
]
_REGION = r"^\d{6}$"
_TERMINAL_LIST = TypeAdapter(list[TerminalInfo])


@router.get(
    "",
    summary="Terminals in the caller's regions, filtered",
    response_model=list[TerminalInfo],
    responses=error_responses(401, 403, 404, 422, 503),
)
async def list_terminals(
    access: ReadTerminals,
    services: ServicesDep,
    county: Annotated[
        str | None, Query(pattern=_REGION, description="Only this county", examples=["440103"])
    ] = None,
    city: Annotated[
        str | None, Query(pattern=_REGION, description="Only this city", examples=["440100"])
    ] = None,
    state: Annotated[TerminalState | None, Query(description="Only in this life state")] = None,
    kind: Annotated[TerminalKind | None, Query(description="Only of this kind")] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Text in the id, serial or site (case-insensitive)"),
    ] = None,
) -> Response:
    """Ordered by id, each with its latest heartbeat (None before the first). A county or city
    outside the caller's regions answers 404."""
    fleet = fleet_of(services)
    if county is not None and not access.sees(county):
        raise NotFound(f"no county {county}")
    if city is not None and not concerns(access, city):
        raise NotFound(f"no city {city}")

    def read() -> bytes:
        found = fleet.registry.list(counties=counties_to_read(access, county), state=state)
        shown = [
            terminal_view(fleet, t)
            for t in found
            if access.sees(t.county)
            and (city is None or t.city == city)
            and (kind is None or t.kind is kind)
            and matches_text(t, q)
        ]
        return _TERMINAL_LIST.dump_json(shown)

    # Serialised once, here: returning the models would have FastAPI validate them all again.
    return Response(await run_in_threadpool(read), media_type="application/json")


@router.get(
    "/by-psam/{number}",
    summary="The terminal a PSAM is bound to (the station's check before binding)",
    response_model=TerminalInfo,
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def terminal_by_psam(
    number: Annotated[
        str,
        Path(
            pattern=PSAM_NUMBER_PATTERN,
            description="The PSAM's terminal number (EF16, 12 digits)",
            examples=["440100000001"],
        ),
    ],
    access: ProvisionTerminals,
    services: ServicesDep,
) -> TerminalInfo:
    """404: the PSAM is free. 409: it is bound to a terminal outside the caller's regions (the
    station must not bind it; which terminal is named, as binding it would)."""
    fleet = fleet_of(services)

    def read() -> TerminalInfo:
        terminal = fleet.registry.find_by_psam(number)
        if terminal is None:
            raise NotFound(f"PSAM {number} is bound to no terminal")
        if not access.sees(terminal.county):
            message = f"PSAM {number} is bound to terminal {terminal.id}, outside your regions"
            raise Conflict(message)
        return terminal_view(fleet, terminal)

    return await run_in_threadpool(read)


@router.get(
    "/{terminal_id}",
    summary="One terminal with its latest heartbeat",
    response_model=TerminalInfo,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def get_terminal(
    terminal_id: TerminalIdPath, access: ReadTerminals, services: ServicesDep
) -> TerminalInfo:
    fleet = fleet_of(services)

    def read() -> TerminalInfo:
        return terminal_view(fleet, visible_terminal(fleet, access, terminal_id))

    return await run_in_threadpool(read)


@router.get(
    "/{terminal_id}/history",
    summary="Every change to a terminal, oldest first",
    response_model=list[TerminalEventInfo],
    responses=error_responses(401, 403, 404, 422, 503),
)
async def terminal_history(
    terminal_id: TerminalIdPath, access: ReadTerminals, services: ServicesDep
) -> list[TerminalEventInfo]:
    """Registered, provisioned, activated, suspended, … with who, why and what changed."""
    fleet = fleet_of(services)

    def read() -> list[TerminalEventInfo]:
        visible_terminal(fleet, access, terminal_id)
        return [event_info(event) for event in fleet.registry.history(terminal_id)]

    return await run_in_threadpool(read)


@router.post(
    "",
    summary="Register one terminal in a county of the caller's",
    response_model=TerminalInfo,
    status_code=201,
    responses=error_responses(401, 403, 409, 422, 503),
)
async def register_terminal(
    body: NewTerminal, access: ProvisionTerminals, services: ServicesDep
) -> TerminalInfo:
    """409 when the registry refuses it: the serial or id in use, a county it does not know."""
    change = FleetChange(services, access, "terminal_register", body.id)
    fleet = await change.fleet()
    change.region = body.county
    if not access.sees(body.county):
        scopes = ", ".join(sorted(access.scope_codes()))
        denied = Forbidden(f"{access.name} may register terminals only in their regions ({scopes})")
        raise await change.refuse(denied)

    def work() -> Terminal:
        terminal = fleet.registry.register(
            serial=body.serial,
            model=body.model,
            kind=body.kind,
            site=body.site,
            county=body.county,
            by=access.name,
            now=fleet.clock.now(),
            terminal_id=body.id,
            firmware_version=body.firmware_version,
            parameter_version=body.parameter_version,
        )
        change.target = terminal.id
        return terminal

    def after(terminal: Terminal) -> dict[str, object]:
        return {**terminal_snapshot(terminal), "serial": terminal.serial, "site": terminal.site}

    terminal = await change.run(work, after=after)
    return terminal_view(fleet, terminal)


@router.post(
    "/import",
    summary="Register the terminals of a CSV file (text/csv body); bad rows come back as errors",
    response_model=ImportResultInfo,
    responses=error_responses(401, 403, 413, 415, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": (
                "The file as is (Content-Type: text/csv): UTF-8 with or without a BOM, or GBK. "
                "Header: serial,model,kind,site,county[,id,firmware_version,parameter_version]."
            ),
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_terminals(
    request: Request, access: ProvisionTerminals, services: ServicesDep
) -> ImportResultInfo:
    """The good rows go in together; every other row is an error naming its line, its column and
    why — a bad field, a serial already registered, a county outside the caller's regions. 422
    when the file cannot be read at all (encoding, header)."""
    change = FleetChange(services, access, "terminal_import", None)
    fleet = await change.fleet()
    data = await csv_upload(request, change)

    def work() -> ImportResultInfo:
        return import_in_scope(fleet, access, data, change)

    def after(result: ImportResultInfo) -> dict[str, object]:
        return {"added": len(result.added), "refused_rows": len(result.errors)}

    def detail(result: ImportResultInfo) -> str:
        return f"{len(result.added)} terminals added, {len(result.errors)} rows refused"

    return await change.run(work, after=after, detail=detail)


@router.post(
    "/{terminal_id}/provision",
    summary="Bind the PSAM and issue the terminal's credential (shown once)",
    response_model=ProvisionedInfo,
    status_code=201,
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def provision_terminal(
    terminal_id: TerminalIdPath,
    body: ProvisionRequest,
    access: ProvisionTerminals,
    services: ServicesDep,
) -> ProvisionedInfo:
    """For a registered terminal, after the station read the PSAM and passed the acceptance test
    (whose summary goes into the audit trail; holder data is refused). 409 when the PSAM is bound
    to another terminal (named) or the terminal is not registered."""
    issued: list[str] = []  # the token stays in this scope: never in a record or a log

    def act(fleet: FleetService) -> Terminal:
        number = body.psam_terminal_number
        now = fleet.clock.now()
        issued.append(fleet.registry.bind_and_issue(terminal_id, number, by=access.name, now=now))
        return fleet.registry.get(terminal_id)

    acceptance = body.acceptance.model_dump(mode="json", exclude_none=True)
    passed = ", ".join(f"{name} {value}" for name, value in acceptance.items())
    detail = f"PSAM {body.psam_terminal_number} bound; acceptance test passed: {passed}"
    terminal = await change_terminal(
        services, access, terminal_id, "terminal_provision", act, detail
    )
    fleet = fleet_of(services)
    return ProvisionedInfo(
        terminal=terminal_view(fleet, terminal), credential=issued[0], note=SHOWN_ONCE
    )


@router.post(
    "/{terminal_id}/credential",
    summary="Issue a new credential (the old one stops working at once; shown once)",
    response_model=CredentialInfo,
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def reissue_credential(
    terminal_id: TerminalIdPath, access: ProvisionTerminals, services: ServicesDep
) -> CredentialInfo:
    """For a provisioned, active or suspended terminal; 409 for one holding no credential."""
    issued: list[str] = []

    def act(fleet: FleetService) -> Terminal:
        now = fleet.clock.now()
        issued.append(fleet.registry.reissue_credential(terminal_id, by=access.name, now=now))
        return fleet.registry.get(terminal_id)

    await change_terminal(services, access, terminal_id, "terminal_credential_reissue", act)
    return CredentialInfo(credential=issued[0], note=SHOWN_ONCE)


_MOVE_ERRORS = error_responses(401, 403, 404, 409, 422, 503)
_MOVES = (
    (
        "suspend",
        TerminalState.SUSPENDED,
        "Suspend a terminal: its heartbeats are refused until it is resumed",
        "It keeps its credential and PSAM. 409 when its state refuses it.",
    ),
    ("resume", TerminalState.ACTIVE, "Resume a suspended terminal", "409 when not suspended."),
    (
        "lost",
        TerminalState.LOST,
        "Mark a terminal lost: its credential is revoked at once, its PSAM stays bound",
        "Only a security officer may then release the PSAM (``/release-psam``).",
    ),
    (
        "retire",
        TerminalState.RETIRED,
        "Retire a terminal: its credential is revoked and its PSAM released",
        "Nothing leaves retired.",
    ),
)
"""The life-state routes: path, the state it moves to, summary, description."""


def _add_move_route(verb: str, to: TerminalState, summary: str, description: str) -> None:
    async def move(
        terminal_id: TerminalIdPath,
        body: ReasonBody,
        access: ProvisionTerminals,
        services: ServicesDep,
    ) -> TerminalInfo:
        action = f"terminal_{verb}"
        return await move_terminal(services, access, terminal_id, to, action, body.reason)

    router.post(
        f"/{{terminal_id}}/{verb}",
        name=f"{verb}_terminal",
        summary=summary,
        description=description,
        response_model=TerminalInfo,
        responses=_MOVE_ERRORS,
    )(move)


for _verb, _to, _summary, _description in _MOVES:
    _add_move_route(_verb, _to, _summary, _description)


@router.post(
    "/{terminal_id}/release-psam",
    summary="Release a lost terminal's PSAM binding (security officers)",
    response_model=TerminalInfo,
    responses=_MOVE_ERRORS,
)
async def release_psam(
    terminal_id: TerminalIdPath, body: ReasonBody, access: ReleasePsams, services: ServicesDep
) -> TerminalInfo:
    """The PSAM may then be bound to another terminal. 409 for a terminal that is not lost or
    holds no binding."""

    def act(fleet: FleetService) -> Terminal:
        now = fleet.clock.now()
        return fleet.registry.release_psam(terminal_id, by=access.name, reason=body.reason, now=now)

    action = "terminal_psam_release"
    terminal = await change_terminal(services, access, terminal_id, action, act, body.reason)
    return terminal_view(fleet_of(services), terminal)
