"""The OpenAPI schema is served, and every route in it is documented."""

from __future__ import annotations

from typing import Any

import httpx

from api.app import create_app
from core.state.repository import StateRepository
from tests.unit.api.fakes import FakeMetricStore
from tests.unit.api.scenario import SshStores, services


async def schema(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_schema_names_the_api(client: httpx.AsyncClient) -> None:
    body = await schema(client)
    assert body["info"]["title"] == "ssnoc API"
    assert body["info"]["version"] == "9.9.9-test"
    assert "Bearer" in body["info"]["description"]
    assert {t["name"] for t in body["tags"]} >= {
        "health",
        "regions",
        "devices",
        "metrics",
        "configs",
        "backups",
        "accounts",
        "ssh",
        "auth",
        "users",
        "audit",
    }


async def test_every_operation_is_documented(client: httpx.AsyncClient) -> None:
    paths = (await schema(client))["paths"]
    assert set(paths) >= {
        "/api/v1/health",
        "/api/v1/regions",
        "/api/v1/regions/{code}",
        "/api/v1/devices",
        "/api/v1/devices/{device_id}",
        "/api/v1/devices/{device_id}/interfaces",
        "/api/v1/metrics/series",
        "/api/v1/metrics/query_range",
        "/api/v1/devices/{device_id}/configs",
        "/api/v1/configs/diff",
        "/api/v1/configs/{version_id}",
        "/api/v1/devices/{device_id}/backup",
        "/api/v1/backups",
        "/api/v1/devices/{device_id}/accounts",
        "/api/v1/accounts",
        "/api/v1/devices/{device_id}/ssh",
        "/api/v1/auth/login",
        "/api/v1/users",
        "/api/v1/audit",
    }
    public = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/refresh")}
    public |= {("GET", "/api/v1/livez")}
    for path, operations in paths.items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), f"{where} has no summary"
            assert operation.get("tags"), f"{where} has no tag"
            responses = operation["responses"]
            success = next(code for code in ("200", "201", "204") if code in responses)
            if success != "204" and path != "/api/v1/audit/export":
                ok = responses[success]["content"]["application/json"]["schema"]
                assert ok, f"{where} documents no response body"
            if (method.upper(), path) in public:
                continue
            assert "401" in operation["responses"], f"{where} does not document 401"
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorResponse"}
            for parameter in operation.get("parameters", []):
                assert parameter["schema"].get("description") or parameter.get("description"), (
                    f"{where}: parameter {parameter['name']} undocumented"
                )


async def test_bearer_scheme_is_declared(client: httpx.AsyncClient) -> None:
    body = await schema(client)
    assert body["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_interactive_docs_are_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def test_factory_builds_independent_apps(state: StateRepository, stores: SshStores) -> None:
    first = create_app(services(state, FakeMetricStore(), stores))
    second = create_app(services(state, FakeMetricStore(), stores))
    assert first is not second
    assert first.state.services is not second.state.services


async def test_the_backup_action_documents_its_refusals(client: httpx.AsyncClient) -> None:
    operation = (await schema(client))["paths"]["/api/v1/devices/{device_id}/backup"]["post"]
    assert {"401", "403", "404", "503"} <= set(operation["responses"])
    result = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert result == {"$ref": "#/components/schemas/BackupNowResult"}


async def test_the_diff_documents_its_from_and_to(client: httpx.AsyncClient) -> None:
    operation = (await schema(client))["paths"]["/api/v1/configs/diff"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["from", "to", "context"]
    assert "400" in operation["responses"]
