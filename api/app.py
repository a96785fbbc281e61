"""The API's app factory; the composition root builds one per process, nothing at import time."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from api.deps import ApiServices, attach_services
from api.errors import install_error_handlers
from api.routes import (
    accounts,
    alerts,
    audit,
    auth,
    backups,
    configs,
    devices,
    fleet,
    health,
    heartbeat,
    metrics,
    oncall,
    regions,
    reports,
    rollouts,
    silences,
    ssh,
    terminals,
    topology,
    users,
)

API_PREFIX = "/api/v1"

DESCRIPTION = """\
The network operations centre of the provincial social-security information network.

Regions follow GB/T 2260 (province → cities → counties); a region's status is the worst status of
every device in it and below it. Rates are bits per second; times are UTC.

Log in with `POST /api/v1/auth/login` and send the access token as
`Authorization: Bearer <token>` (or a personal API token, for scripts). What a user sees is bounded
by their roles and the regions they hold them for: lists are filtered, and an object outside one's
scope answers 404. Logins and every action that changes something are in the audit trail.
Every error answers `{"error": {"code": "...", "message": "..."}}`.
"""

TAGS = [
    {"name": "health", "description": "Is the API up; the network at a glance."},
    {"name": "regions", "description": "The region tree with roll-up status."},
    {"name": "devices", "description": "Devices, their state, interfaces and links."},
    {"name": "metrics", "description": "Figures over time from the metric store."},
    {
        "name": "configs",
        "description": "Configuration versions (secrets scrubbed before storing) and diffs.",
    },
    {
        "name": "backups",
        "description": "Backup records, devices not backed up lately, backups on demand.",
    },
    {"name": "accounts", "description": "Local accounts of devices and hosts, for the audit."},
    {"name": "ssh", "description": "CLI facts, host services and pinned SSH host keys."},
    {"name": "auth", "description": "Logging in, sessions, one's password and API tokens."},
    {"name": "users", "description": "NOC users, roles and scopes (administrators)."},
    {"name": "audit", "description": "The hash-chained audit trail: search, verify, export."},
    {"name": "reports", "description": "Permission reports for security officers."},
    {
        "name": "topology",
        "description": "Failover state, paths, single points of failure, impact, root causes.",
    },
    {
        "name": "alerts",
        "description": "Alerts with their history, acknowledging, escalations, notifications.",
    },
    {"name": "silences", "description": "Silences and maintenance windows."},
    {"name": "on-call", "description": "On-call schedules, who is on call, overrides."},
    {
        "name": "terminals",
        "description": (
            "Card terminals: registry, provisioning (PSAM binding, the credential shown once), "
            "life states, and the terminals' own heartbeats."
        ),
    },
    {"name": "fleet", "description": "Terminal fleet health per county, city and province."},
    {
        "name": "rollouts",
        "description": "Staged firmware and parameter rollouts: waves, gates, pause, roll back.",
    },
]


def create_app(services: ApiServices) -> FastAPI:
    """A new API over ``services``."""
    app = FastAPI(
        title="ssnoc API",
        version=services.version,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,  # bearer tokens only, no OAuth flow
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    attach_services(app.state, services)
    install_error_handlers(app)
    # Heartbeats first, on their own: routes are matched in order, and thousands of heartbeats a
    # second should not each be tried against every other route (hundreds of microseconds).
    app.include_router(heartbeat.router, prefix=API_PREFIX)
    v1 = APIRouter(prefix=API_PREFIX)
    for module in (
        auth, health, regions, devices, metrics, configs, backups, accounts, ssh, users, audit,
        reports, topology, alerts, silences, oncall, terminals, fleet, rollouts,
    ):  # fmt: skip
        v1.include_router(module.router)
    app.include_router(v1)
    return app


ApiApp = FastAPI
"""The type of what :func:`create_app` returns, for callers that must not import fastapi."""
